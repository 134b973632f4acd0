"""Random links from named families: split by construction, or not split at all.

``FAMILIES[name](seed, complexity=1) -> Link`` draws one instance (its own
``np.random.default_rng``; the same seed gives the same link) and ``SPLIT[name]`` says
whether every instance is split. ``SUMMARIES[name]`` is one line on what it draws and
``USES_COMPLEXITY[name]`` whether ``complexity`` changes anything (the fixed shapes
ignore it).

Split families and why each instance is split:

- ``threaded``, ``figure_eight``, ``nested``: the project's three tangled unlinks
  (:func:`isotopy.datasets.links.unlink_cores`, the same instance for the same seed), with
  the first core of class 0 as in the datasets.
- ``sheared_pair``: two rings far apart (a plane separates them), moved by 2·complexity
  random *piecewise-linear shears* (x, y, z) -> (x, y + g(x, z), z), the axes taking turns,
  g linear on every triangle of a grid. A shear is a homeomorphism of R^3 isotopic to the
  identity (through t·g), so the image stays split; and since g is linear on every
  triangle, the image of a polygon is exactly the polygon through the images of its
  vertices once every edge is cut where it crosses a grid line (the cuts are inserted):
  no sampling error.
- ``coil``: a closed coil of complexity + 1 turns around the x-axis (a helix closed by a
  strand outside it) and, inside, a long loop: the boundary of a twisted ribbon that stays
  within the coil's cylinder. The ribbon is a disc that misses the coil, so the loop
  shrinks away along it.
- ``weave``: a ring and a curve that winds once around the ring's axis while its radius and
  height swing so that it reaches out over the ring twice, goes down through the hole,
  reaches out under the ring twice and comes back up through the hole, complexity times per
  turn (8·complexity crossings with the ring seen from above). It crosses the ring's plane
  only inside the hole, so in the half-plane (radius, height) its path never crosses the
  ray beyond the ring's point and winds zero times around it: as closed braids in the solid
  torus around the axis, the two are isotopic to two parallel circles, which a plane
  separates.
- ``chains``: two chains of complexity + 1 rings each (consecutive rings linked), built side
  by side and folded into each other by two piecewise-linear shears (one lifts the first
  chain where it lowers the second, the next pushes each across the other), then by
  complexity - 1 random ones.

Non-split controls (never certifiable; their obstructions are what :mod:`.obstruct`
finds):

- ``hopf`` and ``torus`` (complexity k: the torus link T(2, 2k), linking number k);
- ``whitehead``: a ring around a loop whose two ends are clasped (linking number 0);
- ``borromean``: three ellipses in perpendicular planes (pairwise linking number 0), one
  of class 1 against the other two.

Every instance is turned by a random rotation (seeded) and fits in a box of half-width
about 1.5 around the origin.
"""

from __future__ import annotations

import numpy as np

from ..datasets.links import link_cores, plane_separable, unlink_cores
from ..errors import InputError, check_positive_int
from .link import Link, check_link, min_distance

__all__ = ["FAMILIES", "SPLIT", "SUMMARIES", "USES_COMPLEXITY", "make_link", "pl_shear"]

_HALF_WIDTH = 1.5  # instances are scaled to about this half-width around the origin
_MIN_GAP = 0.08  # a sheared pair closer than this is drawn again (at half-width 1.5)
_TRIES = 8  # re-draws of a sheared instance that a plane still separates


# ------------------------------------------------------------------------------ helpers
def _rng(seed, complexity: int, salt: int):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be an integer >= 0, got {seed!r}")
    return np.random.default_rng([int(seed), int(complexity), salt])


