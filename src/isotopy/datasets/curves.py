"""Planar curve datasets: the essay's two curves and two interleaved spirals.

``two_curves``: class A is y = a·sin(πt) + d, class B is y = a·sin(πt) - d for t in [-1, 1].
The two curves are vertical translates, so a line separating them would have to stay within
d of a·sin(πt) everywhere; for the defaults (a = 0.6, d = 0.12) the best straight line
misses by far more (the L∞ distance from 0.6·sin(πt) to lines on [-1, 1] is about 0.41),
so no line separates them, while one hidden layer of two tanh units does.

``spirals``: arm k in {0, 1} is r(s) = r0 + (1 - r0)·s, θ(s) = 2π·turns·s + kπ, s in [0, 1].
``turns`` sets how entangled the arms are: about 0.6 turns is the essay's "slightly entangled"
case that four 2-unit tanh layers untangle, 1.25 and more is the "more entangled" case.
"""

from __future__ import annotations

import numpy as np

from ._common import check_n, check_nonneg, check_pos, finish, split_counts


def make_two_curves(
    n: int = 400,
    *,
    noise: float = 0.0,
    amplitude: float = 0.6,
    separation: float = 0.12,
    seed: int | None = None,
):
    """Two parallel sine curves in the plane, one per class.

    Parameters
    ----------
    n : int
        Number of points, split evenly between the classes.
    noise : float
        Standard deviation of Gaussian noise added to both coordinates.
    amplitude : float
        Amplitude a of the sine.
    separation : float
        Half the vertical distance 2d between the curves.
    seed : int or None
        Seed of this call's own random generator.

    Returns
    -------
    X : ndarray of float32, shape (n, 2)
    y : ndarray of int64, shape (n,)
        0 for the upper curve (A), 1 for the lower (B).
    """
    n = check_n(n)
    noise = check_nonneg(noise, "noise")
    amplitude = check_nonneg(amplitude, "amplitude")
    separation = check_pos(separation, "separation")
    rng = np.random.default_rng(seed)
    parts = []
    for count, sign in zip(split_counts(n), (1.0, -1.0)):
        t = rng.uniform(-1.0, 1.0, count)
        pts = np.stack([t, amplitude * np.sin(np.pi * t) + sign * separation], axis=1)
        parts.append(pts + noise * rng.standard_normal(pts.shape))
    return finish(parts, [0, 1], rng)


def make_spirals(
    n: int = 500,
    *,
    noise: float = 0.02,
    turns: float = 0.6,
    inner_radius: float = 0.15,
    seed: int | None = None,
):
    """Two interleaved spiral arms.

    Parameters
    ----------
    n : int
        Number of points, split evenly between the arms.
    noise : float
        Standard deviation of Gaussian noise added to both coordinates.
    turns : float
        Number of full turns each arm makes; more turns, more entangled.
    inner_radius : float
        Radius r0 at which both arms start (in [0, 1)).
    seed : int or None
        Seed of this call's own random generator.

    Returns
    -------
    X : ndarray of float32, shape (n, 2), inside the unit disc up to noise
    y : ndarray of int64, shape (n,)
    """
    n = check_n(n)
    noise = check_nonneg(noise, "noise")
    turns = check_pos(turns, "turns")
    r0 = check_nonneg(inner_radius, "inner_radius")
    if r0 >= 1:
        from ..errors import InputError

        raise InputError(f"inner_radius must be below 1, got {r0}")
    rng = np.random.default_rng(seed)
    parts = []
    for arm, count in enumerate(split_counts(n)):
        s = rng.uniform(0.0, 1.0, count)
        r = r0 + (1.0 - r0) * s
        theta = 2 * np.pi * turns * s + arm * np.pi
        pts = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
        parts.append(pts + noise * rng.standard_normal(pts.shape))
    return finish(parts, [0, 1], rng)
