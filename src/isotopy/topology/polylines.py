"""Linking numbers of two closed polylines in R^3, and how close the two come.

:func:`linking_number` evaluates the Gauss integral exactly for polygons, as a sum over pairs
of segments of the signed solid angle one subtends from the other (the closed form is in
:mod:`.linking`'s docstring). :func:`linking_number_crossings` counts the signed crossings of
a generic projection instead: the same integer for disjoint curves, with no transcendental
functions, and pairs whose float64 answer could be wrong recomputed in rational arithmetic.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError

__all__ = ["linking_number", "linking_number_crossings", "curve_distance", "pairs_within"]


def _closed_curve(c, what) -> np.ndarray:
    c = np.asarray(c, dtype=np.float64)
    if c.ndim != 2 or c.shape[1] != 3 or len(c) < 3:
        raise InputError(f"{what} must be a closed polyline of shape (m >= 3, 3), got {c.shape}")
    if not np.isfinite(c).all():
        raise InputError(f"{what} contains NaN or infinite values")
    if np.allclose(c[0], c[-1]):
        c = c[:-1]  # the closing vertex is implied
    return c


def _cross(u, v):
    # u, v: tuples of 3 arrays (r, k) -> tuple of 3 arrays
    return (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])


def _unit(u):
    n = np.sqrt(u[0] ** 2 + u[1] ** 2 + u[2] ** 2)
    n = np.where(n > 0, n, np.inf)  # a degenerate face contributes nothing
    return (u[0] / n, u[1] / n, u[2] / n)


def _dot(u, v):
    return u[0] * v[0] + u[1] * v[1] + u[2] * v[2]


def linking_number(a, b, *, chunk: int = 250_000) -> float:
    """Gauss linking number of two closed polylines in R^3 (exact for polygons).

    Parameters
    ----------
    a, b : array (m, 3), (k, 3)
        Vertices in order; each polyline closes from its last vertex back to its first.
    chunk : int
        Segment pairs evaluated at once (memory bound).

    Returns
    -------
    float
        Close to an integer when the curves are disjoint; round it for the invariant.
    """
    a, b = _closed_curve(a, "the first curve"), _closed_curve(b, "the second curve")
    a2 = np.roll(a, -1, axis=0)  # segment i of a: a[i] -> a2[i]
    b2 = np.roll(b, -1, axis=0)
    rows = max(1, chunk // len(b))
    total = 0.0
    for i in range(0, len(a), rows):
        p1 = [a[i : i + rows, j, None] for j in range(3)]  # (r, 1) per coordinate
        p2 = [a2[i : i + rows, j, None] for j in range(3)]
        p3 = [b[None, :, j] for j in range(3)]  # (1, k)
        p4 = [b2[None, :, j] for j in range(3)]
        r13 = tuple(p3[j] - p1[j] for j in range(3))  # (r, k) each
        r14 = tuple(p4[j] - p1[j] for j in range(3))
        r23 = tuple(p3[j] - p2[j] for j in range(3))
        r24 = tuple(p4[j] - p2[j] for j in range(3))
        n = [
            _unit(_cross(r13, r14)),
            _unit(_cross(r14, r24)),
            _unit(_cross(r24, r23)),
            _unit(_cross(r23, r13)),
        ]
        omega = sum(np.arcsin(np.clip(_dot(n[j], n[(j + 1) % 4]), -1.0, 1.0)) for j in range(4))
        d34 = tuple(p4[j] - p3[j] for j in range(3))
        d12 = tuple(p2[j] - p1[j] for j in range(3))
        sign = np.sign(_dot(_cross(d34, d12), r13))
        total += float((omega * sign).sum())
    return total / (4 * np.pi)


def pairs_within(centres_a, radius_a, centres_b, radius_b, *, p=2.0):
    """Index pairs (i, j) with |ca_i - cb_j|_p <= ra_i + rb_j, found through a k-d tree.

    centres: (m, d), (k, d); radius: (m,), (k,) -> (ia, ib) int arrays of the pairs.
    """
    from scipy.spatial import cKDTree

    tree = cKDTree(centres_b)
    hits = tree.query_ball_point(centres_a, radius_a + radius_b.max(), p=p)
    counts = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    ia = np.repeat(np.arange(len(hits)), counts)
    ib = np.fromiter((j for h in hits for j in h), dtype=np.int64, count=int(counts.sum()))
    gap = centres_a[ia] - centres_b[ib]  # (P, d)
    dist = np.abs(gap).max(1) if p == np.inf else np.linalg.norm(gap, ord=p, axis=1)
    keep = dist <= radius_a[ia] + radius_b[ib]
    return ia[keep], ib[keep]


def linking_number_crossings(a, b, *, chunk: int = 1_000_000, seed: int = 0) -> int:
    """Linking number of two closed polylines from the crossings of a generic projection.

    Project both curves onto a plane in a random (generic) direction and add the signs of
    the crossings where a passes over b; for disjoint closed curves this sum equals the
    Gauss integral :func:`linking_number` exactly, with no transcendental functions, so it
    is much faster on long polylines. Long polylines (more than ``chunk`` segment pairs)
    only test the pairs whose projected segments are close enough to cross (a k-d tree on
    their midpoints). a: (m, 3), b: (k, 3) -> int.
    """
    a, b = _closed_curve(a, "the first curve"), _closed_curve(b, "the second curve")
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))  # a generic rotation; z is the depth
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]  # a reflection would flip the sign of every crossing
    a, b = a @ q, b @ q
    a2, b2 = np.roll(a, -1, axis=0), np.roll(b, -1, axis=0)
    da, db = a2 - a, b2 - b  # (m, 3), (k, 3)
    if len(a) * len(b) > chunk:  # only segment pairs whose projections can meet
        ha = np.linalg.norm(da[:, :2], axis=1) / 2
        hb = np.linalg.norm(db[:, :2], axis=1) / 2
        ia, ib = pairs_within(a[:, :2] + da[:, :2] / 2, ha, b[:, :2] + db[:, :2] / 2, hb)
        return _crossing_signs(a[ia], da[ia], b[ib], db[ib])
    lo_a, hi_a = np.minimum(a, a2)[:, :2], np.maximum(a, a2)[:, :2]  # projected boxes
    lo_b, hi_b = np.minimum(b, b2)[:, :2], np.maximum(b, b2)[:, :2]
    rows = max(1, chunk // len(b))
    total = 0
    for i in range(0, len(a), rows):
        meet = (
            (lo_a[i : i + rows, None] <= hi_b[None]) & (lo_b[None] <= hi_a[i : i + rows, None])
        ).all(-1)  # (r, k): projected boxes overlap
        ia, ib = np.nonzero(meet)
        ia += i
        total += _crossing_signs(a[ia], da[ia], b[ib], db[ib])
    return total


def _crossing_signs(p, r, qq, sv) -> int:
    """Signed crossings of segments p + t r over qq + u sv seen down z: (P, 3) each -> int.

    Crossings at the half-open parameters t, u in [0, 1). Pairs whose float64 answer could
    be wrong (nearly parallel in projection, a crossing near a segment's end, or nearly equal
    depths) are recomputed exactly in rational arithmetic from the same float coordinates.
    """
    if len(p) == 0:
        return 0
    den = r[:, 0] * sv[:, 1] - r[:, 1] * sv[:, 0]  # 2-D cross(r, s): (P,)
    w = qq - p
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (w[:, 0] * sv[:, 1] - w[:, 1] * sv[:, 0]) / den  # along a's segment
        u = (w[:, 0] * r[:, 1] - w[:, 1] * r[:, 0]) / den  # along b's segment
        za = p[:, 2] + t * r[:, 2]
        zb = qq[:, 2] + u * sv[:, 2]
        edge = np.minimum(
            np.minimum(np.abs(t), np.abs(1 - t)), np.minimum(np.abs(u), np.abs(1 - u))
        )
        scale = np.abs(np.c_[p[:, 2], qq[:, 2], r[:, 2], sv[:, 2]]).max(1)
        fragile = ~(
            (np.abs(den) > 1e-9 * np.hypot(r[:, 0], r[:, 1]) * np.hypot(sv[:, 0], sv[:, 1]))
            & (edge > 1e-7)
            & (np.abs(za - zb) > 1e-9 * scale)
        )
    fragile |= ~np.isfinite(t) | ~np.isfinite(u)
    sure = ~fragile & (t >= 0) & (t < 1) & (u >= 0) & (u < 1)
    total = int(np.sign(den[sure][za[sure] > zb[sure]]).sum())  # a passes over b
    for j in np.flatnonzero(fragile):
        total += _exact_crossing(p[j], r[j], qq[j], sv[j])
    return total


def _exact_crossing(p, r, q, s) -> int:
    """One pair of segments in exact rational arithmetic: +1 / -1 where a crosses over b."""
    from fractions import Fraction as F

    p, r, q, s = ([F(float(v)) for v in x] for x in (p, r, q, s))
    den = r[0] * s[1] - r[1] * s[0]
    if den == 0:
        return 0  # parallel in projection: no transversal crossing
    w = [q[0] - p[0], q[1] - p[1]]
    t = (w[0] * s[1] - w[1] * s[0]) / den
    u = (w[0] * r[1] - w[1] * r[0]) / den
    if not (0 <= t < 1 and 0 <= u < 1):
        return 0
    over = p[2] + t * r[2] > q[2] + u * s[2]
    return (1 if den > 0 else -1) if over else 0


def curve_distance(a, b) -> float:
    """Smallest distance between the vertices of two polylines (a separation certificate)."""
    from scipy.spatial import cKDTree

    d, _ = cKDTree(np.asarray(b, dtype=np.float64)).query(np.asarray(a, dtype=np.float64))
    return float(d.min())
