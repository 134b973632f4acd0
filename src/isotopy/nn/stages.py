"""Stages: the pieces a network is made of, each with a geometric meaning.

Every stage maps representations of one network batch to the next:

    x: (N, B, d_in) -> (N, B, d_out)

where N is the number of networks trained together (parameters carry this leading axis;
a single network is N = 1) and B the number of points. A stage states whether it is a
homeomorphism onto its image, can describe itself as a JSON-able ``spec()`` and is rebuilt
from one by :func:`stage_from_spec` through the ``STAGE_TYPES`` registry, so new stage
types (vector fields, k-NN heads) plug in by registering themselves.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import InputError, check_positive_int, lookup
from .activations import get_activation

__all__ = [
    "Stage",
    "Affine",
    "Activation",
    "STAGE_TYPES",
    "register_stage",
    "stage_from_spec",
    "HOMEOMORPHISM_RTOL",
]

STAGE_TYPES: dict[str, type] = {}

# The one rule for "this affine stage is a homeomorphism onto its image" that paths,
# topology, the explorer and the CLI all read: d_out >= d_in and s_min > rtol · s_max for
# the singular values of W. With float32 weights (relative precision 6e-8) a smaller ratio
# leaves the inverse map with no correct digits in the squeezed direction.
HOMEOMORPHISM_RTOL = 1e-6


def register_stage(cls):
    """Class decorator: make ``cls`` loadable from a spec whose ``type`` is ``cls.type_name``."""
    STAGE_TYPES[cls.type_name] = cls
    return cls


def stage_from_spec(spec: dict, *, n_networks: int = 1) -> Stage:
    """Build a stage from the dict its ``spec()`` returned (parameters freshly initialised)."""
    spec = dict(spec)
    cls = lookup(STAGE_TYPES, spec.pop("type", None), "stage type")
    return cls(**spec, n_networks=n_networks)


class Stage(nn.Module):
    """Base class. Subclasses set ``type_name``, ``d_in``, ``d_out``, ``n_networks``."""

    type_name = "stage"
    d_in: int
    d_out: int
    n_networks: int

    def spec(self) -> dict:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def is_homeomorphism(self, rtol: float = HOMEOMORPHISM_RTOL) -> torch.Tensor:
        """Bool tensor (N,): whether this stage is a homeomorphism onto its image, per network
        (``rtol``: the numerical tolerance of stages that have one, see HOMEOMORPHISM_RTOL)."""
        raise NotImplementedError

    def reset_parameters(self, generators: list[torch.Generator]) -> None:
        """Initialise network i's parameters from ``generators[i]`` (nothing for fixed stages)."""

    def short(self) -> str:
        return self.type_name


@register_stage
class Affine(Stage):
    """x -> W x + b.

    W: (N, d_out, d_in), b: (N, d_out); x: (N, B, d_in) -> (N, B, d_out). With d_out = d_in
    it is a homeomorphism of R^n exactly when det W != 0; with d_out > d_in it is an
    embedding when W has full column rank; with d_out < d_in it never is one.
    """

    type_name = "affine"

    def __init__(self, d_in: int, d_out: int, *, n_networks: int = 1):
        super().__init__()
        self.d_in = check_positive_int(d_in, "an affine stage's input width")
        self.d_out = check_positive_int(d_out, "an affine stage's output width")
        self.n_networks = check_positive_int(n_networks, "the number of networks")
        self.weight = nn.Parameter(torch.empty(self.n_networks, self.d_out, self.d_in))
        self.bias = nn.Parameter(torch.empty(self.n_networks, self.d_out))
        self.reset_parameters([None] * self.n_networks)

    def reset_parameters(self, generators) -> None:
        # Glorot-uniform weights: tiny tanh networks start neither saturated nor flat.
        bound = math.sqrt(6.0 / (self.d_in + self.d_out))
        with torch.no_grad():
            for i, g in enumerate(generators):
                w = torch.rand(self.d_out, self.d_in, generator=g) * 2 - 1
                self.weight[i].copy_(w * bound)
                b = torch.rand(self.d_out, generator=g) * 2 - 1
                self.bias[i].copy_(b * 0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (N, B, d_in); weight: (N, d_out, d_in) -> (N, B, d_out). Computed as
        # W x^T + b in the point-last layout (N, d_out, B) and returned as a transposed view:
        # with widths of 2-4 units a contiguous point axis makes every later element-wise op
        # (activations, their gradients) run over long rows, about 2-3 times faster than
        # the (N, B, d) layout for thousands of networks.
        out = torch.baddbmm(self.bias.unsqueeze(2), self.weight, x.transpose(1, 2))
        return out.transpose(1, 2)  # (N, B, d_out), stored as (N, d_out, B)

    def is_homeomorphism(self, rtol: float = HOMEOMORPHISM_RTOL) -> torch.Tensor:
        w = self.weight.detach().double().cpu()
        if self.d_out < self.d_in:
            return torch.zeros(self.n_networks, dtype=torch.bool)
        s = torch.linalg.svdvals(w)  # (N, min(d_in, d_out))
        return s[:, -1] > rtol * s[:, 0].clamp_min(1e-300)

    def spec(self) -> dict:
        return {"type": self.type_name, "d_in": self.d_in, "d_out": self.d_out}

    def short(self) -> str:
        return f"affine {self.d_in}→{self.d_out}"

    def extra_repr(self) -> str:
        return f"{self.d_in} -> {self.d_out}, n_networks={self.n_networks}"


@register_stage
class Activation(Stage):
    """x -> σ(x) coordinate-wise, σ from the ``ACTIVATIONS`` registry.

    x: (N, B, d) -> (N, B, d). A homeomorphism onto its image when σ is strictly monotone.
    """

    type_name = "activation"

    def __init__(self, name: str, dim: int, *, n_networks: int = 1):
        super().__init__()
        self.act = get_activation(name)
        self.d_in = self.d_out = check_positive_int(dim, "an activation's width")
        self.n_networks = n_networks

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 2:
            return self.act.fn(x)
        # Applied in the point-last order (…, d, B) in which Affine stores its outputs: every
        # element-wise pass then runs along the long point axis.
        return self.act.fn(x.transpose(-1, -2)).transpose(-1, -2)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        if self.act.inverse is None:
            raise InputError(f"activation {self.act.name!r} is not injective and has no inverse")
        return self.act.inverse(y)

    def is_homeomorphism(self, rtol: float = HOMEOMORPHISM_RTOL) -> torch.Tensor:
        return torch.full((self.n_networks,), self.act.is_homeomorphism, dtype=torch.bool)

    def spec(self) -> dict:
        return {"type": self.type_name, "name": self.act.name, "dim": self.d_in}

    def short(self) -> str:
        return self.act.name

    def extra_repr(self) -> str:
        return f"{self.act.name}, dim={self.d_in}"
