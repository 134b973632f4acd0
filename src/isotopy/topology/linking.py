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

The image of a polyline is only approximated by the polyline through the image vertices, so
every value is certified before it is reported. The input core is the closed polygon through
its vertices; each of its segments lies in an axis-aligned box, and the box is pushed
through the stages by interval arithmetic (affine: centre W c + b, half-widths |W| r; a
monotone activation: [σ(lo), σ(hi)] coordinate by coordinate; a vector field x + v(x) with
Lip(v) <= L: half-widths (1 + L)|r|). At a 3-D stage the box of a segment holds both its
true image and the chord between its image vertices, hence the straight-line homotopy
between the two. If no box of one curve meets a box of the other, that homotopy keeps the
two curves apart, and the linking number of the image polygons (computed exactly) is the
linking number of the image curves: the stage is *resolved*. Otherwise the segments in
overlapping boxes are halved (the midpoint of the input chord inserted) and everything is
recomputed, until every 3-D stage is resolved or a budget (``max_vertices`` per curve,
``max_rounds`` rounds) runs out; the budget is counted in vertices and rounds, not seconds,
so the same network gives the same report on any machine. A stage whose image vertices come
closer than ``TOUCH_RTOL`` (1e-6) of the curves' extent is *touching*: in floating point
the curves meet there and no linking number is defined. A stage that is neither is
*unresolved*, and is reported with its closest approach, never with a number.

**Carried values.** Where the boxes cannot certify a stage (after the refinement, which still
tries every stage) but the stage is known to be a homeomorphism of R^3 onto its image (a
square affine map with det W != 0, a strictly increasing activation, a vector field the
stage itself certifies as invertible) and the value before it is certain (certified or
itself carried), the value is *carried*:

    Lk(h(a), h(b)) = sign(h) · Lk(a, b),

with sign(h) = sign(det W) for an affine stage and +1 for the others (their Jacobians have
positive determinant everywhere). This holds exactly because h maps a Seifert surface of a
to one of h(a), meeting h(b) at the images of the same points with the same local signs
up to sign(h); the image is open in R^3 (invariance of domain), so the count is the
linking number in R^3. Two image curves that come within 1e-10 of each other in floating
point are still disjoint there: a homeomorphism never joins two disjoint sets. "touching"
is therefore reported only where the curves can really meet: after a stage that is not a
homeomorphism (ReLU, a singular or non-square affine map), or after a stage whose own
value is not certain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError, check_positive_int

TOUCH_RTOL = 1e-6  # closer than this fraction of their extent, two curves count as touching
_CERTAIN = ("resolved", "carried")  # statuses whose value is exact

__all__ = [
    "linking_number",
    "linking_number_crossings",
    "LinkingTrace",
    "linking_through_network",
    "curve_distance",
    "linking_labels",
    "stage_orientation",
]


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


def _pairs_within(centres_a, radius_a, centres_b, radius_b, *, p=2.0):
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
        ia, ib = _pairs_within(a[:, :2] + da[:, :2] / 2, ha, b[:, :2] + db[:, :2] / 2, hb)
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


_STATUS_TEXT = {
    "resolved": "certified",
    "carried": "carried through a homeomorphism from the certain value before it",
    "touching": "the curves touch numerically: linking number undefined",
    "unresolved": "unresolved: refinement budget spent before the value was certain",
    "n/a": "not R^3",
}


