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
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, check_positive_int
from ._common import check_n, check_pos, finish, split_counts

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
        return [_ring(params.get("ring_radius", 1.0)),
                _ellipse_xz(params.get("half_width", 0.45), params.get("half_height", 0.9))]
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
    n: int = 1000, *, thickness: float = 0.15, linking: int = 1, major_radius: float = 1.0,
    minor_radius: float = 0.5, seed: int | None = None,
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
    n: int = 1000, *, thickness: float = 0.12, ring_radius: float = 1.0,
    half_width: float = 0.45, half_height: float = 0.9, seed: int | None = None,
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
    params = dict(ring_radius=check_pos(ring_radius, "ring_radius"),
                  half_width=check_pos(half_width, "half_width"),
                  half_height=check_pos(half_height, "half_height"))
    if params["half_width"] >= params["ring_radius"]:
        raise InputError(
            "half_width must be below ring_radius so the ellipse passes through the ring")
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


