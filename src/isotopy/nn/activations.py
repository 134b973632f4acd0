"""Pointwise activations as data: one registry entry per name.

Each entry knows its function, whether applying it coordinate-wise is a homeomorphism of
R^n onto its image (strictly monotone and continuous: tanh, sigmoid, softplus, leaky_relu,
identity; not relu, which collapses the negative half-line), and its inverse on that image
where one exists:

    tanh^-1(y) = atanh(y),             image (-1, 1)
    sigmoid^-1(y) = log(y / (1 - y)),  image (0, 1)
    softplus^-1(y) = y + log(1 - e^-y), image (0, inf)
    leaky_relu^-1(y) = y if y >= 0 else y / a
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..errors import lookup

__all__ = ["ACTIVATIONS", "ActivationSpec", "get_activation"]

LEAKY_SLOPE = 0.1  # visible in pictures (0.01 would look like relu) yet clearly monotone


@dataclass(frozen=True)
class ActivationSpec:
    name: str
    fn: Callable[[torch.Tensor], torch.Tensor]
    inverse: Callable[[torch.Tensor], torch.Tensor] | None
    is_homeomorphism: bool
    image: tuple[float, float]  # open interval that is the image of R, per coordinate

    def __repr__(self) -> str:
        kind = "homeomorphism" if self.is_homeomorphism else "not injective"
        return f"ActivationSpec({self.name!r}, {kind}, image={self.image})"


class _Tanh(torch.autograd.Function):
    """tanh(x) = 2·sigmoid(2x) - 1, with d tanh / dx = 1 - tanh².

    The same function as ``torch.tanh`` (within 2e-7 in float32), about 3 times faster on
    the CPU for the large (N, B, d) tensors of batched training, where tanh is otherwise
    the most expensive operation of a step. Supports backward (also twice), forward mode
    and ``torch.func`` transforms.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        return torch.sigmoid(x * 2.0).mul_(2.0).sub_(1.0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y * y) if torch.is_grad_enabled() else \
            torch.ops.aten.tanh_backward(grad, y)

    @staticmethod
    def jvp(ctx, tangent):
        (y,) = ctx.saved_tensors
        return tangent * (1 - y * y)


def _tanh(x: torch.Tensor) -> torch.Tensor:
    return _Tanh.apply(x)


def _softplus_inv(y):
    return y + torch.log(-torch.expm1(-y))


def _leaky_inv(y):
    return torch.where(y >= 0, y, y / LEAKY_SLOPE)


inf = float("inf")
ACTIVATIONS: dict[str, ActivationSpec] = {
    a.name: a
    for a in [
        ActivationSpec("tanh", _tanh, torch.atanh, True, (-1.0, 1.0)),
        ActivationSpec("sigmoid", torch.sigmoid, torch.logit, True, (0.0, 1.0)),
        ActivationSpec("softplus", F.softplus, _softplus_inv, True, (0.0, inf)),
        ActivationSpec("relu", F.relu, None, False, (0.0, inf)),
        ActivationSpec("leaky_relu", lambda x: F.leaky_relu(x, LEAKY_SLOPE), _leaky_inv, True,
                       (-inf, inf)),
        ActivationSpec("identity", lambda x: x, lambda y: y, True, (-inf, inf)),
    ]
}


def get_activation(name: str) -> ActivationSpec:
    """The registry entry for ``name``; an unknown name raises InputError listing the valid ones."""
    return lookup(ACTIVATIONS, name, "activation")
