"""TensorFlow Playground's two datasets that the essay's do not already cover: XOR and two
Gaussian blobs (its circle is ``disc_annulus``, its spiral ``spirals``), at the essay's scale.

``xor``: class 0 fills the quadrants where x1·x2 > 0, class 1 those where x1·x2 < 0, each
point uniform in its quadrant of [-1, 1]² at least ``margin`` away from both axes. No line
separates the classes, the single input feature x1·x2 does (its sign is the class), and a
network reading (x1, x2) needs a decision boundary through the gap along both axes.

``gaussians``: class 0 is a Gaussian blob of standard deviation ``spread`` about (c, c),
class 1 one about (-c, -c), c = ``center``: linearly separable up to the blobs' overlap.

Both take ``noise``, the standard deviation of Gaussian noise added to every coordinate
after the points are drawn and shuffled, so that the same seed gives the same points moved
by the noise; at noise 0 no noise is drawn. Labels are those of the points before noise.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ._common import check_n, check_nonneg, check_pos, split_counts

__all__ = ["make_xor", "make_gaussians", "xor_labels"]


def _finish_noisy(parts_x, parts_y, rng, noise: float):
    """Stack, label and shuffle the classes' points, then add ``noise`` (nothing drawn at 0)."""
    X = np.concatenate(parts_x, axis=0)
    y = np.concatenate([np.full(len(p), lab, dtype=np.int64) for p, lab in zip(parts_x, parts_y)])
    order = rng.permutation(len(X))
    X, y = X[order], y[order]
    if noise > 0:
        X = X + noise * rng.standard_normal(X.shape)
    return X.astype(np.float32), y


def make_xor(
    n: int = 400,
    *,
    noise: float = 0.0,
    margin: float = 0.06,
    seed: int | None = None,
):
    """Playground's XOR: opposite quadrants of [-1, 1]² share a class.

    Parameters
    ----------
    n : int
        Number of points, split evenly between the classes (and evenly between each class's
        two quadrants up to one point).
    noise : float
        Standard deviation of Gaussian noise added to both coordinates.
    margin : float
        Every point is at least this far from both axes (in [0, 1)): the classes' gap.
    seed : int or None
        Seed of this call's own random generator.

    Returns
    -------
    X : ndarray of float32, shape (n, 2)
    y : ndarray of int64, shape (n,)
        0 where x1·x2 > 0 (first and third quadrants), 1 where x1·x2 < 0.
    """
    n = check_n(n)
    noise = check_nonneg(noise, "noise")
    margin = check_nonneg(margin, "margin")
    if margin >= 1:
        raise InputError(f"margin must be below 1, got {margin}")
    rng = np.random.default_rng(seed)
    parts = []
    for label, count in enumerate(split_counts(n)):
        mag = margin + (1.0 - margin) * rng.uniform(0.0, 1.0, (count, 2))
        s1 = np.where(np.arange(count) % 2 == 0, 1.0, -1.0)  # alternate quadrants
        s2 = s1 if label == 0 else -s1
        parts.append(mag * np.stack([s1, s2], axis=1))
    return _finish_noisy(parts, [0, 1], rng, noise)


def xor_labels(points, *, margin: float = 0.06, **_):
    """Label of each point under the continuous sets of ``xor``: 0 or 1 inside [-1, 1]² and
    at least ``margin`` from both axes, -1 elsewhere. points: (m, 2) -> (m,) int64."""
    p = np.asarray(points, dtype=np.float64)
    inside = np.all((np.abs(p) >= margin) & (np.abs(p) <= 1.0), axis=1)
    out = np.where(p[:, 0] * p[:, 1] > 0, 0, 1).astype(np.int64)
    out[~inside] = -1
    return out


def make_gaussians(
    n: int = 400,
    *,
    noise: float = 0.0,
    center: float = 0.5,
    spread: float = 0.2,
    seed: int | None = None,
):
    """Playground's two Gaussian blobs, about (c, c) (class 0) and (-c, -c) (class 1).

    Parameters
    ----------
    n : int
        Number of points, split evenly between the blobs.
    noise : float
        Standard deviation of Gaussian noise added to both coordinates (on top of the
        blobs' own spread: the points then spread by sqrt(spread² + noise²)).
    center : float
        c: the blobs' centres are ±(c, c), 2·√2·c apart.
    spread : float
        Standard deviation of each blob along every direction.
    seed : int or None
        Seed of this call's own random generator.

    Returns
    -------
    X : ndarray of float32, shape (n, 2)
    y : ndarray of int64, shape (n,)
    """
    n = check_n(n)
    noise = check_nonneg(noise, "noise")
    center = check_nonneg(center, "center")
    spread = check_pos(spread, "spread")
    rng = np.random.default_rng(seed)
    parts = [
        sign * center + spread * rng.standard_normal((count, 2))
        for count, sign in zip(split_counts(n), (1.0, -1.0))
    ]
    return _finish_noisy(parts, [0, 1], rng, noise)