@dataclass
class LinkingTrace:
    """Linking number of the two core curves after each stage, where it is certain.

    ``status[s]`` is "resolved" (the value is certified, see the module docstring),
    "carried" (stage s is a homeomorphism of R^3 and the value before it is certain: the
    value follows exactly, its sign flipped by an orientation-reversing stage), "touching"
    (after a stage that is not a homeomorphism, the image curves come within
    ``TOUCH_RTOL`` of their extent: they can meet, no linking number in floating point),
    "unresolved" (the refinement budget ran out first) or "n/a" (the representation is not
    in R^3). ``values`` holds the integer only where resolved or carried.
    """

    names: list[str]
    dims: list[int]
    linking: np.ndarray  # (S,) linking number of the image polygons; NaN unless resolved
    distance: np.ndarray  # (S,) closest approach of the image vertices of the two curves
    homeomorphism: list[bool | None]  # whether the stage reaching here is one (None: input)
    status: list[str] | None = None  # per stage: resolved, touching, unresolved or n/a
    extent: np.ndarray | None = None  # (S,) largest side of the curves' bounding box
    vertices: int = 0  # vertices per curve after refinement (the larger of the two)
    rounds: int = 0  # refinement rounds used
    budget_spent: bool = False  # refinement stopped at max_vertices or max_rounds

    def __post_init__(self):
        if self.status is None:
            self.status = ["n/a" if d != 3 else "resolved" for d in self.dims]
        if self.extent is None:
            self.extent = np.full(len(self.names), np.nan)

    @property
    def values(self) -> list[int | None]:
        """The certified linking number at each stage; None where it is not certain."""
        return [
            int(round(v)) if st in _CERTAIN else None
            for v, st in zip(self.linking, self.status, strict=True)
        ]

    rounded = values  # the earlier name

    @property
    def resolved(self) -> list[bool]:
        """Whether each stage's value is certain (True for stages outside R^3: no value)."""
        return [st in (*_CERTAIN, "n/a") for st in self.status]

    @property
    def touching(self) -> list[bool]:
        return [st == "touching" for st in self.status]

    @property
    def closest_relative(self) -> np.ndarray:
        """(S,) closest approach as a fraction of the curves' extent."""
        return self.distance / np.maximum(self.extent, 1e-300)

    def label(self, s: int) -> str:
        """Stage s's linking number as shown: "+1", "n/a (not R^3)", "unresolved (closest d)"."""
        st = self.status[s]
        if st == "resolved":
            return f"{self.values[s]:+d}"
        if st == "carried":
            return f"{self.values[s]:+d} (carried)"
        if st == "n/a":
            return "n/a (not R^3)"
        what = "touching" if st == "touching" else "unresolved"
        return f"{what} (closest {self.distance[s]:.2g})"

    def to_dict(self) -> dict:
        return {
            "stages": self.names,
            "dims": self.dims,
            "linking": self.values,
            "status": self.status,
            "resolved": self.resolved,
            "touching": self.touching,
            "closest_approach": self.distance.tolist(),
            "closest_relative": self.closest_relative.tolist(),
            "distance": self.distance.tolist(),
            "homeomorphism": self.homeomorphism,
            "unresolved_stages": [
                n for n, st in zip(self.names, self.status, strict=True) if st == "unresolved"
            ],
            "touching_stages": [
                n for n, st in zip(self.names, self.status, strict=True) if st == "touching"
            ],
            "carried_stages": [
                n for n, st in zip(self.names, self.status, strict=True) if st == "carried"
            ],
            "vertices": self.vertices,
            "rounds": self.rounds,
            "budget_spent": self.budget_spent,
        }

    def table(self) -> str:
        width = max(len(n) for n in self.names)
        lab = [self.label(s) for s in range(len(self.names))]
        lw = max(len(x) for x in lab)
        lines = []
        for s, (n, d, h) in enumerate(zip(self.names, self.dims, self.homeomorphism, strict=True)):
            h_s = "" if h is None else ("  homeomorphism" if h else "  not injective")
            note = (
                ""
                if self.status[s] in ("resolved", "n/a")
                else f"  ({_STATUS_TEXT[self.status[s]]})"
            )
            lines.append(
                f"{n:<{width}}  R^{d}  linking {lab[s]:>{lw}}  min distance "
                f"{self.distance[s]:.3g}{h_s}{note}"
            )
        lines.append(
            f"(refined to {self.vertices} vertices per curve in {self.rounds} rounds"
            + ("; budget spent)" if self.budget_spent else ")")
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        shown = {
            n: (self.values[s] if self.status[s] in _CERTAIN else self.label(s))
            for s, n in enumerate(self.names)
        }
        return f"LinkingTrace({shown})"


def linking_labels(d: dict) -> list[str]:
    """Per-stage labels from :meth:`LinkingTrace.to_dict`: "+1", "+1 (carried)", "n/a",
    "touching (closest 2.7e-08)", "unresolved (closest 1e-05)"; never a number where the
    value is not certain."""
    out = []
    for v, st, dist in zip(d["linking"], d["status"], d["closest_approach"], strict=True):
        if st == "resolved":
            out.append(f"{v:+d}")
        elif st == "carried":
            out.append(f"{v:+d} (carried)")
        elif st == "n/a":
            out.append("n/a")
        else:
            out.append(f"{st} (closest {dist:.2g})")
    return out


def _refine(c: np.ndarray, marked: np.ndarray) -> np.ndarray:
    """Insert the midpoint of every marked segment (segment i joins vertex i to i + 1)."""
    mids = (c[marked] + np.roll(c, -1, axis=0)[marked]) / 2
    pos = np.flatnonzero(marked) + 1
    return np.insert(c, pos, mids, axis=0)


_MONOTONE = {"tanh", "sigmoid", "softplus", "relu", "leaky_relu", "identity"}


def _box_through(stage, centre, half):
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


def _segment_boxes(c: np.ndarray):
    """Boxes around the segments of a closed polygon: c (m, d) -> centre, half (m, d)."""
    c2 = np.roll(c, -1, axis=0)
    return (c + c2) / 2, np.abs(c2 - c) / 2


def _conflicts(box_a, box_b):
    """Segments whose boxes meet a box of the other curve: -> (bool (m,), bool (k,))."""
    (ca, ra), (cb, rb) = box_a, box_b
    ia, ib = _pairs_within(ca, ra.max(1), cb, rb.max(1), p=np.inf)  # shortlist
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


def linking_through_network(
    net,
    dataset: str,
    *,
    samples: int = 400,
    max_vertices: int = 100_000,
    max_rounds: int = 60,
    method: str = "crossings",
    **params,
) -> LinkingTrace:
    """Push a link dataset's two core curves through every stage and certify their linking.

    Parameters
    ----------
    net : Network
        A single network (``n_networks == 1``) whose input is R^3.
    dataset : str
        A link dataset (``DATASETS[name].is_link``): "linked_tori" or "unlink".
    samples : int
        Vertices per core curve before refinement (the polygon through them is the core).
    max_vertices : int
        Refinement budget: stop once a curve would exceed this many vertices.
    max_rounds : int
        Refinement budget: at most this many rounds of halving.
    method : {"crossings", "gauss"}
        :func:`linking_number_crossings` (fast) or the Gauss integral :func:`linking_number`
        for the image polygons of resolved stages.
    **params
        The dataset's parameters (``linking``, radii).

    Returns
    -------
    LinkingTrace
        Per stage: the certified value, the value carried through a homeomorphism, or
        "touching" / "unresolved" with the closest approach of the two image curves (see
        the module docstring for the certificate and the carried values).
    """
    import copy

    import torch

    from ..datasets import DATASETS, link_cores
    from ..errors import lookup

    spec = lookup(DATASETS, dataset, "dataset")
    if not spec.is_link:
        links = ", ".join(k for k, v in DATASETS.items() if v.is_link)
        raise InputError(
            f"{dataset!r} is not a link dataset, so it has no linking number; "
            f"link datasets are: {links}"
        )
    samples = check_positive_int(samples, "samples", minimum=3)
    max_vertices = check_positive_int(max_vertices, "max_vertices", minimum=3)
    max_rounds = check_positive_int(max_rounds, "max_rounds", minimum=0)
    lk_fn = lookup(
        {"crossings": linking_number_crossings, "gauss": linking_number}, method, "linking method"
    )
    if net.n_networks != 1:
        raise InputError(
            f"linking numbers need a single network, this one holds "
            f"{net.n_networks}; pick one with net.select(i)"
        )
    if net.d_in != 3:
        raise InputError(f"link datasets live in R^3 but the network expects {net.d_in} inputs")
    net64 = copy.deepcopy(net).to(torch.float64)
    curves = link_cores(dataset, samples=samples, **params)
    # orientation of the stage reaching each representation (None: not a homeomorphism)
    orient = [None] + [stage_orientation(st) for st in net64.stages]
    rounds, spent = 0, False
    while True:
        traces = [net64.trace(c) for c in curves]  # [(name, (m, d))] per curve
        boxes = [_segment_boxes(c) for c in curves]
        S = len(traces[0])
        status, dist, extent = [], np.zeros(S), np.full(S, np.nan)
        marks = [np.zeros(len(c), dtype=bool) for c in curves]
        for s in range(S):
            za, zb = traces[0][s][1], traces[1][s][1]
            if s > 0:  # boxes after stage s - 1
                boxes = [
                    None if bx is None else _box_through(net64.stages[s - 1], *bx) for bx in boxes
                ]
                if boxes[0] is not None:  # rounding: grow by far more than float64 error
                    boxes = [(c, r + 1e-13 * (1 + np.abs(c))) for c, r in boxes]
            dist[s] = curve_distance(za, zb)
            if za.shape[1] != 3:
                status.append("n/a")
                continue
            extent[s] = float(np.ptp(np.r_[za, zb], axis=0).max())
            if boxes[0] is None:
                status.append("unresolved")
                continue
            ma, mb = _conflicts(*boxes)
            if not (ma.any() or mb.any()):
                status.append("resolved")  # certified, however close the curves come
            elif dist[s] <= TOUCH_RTOL * max(extent[s], 1e-300):
                status.append("touching")  # not refined further: below float resolution
            else:
                status.append("unresolved")
                marks[0] |= ma
                marks[1] |= mb
        if "unresolved" not in status or not any(m.any() for m in marks):
            break
        if rounds >= max_rounds or any(
            len(c) + m.sum() > max_vertices for c, m in zip(curves, marks, strict=True)
        ):
            spent = True
            break
        curves = [_refine(c, m) for c, m in zip(curves, marks, strict=True)]
        rounds += 1
    for s in range(1, len(status)):  # what the boxes left uncertain, a homeomorphism carries
        if status[s] in ("touching", "unresolved") and orient[s] is not None:
            if status[s - 1] in _CERTAIN:
                status[s] = "carried"
    names, dims, lks, homeo = [], [], [], []
    for s, ((name, za), (_, zb)) in enumerate(zip(*traces, strict=True)):
        names.append(name)
        dims.append(int(za.shape[1]))
        if status[s] == "resolved":
            lks.append(float(lk_fn(za, zb)))
        elif status[s] == "carried":
            lks.append(float(orient[s] * round(lks[s - 1])))
        else:
            lks.append(np.nan)
        homeo.append(None if s == 0 else bool(net.stages[s - 1].is_homeomorphism()[0]))
    return LinkingTrace(
        names,
        dims,
        np.array(lks, dtype=np.float64),
        dist,
        homeo,
        status=status,
        extent=extent,
        vertices=int(max(len(c) for c in curves)),
        rounds=rounds,
        budget_spent=spent,
    )
