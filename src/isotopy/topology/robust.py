"""Betti numbers read in whitened coordinates, where invertible affine maps change nothing.

The Euclidean reading (:mod:`.homology`) builds a Rips complex of the points as they are, at
a scale ε chosen from the cloud's diameter and sampling spacing. An invertible affine stage
with a large condition number squeezes one direction of the cloud; a hole then becomes
thinner than ε and the reading loses it, although the stage is a homeomorphism.

**Whitening.** With X_c = X - mean(X) = U S V^T (thin SVD), the whitened cloud is

    Z = X_c V_r diag(√n / s_1, ..., √n / s_r),   X: (n, d) -> Z: (n, r),

keeping the r principal axes whose spread s_i exceeds 1e-5 · s_1 (the others hold only
rounding noise, e.g. a plane embedded in R^3 by a wider affine stage). Z has identity
covariance, and for any invertible A and vector b, whiten(X A^T + b) = whiten(X) Q with Q
orthogonal. The Rips reading depends only on distances, so the robust reading (the Euclidean
reading of Z, same scale rule) gives the same Betti numbers for X and every affine image of
it, whatever the condition number.

**Measured** (``tests/test_topology_robust.py``): 60 clouds of five known shapes (circle,
two circles, annulus, disc, sphere) through random affine maps with condition numbers from 1
to 1e3: robust right on 60, Euclidean on 22. On the 2-3-3-3 tanh network of
``benchmarks/bench_betti.py`` (all stages homeomorphisms), 8 of its 12 stage clouds keep
their class's input Betti numbers under the robust reading, 7 under the Euclidean one; the
affine stage that took the annulus's hole (affine2) keeps it now. Saturation is not undone:
tanh crowds points into the corners of the cube, a non-affine stretch, and the sample then
resolves less than before under either reading (the CLI names it as the likely cause).

**Not chosen, with the numbers.** Shortest-path metrics of k-nearest-neighbour graphs (hops,
or edges divided by the local k-NN distance, as in continuous k-NN graphs) read 29-36 of 72
clouds right (circle, two circles, annulus, disc; as they are, affinely stretched and through
one or two tanh layers with weights up to 10) against 27-30 for the Euclidean reading, and
broke circles of 300-500 random points at their larger gaps. Whitening alone reads 48 of 108
(those shapes plus sphere and torus) against 41.

**Limits.** Whitening also rescales a cloud that is anisotropic by nature: a flat torus
(radii 1 and 0.5) of 400-500 points read (1, 2, 1) in 0 of 6 clouds whitened, 4 of 6 as it
is. Neither reading separates two unit circles 0.3 apart at 400-600 points (0 of 6 each):
the gap is 10-14 mean spacings, and random gaps within one circle reach 11. An annulus with
a hole of radius 0.15 at 300-500 points is below the sample's resolution for any scale rule:
its hole's persistence ratio (death / birth, 2.1-2.4) lies among those of the random loops
of a disc of the same size (up to 2.5-2.7).

The library's :func:`~isotopy.topology.betti_numbers` and
:func:`~isotopy.topology.betti_through_network` keep ``reading="euclidean"`` as their default
(the report and experiments were calibrated on it); ``isotopy topology`` reads robustly by
default.
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


def robust_betti_numbers(
    X,
    *,
    maxdim: int = 1,
    rel_scale: float = REL_SCALE,
    density_factor: float = DENSITY_FACTOR,
    max_points: int | None = MAX_POINTS,
    thin: float = THIN,
    return_details: bool = False,
):
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
    out = betti_numbers(
        X,
        reading="robust",
        maxdim=maxdim,
        rel_scale=rel_scale,
        density_factor=density_factor,
        max_points=max_points,
        thin=thin,
        return_details=return_details,
    )
    if not return_details:
        return out
    betti, det = out
    det["spreads"] = spreads
    return betti, det
