"""Helpers shared by the dataset generators: argument checks and the (X, y) output format."""

from __future__ import annotations

import numpy as np

from ..errors import InputError, check_positive_int


def check_n(n, *, minimum: int = 2) -> int:
    """Validate a point count: an integer >= ``minimum`` (two classes need two points)."""
    return check_positive_int(n, "the number of points", minimum=minimum)


def check_nonneg(value, what: str) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise InputError(f"{what} must be a finite number >= 0, got {value}")
    return value


def check_pos(value, what: str) -> float:
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise InputError(f"{what} must be a finite number > 0, got {value}")
    return value


def split_counts(n: int) -> tuple[int, int]:
    """Class sizes for a balanced two-class set of n points (class 0 gets the odd one)."""
    return n - n // 2, n // 2


def finish(parts_x: list[np.ndarray], parts_y: list[int], rng: np.random.Generator):
    """Stack per-class point arrays, label them, shuffle; X float32 (n, d), y int64 (n,)."""
    X = np.concatenate(parts_x, axis=0)
    y = np.concatenate([np.full(len(p), lab, dtype=np.int64) for p, lab in zip(parts_x, parts_y)])
    order = rng.permutation(len(X))
    return X[order].astype(np.float32), y[order]
