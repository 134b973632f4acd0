"""Solid tori around closed core curves in R^3: linked tori (torus links) and an unlink.

A solid torus of thickness ρ around a closed curve c is {c(s) + r·(cos φ·N(s) + sin φ·B(s))
: r <= ρ}, with (N, B) an orthonormal frame of the plane normal to c'(s). Points are drawn
uniformly along the curve's arc length and uniformly over the normal disc.

Linked tori: the torus link T(2, 2k). Both components lie on the standard torus with major
radius R and minor radius r; component j is φ -> ((R + r cos ψ) cos φ, (R + r cos ψ) sin φ,
r sin ψ) with ψ = k·φ + jπ. Each component is an unknot and their linking number is k
(k = 1 is the Hopf link). No map R^3 -> R^3 that is a homeomorphism can separate them with a
plane, so a network needs a layer of 4 units.

Unlink: a round ring in the xy-plane and an ellipse in the xz-plane that passes through the
ring's hole twice. The ellipse bounds a flat disc that meets the xy-plane only inside the
ring, so the two can be pulled apart (lift the ellipse out), yet they look tangled.

The generators know the core curves: :func:`link_cores` returns them as closed polylines,
so that linking numbers can be computed from the cores at every stage of a network.

Labels of the continuous sets: a point belongs to solid torus j when its distance to core j
is at most the thickness (the tube around a curve whose curvature stays below
1 / thickness is exactly the union of its normal discs, which the generators sample). The
distance is taken to a 4,000-vertex polygon of the core, within 1e-5 of the curve.
:func:`linked_tori_labels` and :func:`unlink_labels` give it for dense-grid accuracy.

Tangled unlinks (``UNLINK_KINDS``): pairs of closed curves with linking number 0 that can be
pulled apart (an isotopy splits them) yet not by a translation: no plane separates them
(:func:`plane_separable`, a linear programme on the two polygons). Each instance is random
(its own seed: shape parameters, a rotation, a shift); :func:`unlink_cores` gives its two
cores and :func:`make_tangled_unlink` points in solid tori around them.

- ``threaded``: an ellipse through a ring's hole, crossing the ring's disc twice in
  opposite directions; the ellipse's own flat disc misses the ring, so lifting it out
  splits them.
- ``figure_eight``: a ring around the waist of a figure-eight loop (the loop's two strands
  pass through the ring in opposite directions); untwisting the loop's crossing leaves the
  ring around two parallel strands, which slide off over an end.
- ``nested``: a smaller ring inside a larger one in the same plane; lifting the small ring
  out of the plane splits them, while no plane separates the two.

A ring around a *clasp* (the Whitehead link) also has linking number 0 but is not an unlink,
so it is not among the kinds.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, check_positive_int
from ._common import check_n, check_pos, finish, split_counts

__all__ = [
    "link_cores",
    "make_linked_tori",
    "make_unlink",
    "linked_tori_labels",
    "unlink_labels",
    "UNLINK_KINDS",
    "unlink_cores",
    "make_tangled_unlink",
    "tangled_unlink_labels",
    "plane_separable",
]

_DENSE = 2000  # samples of a core curve used to compute arc length and frames


def _torus_link_curve(component: int, linking: int, major: float, minor: float):
    def curve(s):  # s in [0, 1) -> (len(s), 3)
        phi = 2 * np.pi * s
        psi = linking * phi + component * np.pi
        rad = major + minor * np.cos(psi)
        return np.stack([rad * np.cos(phi), rad * np.sin(phi), minor * np.sin(psi)], axis=1)

    return curve


def _ring(radius: float):
    def curve(s):
        a = 2 * np.pi * s
        return np.stack([radius * np.cos(a), radius * np.sin(a), np.zeros_like(a)], axis=1)

    return curve


def _ellipse_xz(half_x: float, half_z: float):
    def curve(s):
        a = 2 * np.pi * s
        return np.stack([half_x * np.cos(a), np.zeros_like(a), half_z * np.sin(a)], axis=1)

    return curve


def _tube(rng, curve, count: int, thickness: float):
    """Points uniform in the solid tube of radius ``thickness`` around a closed curve."""
    s_dense = np.linspace(0.0, 1.0, _DENSE, endpoint=False)
    p = curve(s_dense)
    seg = np.linalg.norm(np.roll(p, -1, axis=0) - p, axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    s = np.interp(rng.uniform(0.0, cum[-1], count), cum, np.append(s_dense, 1.0))
    h = 1e-5
    tangent = curve(s + h) - curve(s - h)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    helper = np.where(np.abs(tangent[:, 2:3]) < 0.9, [[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]])
    normal = np.cross(tangent, helper)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    binormal = np.cross(tangent, normal)
    phi = rng.uniform(0.0, 2 * np.pi, count)
    r = thickness * np.sqrt(rng.uniform(0.0, 1.0, count))
    offset = r[:, None] * (np.cos(phi)[:, None] * normal + np.sin(phi)[:, None] * binormal)
    return curve(s) + offset


def _link_curves(name: str, params: dict):
    if name == "linked_tori":
        k = params.get("linking", 1)
        major, minor = params.get("major_radius", 1.0), params.get("minor_radius", 0.5)
        return [_torus_link_curve(j, k, major, minor) for j in (0, 1)]
    if name == "unlink":
        return [
            _ring(params.get("ring_radius", 1.0)),
            _ellipse_xz(params.get("half_width", 0.45), params.get("half_height", 0.9)),
        ]
    raise InputError(f"{name!r} is not a link dataset; link datasets are: linked_tori, unlink")


def link_cores(name: str, *, samples: int = 400, **params) -> list[np.ndarray]:
    """The two core curves of a link dataset as closed polylines.

    Parameters
    ----------
    name : {"linked_tori", "unlink"}
    samples : int
        Vertices per curve (the last vertex is not repeated; the polyline closes on itself).
    **params
        The dataset's own parameters (``linking``, radii); others are ignored.

    Returns
    -------
    list of two ndarrays of float64, each shape (samples, 3)
    """
    samples = check_positive_int(samples, "samples", minimum=3)
    s = np.linspace(0.0, 1.0, samples, endpoint=False)
    return [c(s) for c in _link_curves(name, params)]


def make_linked_tori(
    n: int = 1000,
    *,
    thickness: float = 0.15,
    linking: int = 1,
    major_radius: float = 1.0,
    minor_radius: float = 0.5,
    seed: int | None = None,
):
    """Two solid tori forming the torus link T(2, 2k): linked ``linking`` times.

    Parameters
    ----------
    n : int
        Number of points, split evenly between the tori.
    thickness : float
        Radius of each solid torus around its core curve. Must stay below the distance at
        which the tubes would touch (checked).
    linking : int
        Linking number k >= 1 of the two cores; 1 is the Hopf link.
    major_radius, minor_radius : float
        The torus on which both cores lie.
    seed : int or None

    Returns
    -------
    X : ndarray of float32, shape (n, 3)
    y : ndarray of int64, shape (n,)
    """
    n = check_n(n)
    thickness = check_pos(thickness, "thickness")
    linking = check_positive_int(linking, "linking")
    major, minor = check_pos(major_radius, "major_radius"), check_pos(minor_radius, "minor_radius")
    if minor >= major:
        raise InputError(f"minor_radius must be below major_radius, got {minor} >= {major}")
    params = dict(linking=linking, major_radius=major, minor_radius=minor)
    _check_tubes_apart("linked_tori", params, thickness)
    return _sample(n, "linked_tori", params, thickness, seed)


def make_unlink(
    n: int = 1000,
    *,
    thickness: float = 0.12,
    ring_radius: float = 1.0,
    half_width: float = 0.45,
    half_height: float = 0.9,
    seed: int | None = None,
):
    """A ring and an ellipse through its hole that are not linked (they can be pulled apart).

    Parameters
    ----------
    n : int
        Number of points, split evenly between the two solid tori.
    thickness : float
        Radius of each solid torus around its core curve (checked to keep the tubes apart).
    ring_radius : float
        Radius of the ring in the xy-plane.
    half_width, half_height : float
        Semi-axes of the ellipse in the xz-plane; half_width < ring_radius keeps it through
        the hole.
    seed : int or None

    Returns
    -------
    X : ndarray of float32, shape (n, 3)
    y : ndarray of int64, shape (n,)
    """
    n = check_n(n)
    thickness = check_pos(thickness, "thickness")
    params = dict(
        ring_radius=check_pos(ring_radius, "ring_radius"),
        half_width=check_pos(half_width, "half_width"),
        half_height=check_pos(half_height, "half_height"),
    )
    if params["half_width"] >= params["ring_radius"]:
        raise InputError(
            "half_width must be below ring_radius so the ellipse passes through the ring"
        )
    _check_tubes_apart("unlink", params, thickness)
    return _sample(n, "unlink", params, thickness, seed)


def _check_tubes_apart(name, params, thickness):
    a, b = link_cores(name, samples=600, **params)
    d = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)).min()
    if 2 * thickness >= d:
        raise InputError(
            f"thickness {thickness} makes the two tori touch; it must be below {d / 2:.3f}"
        )


def _sample(n, name, params, thickness, seed):
    rng = np.random.default_rng(seed)
    curves = _link_curves(name, params)
    parts = [_tube(rng, c, count, thickness) for c, count in zip(curves, split_counts(n))]
    return finish(parts, [0, 1], rng)


# ------------------------------------------------------------ labels of the continuous sets
_LABEL_VERTICES = 4000  # polygon of the core for distances: chord error below 1e-5


def _distance_to_polygon(points, c):
    """Distance of points (m, 3) to the closed polygon c (k, 3): (m,), exact per segment."""
    from scipy.spatial import cKDTree

    points = np.asarray(points, dtype=np.float64)
    c2 = np.roll(c, -1, axis=0)
    seg = c2 - c  # (k, 3)
    step = float(np.linalg.norm(seg, axis=1).max())
    near = cKDTree(c).query(points, k=min(4, len(c)))[1]  # (m, 4) nearest vertices
    cand = np.concatenate([near, (near - 1) % len(c)], axis=1)  # segments at those vertices
    p0, d = c[cand], seg[cand]  # (m, 8, 3)
    t = np.clip(
        ((points[:, None] - p0) * d).sum(-1) / np.maximum((d * d).sum(-1), 1e-300), 0.0, 1.0
    )
    dist = np.linalg.norm(points[:, None] - (p0 + t[..., None] * d), axis=-1).min(1)
    # the nearest segment always ends at one of the 4 nearest vertices unless the point is
    # farther than a segment from the curve; those points are far outside any tube anyway
    return np.where(dist <= step, dist, np.linalg.norm(points[:, None] - p0, axis=-1).min(1))


def _tube_labels(points, cores, thickness):
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 3:
        raise InputError(f"points must have shape (m, 3), got {points.shape}")
    out = np.full(len(points), -1, dtype=np.int64)
    for j, c in enumerate(cores):
        out[_distance_to_polygon(points, c) <= thickness] = j
    return out


def linked_tori_labels(
    points,
    *,
    thickness: float = 0.15,
    linking: int = 1,
    major_radius: float = 1.0,
    minor_radius: float = 0.5,
    **_,
):
    """Label of each point under the two solid tori of ``linked_tori``: 0, 1, or -1 outside.

    points: (m, 3) -> (m,) int64. Used to measure accuracy on a dense grid of the sets.
    """
    cores = link_cores(
        "linked_tori",
        samples=_LABEL_VERTICES,
        linking=int(linking),
        major_radius=major_radius,
        minor_radius=minor_radius,
    )
    return _tube_labels(points, cores, thickness)


def unlink_labels(
    points,
    *,
    thickness: float = 0.12,
    ring_radius: float = 1.0,
    half_width: float = 0.45,
    half_height: float = 0.9,
    **_,
):
    """Label of each point under the two solid tori of ``unlink``: 0, 1, or -1 outside.

    points: (m, 3) -> (m,) int64.
    """
    cores = link_cores(
        "unlink",
        samples=_LABEL_VERTICES,
        ring_radius=ring_radius,
        half_width=half_width,
        half_height=half_height,
    )
    return _tube_labels(points, cores, thickness)


# ------------------------------------------------------------------------ tangled unlinks
def _rotation(rng):
    q, r = np.linalg.qr(rng.standard_normal((3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def _threaded(rng):
    """A unit ring in the xy-plane; an ellipse in the xz-plane through its hole."""
    hw, hh = rng.uniform(0.35, 0.6), rng.uniform(0.75, 1.1)
    off = rng.uniform(-0.1, 0.1)  # keeps both passes well inside the ring
    ring = _ring(1.0)
    ell = _ellipse_xz(hw, hh)
    return ring, lambda s: ell(s) + [off, 0.0, 0.0]


def _figure_eight(rng):
    """A ring in the yz-plane around the crossing of a figure-eight loop along x."""
    rho = rng.uniform(0.55, 0.7)  # ring radius
    h = rng.uniform(0.2, 0.3)  # the loop's two passes at z = ±h, inside the ring
    length, width = rng.uniform(1.0, 1.4), rng.uniform(0.5, 0.8)

    def ring(s):
        a = 2 * np.pi * s
        return np.stack([np.zeros_like(a), rho * np.cos(a), rho * np.sin(a)], axis=1)

    def loop(s):
        t = 2 * np.pi * s
        return np.stack([length * np.sin(t), width * np.sin(t) * np.cos(t), h * np.cos(t)], axis=1)

    return ring, loop


def _nested(rng):
    """Two rings in the xy-plane, the smaller inside the larger."""
    small = rng.uniform(0.35, 0.55)
    shift = rng.uniform(-1, 1, 2) * (0.8 - small) / np.sqrt(2)  # stays inside, with a gap

    def inner(s):
        return _ring(small)(s) + [shift[0], shift[1], 0.0]

    return _ring(1.0), inner


UNLINK_KINDS = {
    "threaded": (_threaded, "an ellipse through a ring's hole (both pass the ring's disc)"),
    "figure_eight": (_figure_eight, "a ring around the waist of a figure-eight loop"),
    "nested": (_nested, "a smaller ring inside a larger one, in the same plane"),
}


def _unlink_curves(kind: str, seed: int):
    from ..errors import lookup

    make, _ = lookup(UNLINK_KINDS, kind, "unlink kind")
    rng = np.random.default_rng([int(seed), 104729])
    a, b = make(rng)
    q, shift = _rotation(rng), rng.uniform(-0.5, 0.5, 3)
    return [lambda s, c=c: c(s) @ q.T + shift for c in (a, b)]


def unlink_cores(kind: str, seed: int = 0, *, samples: int = 400) -> list[np.ndarray]:
    """The two core curves of one random tangled unlink as closed polylines.

    Parameters
    ----------
    kind : str
        A key of ``UNLINK_KINDS``.
    seed : int
        The instance: its shape parameters, rotation and shift.
    samples : int
        Vertices per curve (the polyline closes on itself).

    Returns
    -------
    list of two ndarrays of float64, each shape (samples, 3)
    """
    samples = check_positive_int(samples, "samples", minimum=3)
    s = np.linspace(0.0, 1.0, samples, endpoint=False)
    return [c(s) for c in _unlink_curves(kind, seed)]


def _unlink_thickness(kind, seed):
    a, b = unlink_cores(kind, seed, samples=800)
    from scipy.spatial import cKDTree

    gap = float(cKDTree(b).query(a)[0].min())
    return round(min(0.1, 0.3 * gap), 4)  # tubes of radius 0.3 gap never touch


def make_tangled_unlink(
    n: int = 1000,
    *,
    kind: str = "threaded",
    instance: int = 0,
    thickness: float | None = None,
    seed: int | None = None,
):
    """Points in two solid tori around the cores of a random tangled unlink.

    Parameters
    ----------
    n : int
        Number of points, split evenly between the two tori.
    kind : str
        A key of ``UNLINK_KINDS``.
    instance : int
        Which random instance (:func:`unlink_cores` with this seed).
    thickness : float or None
        Radius of each solid torus; None: 0.3 of the cores' distance (at most 0.1).
    seed : int or None
        Of the points.

    Returns
    -------
    X : ndarray of float32, shape (n, 3)
    y : ndarray of int64, shape (n,)
    """
    n = check_n(n)
    if thickness is None:
        thickness = _unlink_thickness(kind, instance)
    thickness = check_pos(thickness, "thickness")
    a, b = unlink_cores(kind, instance, samples=600)
    d = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)).min()
    if 2 * thickness >= d:
        raise InputError(
            f"thickness {thickness} makes the two tori touch; it must be below {d / 2:.3f}"
        )
    rng = np.random.default_rng(seed)
    curves = _unlink_curves(kind, instance)
    parts = [_tube(rng, c, count, thickness) for c, count in zip(curves, split_counts(n))]
    return finish(parts, [0, 1], rng)


def tangled_unlink_labels(
    points, *, kind: str = "threaded", instance: int = 0, thickness: float | None = None, **_
):
    """Label of each point under the two solid tori of a tangled unlink (-1 outside)."""
    if thickness is None:
        thickness = _unlink_thickness(kind, instance)
    return _tube_labels(points, unlink_cores(kind, instance, samples=_LABEL_VERTICES), thickness)


def separating_plane(a, b) -> tuple[np.ndarray, float] | None:
    """A (hyper)plane {x : w·x = c} with a on its positive side and b on its negative side,
    a (m, d), b (k, d); None when no plane strictly separates them.

    Solves the linear programme w·a_i - c >= 1, w·b_j - c <= -1 with the smallest max_i |w_i|
    (the largest margin measured in that norm), on centred and scaled coordinates; (w, c) are
    returned in the original coordinates with |w| = 1.
    """
    from scipy.optimize import linprog

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    centre = np.r_[a, b].mean(0)
    scale = np.abs(np.r_[a, b] - centre).max()
    if not scale > 0:
        return None  # every point in one place: nothing separates them
    sa, sb = (a - centre) / scale, (b - centre) / scale  # a well-scaled programme
    d = a.shape[1]
    # variables (w, c, t): minimise t with -t <= w_i <= t; A x <= rhs
    A = np.r_[
        np.c_[-sa, np.ones(len(sa)), np.zeros(len(sa))],
        np.c_[sb, -np.ones(len(sb)), np.zeros(len(sb))],
        np.c_[np.eye(d), np.zeros(d), -np.ones(d)],
        np.c_[-np.eye(d), np.zeros(d), -np.ones(d)],
    ]
    rhs = np.r_[-np.ones(len(sa) + len(sb)), np.zeros(2 * d)]
    cost = np.r_[np.zeros(d + 1), 1.0]
    res = linprog(cost, A_ub=A, b_ub=rhs, bounds=[(None, None)] * (d + 2), method="highs")
    if res.status != 0:
        return None
    w, c = res.x[:d], res.x[d]
    # w·(x - centre)/scale = c  <=>  w·x = c·scale + w·centre
    n = float(np.linalg.norm(w))
    return w / n, float((c * scale + w @ centre) / n)


def plane_separable(a, b) -> bool:
    """Whether some (hyper)plane strictly separates the point sets a (m, d) and b (k, d)
    (:func:`separating_plane` finds one). For closed polygons the vertices decide: a plane
    separating them separates their convex hulls."""
    return separating_plane(a, b) is not None
