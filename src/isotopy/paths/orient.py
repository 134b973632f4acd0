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

import numpy as np
import torch

from ..nn.stages import Activation, Affine

__all__ = ["permute_units", "orient_network"]

# Stage types that act coordinate-wise: a permutation of units commutes with them.
COORDINATEWISE = (Activation,)


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
    stages = net.stages
    if not isinstance(stages[stage], Affine):
        raise ValueError(f"stage {stage} is not an affine stage")
    nxt = stage + 1
    while nxt < len(stages) and isinstance(stages[nxt], COORDINATEWISE):
        nxt += 1
    if nxt >= len(stages) or not isinstance(stages[nxt], Affine):
        raise ValueError(
            f"units of stage {stage} cannot be permuted: a stage that is not "
            "coordinate-wise follows it"
        )
    new = copy.deepcopy(net)
    perm = list(range(stages[stage].d_out))
    perm[i], perm[j] = perm[j], perm[i]
    with torch.no_grad():
        a, b = new.stages[stage], new.stages[nxt]
        a.weight[index] = a.weight[index][perm]
        a.bias[index] = a.bias[index][perm]
        b.weight[index] = b.weight[index][:, perm]
    return new


def orient_network(net, *, index: int = 0):
    """Swap units where needed so that every square hidden affine stage has det W > 0.

    Returns
    -------
    (Network, dict)
        The (possibly) permuted copy and ``{stage: (i, j)}`` for every swap made. Stages
        whose units cannot be swapped (the read-out, a 1-unit layer, a stage followed by a
        non-coordinate-wise stage) are left alone; their paths say why.
    """
    swaps = {}
    for k in range(len(net.stages) - 1):
        st = net.stages[k]  # read afresh: a swap also swaps the next layer's columns
        if not isinstance(st, Affine) or st.d_in != st.d_out or st.d_out < 2:
            continue
        det = float(np.linalg.det(st.weight[index].detach().double().numpy()))
        if det < 0:
            try:
                net = permute_units(net, k, 0, 1, index=index)
            except ValueError:
                continue
            swaps[k] = (0, 1)
    return net, swaps
