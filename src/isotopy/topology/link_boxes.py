"""Interval boxes around a polygon's segments, pushed through a network's stages.

What :mod:`.linking` certifies a stage's linking number with: each segment of the input
polygon lies in an axis-aligned box; :func:`box_through` encloses a stage's image of boxes
(affine, monotone activation, Lipschitz vector field); :func:`conflicts` finds the segments
whose boxes meet a box of the other curve, and :func:`refine` halves them.
:func:`stage_orientation` says which stages are homeomorphisms of R^3 that carry a value.
"""

from __future__ import annotations

import numpy as np

from .polylines import pairs_within

__all__ = ["segment_boxes", "box_through", "conflicts", "refine", "stage_orientation"]


def refine(c: np.ndarray, marked: np.ndarray) -> np.ndarray:
    """Insert the midpoint of every marked segment (segment i joins vertex i to i + 1)."""
    mids = (c[marked] + np.roll(c, -1, axis=0)[marked]) / 2
    pos = np.flatnonzero(marked) + 1
    return np.insert(c, pos, mids, axis=0)


_MONOTONE = {"tanh", "sigmoid", "softplus", "relu", "leaky_relu", "identity"}


def box_through(stage, centre, half):
    """Enclose a stage's image of boxes: centre, half (m, d_in) -> (m, d_out) each, or None.

    Affine: W c + b, |W| r. A monotone activation: the image of the corners lo, hi. A
    residual vector field x + v(x) with Lip(v) <= L: (1 + L) |r|_2 in every coordinate;
    its flow: e^L |r|_2. Any other stage: None (no enclosure known).
    """
    import torch

    from ..nn import Activation, Affine

    with torch.no_grad():
        if isinstance(stage, Affine):
            w = stage.weight[0].double().numpy()  # (d_out, d_in)
            b = stage.bias[0].double().numpy()
            return centre @ w.T + b, half @ np.abs(w).T
        if isinstance(stage, Activation) and stage.act.name in _MONOTONE:
            f = stage.act.fn
            lo = f(torch.from_numpy(centre - half)).numpy()
            hi = f(torch.from_numpy(centre + half)).numpy()
            return (lo + hi) / 2, (hi - lo) / 2
        bound = getattr(stage, "lipschitz_bound", None)
        if bound is not None and stage.d_in == stage.d_out:
            lip = float(bound()[0])
            grow = np.exp(lip) if getattr(stage, "mode", "") == "flow" else 1.0 + lip
            c = stage(torch.from_numpy(centre)[None])[0].numpy()
            r = grow * np.linalg.norm(half, axis=1, keepdims=True)
            return c, np.repeat(r, c.shape[1], axis=1)
    return None


def segment_boxes(c: np.ndarray):
    """Boxes around the segments of a closed polygon: c (m, d) -> centre, half (m, d)."""
    c2 = np.roll(c, -1, axis=0)
    return (c + c2) / 2, np.abs(c2 - c) / 2


def conflicts(box_a, box_b):
    """Segments whose boxes meet a box of the other curve: -> (bool (m,), bool (k,))."""
    (ca, ra), (cb, rb) = box_a, box_b
    ia, ib = pairs_within(ca, ra.max(1), cb, rb.max(1), p=np.inf)  # shortlist
    meet = (np.abs(ca[ia] - cb[ib]) <= ra[ia] + rb[ib]).all(1)
    ma, mb = np.zeros(len(ca), bool), np.zeros(len(cb), bool)
    ma[ia[meet]] = True
    mb[ib[meet]] = True
    return ma, mb


def stage_orientation(stage) -> int | None:
    """+1 / -1 where ``stage`` is a homeomorphism of R^3 onto its image that keeps / reverses
    orientation, None where it is not one (or its orientation is not known).

    Affine: sign(det W) when W is 3 x 3 and the stage's own check calls it a homeomorphism;
    an activation: +1 when strictly increasing (every injective activation of the registry
    is); a vector field that certifies itself invertible: +1 (I + Dv, or the flow's
    Jacobian, has positive determinant everywhere: x + t v(x) stays invertible for t in
    [0, 1], so the determinant never crosses 0 from its value 1 at t = 0).
    """
    from ..nn import Activation, Affine

    if getattr(stage, "d_in", None) != 3 or getattr(stage, "d_out", None) != 3:
        return None
    if not bool(stage.is_homeomorphism()[0]):
        return None
    if isinstance(stage, Affine):
        return 1 if float(np.linalg.det(stage.weight[0].detach().double().numpy())) > 0 else -1
    if isinstance(stage, Activation):
        return 1 if stage.act.name in _MONOTONE else None
    if getattr(stage, "lipschitz_bound", None) is not None:
        return 1
    return None
