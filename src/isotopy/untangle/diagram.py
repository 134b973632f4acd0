"""The diagram route: decide split / not split from a link diagram, as knot software does.

This is the state of the art that ``isotopy untangle`` is measured against. A link is
projected along a generic direction to a *diagram*: the crossings of the projected edges,
each with the strand that is higher in the projection direction passing over. The diagram
is written as a PD code (KnotTheory's planar-diagram convention, which spherogram reads:
one 4-tuple per crossing, the labels of the four arcs that meet there counterclockwise
seen from above, starting with the incoming under-arc; arcs are numbered along each
component in its direction). Then:

1. linking numbers from the crossing signs (half the signed crossings of two components):
   one that is not zero between components of different classes means *not split*;
2. a diagram whose crossing graph already falls apart with the classes on different
   pieces is *split* (the diagram is a disjoint union of diagrams, hence the link is);
3. otherwise every piece that holds both classes is simplified by spherogram
   (``Link(pd).simplify('global')``: Reidemeister moves, random type III moves, picking up
   strands) and broken into the connected pieces of its diagram
   (``split_link_diagram()``); simplification may also drop components that are unknots
   unlinked from everything. When the pieces (and dropped components) can only hold whole
   classes (each class's components hang together by nonzero linking numbers, or there is
   one component of each class), two or more of them mean *split*;
4. a piece that stays whole is *not split* when its complement is hyperbolic (SnapPy finds
   a solution with all tetrahedra positively oriented and positive volume): a hyperbolic
   link complement is irreducible, and the complement of a split link is not;
5. otherwise *unknown*.

Steps 3 and 4 need SnapPy (``pip install isotopy[untangle]``); without it the route
decides only what steps 1 and 2 decide, and says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .link import Link, check_link, close_pairs, segment_distances

__all__ = ["Diagram", "DiagramVerdict", "project", "diagram_route", "hyperbolic", "have_snappy"]

_ROTATIONS = 20  # generic directions tried before giving up
_EDGE_EPS = 1e-7  # a crossing this close to a segment's end (in its parameter) is not generic


def have_snappy() -> bool:
    """Whether SnapPy and spherogram can be imported (the optional extra ``untangle``)."""
    try:
        import snappy  # noqa: F401
        import spherogram  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class Diagram:
    """A generic projection of a link.

    Attributes
    ----------
    pd : list of 4-tuples of int
        The PD code of all crossings (components without crossings do not appear).
    crossing_components : list of (int, int)
        Per crossing, the components of its (under, over) strands.
    signs : list of int
        Per crossing, its sign (+1 right-handed, -1 left-handed).
    direction : ndarray (3,)
        The projection direction (the viewer looks down it; "over" is towards the viewer).
    """

    pd: list
    crossing_components: list
    signs: list
    direction: np.ndarray
    n_components: int

    def linking_matrix(self) -> np.ndarray:
        """Linking numbers of every pair of components: half their signed crossings."""
        m = np.zeros((self.n_components, self.n_components), dtype=np.int64)
        for (u, o), s in zip(self.crossing_components, self.signs):
            if u != o:
                m[u, o] += s
                m[o, u] += s
        return m // 2

    def groups(self) -> list[list[int]]:
        """The components in the connected pieces of the crossing graph (a component without
        crossings is a piece of its own)."""
        parent = list(range(self.n_components))

        def root(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for u, o in self.crossing_components:
            parent[root(u)] = root(o)
        out: dict[int, list[int]] = {}
        for i in range(self.n_components):
            out.setdefault(root(i), []).append(i)
        return list(out.values())

    def sub_pd(self, components) -> list:
        """The PD code of the crossings among ``components`` (a union of :meth:`groups`)."""
        keep = set(components)
        return [x for x, (u, o) in zip(self.pd, self.crossing_components) if u in keep]


def _edges(components):
    starts = np.concatenate(components)
    ends = np.concatenate([np.roll(c, -1, axis=0) for c in components])
    comp = np.concatenate([np.full(len(c), i) for i, c in enumerate(components)])
    index = np.concatenate([np.arange(len(c)) for c in components])
    return starts, ends, comp, index


def _projected_pairs(p, q, comp, index, sizes):
    """Candidate pairs of edges whose projections (x, y) may cross, adjacent ones excluded."""
    mid = (p[:, :2] + q[:, :2]) / 2
    half = np.linalg.norm(q[:, :2] - p[:, :2], axis=1) / 2
    i, j = close_pairs(mid, half, mid, half, 1e-12 * float(np.abs(p).max()), same=True)
    same = comp[i] == comp[j]
    n = sizes[comp[i]]
    gap = (index[j] - index[i]) % np.maximum(n, 1)
    adjacent = same & ((gap == 1) | (gap == n - 1))
    return i[~adjacent], j[~adjacent]


def _crossings(p, q, i, j, scale):
    """Proper crossings of projected edges i and j: (i, j, s, t, zi, zj), or None when the
    projection is not generic (a crossing at an end, parallel overlap, equal heights)."""
    d1, d2 = q[i] - p[i], q[j] - p[j]
    den = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
    w = p[j] - p[i]
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (w[:, 0] * d2[:, 1] - w[:, 1] * d2[:, 0]) / den
        t = (w[:, 0] * d1[:, 1] - w[:, 1] * d1[:, 0]) / den
    tiny = np.abs(den) <= 1e-12 * np.linalg.norm(d1[:, :2], axis=1) * np.linalg.norm(
        d2[:, :2], axis=1
    )
    if tiny.any():  # parallel in projection: fine unless they touch there
        flat = np.array([1.0, 1.0, 0.0])
        k = np.flatnonzero(tiny)
        gap = segment_distances(p[i[k]] * flat, q[i[k]] * flat, p[j[k]] * flat, q[j[k]] * flat)
        if (gap <= 1e-9 * scale).any():
            return None
    s, t = np.where(tiny, -1.0, s), np.where(tiny, -1.0, t)
    near = (s > -_EDGE_EPS) & (s < 1 + _EDGE_EPS) & (t > -_EDGE_EPS) & (t < 1 + _EDGE_EPS)
    hit = (s > 0) & (s < 1) & (t > 0) & (t < 1)
    if (near & ~hit).any() or (hit & ((s < _EDGE_EPS) | (s > 1 - _EDGE_EPS))).any():
        return None
    if (hit & ((t < _EDGE_EPS) | (t > 1 - _EDGE_EPS))).any():
        return None
    i, j, s, t = i[hit], j[hit], s[hit], t[hit]
    zi = p[i, 2] + s * (q[i, 2] - p[i, 2])
    zj = p[j, 2] + t * (q[j, 2] - p[j, 2])
    if (np.abs(zi - zj) <= 1e-9 * scale).any():
        return None
    return i, j, s, t, zi, zj


def _pd_from_crossings(p, q, comp, n_components, found):
    """The PD code of the crossings ``found`` on the projected edges (see the module)."""
    i, j, s, t, zi, zj = found
    k = len(i)
    # passages: (edge, parameter, crossing, over?) for both strands of every crossing
    edge = np.r_[i, j]
    param = np.r_[s, t]
    cross = np.r_[np.arange(k), np.arange(k)]
    over = np.r_[zi > zj, zj > zi]
    order = np.lexsort((param, edge))  # along each component in order: edges are grouped
    edge, param, cross, over = edge[order], param[order], cross[order], over[order]
    if (np.diff(param)[np.diff(edge) == 0] <= _EDGE_EPS).any():
        return None  # two crossings at one point of an edge
    incoming, outgoing = np.zeros(2 * k, dtype=np.int64), np.zeros(2 * k, dtype=np.int64)
    comp_of = comp[edge]
    label = 0
    for c in range(n_components):
        rows = np.flatnonzero(comp_of == c)
        if len(rows) == 0:
            continue
        arcs = label + np.arange(len(rows))  # arc r ends at passage r
        incoming[rows] = arcs
        outgoing[rows] = np.roll(arcs, -1)
        label += len(rows)
    d = q - p
    pd, comps, signs = [], [], []
    for x in range(k):
        a, b = np.flatnonzero(cross == x)
        u, o = (a, b) if not over[a] else (b, a)
        du, do = d[edge[u], :2], d[edge[o], :2]
        ccw = du[0] * do[1] - du[1] * do[0] > 0  # over strand turns left of the under strand
        if ccw:
            pd.append((incoming[u], incoming[o], outgoing[u], outgoing[o]))
        else:
            pd.append((incoming[u], outgoing[o], outgoing[u], incoming[o]))
        comps.append((int(comp_of[u]), int(comp_of[o])))
        signs.append(-1 if ccw else 1)
    pd = [tuple(int(v) for v in x) for x in pd]
    return pd, comps, signs


def project(link: Link, *, seed: int = 0) -> Diagram:
    """A generic projection of ``link`` and its PD code (random directions from ``seed``
    until one is generic: no crossing at a vertex, no two at one point, no equal heights)."""
    link = check_link(link)
    rng = np.random.default_rng([int(seed), 7919])
    sizes = np.array([len(c) for c in link.components])
    for _ in range(_ROTATIONS):
        q_, r_ = np.linalg.qr(rng.standard_normal((3, 3)))
        rot = q_ * np.sign(np.diag(r_))
        if np.linalg.det(rot) < 0:
            rot[:, 0] = -rot[:, 0]
        comps = [c @ rot for c in link.components]  # z is the height above the page
        p, q, comp, index = _edges(comps)
        scale = float(np.abs(np.r_[p, q]).max())
        i, j = _projected_pairs(p, q, comp, index, sizes)
        found = _crossings(p, q, i, j, scale)
        if found is None:
            continue
        built = _pd_from_crossings(p, q, comp, len(comps), found)
        if built is None:
            continue
        pd, cc, signs = built
        return Diagram(pd, cc, signs, rot[:, 2].copy(), len(comps))
    raise InputError(f"no generic projection of {link.name or 'the link'} in {_ROTATIONS} tries")


# ------------------------------------------------------------------------------ verdicts
@dataclass
class DiagramVerdict:
    """What the diagram route decided about one link."""

    verdict: str  # "split", "not split" or "unknown"
    reason: str
    seconds: float
    crossings: int  # in the projection
    simplified: list = field(default_factory=list)  # crossings of each piece afterwards

    def line(self) -> str:
        return f"{self.verdict}: {self.reason} ({self.crossings} crossings, {self.seconds:.2f} s)"


def hyperbolic(pd, *, tries: int = 4) -> float | None:
    """The volume of the complement of the link with PD code ``pd`` when SnapPy finds it
    hyperbolic (all tetrahedra positively oriented, positive volume), else None."""
    import spherogram

    try:
        M = spherogram.Link([list(x) for x in pd]).exterior()
    except (ValueError, RuntimeError):  # a code SnapPy cannot triangulate: nothing known
        return None
    for _ in range(tries):
        if M.solution_type() == "all tetrahedra positively oriented":
            vol = float(M.volume())
            if vol > 1e-6:
                return vol
        M.randomize()
    return None


def _whole_classes(components, classes, lk) -> bool:
    """Whether any piece of a splitting of ``components`` must hold whole classes: every
    class among them is one component or hangs together by nonzero linking numbers."""
    for cls in (0, 1):
        members = [c for c in components if classes[c] == cls]
        seen, todo = {members[0]}, [members[0]]
        while todo:
            a = todo.pop()
            for b in members:
                if b not in seen and lk[a, b] != 0:
                    seen.add(b)
                    todo.append(b)
        if len(seen) < len(members):
            return False
    return True


def _simplify_group(diagram, group, classes, lk, counts):
    """Spherogram on one piece holding both classes: 'split', 'not split' or None."""
    import spherogram

    L = spherogram.Link([list(x) for x in diagram.sub_pd(group)])
    L.simplify("global")
    pieces = L.split_link_diagram() if L.crossings else []
    kept = sum(len(P.link_components) for P in pieces)
    counts.extend(len(P.crossings) for P in pieces)
    if len(pieces) + (len(group) - kept) >= 2 and _whole_classes(group, classes, lk):
        return "split"
    if len(pieces) == 1 and kept == len(group) and hyperbolic(pieces[0].PD_code()) is not None:
        return "not split"
    return None


def diagram_route(link: Link, *, seed: int = 0, use_snappy: bool = True) -> DiagramVerdict:
    """Decide whether ``link``'s classes can be pulled apart, from a diagram (see the module).

    Returns a :class:`DiagramVerdict` with the wall time of the whole route.
    """
    available = use_snappy and have_snappy()  # imported before the clock starts
    start = time.perf_counter()
    link = check_link(link)
    d = project(link, seed=seed)
    lk = d.linking_matrix()
    classes = link.classes

    def done(verdict, reason, counts=()):
        return DiagramVerdict(verdict, reason, time.perf_counter() - start, len(d.pd), list(counts))

    for a in link.component_indices(1):
        for b in link.component_indices(0):
            if lk[a, b] != 0:
                return done("not split", f"linking number {abs(lk[a, b])} between {a} and {b}")
    mixed = [g for g in d.groups() if len({classes[c] for c in g}) == 2]
    if not mixed:
        return done("split", "the diagram falls apart with the classes apart")
    if not available:
        return done("unknown", "the diagram is connected and spherogram is not installed")
    counts: list[int] = []
    results = [_simplify_group(d, g, classes, lk, counts) for g in mixed]
    if all(r == "split" for r in results):
        return done("split", "spherogram simplified the diagram into pieces", counts)
    if any(r == "not split" for r in results):
        return done("not split", "a piece of the diagram has a hyperbolic complement", counts)
    return done("unknown", "spherogram left a connected diagram that is not hyperbolic", counts)
