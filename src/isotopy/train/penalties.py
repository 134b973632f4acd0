"""Penalties added to each network's loss through ``fit(..., penalty=...)``.

Contractive penalty (Rifai et al., "Contractive auto-encoders", ICML 2011, applied here to
every hidden representation of a classifier): for network i with hidden representations
h_1, ..., h_L (the inputs of each following affine stage, see ``Network.layer_ends``),

    P_i = λ · (1/B) Σ_b Σ_l ‖∂h_l / ∂x (x_b)‖_F²

the mean over the batch of the summed squared Frobenius norms of the Jacobians of the hidden
representations with respect to the input. It is computed exactly: with d_in input
dimensions, one backward pass gives g = Σ_l J_lᵀ u_l for placeholder vectors u_l, and d_in
more passes differentiate g_k with respect to u_l, giving the columns J_l e_k (the "double
backward" Jacobian-vector product). Every pass keeps the graph, so the penalty trains.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..errors import InputError

__all__ = ["contractive_penalty", "jacobian_frobenius"]


def jacobian_frobenius(net, x) -> torch.Tensor:
    """Σ_l ‖∂h_l/∂x‖_F² at every point, differentiable in the parameters.

    Parameters
    ----------
    net : Network
    x : tensor, shape (B, d_in) or (N, B, d_in)

    Returns
    -------
    Tensor, shape (N, B)
    """
    x, _ = net._batched(x)
    x = x.detach().clone().requires_grad_(True)  # (N, B, d_in)
    reps = net.forward_all(x)
    hidden = [reps[i + 1] for i in net.layer_ends()]  # each (N, B, d_l)
    if not hidden:
        return torch.zeros(x.shape[:2], dtype=x.dtype)
    us = [torch.zeros_like(h, requires_grad=True) for h in hidden]
    (g,) = torch.autograd.grad(sum((h * u).sum() for h, u in zip(hidden, us, strict=True)), x,
                               create_graph=True)  # (N, B, d_in) = Σ_l J_lᵀ u_l
    total = torch.zeros(x.shape[:2], dtype=x.dtype)
    for k in range(x.shape[-1]):
        cols = torch.autograd.grad(g[..., k].sum(), us, create_graph=True,
                                   allow_unused=True)  # J_l e_k, each (N, B, d_l)
        for c in cols:
            if c is not None:
                total = total + (c * c).sum(-1)
    return total


def contractive_penalty(lam: float) -> Callable:
    """``penalty(net, xb) -> (N,)``: λ times the mean over the batch of
    :func:`jacobian_frobenius`.

    Parameters
    ----------
    lam : float
        λ >= 0.
    """
    lam = float(lam)
    if not lam >= 0 or lam == float("inf"):
        raise InputError(f"the contractive weight must be a finite number >= 0, got {lam}")

    def penalty(net, xb):
        return lam * jacobian_frobenius(net, xb).mean(-1)

    penalty.lam = lam
    penalty.__qualname__ = f"contractive_penalty({lam})"
    return penalty
