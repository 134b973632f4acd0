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


def _softplus_inv(y):
    return y + torch.log(-torch.expm1(-y))


def _leaky_inv(y):
    return torch.where(y >= 0, y, y / LEAKY_SLOPE)


inf = float("inf")
ACTIVATIONS: dict[str, ActivationSpec] = {
    a.name: a
    for a in [
        ActivationSpec("tanh", torch.tanh, torch.atanh, True, (-1.0, 1.0)),
        ActivationSpec("sigmoid", torch.sigmoid, torch.logit, True, (0.0, 1.0)),
        ActivationSpec("softplus", F.softplus, _softplus_inv, True, (0.0, inf)),
        ActivationSpec("relu", F.relu, None, False, (0.0, inf)),
        ActivationSpec(
            "leaky_relu", lambda x: F.leaky_relu(x, LEAKY_SLOPE), _leaky_inv, True, (-inf, inf)
        ),
        ActivationSpec("identity", lambda x: x, lambda y: y, True, (-inf, inf)),
    ]
}


def get_activation(name: str) -> ActivationSpec:
    """The registry entry for ``name``; an unknown name raises InputError listing the valid ones."""
    return lookup(ACTIVATIONS, name, "activation")
