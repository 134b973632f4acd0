"""A ball inside a spherical shell, in any dimension, and its named cases.

Class A is the ball |x| <= r_A, class B the shell r_A + gap <= |x| <= R. In R^n no network
whose layers all have at most n units can separate them (each such layer is a homeomorphism
or collapses a direction, and A stays surrounded by B); n + 1 units suffice.

Sampling is uniform by volume: a direction u from a normalised Gaussian and a radius
r = (a^n + U·(b^n - a^n))^(1/n) for U uniform in [0, 1], which is uniform in the shell a <= r <= b.

``disc_annulus`` is n = 2 (the essay's disc inside an annulus); ``interval`` is n = 1: A is
[-r_A, r_A] and B is [-R, -r_A - gap] ∪ [r_A + gap, R].
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, check_positive_int
from ._common import check_n, check_nonneg, check_pos, finish, split_counts


def _radial(rng, count, dim, a, b):
    u = rng.standard_normal((count, dim))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    r = (a**dim + rng.uniform(0.0, 1.0, count) * (b**dim - a**dim)) ** (1.0 / dim)
    return u * r[:, None]


def _check_radii(inner_radius, gap, outer_radius):
    r_a = check_pos(inner_radius, "inner_radius")
    gap = check_pos(gap, "gap")
    big_r = check_pos(outer_radius, "outer_radius")
    if r_a + gap >= big_r:
        raise InputError(
            f"inner_radius + gap must be below outer_radius, got {r_a} + {gap} >= {big_r}"
        )
    return r_a, gap, big_r


def make_nested_spheres(
    n: int = 500,
    *,
    dim: int = 2,
    inner_radius: float = 0.4,
    gap: float = 0.3,
    outer_radius: float = 1.0,
    noise: float = 0.0,
    seed: int | None = None,
):
    """A ball (class 0) inside a spherical shell (class 1) in R^dim.

    Parameters
    ----------
    n : int
        Number of points, split evenly between ball and shell.
    dim : int
        Dimension n >= 1 of the ambient space.
    inner_radius, gap, outer_radius : float
        The ball is |x| <= inner_radius; the shell is inner_radius + gap <= |x| <= outer_radius.
    noise : float
        Standard deviation of Gaussian noise added afterwards (0 keeps the sets exact).
    seed : int or None
        Seed of this call's own random generator.

    Returns
    -------
    X : ndarray of float32, shape (n, dim)
    y : ndarray of int64, shape (n,)
    """
    n = check_n(n)
    dim = check_positive_int(dim, "dim")
    r_a, gap, big_r = _check_radii(inner_radius, gap, outer_radius)
    noise = check_nonneg(noise, "noise")
    rng = np.random.default_rng(seed)
    n_a, n_b = split_counts(n)
    parts = [_radial(rng, n_a, dim, 0.0, r_a), _radial(rng, n_b, dim, r_a + gap, big_r)]
    parts = [p + noise * rng.standard_normal(p.shape) for p in parts]
    return finish(parts, [0, 1], rng)


def nested_spheres_labels(
    points, *, inner_radius: float = 0.4, gap: float = 0.3, outer_radius: float = 1.0, **_
):
    """Label of each point under the continuous sets: 0 in the ball, 1 in the shell, -1 elsewhere.

    points: (m, dim) -> (m,) int64. Used to measure accuracy on a dense grid of the sets.
    """
    r = np.linalg.norm(np.asarray(points, dtype=np.float64), axis=1)
    out = np.full(len(r), -1, dtype=np.int64)
    out[r <= inner_radius] = 0
    out[(r >= inner_radius + gap) & (r <= outer_radius)] = 1
    return out


def make_disc_annulus(
    n: int = 500,
    *,
    inner_radius: float = 0.4,
    gap: float = 0.3,
    outer_radius: float = 1.0,
    noise: float = 0.0,
    seed: int | None = None,
):
    """The essay's disc (class 0) inside an annulus (class 1): ``nested_spheres`` with dim = 2."""
    return make_nested_spheres(
        n,
        dim=2,
        inner_radius=inner_radius,
        gap=gap,
        outer_radius=outer_radius,
        noise=noise,
        seed=seed,
    )


def make_interval(
    n: int = 200,
    *,
    inner_radius: float = 0.4,
    gap: float = 0.3,
    outer_radius: float = 1.0,
    noise: float = 0.0,
    seed: int | None = None,
):
    """An interval (class 0) inside its complement on both sides (class 1): dim = 1."""
    return make_nested_spheres(
        n,
        dim=1,
        inner_radius=inner_radius,
        gap=gap,
        outer_radius=outer_radius,
        noise=noise,
        seed=seed,
    )
