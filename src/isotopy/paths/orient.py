"""Making every square layer orientation-preserving without changing the network's function.

If det W_k < 0 for a square affine stage k, swap two of its output units: rows i, j of W_k
and entries i, j of b_k. Every stage up to the next affine stage must act coordinate-wise
(activations do), so the swap passes through them; then swapping columns i, j of the next
affine stage's W restores the function exactly:

    W_{k+1} P σ(P W_k x + P b_k) = W_{k+1} P P σ(W_k x + b_k) = W_{k+1} σ(W_k x + b_k),

with P the transposition (P = P^-1, and P commutes with a coordinate-wise σ). The swapped
layer has det(P W_k) = -det W_k > 0, so it has a path in GL+(n) from the identity.
"""

from __future__ import annotations

import copy
import functools

import numpy as np
import torch

from ..nn.stages import Activation, Affine

__all__ = ["permute_units", "orient_network", "orient_in_place"]

# Stage types that act coordinate-wise: a permutation of units commutes with them.
COORDINATEWISE = (Activation,)


def _next_affine(stages, stage: int) -> int | None:
    """The affine stage that takes the units of ``stage`` (after coordinate-wise stages
    only), or None when a stage of another kind comes first or none follows."""
    nxt = stage + 1
    while nxt < len(stages) and isinstance(stages[nxt], COORDINATEWISE):
        nxt += 1
    if nxt >= len(stages) or not isinstance(stages[nxt], Affine):
        return None
    return nxt


@functools.lru_cache(maxsize=256)
def _transposition(n: int, i: int, j: int) -> torch.Tensor:
    """0..n-1 with i and j exchanged, as an index tensor."""
    perm = list(range(n))
    perm[i], perm[j] = perm[j], perm[i]
    return torch.tensor(perm)


def _swap_units(a, b, i: int, j: int, index: int) -> None:
    """Swap units i and j of affine stage ``a`` in place (rows of W and b), and the matching
    columns of the affine stage ``b`` that reads them."""
    with torch.no_grad():
        for t, dim in ((a.weight[index], 0), (a.bias[index], 0), (b.weight[index], 1)):
            perm = _transposition(t.shape[dim], i, j).to(t.device)
            t.copy_(t.index_select(dim, perm))


def permute_units(net, stage: int, i: int, j: int, *, index: int = 0):
    """A copy of ``net`` with units i and j of affine stage ``stage`` swapped (function kept).

    Parameters
    ----------
    net : Network
    stage : int
        Index into ``net.stages`` of a square or widening affine stage that is followed (after
        coordinate-wise stages only) by another affine stage.
    i, j : int
        The two output units to swap.
    index : int
        Which network of a batch to permute (all networks are copied; only this one changes).

    Returns
    -------
    Network
    """
    if not isinstance(net.stages[stage], Affine):
        raise ValueError(f"stage {stage} is not an affine stage")
    nxt = _next_affine(net.stages, stage)
    if nxt is None:
        raise ValueError(
            f"units of stage {stage} cannot be permuted: a stage that is not "
            "coordinate-wise follows it"
        )
    new = copy.deepcopy(net)
    _swap_units(new.stages[stage], new.stages[nxt], i, j, index)
    return new


def orient_network(net, *, index: int = 0):
    """Swap units where needed so that every square hidden affine stage has det W > 0.

    Returns
    -------
    (Network, dict)
        The (possibly) permuted copy and ``{stage: (i, j)}`` for every swap made (``net``
        itself when no swap is needed). Stages whose units cannot be swapped (the read-out,
        a 1-unit layer, a stage followed by a non-coordinate-wise stage) are left alone;
        their paths say why.
    """
    return _orient(net, index, copy_first=True)


def orient_in_place(net, *, index: int = 0) -> dict:
    """The swaps of :func:`orient_network` made in ``net`` itself, without a copy.

    For a view that keeps one copy of a network that trains on: it loads the current
    parameters into its copy and orients that copy here, so that each view costs no deep
    copy. Returns ``{stage: (i, j)}`` for every swap made, as :func:`orient_network` does.
    """
    return _orient(net, index, copy_first=False)[1]


def _orient(net, index: int, *, copy_first: bool):
    out, swaps = net, {}
    stages = list(net.stages)
    for k in range(len(stages) - 1):
        st = stages[k]  # its values read afresh: a swap also swaps the next layer's columns
        if not isinstance(st, Affine) or st.d_in != st.d_out or st.d_out < 2:
            continue
        nxt = _next_affine(stages, k)
        if nxt is None:
            continue
        W = st.weight.detach()[index].cpu().numpy()
        if float(np.linalg.det(W.astype(np.float64))) < 0:
            if copy_first and out is net:
                out = copy.deepcopy(net)
                stages = list(out.stages)
            _swap_units(stages[k], stages[nxt], 0, 1, index)
            swaps[k] = (0, 1)
    return out, swaps
