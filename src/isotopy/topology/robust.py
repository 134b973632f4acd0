"""Betti numbers read in whitened coordinates, where invertible affine maps change nothing.

PLACEHOLDER DOCSTRING
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .homology import (
    DENSITY_FACTOR,
    MAX_POINTS,
    REL_SCALE,
    THIN,
    _as_cloud,
    betti_numbers,
)

__all__ = ["WHITEN_RTOL", "whiten", "robust_betti_numbers"]

WHITEN_RTOL = 1e-5  # principal spreads below this share of the largest are rounding noise


def whiten(X, *, rtol: float = WHITEN_RTOL, return_spreads: bool = False):
    """Centre X and rescale its principal axes to unit spread (Mahalanobis coordinates).

    X: (n, d) -> (n, r), r = the number of principal axes whose spread (root mean square
    along the axis) exceeds ``rtol`` times the largest; the others hold only rounding noise
    (a 2-D cloud embedded in R^3 by a full-rank affine stage) and are dropped. For any
    invertible A and vector b, ``whiten(X @ A.T + b)`` equals ``whiten(X) @ Q`` for an
    orthogonal Q, so a reading that is unchanged by rotations is unchanged by affine maps.

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
    Xc = X - X.mean(0)
    s = np.linalg.svd(Xc, compute_uv=False) if len(X) > 1 else np.zeros(1)
    if len(X) < 2 or s[0] == 0:
        Z = np.zeros((len(X), 1))
    else:
        _, s, vt = np.linalg.svd(Xc, full_matrices=False)
        keep = s > rtol * s[0]
        Z = (Xc @ vt[keep].T) / (s[keep] / np.sqrt(len(X)))
    return (Z, s / np.sqrt(max(len(X), 1))) if return_spreads else Z


def robust_betti_numbers(X, *, maxdim: int = 1, rel_scale: float = REL_SCALE,
                         density_factor: float = DENSITY_FACTOR,
                         max_points: int | None = MAX_POINTS, thin: float = THIN,
                         return_details: bool = False):
    """Betti numbers of a point cloud read after whitening it.

    Parameters
    ----------
    X : array (n, d)
    maxdim, rel_scale, density_factor, max_points, thin
        As in :func:`isotopy.topology.betti_numbers`, applied to the whitened cloud.
    return_details : bool
        Also return the details of :func:`betti_numbers` plus ``"spreads"`` (the cloud's
        principal spreads before whitening, largest first).

    Returns
    -------
    betti : ndarray of int64, shape (maxdim + 1,)
    details : dict, only with ``return_details``
    """
    _, spreads = whiten(X, return_spreads=True)
    out = betti_numbers(X, reading="robust", maxdim=maxdim, rel_scale=rel_scale,
                        density_factor=density_factor, max_points=max_points, thin=thin,
                        return_details=return_details)
    if not return_details:
        return out
    betti, det = out
    det["spreads"] = spreads
    return betti, det
