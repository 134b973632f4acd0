"""Linking numbers of closed curves in R^3, and of a link dataset's cores through a network.

The Gauss linking integral of two disjoint closed curves a, b in R^3 is

    Lk(a, b) = 1/(4π) ∮∮ (a(s) - b(t)) · (a'(s) × b'(t)) / |a(s) - b(t)|^3 ds dt,

an integer that no isotopy of R^3 (no deformation without crossing) can change. For closed
polylines the double integral splits into a sum over pairs of segments, and each term is the
signed solid angle that one segment subtends from the other divided by 4π; the closed form
of that solid angle (Klenin & Langowski, Biopolymers 54, 2000; the quadrilateral formula of
Banchoff 1976) makes the polygonal linking number exact up to rounding:

    Ω = sign(((p4 - p3) × (p2 - p1)) · (p3 - p1)) · Σ_{i=1..4} asin(n_i · n_{i+1})

with n_1..n_4 the unit normals of the faces of the tetrahedron (p1, p2, p3, p4).

Through a network: each stage maps the two core curves of a link dataset (known to the
generator, :func:`isotopy.datasets.link_cores`) to new closed curves; at every stage whose
representation lives in R^3 their linking number is computed. Stages that are
orientation-preserving homeomorphisms of R^3 cannot change it; orientation-reversing ones
(det W < 0) flip its sign, so |Lk| is the invariant. In R^4 or R^2 the linking number is not
defined and is reported as NaN.

The image of a polyline is only approximated by the polyline through the image vertices. A
stage that stretches hard (the "easy way out") can make that approximation wrong: a chord
may cut across the other curve. So the input polylines are refined adaptively (midpoints
inserted) until, at every 3-D stage, every image segment is shorter than ``resolve`` times
its distance to the other image curve; stages where this fails within ``max_vertices``
are marked unresolved. Images are computed in float64; where a stage brings the two curves
closer than 1e-6 of their extent (saturated tanh can), they count as touching and the
linking number there is undefined in floating point. Along the network the faster
crossing count of a generic projection is used (equal to the Gauss integral for disjoint
polygons; both are tested against each other).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError, check_positive_int

TOUCH_RTOL = 1e-6  # closer than this fraction of their extent, two curves count as touching

__all__ = ["linking_number", "linking_number_crossings", "LinkingTrace",
           "linking_through_network", "curve_distance"]


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
        p1 = [a[i:i + rows, j, None] for j in range(3)]  # (r, 1) per coordinate
        p2 = [a2[i:i + rows, j, None] for j in range(3)]
        p3 = [b[None, :, j] for j in range(3)]  # (1, k)
        p4 = [b2[None, :, j] for j in range(3)]
        r13 = tuple(p3[j] - p1[j] for j in range(3))  # (r, k) each
        r14 = tuple(p4[j] - p1[j] for j in range(3))
        r23 = tuple(p3[j] - p2[j] for j in range(3))
        r24 = tuple(p4[j] - p2[j] for j in range(3))
        n = [_unit(_cross(r13, r14)), _unit(_cross(r14, r24)), _unit(_cross(r24, r23)),
             _unit(_cross(r23, r13))]
        omega = sum(np.arcsin(np.clip(_dot(n[j], n[(j + 1) % 4]), -1.0, 1.0)) for j in range(4))
        d34 = tuple(p4[j] - p3[j] for j in range(3))
        d12 = tuple(p2[j] - p1[j] for j in range(3))
        sign = np.sign(_dot(_cross(d34, d12), r13))
        total += float((omega * sign).sum())
    return total / (4 * np.pi)


def linking_number_crossings(a, b, *, chunk: int = 1_000_000, seed: int = 0) -> int:
    """Linking number of two closed polylines from the crossings of a generic projection.

    Project both curves onto a plane in a random (generic) direction and add the signs of
    the crossings where a passes over b; for disjoint closed curves this sum equals the
    Gauss integral :func:`linking_number` exactly, with no transcendental functions, so it
    is much faster on long polylines. a: (m, 3), b: (k, 3) -> int.
    """
    a, b = _closed_curve(a, "the first curve"), _closed_curve(b, "the second curve")
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))  # a generic rotation; z is the depth
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]  # a reflection would flip the sign of every crossing
    a, b = a @ q, b @ q
    a2, b2 = np.roll(a, -1, axis=0), np.roll(b, -1, axis=0)
    da, db = a2 - a, b2 - b  # (m, 3), (k, 3)
    rows = max(1, chunk // len(b))
    total = 0
    for i in range(0, len(a), rows):
        p, r = a[i:i + rows, None, :], da[i:i + rows, None, :]  # (r, 1, 3)
        qq, sv = b[None, :, :], db[None, :, :]  # (1, k, 3)
        den = r[..., 0] * sv[..., 1] - r[..., 1] * sv[..., 0]  # 2-D cross(r, s): (r, k)
        w = qq - p
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (w[..., 0] * sv[..., 1] - w[..., 1] * sv[..., 0]) / den  # along a's segment
            u = (w[..., 0] * r[..., 1] - w[..., 1] * r[..., 0]) / den  # along b's segment
        hit = (den != 0) & (t >= 0) & (t < 1) & (u >= 0) & (u < 1)
        if not hit.any():
            continue
        ia, ib = np.nonzero(hit)  # depths at the crossings only (elsewhere t, u may be inf)
        za = p[ia, 0, 2] + t[ia, ib] * r[ia, 0, 2]
        zb = qq[0, ib, 2] + u[ia, ib] * sv[0, ib, 2]
        over = za > zb  # a passes over b (the viewer looks down the z axis)
        total += int(np.sign(den[ia, ib][over]).sum())
    return total


def curve_distance(a, b) -> float:
    """Smallest distance between the vertices of two polylines (a separation certificate)."""
    from scipy.spatial import cKDTree

    d, _ = cKDTree(np.asarray(b, dtype=np.float64)).query(np.asarray(a, dtype=np.float64))
    return float(d.min())


@dataclass
class LinkingTrace:
    """Linking number of the two core curves after each stage (NaN where not in R^3)."""

    names: list[str]
    dims: list[int]
    linking: np.ndarray  # (S,) float, NaN where dim != 3
    distance: np.ndarray  # (S,) smallest distance between the two image curves
    homeomorphism: list[bool | None]  # whether the stage reaching here is one (None: input)
    resolved: list[bool] | None = None  # image segments short against the curves' distance
    touching: list[bool] | None = None  # curves within TOUCH_RTOL of their size: Lk undefined
    vertices: int = 0  # vertices per curve after refinement (the larger of the two)

    @property
    def rounded(self) -> list[int | None]:
        return [None if np.isnan(v) else int(round(v)) for v in self.linking]

    def to_dict(self) -> dict:
        return {"stages": self.names, "dims": self.dims, "linking": self.rounded,
                "linking_raw": [None if np.isnan(v) else float(v) for v in self.linking],
                "distance": self.distance.tolist(), "homeomorphism": self.homeomorphism,
                "resolved": self.resolved, "touching": self.touching,
                "vertices": self.vertices}

    def table(self) -> str:
        width = max(len(n) for n in self.names)
        lines = []
        res = self.resolved or [True] * len(self.names)
        touch = self.touching or [False] * len(self.names)
        for n, d, lk, dist, h, ok, t in zip(self.names, self.dims, self.rounded, self.distance,
                                            self.homeomorphism, res, touch, strict=True):
            lk_s = "  n/a (not R^3)" if lk is None else f"{lk:+d}".rjust(14)
            h_s = "" if h is None else ("  homeomorphism" if h else "  not injective")
            r_s = "" if ok else "  (unresolved: stretched beyond the sampling)"
            if t:
                r_s = "  (the curves touch numerically: linking number undefined)"
            lines.append(f"{n:<{width}}  R^{d}  linking {lk_s}  min distance {dist:.3g}{h_s}"
                         f"{r_s}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"LinkingTrace({dict(zip(self.names, self.rounded, strict=True))})"


def _refine(c: np.ndarray, marked: np.ndarray) -> np.ndarray:
    """Insert the midpoint of every marked segment (segment i joins vertex i to i + 1)."""
    mids = (c[marked] + np.roll(c, -1, axis=0)[marked]) / 2
    pos = np.flatnonzero(marked) + 1
    return np.insert(c, pos, mids, axis=0)


def _long_segments(z, other, resolve):
    """Segments of closed polyline z longer than ``resolve`` times their distance to other."""
    from scipy.spatial import cKDTree

    d, _ = cKDTree(other).query(z)  # (m,) distance of each vertex to the other curve
    seg = np.linalg.norm(np.roll(z, -1, axis=0) - z, axis=1)
    return seg > resolve * np.minimum(d, np.roll(d, -1))


def linking_through_network(net, dataset: str, *, samples: int = 400, resolve: float = 0.5,
                            max_vertices: int = 2000, method: str = "crossings",
                            **params) -> LinkingTrace:
    """Push a link dataset's two core curves through every stage and measure their linking.

    Parameters
    ----------
    net : Network
        A single network (``n_networks == 1``) whose input is R^3.
    dataset : str
        A link dataset (``DATASETS[name].is_link``): "linked_tori" or "unlink".
    samples : int
        Vertices per core curve before refinement.
    resolve : float
        Refine (insert midpoints) until, at every 3-D stage, every image segment is shorter
        than ``resolve`` times its distance to the other image curve.
    max_vertices : int
        Stop refining a curve beyond this many vertices; stages still violating the rule
        are reported as unresolved.
    method : {"crossings", "gauss"}
        :func:`linking_number_crossings` (fast) or the Gauss integral :func:`linking_number`.
    **params
        The dataset's parameters (``linking``, radii).

    Returns
    -------
    LinkingTrace
    """
    import copy

    import torch

    from ..datasets import DATASETS, link_cores
    from ..errors import lookup

    spec = lookup(DATASETS, dataset, "dataset")
    if not spec.is_link:
        links = ", ".join(k for k, v in DATASETS.items() if v.is_link)
        raise InputError(f"{dataset!r} is not a link dataset, so it has no linking number; "
                         f"link datasets are: {links}")
    samples = check_positive_int(samples, "samples", minimum=3)
    lk_fn = lookup({"crossings": linking_number_crossings, "gauss": linking_number}, method,
                   "linking method")
    if net.n_networks != 1:
        raise InputError(f"linking numbers need a single network, this one holds "
                         f"{net.n_networks}; pick one with net.select(i)")
    if net.d_in != 3:
        raise InputError(f"link datasets live in R^3 but the network expects {net.d_in} inputs")
    net64 = copy.deepcopy(net).to(torch.float64)
    curves = link_cores(dataset, samples=samples, **params)
    while True:
        traces = [net64.trace(c) for c in curves]
        marks = [np.zeros(len(c), dtype=bool) for c in curves]
        unresolved = np.zeros(len(traces[0]), dtype=bool)
        for s in range(len(traces[0])):
            za, zb = traces[0][s][1], traces[1][s][1]
            if za.shape[1] != 3:
                continue
            la, lb = _long_segments(za, zb, resolve), _long_segments(zb, za, resolve)
            marks[0] |= la
            marks[1] |= lb
            unresolved[s] = bool(la.any() or lb.any())
        if not unresolved.any() or any(len(c) + m.sum() > max_vertices
                                       for c, m in zip(curves, marks, strict=True)):
            break
        curves = [_refine(c, m) for c, m in zip(curves, marks, strict=True)]
    names, dims, lks, dists, homeo, touching = [], [], [], [], [], []
    for s, ((name, za), (_, zb)) in enumerate(zip(*traces, strict=True)):
        names.append(name)
        dims.append(int(za.shape[1]))
        size = float(np.ptp(np.r_[za, zb], axis=0).max())
        touching.append(bool(curve_distance(za, zb) <= TOUCH_RTOL * max(size, 1e-300)))
        lks.append(float(lk_fn(za, zb)) if za.shape[1] == 3 else np.nan)
        dists.append(curve_distance(za, zb))
        homeo.append(None if s == 0 else bool(net.stages[s - 1].is_homeomorphism()[0]))
    return LinkingTrace(names, dims, np.array(lks, dtype=np.float64), np.array(dists), homeo,
                        resolved=[not u for u in unresolved], touching=touching,
                        vertices=int(max(len(c) for c in curves)))