def _rotation(rng) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def _place(curves, rng, *, rotate: bool = True) -> list[np.ndarray]:
    """Rotate (randomly), centre and scale curves to a half-width of about 1.5."""
    q = _rotation(rng) if rotate else np.eye(3)
    curves = [np.asarray(c, dtype=np.float64) @ q.T for c in curves]
    pts = np.concatenate(curves)
    centre = (pts.max(0) + pts.min(0)) / 2
    scale = _HALF_WIDTH / np.abs(pts - centre).max()
    return [(c - centre) * scale for c in curves]


def _circle(n: int, radius: float = 1.0, *, plane: str = "xy") -> np.ndarray:
    a = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    u, v, zero = radius * np.cos(a), radius * np.sin(a), np.zeros(n)
    cols = {"xy": (u, v, zero), "xz": (u, zero, v), "yz": (zero, u, v)}[plane]
    return np.stack(cols, axis=1)


def _link(curves, classes, name: str) -> Link:
    return check_link(Link(tuple(curves), tuple(classes), name))


# ------------------------------------------------------------------ piecewise-linear shears
def _crossings(a: np.ndarray, b: np.ndarray, lo: int, hi: int):
    """(edge, t) for every integer k in [lo, hi] that a + t (b - a) meets with 0 < t < 1."""
    first = np.maximum(np.ceil(np.minimum(a, b)), lo).astype(np.int64)
    last = np.minimum(np.floor(np.maximum(a, b)), hi).astype(np.int64)
    count = np.maximum(last - first + 1, 0)
    edge = np.repeat(np.arange(len(a)), count)
    k = np.repeat(first, count) + (
        np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (k - a[edge]) / (b[edge] - a[edge])
    keep = np.isfinite(t) & (t > 1e-9) & (t < 1 - 1e-9)
    return edge[keep], t[keep]


def _grid_value(values: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The piecewise-linear function with ``values`` at the integer nodes, linear on the two
    triangles (split along u = v) of every unit cell, constant along rays outside the grid."""
    nu, nv = values.shape[0] - 1, values.shape[1] - 1
    u, v = np.clip(u, 0, nu), np.clip(v, 0, nv)
    i = np.minimum(np.floor(u), nu - 1).astype(np.int64)
    j = np.minimum(np.floor(v), nv - 1).astype(np.int64)
    a, b = u - i, v - j
    g00, g10 = values[i, j], values[i + 1, j]
    g01, g11 = values[i, j + 1], values[i + 1, j + 1]
    lower = g00 + a * (g10 - g00) + b * (g11 - g10)  # triangle (0,0) (1,0) (1,1): a >= b
    upper = g00 + b * (g01 - g00) + a * (g11 - g01)  # triangle (0,0) (0,1) (1,1): a < b
    return np.where(a >= b, lower, upper)


def pl_shear(curve, axes, origin, cell, values) -> np.ndarray:
    """The exact image of a closed polygon under a piecewise-linear shear of R^3.

    The shear adds g(x[u], x[v]) to coordinate x[w], ``axes = (u, v, w)``, with g the
    function of :func:`_grid_value` on the grid ``origin + cell * (i, j)`` (``values`` of
    shape (nu + 1, nv + 1) at its nodes). Every edge is first cut where it crosses a grid
    line or a cell's diagonal, so g is linear along each piece and the polygon through the
    shifted vertices is the image of the polygon itself.
    """
    curve = np.asarray(curve, dtype=np.float64)
    iu, iv, iw = axes
    values = np.asarray(values, dtype=np.float64)
    nu, nv = values.shape[0] - 1, values.shape[1] - 1
    u = (curve[:, iu] - origin[0]) / cell[0]
    v = (curve[:, iv] - origin[1]) / cell[1]
    un, vn = np.roll(u, -1), np.roll(v, -1)
    cuts = [
        _crossings(u, un, 0, nu),
        _crossings(v, vn, 0, nv),
        _crossings(u - v, un - vn, -nv, nu),
    ]
    edge = np.concatenate([np.arange(len(curve))] + [c[0] for c in cuts])
    t = np.concatenate([np.zeros(len(curve))] + [c[1] for c in cuts])
    order = np.lexsort((t, edge))
    edge, t = edge[order], t[order]
    fresh = np.r_[True, (np.diff(edge) != 0) | (np.diff(t) > 1e-9)]
    edge, t = edge[fresh], t[fresh]
    nxt = np.roll(curve, -1, axis=0)
    out = curve[edge] + t[:, None] * (nxt[edge] - curve[edge])
    g = _grid_value(values, (out[:, iu] - origin[0]) / cell[0], (out[:, iv] - origin[1]) / cell[1])
    out[:, iw] += g
    return out


def _random_shear(curves, rng, axes, amplitude: float, cells: int = 6):
    """Shear every curve by one random smooth-looking g on a grid over their bounding box
    (zero on the grid's border, so far away nothing moves)."""
    pts = np.concatenate(curves)
    iu, iv, _ = axes
    lo = pts[:, [iu, iv]].min(0) - 0.2
    hi = pts[:, [iu, iv]].max(0) + 0.2
    cell = (hi - lo) / cells
    values = rng.standard_normal((cells + 1, cells + 1))
    values[1:-1, 1:-1] = (values[1:-1, 1:-1] + values[:-2, 1:-1] + values[2:, 1:-1]) / 2
    values[[0, -1], :] = 0.0
    values[:, [0, -1]] = 0.0
    values *= amplitude / max(np.abs(values).max(), 1e-12)
    return [pl_shear(c, axes, lo, cell, values) for c in curves]


_AXES = [(0, 2, 1), (1, 0, 2), (2, 1, 0)]  # (base u, base v, moved w): y, then z, then x


# ----------------------------------------------------------------------- split families
def _tangled(kind: str):
    def make(seed: int, complexity: int = 1) -> Link:
        check_positive_int(complexity, "complexity")
        _rng(seed, complexity, 0)  # checks the seed
        a, b = unlink_cores(kind, int(seed), samples=160)
        return _link([a, b], (0, 1), f"{kind} seed {seed}")

    make.__doc__ = f"The tangled unlink {kind!r} of instance ``seed`` (complexity is ignored)."
    return make


def _sheared_pair(seed: int, complexity: int = 1) -> Link:
    """Two rings a plane separates, moved by 2·complexity random piecewise-linear shears.

    Up to ``_TRIES`` draws: the first that no plane separates and whose rings stay at least
    ``_MIN_GAP`` apart is kept (else the tangled draw with the widest gap, else the last).
    """
    complexity = check_positive_int(complexity, "complexity")
    rng = _rng(seed, complexity, 1)
    best, best_gap = None, -1.0
    for _ in range(_TRIES):
        a = _circle(90) @ _rotation(rng).T + [-1.25, 0.0, 0.0]
        b = _circle(90, rng.uniform(0.7, 1.0)) @ _rotation(rng).T + [1.25, 0.0, 0.0]
        curves = [a, b]
        for s in range(2 * complexity):
            curves = _random_shear(curves, rng, _AXES[(s + 2) % 3], rng.uniform(1.2, 1.8))
        curves = _place(curves, rng)
        if plane_separable(*curves):
            best = best if best is not None else curves
            continue
        gap = min_distance(Link(tuple(curves), (1, 0)))
        if gap > best_gap:
            best, best_gap = curves, gap
        if gap >= _MIN_GAP:
            break
    return _link(best, (1, 0), f"sheared_pair {complexity} seed {seed}")


def _coil(seed: int, complexity: int = 1) -> Link:
    """A loop inside a closed coil of complexity + 1 turns (the loop bounds a ribbon inside)."""
    complexity = check_positive_int(complexity, "complexity")
    rng = _rng(seed, complexity, 2)
    turns = complexity + 1
    half = 0.45 * turns + rng.uniform(0.0, 0.3)  # half-length of the helix along x
    n = 70 * turns
    s = np.linspace(0.0, 1.0, n, endpoint=False)
    helix = np.c_[
        -half + 2 * half * s, np.cos(2 * np.pi * turns * s), np.sin(2 * np.pi * turns * s)
    ]
    out = 1.6 + rng.uniform(0.0, 0.3)  # the return strand, outside the cylinder r = 1
    back = np.linspace(half + 0.25, -half - 0.25, 40)
    coil = np.r_[helix, [[half, 1.0, 0.0]], np.c_[back, np.full(40, out), np.zeros(40)]]
    width = rng.uniform(0.3, 0.5)
    twist = rng.uniform(-1.0, 1.0) * np.pi * complexity  # the ribbon's total turning
    reach = half + rng.uniform(0.2, 0.6)
    x = np.linspace(-reach, reach, 30 * turns)
    ang = twist * (x + reach) / (2 * reach)
    side = np.c_[np.zeros_like(x), np.cos(ang), np.sin(ang)] * width
    cap = np.linspace(0.0, np.pi, 12)[1:-1]

    def end(xe, a0, sign):  # half circle from +side to -side beyond the end xe
        e = np.array([0.0, np.cos(a0), np.sin(a0)])
        return np.c_[np.full_like(cap, xe), np.zeros((len(cap), 2))] + width * (
            np.cos(cap)[:, None] * e + sign * np.sin(cap)[:, None] * [1.0, 0.0, 0.0]
        )

    line = np.c_[x, np.zeros((len(x), 2))]
    loop = np.r_[
        line + side, end(reach, ang[-1], 1.0), (line - side)[::-1], end(-reach, ang[0], -1.0)[::-1]
    ]
    return _link(_place([loop, coil], rng), (1, 0), f"coil {complexity} seed {seed}")


def _weave(seed: int, complexity: int = 1) -> Link:
    """A ring and a curve around its axis that hooks over and under it, never around it."""
    complexity = check_positive_int(complexity, "complexity")
    rng = _rng(seed, complexity, 3)
    ring = _circle(120)
    inner, outer = rng.uniform(0.35, 0.5), rng.uniform(1.5, 1.9)
    height, phase = rng.uniform(0.55, 0.8), rng.uniform(0.0, 2 * np.pi)
    phi = np.linspace(0.0, 2 * np.pi, 160 * complexity, endpoint=False)
    k = complexity
    rho = inner + (outer - inner) * np.sin(2 * k * phi) ** 2
    z = height * np.cos(k * phi)
    curve = np.c_[rho * np.cos(phi + phase), rho * np.sin(phi + phase), z]
    return _link(_place([ring, curve], rng), (1, 0), f"weave {complexity} seed {seed}")


def _chain(count: int, spacing: float, first_flat: bool, n: int = 48) -> list[np.ndarray]:
    """``count`` unit rings along the x-axis, flat (xy) and upright (xz) by turns, linked."""
    rings = []
    for i in range(count):
        flat = (i % 2 == 0) == first_flat
        rings.append(_circle(n, plane="xy" if flat else "xz") + [spacing * i, 0.0, 0.0])
    return rings


def _fold(curves, x0: float, x1: float, step: float, axes, across: float, lift: float):
    """Shear coordinate ``axes[2]`` by lift·tri(x)·ramp(axes[1]): a triangle wave along x of
    period two rings times a ramp that is -1 on one side of the gap and +1 on the other."""
    nodes = int(np.ceil((x1 - x0) / step)) + 1
    tri = np.array([1.0, 0.0, -1.0, 0.0])[np.arange(nodes + 1) % 4]
    values = lift * np.stack([-tri, tri], axis=1)
    origin, cell = (x0, -across), (step, 2 * across)
    return [pl_shear(c, (0, axes[1], axes[2]), origin, cell, values) for c in curves]


def _chains(seed: int, complexity: int = 1) -> Link:
    """Two chains of complexity + 1 rings, side by side, folded into each other."""
    complexity = check_positive_int(complexity, "complexity")
    rng = _rng(seed, complexity, 4)
    count, spacing, gap = complexity + 1, 1.5, 1.3
    first = [r + [0.0, -gap, 0.0] for r in _chain(count, spacing, True)]
    second = [r + [spacing / 2, gap, 0.0] for r in _chain(count, spacing, False)]
    curves = first + second
    x0, x1 = -1.5, spacing * count + 1.5
    lift = rng.uniform(1.8, 2.0)  # above the rings' radius 1: the chains part in height
    curves = _fold(curves, x0, x1, spacing / 2, (0, 1, 2), 0.3, lift)  # z: first down, second up
    curves = _fold(
        curves, x0, x1, spacing / 2, (0, 2, 1), lift - 1.0, -rng.uniform(2 * gap, 2 * gap + 0.4)
    )
    for s in range(complexity - 1):
        curves = _random_shear(curves, rng, _AXES[s % 3], rng.uniform(0.4, 0.7))
    classes = (1,) * count + (0,) * count
    return _link(_place(curves, rng), classes, f"chains {complexity} seed {seed}")


# ---------------------------------------------------------------------- non-split controls
def _torus(seed: int, complexity: int = 1) -> Link:
    """The torus link T(2, 2k), k = complexity: two unknots with linking number k."""
    k = check_positive_int(complexity, "complexity")
    rng = _rng(seed, k, 5)
    minor = rng.uniform(0.4, 0.6)
    a, b = link_cores("linked_tori", samples=120 + 80 * k, linking=k, minor_radius=minor)
    name = "hopf" if k == 1 else f"torus T(2,{2 * k})"
    return _link(_place([a, b], rng), (1, 0), f"{name} seed {seed}")


def _hopf(seed: int, complexity: int = 1) -> Link:
    """The Hopf link (complexity is ignored): linking number 1."""
    check_positive_int(complexity, "complexity")
    return _torus(seed, 1)


def _whitehead_clasp(delta: float, a: float, reach: float, back: float, bulge: float):
    """The Whitehead curve in tube coordinates (θ, u, v) around a core circle: a loop along
    the whole core whose two ends are hooks clasped into each other near θ = 0."""
    main = np.linspace(a, 2 * np.pi - a, 200)
    alpha = (main - a) / (2 * np.pi - 2 * a) * (np.pi / 2)
    plus = np.c_[main, delta * np.cos(alpha), delta * np.sin(alpha)]
    cap = np.linspace(0.0, np.pi, 11)[1:-1]
    h2 = np.linspace(-a, back, 16)  # hook 2, vertical (u = 0), towards larger θ
    hook2 = np.r_[
        np.c_[h2, np.zeros_like(h2), np.full_like(h2, delta)],
        np.c_[back + bulge * np.sin(cap), np.zeros_like(cap), delta * np.cos(cap)],
        np.c_[h2[::-1], np.zeros_like(h2), np.full_like(h2, -delta)],
    ]
    h1 = np.linspace(a, -reach, 24)  # hook 1, horizontal (v = 0), towards smaller θ
    hook1 = np.r_[
        np.c_[h1, np.full_like(h1, -delta), np.zeros_like(h1)],
        np.c_[-reach - bulge * np.sin(cap), -delta * np.cos(cap), np.zeros_like(cap)],
        np.c_[h1[::-1], np.full_like(h1, delta), np.zeros_like(h1)],
    ]
    minus = np.c_[plus[::-1, 0], -plus[::-1, 1], -plus[::-1, 2]]
    # plus ends at θ = 2π - a (that is -a) at (0, δ), where hook 2 starts; hook 2 returns at
    # (0, -δ), where minus starts; minus ends at θ = a at (-δ, 0), where hook 1 starts
    hook2[:, 0] += 2 * np.pi
    return np.r_[plus, hook2[1:-1], minus, hook1[1:-1]]


def _whitehead(seed: int, complexity: int = 1) -> Link:
    """A ring around a loop whose two ends are clasped: the Whitehead link (complexity is
    ignored)."""
    check_positive_int(complexity, "complexity")
    rng = _rng(seed, 1, 6)
    core, delta = 2.0, rng.uniform(0.3, 0.4)
    tube = _whitehead_clasp(delta, 0.45, 0.8, 0.2, 0.12)
    theta, u, v = tube[:, 0], tube[:, 1], tube[:, 2]
    loop = np.c_[(core + u) * np.cos(theta), (core + u) * np.sin(theta), v]
    where = rng.uniform(0.6 * np.pi, 1.4 * np.pi)  # the ring, around the two strands
    c = np.linspace(0.0, 2 * np.pi, 60, endpoint=False)
    radius = rng.uniform(2.5, 3.5) * delta
    radial = np.array([np.cos(where), np.sin(where), 0.0])
    ring = core * radial + radius * (
        np.cos(c)[:, None] * radial + np.sin(c)[:, None] * [0.0, 0.0, 1.0]
    )
    return _link(_place([ring, loop], rng), (1, 0), f"whitehead seed {seed}")


def _borromean(seed: int, complexity: int = 1) -> Link:
    """Three ellipses in the three coordinate planes: the Borromean rings (complexity is
    ignored); the first is class 1, the other two class 0."""
    check_positive_int(complexity, "complexity")
    rng = _rng(seed, 1, 7)
    t = np.linspace(0.0, 2 * np.pi, 120, endpoint=False)
    cos, sin = np.cos(t), np.sin(t)
    long = rng.uniform(1.7, 2.3, 3)
    zero = np.zeros_like(t)
    rings = [
        np.c_[long[0] * cos, sin, zero],
        np.c_[zero, long[1] * cos, sin],
        np.c_[sin, zero, long[2] * cos],
    ]
    return _link(_place(rings, rng), (1, 0, 0), f"borromean seed {seed}")


# ------------------------------------------------------------------------------ registry
FAMILIES = {
    "threaded": _tangled("threaded"),
    "figure_eight": _tangled("figure_eight"),
    "nested": _tangled("nested"),
    "sheared_pair": _sheared_pair,
    "coil": _coil,
    "weave": _weave,
    "chains": _chains,
    "hopf": _hopf,
    "torus": _torus,
    "whitehead": _whitehead,
    "borromean": _borromean,
}
SPLIT = {name: name not in ("hopf", "torus", "whitehead", "borromean") for name in FAMILIES}
USES_COMPLEXITY = {
    name: name in ("sheared_pair", "coil", "weave", "chains", "torus") for name in FAMILIES
}
SUMMARIES = {
    "threaded": "an ellipse through a ring's hole (a tangled unlink of the datasets)",
    "figure_eight": "a ring around the waist of a figure-eight loop (a tangled unlink)",
    "nested": "a smaller ring inside a larger one, in the same plane (a tangled unlink)",
    "sheared_pair": "two rings moved by 2·complexity random piecewise-linear shears",
    "coil": "a loop inside a closed coil of complexity + 1 turns",
    "weave": "a curve hooking over and under a ring, complexity times per turn",
    "chains": "two chains of complexity + 1 rings folded into each other",
    "hopf": "the Hopf link (not split: linking number 1)",
    "torus": "the torus link T(2, 2·complexity) (not split: linking number complexity)",
    "whitehead": "the Whitehead link (not split, linking number 0)",
    "borromean": "the Borromean rings (not split, pairwise linking number 0)",
}


def make_link(name: str, seed: int = 0, complexity: int = 1) -> Link:
    """``FAMILIES[name](seed, complexity)``, with an unknown name refused in one sentence."""
    from ..errors import lookup

    return lookup(FAMILIES, name, "link family")(seed, complexity)
