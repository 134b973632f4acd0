"""Saturation of bounded activations: how much of a representation sits on the edges of the cube.

A tanh layer maps R^n into the open cube (-1, 1)^n. With large pre-activations a point lands
near a face of that cube: one unit near ±1 already flattens the picture there into a band
along an edge (the curve the layer drew runs along the square's side, its shape unreadable),
and every unit near a bound puts it in a corner. The *edge fraction* of a representation Z
(n points, d units) of an activation with image (lo, hi) is

    edge(Z) = #{ i : for some unit j, min(Z_ij - lo, hi - Z_ij) <= tol · (hi - lo) / 2 } / n,

the share of points with at least one unit within ``tol`` of a bound, measured in half-widths
of the image (tol = 0.05: within 0.05 of ±1 for tanh, |pre-activation| > atanh(0.95) = 1.83;
within 0.025 of 0 or 1 for sigmoid). It is 1 when every point lies on an edge and 0 when none
does. The *corner fraction* counts only points whose every unit is that close to a bound; it
is at most the edge fraction and can read 0 while most points lie on an edge, so pictures are
judged by the edge fraction. Activations with an unbounded image (relu, softplus, leaky relu,
identity) cannot saturate this way and have neither.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import InputError

__all__ = [
    "EDGE_TOL",
    "READABLE_EDGE",
    "edge_fraction",
    "corner_fraction",
    "bounded_image",
    "saturation_by_stage",
]

EDGE_TOL = 0.05  # "within 0.05 of ±1" for tanh: tanh(x) > 0.95 needs |x| > 1.83
READABLE_EDGE = 0.2  # a picture with at most this share of its points on an edge stays readable


def _near_bound(Z, image, tol) -> np.ndarray:
    """(n, d) bool: which coordinates lie within ``tol`` half-widths of a bound."""
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim == 1:
        Z = Z[:, None]
    if Z.ndim != 2:
        raise InputError(f"a representation must be (points, units), got shape {Z.shape}")
    lo, hi = float(image[0]), float(image[1])
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise InputError(f"the edge fraction needs a bounded image, got {image}")
    if not 0 < tol < 1:
        raise InputError(f"tol must be in (0, 1), got {tol}")
    gap = np.minimum(Z - lo, hi - Z)  # distance to the nearer bound, per unit
    return gap <= tol * (hi - lo) / 2


def edge_fraction(Z, image=(-1.0, 1.0), *, tol: float = EDGE_TOL) -> float:
    """Share of points with at least one coordinate within ``tol`` half-widths of a bound.

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
    near = _near_bound(Z, image, tol)
    return float(near.any(axis=1).mean()) if len(near) else float("nan")


def corner_fraction(Z, image=(-1.0, 1.0), *, tol: float = EDGE_TOL) -> float:
    """Share of points whose every coordinate lies within ``tol`` half-widths of a bound (the
    points in a corner of the cube; never more than :func:`edge_fraction`). Same parameters."""
    near = _near_bound(Z, image, tol)
    return float(near.all(axis=1).mean()) if len(near) else float("nan")


def bounded_image(stage) -> tuple[float, float] | None:
    """The image (lo, hi) of an activation stage when it is bounded, else None."""
    act = getattr(stage, "act", None)
    if act is None:
        return None
    lo, hi = act.image
    return (float(lo), float(hi)) if np.isfinite(lo) and np.isfinite(hi) else None


@torch.no_grad()
def saturation_by_stage(net, X, *, tol: float = EDGE_TOL, index: int = 0) -> dict:
    """Edge fraction after every bounded activation stage of ``net`` on the points ``X``.

    Returns
    -------
    dict
        ``{stage name: edge fraction}`` in stage order (only bounded activations).
    """
    net = net if net.n_networks == 1 else net.select(index)
    X = np.asarray(X, dtype=np.float32)
    X = X[:, None] if X.ndim == 1 else X
    reps = net.forward_all(torch.as_tensor(X))
    out = {}
    for k, stage in enumerate(net.stages):
        image = bounded_image(stage)
        if image is not None:
            out[net.names[k]] = edge_fraction(reps[k + 1][0].double().numpy(), image, tol=tol)
    return out
