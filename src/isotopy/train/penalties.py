"""Penalties added to each network's loss through ``fit(..., penalty=...)``.

Contractive penalty (Rifai et al., "Contractive auto-encoders", ICML 2011; the essay's remedy
for the "easy way out"): with h_l(x) the representation after hidden layer l and
J_l(x) = ∂h_l/∂x its Jacobian with respect to the input,

    P = λ · mean_{x in batch} mean_{l hidden} ||J_l(x)||_F^2 .

Weight-norm penalty (L2 on the hidden layers, not the read-out): with W_l, b_l the affine
stages before the read-out,

    P = λ · Σ_l (||W_l||_F^2 + ||b_l||^2),

which shrinks every weight, whether or not it saturates a unit.

L1 and L2 regularisation (TensorFlow Playground's "Regularization: L1 / L2" with a rate):
with w ranging over the weights of every affine stage, the read-out included, and no bias
(as Playground does),

    P = λ1 · Σ |w|        (L1: drives small weights to exactly 0)
    P = λ2 · Σ w² / 2     (L2: its gradient is λ2 · w, the "weight decay" of plain SGD).

Edge penalty (keeps bounded hidden layers readable): with z_l the pre-activation of the l-th
bounded activation stage (tanh, sigmoid), s its slope in tanh units (tanh: 1, sigmoid: 1/2,
since sigmoid(z) = (1 + tanh(z/2)) / 2) and c the bound,

    P = λ · mean_{x in batch} Σ_l Σ_j max(|s z_lj(x)| - c, 0)^2 ,

zero while every pre-activation stays within ±c (tanh(1.5) = 0.905: clear of the edge band
|tanh| > 0.95 that the edge fraction of :mod:`isotopy.topology.saturation` counts) and
growing quadratically beyond. Unlike the weight penalty it only acts on the points that
approach an edge, so a network may keep the large weights it needs where the data stay in
the middle of the square. ``fit`` adds it after a plain first part of training
(``EDGE_START``) and raises its strength linearly to λ at the last step (``EDGE_RAMP``):
added from the first step, it can hold a network in a poor local minimum before it has found
how to separate its data, and added at full strength at once it can undo what the network
found. Where neither can happen (2 units on the disc cannot separate it, 2 units on the
interval find the curve at once), full strength from the first step keeps every snapshot off
the edges. Its effect on
the showcase networks is measured in ``docs/readable.md``.

Exact: ||J||_F^2 = Σ_j ||J e_j||^2 over the d_in input directions, one forward-mode
Jacobian-vector product each (cheap here: the input has 1 to 3 dimensions, whatever the
widths). Estimate, for wide inputs: ||J||_F^2 = E_v ||J v||^2 for v ~ N(0, I_{d_in}), averaged
over m random directions (Hutchinson's identity); unbiased, with relative standard deviation
about sqrt(2/m) for a rank-one J and less otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ..errors import InputError, check_positive_int
from .config import EDGE_BOUND, EDGE_RAMP, EDGE_START  # training defaults, written in .config

__all__ = [
    "contractive_penalty",
    "jacobian_frobenius_sq",
    "weight_penalty",
    "l1_penalty",
    "l2_penalty",
    "edge_penalty",
    "EDGE_BOUND",
    "EDGE_SLOPE",
    "EDGE_RAMP",
    "EDGE_START",
    "edge_full_step",
    "edge_step",
    "PENALTIES",
]

EXACT_MAX_DIM = 8  # inputs up to this many dimensions get the exact penalty
PROJECTIONS = 4  # random directions of the estimate per step
EDGE_SLOPE = {"tanh": 1.0, "sigmoid": 0.5}  # bounded activations, pre-activation in tanh units


def jacobian_frobenius_sq(
    net, X, *, projections: int | None = None, generator: torch.Generator | None = None
) -> torch.Tensor:
    """mean over points and hidden layers of ||∂h_l/∂x||_F^2, per network: (N,).

    Parameters
    ----------
    net : Network
    X : tensor (B, d_in)
    projections : int or None
        None: exact (d_in directions); m: estimate from m Gaussian directions.
    generator : torch.Generator, optional
        For the random directions.
    """
    from ..topology.stretch import input_jacobians

    ends = net.layer_ends()  # stages completing a hidden layer (the read-out is not one)
    if not ends:
        x, _ = net.batched(X)
        return x.new_zeros(net.n_networks)
    # the directions on the points' device (a generator draws on the CPU)
    device = X.device if torch.is_tensor(X) else next(net.parameters()).device
    if projections is None:
        dirs, scale = torch.eye(net.d_in, device=device), 1.0
    else:
        m = check_positive_int(projections, "projections")
        dirs = torch.randn(m, net.d_in, generator=generator).to(device)
        scale = 1.0 / m
    Js = input_jacobians(net, X, directions=dirs, upto=max(ends) + 1)  # each (N, B, d, m)
    per_layer = [Js[i].pow(2).sum(dim=(-2, -1)).mean(-1) for i in ends]  # each (N,)
    return torch.stack(per_layer).mean(0) * scale


def _strength(value, what: str) -> float:
    lam = float(value)
    if not np.isfinite(lam) or lam < 0:
        raise InputError(f"{what} must be a finite number >= 0, got {lam}")
    return lam


def contractive_penalty(
    strength: float,
    *,
    projections: int | None = None,
    exact_max_dim: int = EXACT_MAX_DIM,
    seed: int = 0,
) -> Callable[[object, torch.Tensor], torch.Tensor]:
    """A ``penalty(net, xb) -> (N,)`` callable for ``fit``: λ · mean ||J||_F^2 of hidden layers.

    Parameters
    ----------
    strength : float
        λ >= 0.
    projections : int or None
        Random directions for the estimate; None: exact when d_in <= exact_max_dim, else
        ``PROJECTIONS`` directions.
    exact_max_dim : int
    seed : int
        Seed of the random directions.
    """
    lam = _strength(strength, "the contractive strength")
    gen = torch.Generator().manual_seed(int(seed))

    def penalty(net, xb):
        m = projections
        if m is None and net.d_in > exact_max_dim:
            m = PROJECTIONS
        return lam * jacobian_frobenius_sq(net, xb, projections=m, generator=gen)

    penalty.strength = lam
    return penalty


def _affine_sum(net, xb, term, *, readout: bool, biases: bool) -> torch.Tensor:
    """Σ term(p) over the weights (and biases, if ``biases``) of the network's affine
    stages (the read-out too, if ``readout``), per network: (N,)."""
    from ..nn.stages import Affine

    stages = list(net.stages) if readout else list(net.stages)[:-1]
    total = xb.new_zeros(net.n_networks)
    for st in stages:
        if isinstance(st, Affine):
            total = total + term(st.weight).sum(dim=(1, 2))
            if biases:
                total = total + term(st.bias).sum(-1)
    return total


def _weight_norm_penalty(strength, what, term, *, readout, biases):
    lam = _strength(strength, what)

    def penalty(net, xb):
        return lam * _affine_sum(net, xb, term, readout=readout, biases=biases)

    penalty.strength = lam
    return penalty


def weight_penalty(strength: float) -> Callable[[object, torch.Tensor], torch.Tensor]:
    """A ``penalty(net, xb) -> (N,)`` callable for ``fit``: λ · Σ (||W||_F² + ||b||²) over the
    affine stages before the read-out (each network of a batch its own sum).

    Parameters
    ----------
    strength : float
        λ >= 0.
    """
    return _weight_norm_penalty(
        strength, "the weight penalty", torch.square, readout=False, biases=True
    )


def l1_penalty(rate: float) -> Callable[[object, torch.Tensor], torch.Tensor]:
    """A ``penalty(net, xb) -> (N,)`` callable for ``fit``: L1 regularisation
    λ1 · Σ |w| over the weights of every affine stage, the read-out included, biases not
    (TensorFlow Playground's L1). Its gradient is λ1 · sign(w) (0 at w = 0).

    Parameters
    ----------
    rate : float
        λ1 >= 0.
    """
    return _weight_norm_penalty(rate, "the L1 rate", torch.abs, readout=True, biases=False)


def _half_square(w: torch.Tensor) -> torch.Tensor:
    return 0.5 * w.square()


def l2_penalty(rate: float) -> Callable[[object, torch.Tensor], torch.Tensor]:
    """A ``penalty(net, xb) -> (N,)`` callable for ``fit``: L2 regularisation
    λ2 · Σ w² / 2 over the weights of every affine stage, the read-out included, biases not
    (TensorFlow Playground's L2). Its gradient is λ2 · w.

    Parameters
    ----------
    rate : float
        λ2 >= 0.
    """
    return _weight_norm_penalty(rate, "the L2 rate", _half_square, readout=True, biases=False)


def edge_step(steps: int, start: float = EDGE_START) -> int:
    """The step from which the edge penalty joins a run of ``steps`` steps: round(start · steps),
    start in [0, 1)."""
    start = float(start)
    if not (np.isfinite(start) and 0 <= start < 1):
        raise InputError(
            f"the edge penalty's start must be a share of the steps in [0, 1), got {start}"
        )
    return int(round(start * int(steps)))


def edge_full_step(steps: int, start: float = EDGE_START, ramp: float = EDGE_RAMP) -> int:
    """The step at which the edge penalty reaches full strength: it joins at
    :func:`edge_step` and rises over the share ``ramp`` in [0, 1] of the remaining steps (1:
    at the last step; 0: at once)."""
    ramp = float(ramp)
    if not (np.isfinite(ramp) and 0 <= ramp <= 1):
        raise InputError(
            f"the edge penalty's ramp must be a share of the steps in [0, 1], got {ramp}"
        )
    begin = edge_step(steps, start)
    return begin + int(round(ramp * (int(steps) - begin)))


def edge_penalty(
    strength: float, *, bound: float = EDGE_BOUND
) -> Callable[[object, torch.Tensor], torch.Tensor]:
    """A ``penalty(net, xb) -> (N,)`` callable for ``fit``: λ · mean over the batch of
    Σ max(|s z| - c, 0)² over every unit of every bounded activation stage (formula in the
    module docstring).

    Parameters
    ----------
    strength : float
        λ >= 0.
    bound : float
        c > 0, in tanh units of pre-activation.
    """
    lam, c = _strength(strength, "the edge penalty"), float(bound)
    if not np.isfinite(c) or c <= 0:
        raise InputError(f"the edge penalty's bound must be a finite number > 0, got {c}")

    def penalty(net, xb):
        h, _ = net.batched(xb)  # (N, B, d_in)
        total = h.new_zeros(net.n_networks)
        for stage in net.stages:
            slope = EDGE_SLOPE.get(getattr(getattr(stage, "act", None), "name", None))
            if slope is not None:  # h: this stage's pre-activation (N, B, d)
                excess = (h.abs() * slope - c).clamp_min(0.0)
                total = total + excess.pow(2).sum(-1).mean(-1)
            h = stage(h)
        return lam * total

    penalty.strength = lam
    penalty.bound = c
    return penalty


# Penalties by name, each a factory strength -> penalty(net, xb) -> (N,): what the explorer
# offers ("l1", "l2": Playground's regularisation, the strength being its rate).
PENALTIES = {
    "contractive": contractive_penalty,
    "weight": weight_penalty,
    "edge": edge_penalty,
    "l1": l1_penalty,
    "l2": l2_penalty,
}
