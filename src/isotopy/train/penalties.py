"""Penalties added to each network's loss through ``fit(..., penalty=...)``.

Contractive penalty (Rifai et al., "Contractive auto-encoders", ICML 2011; the essay's remedy
for the "easy way out"): with h_l(x) the representation after hidden layer l and
J_l(x) = ∂h_l/∂x its Jacobian with respect to the input,

    P = λ · mean_{x in batch} mean_{l hidden} ||J_l(x)||_F^2 .

Weight-norm penalty (L2 on the hidden layers, not the read-out): with W_l, b_l the affine
stages before the read-out,

    P = λ · Σ_l (||W_l||_F^2 + ||b_l||^2),

which keeps the pre-activations of tanh layers out of saturation; the report's showcase
networks use λ = 0.01 so their pictures stay readable (isotopy.train.readable).

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

__all__ = ["contractive_penalty", "jacobian_frobenius_sq", "weight_penalty", "PENALTIES"]

EXACT_MAX_DIM = 8  # inputs up to this many dimensions get the exact penalty
PROJECTIONS = 4  # random directions of the estimate per step


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
    if projections is None:
        dirs, scale = None, 1.0
    else:
        m = check_positive_int(projections, "projections")
        dirs = torch.randn(m, net.d_in, generator=generator)
        scale = 1.0 / m
    Js = input_jacobians(net, X, directions=dirs, upto=max(ends) + 1)  # each (N, B, d, m)
    per_layer = [Js[i].pow(2).sum(dim=(-2, -1)).mean(-1) for i in ends]  # each (N,)
    return torch.stack(per_layer).mean(0) * scale


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
    lam = float(strength)
    if not np.isfinite(lam) or lam < 0:
        raise InputError(f"the contractive strength must be a finite number >= 0, got {lam}")
    gen = torch.Generator().manual_seed(int(seed))

    def penalty(net, xb):
        m = projections
        if m is None and net.d_in > exact_max_dim:
            m = PROJECTIONS
        return lam * jacobian_frobenius_sq(net, xb, projections=m, generator=gen)

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
    from ..nn.stages import Affine

    lam = float(strength)
    if not np.isfinite(lam) or lam < 0:
        raise InputError(f"the weight penalty must be a finite number >= 0, got {lam}")

    def penalty(net, xb):
        total = 0.0
        for st in list(net.stages)[:-1]:
            if isinstance(st, Affine):
                total = total + st.weight.pow(2).sum(dim=(1, 2)) + st.bias.pow(2).sum(-1)
        return lam * total if torch.is_tensor(total) else xb.new_zeros(net.n_networks)

    penalty.strength = lam
    return penalty


# Penalties by name, each a factory strength -> penalty(net, xb) -> (N,): what the explorer
# offers.
PENALTIES = {"contractive": contractive_penalty, "weight": weight_penalty}
