"""The coordinates the robust reading works in: the activation's chart, then whitening.

Both steps are homeomorphisms of the cloud, so its topology is the same in the coordinates
they give, while what a stage does without changing the topology is undone: :func:`chart`
reads a stage's output through its activation's inverse (saturation undone coordinate by
coordinate), :func:`whiten` rescales the principal axes to unit spread (an invertible
affine stretch undone). Why, and what they leave: :mod:`.robust`.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .homology import _as_cloud

__all__ = ["WHITEN_RTOL", "whiten", "chart", "activation_spec"]

WHITEN_RTOL = 1e-5  # principal spreads below this share of the largest are rounding noise


def whiten(X, *, rtol: float = WHITEN_RTOL, floor: float = 0.0, return_spreads: bool = False):
    """Centre X and rescale its principal axes to unit spread (Mahalanobis coordinates).

    X: (n, d) -> (n, r), r = the number of principal axes whose spread (root mean square
    along the axis) exceeds ``rtol`` times the largest; the others hold only rounding noise
    (a 2-D cloud embedded in R^3 by a full-rank affine stage) and are dropped. For any
    invertible A and vector b, ``whiten(X @ A.T + b)`` equals ``whiten(X) @ Q`` for an
    orthogonal Q, so a reading that is unchanged by rotations is unchanged by affine maps.
    ``floor`` > 0 caps the gain: an axis whose spread is under ``floor`` times the largest is
    divided by that floor instead of its own spread, so it keeps its proportion to the
    others. The invariance then holds only while every spread of X and of its image is at
    least ``floor`` times the largest (an isotropic cloud stretched by condition number up
    to 1 / floor).

    Returns
    -------
    Z : ndarray (n, r)
    spreads : ndarray (d,), only with ``return_spreads``: the principal spreads of X,
        largest first.
    """
    X = _as_cloud(X)
    rtol = float(rtol)
    if not np.isfinite(rtol) or not 0 <= rtol < 1:
        raise InputError(f"rtol must be a number in [0, 1), got {rtol}")
    floor = float(floor)
    if not np.isfinite(floor) or not 0 <= floor <= 1:
        raise InputError(f"floor must be a number in [0, 1], got {floor}")
    n, d = X.shape
    Xc = X - X.mean(0)
    if n < 2:
        s, u = np.zeros(1), None
    elif d > 2 * n:  # wide layers: the n x n Gram matrix X_c X_c^T = U S^2 U^T is cheaper
        w, u = np.linalg.eigh(Xc @ Xc.T)
        w, u = w[::-1], u[:, ::-1]
        s = np.sqrt(np.maximum(w, 0.0))
    else:
        u, s, _ = np.linalg.svd(Xc, full_matrices=False)
    if n < 2 or s[0] == 0:
        Z = np.zeros((n, 1))
    else:
        keep = s > rtol * s[0]
        # X_c V = U S, so the whitened cloud is U S √n / max(S, floor · s_1)
        Z = u[:, keep] * (s[keep] * np.sqrt(n) / np.maximum(s[keep], floor * s[0]))
    return (Z, s / np.sqrt(max(n, 1))) if return_spreads else Z


def activation_spec(activation):
    """An activation spec from a name or a spec; None stays None (no chart)."""
    if activation is None or hasattr(activation, "inverse"):
        return activation
    from ..nn import get_activation

    return get_activation(activation)


def chart(X, activation) -> np.ndarray:
    """The cloud in the chart of the activation's inverse: X (n, d) -> (n, d), float64.

    For an activation σ that is a homeomorphism onto its image (a, b) per coordinate (tanh,
    sigmoid, softplus, leaky_relu, identity), the map y -> σ^-1(y) is a homeomorphism of the
    image onto R^d, so the cloud's topology is the same in these coordinates; they undo the
    per-coordinate squashing of saturation. Values are first clipped to [a + u, b - u] with
    u = 2^-24 · max(1, |bound|) (float32's resolution there: the networks compute in float32,
    where tanh(z) = 1 exactly for z > 9; atanh then reads at most 8.7), and the inverse is
    computed in float64. ``activation``: a name, an activation spec, or None (no chart:
    X as it is); one without an inverse (relu) also leaves X as it is.
    """
    X = _as_cloud(X)
    spec = activation_spec(activation)
    if spec is None or getattr(spec, "inverse", None) is None:
        return X
    import torch

    lo, hi = (float(v) for v in spec.image)
    u = 2.0**-24
    lo = lo + u * max(1.0, abs(lo)) if np.isfinite(lo) else -np.inf
    hi = hi - u * max(1.0, abs(hi)) if np.isfinite(hi) else np.inf
    Y = np.clip(X, lo, hi)
    with torch.no_grad():
        Z = spec.inverse(torch.from_numpy(Y)).numpy().astype(np.float64)
    if not np.isfinite(Z).all():
        raise InputError(f"the cloud lies outside the image of {spec.name}")
    return Z
