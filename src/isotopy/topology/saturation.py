"""Saturation of bounded activations: how much of a representation sits in the cube's corners.

A tanh layer maps R^n into the open cube (-1, 1)^n. With large weights almost every point
lands near a corner of that cube, where the picture of the layer shows a few clumps and the
geometry the layer computed (a surface, a curve, a hole) can no longer be seen. The *corner
fraction* of a representation Z (n points, d units) of an activation with image (lo, hi) is

    corner(Z) = #{ i : for every unit j, min(Z_ij - lo, hi - Z_ij) <= tol · (hi - lo) / 2 } / n,

the share of points with every unit within ``tol`` of a bound, measured in half-widths of the
image (tol = 0.05: within 0.05 of ±1 for tanh, within 0.025 of 0 or 1 for sigmoid). It is 1
when every point sits in a corner and 0 when none does. Activations with an unbounded image
(relu, softplus, leaky relu, identity) cannot saturate this way and have no corner fraction.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import InputError

__all__ = ["CORNER_TOL", "corner_fraction", "bounded_image", "saturation_by_stage"]

CORNER_TOL = 0.05  # "within 0.05 of ±1" for tanh: tanh(x) > 0.95 needs |x| > 1.83


def corner_fraction(Z, image=(-1.0, 1.0), *, tol: float = CORNER_TOL) -> float:
    """Share of points whose every coordinate lies within ``tol`` half-widths of a bound.

    Parameters
    ----------
    Z : array (n, d)
        A representation after a bounded activation.
    image : (lo, hi)
        The activation's image per coordinate, e.g. (-1, 1) for tanh, (0, 1) for sigmoid.
    tol : float
        Distance to a bound, in half-widths of the image, that counts as saturated.

    Returns
    -------
    float
        In [0, 1]; NaN for an empty representation.
    """
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim == 1:
        Z = Z[:, None]
    if Z.ndim != 2:
        raise InputError(f"a representation must be (points, units), got shape {Z.shape}")
    lo, hi = float(image[0]), float(image[1])
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise InputError(f"corner fraction needs a bounded image, got {image}")
    if not 0 < tol < 1:
        raise InputError(f"tol must be in (0, 1), got {tol}")
    if len(Z) == 0:
        return float("nan")
    gap = np.minimum(Z - lo, hi - Z)  # distance to the nearer bound, per unit
    corner = (gap <= tol * (hi - lo) / 2).all(axis=1)
    return float(corner.mean())


def bounded_image(stage) -> tuple[float, float] | None:
    """The image (lo, hi) of an activation stage when it is bounded, else None."""
    act = getattr(stage, "act", None)
    if act is None:
        return None
    lo, hi = act.image
    return (float(lo), float(hi)) if np.isfinite(lo) and np.isfinite(hi) else None


@torch.no_grad()
def saturation_by_stage(net, X, *, tol: float = CORNER_TOL, index: int = 0) -> dict:
    """Corner fraction after every bounded activation stage of ``net`` on the points ``X``.

    Returns
    -------
    dict
        ``{stage name: corner fraction}`` in stage order (only bounded activations).
    """
    net = net if net.n_networks == 1 else net.select(index)
    X = np.asarray(X, dtype=np.float32)
    X = X[:, None] if X.ndim == 1 else X
    reps = net.forward_all(torch.as_tensor(X))
    out = {}
    for k, stage in enumerate(net.stages):
        image = bounded_image(stage)
        if image is not None:
            out[net.names[k]] = corner_fraction(reps[k + 1][0].double().numpy(), image, tol=tol)
    return out
