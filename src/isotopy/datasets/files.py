"""User data: points with labels from CSV, NPY or NPZ files, checked before use.

CSV: one row per point, numeric feature columns followed by one integer label column; a
first row that is not numeric is taken as a header. NPY: a 2-D array with the label in the
last column. NPZ: arrays ``X`` (n, d) and ``y`` (n,). Labels are renumbered 0..K-1 in sorted
order of the original values.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = ["load_points", "points_from_csv_text", "MAX_POINTS"]

MAX_POINTS = 200_000  # far beyond what a low-dimensional picture needs; guards memory


def load_points(path, *, max_points: int = MAX_POINTS, n_features: int | None = None):
    """Read labelled points from a CSV, NPY or NPZ file.

    Parameters
    ----------
    path : str or Path
    max_points : int
        Refuse files with more points than this.
    n_features : int, optional
        If given, the number of feature columns the file must have.

    Returns
    -------
    X : ndarray of float32, shape (n, d)
    y : ndarray of int64, shape (n,), values 0..K-1 with K >= 2

    Raises
    ------
    InputError
        With one sentence for: a missing or unreadable file, an unknown extension, an empty
        file, non-numeric cells, a wrong column count, NaN or inf, non-integer labels, a
        single class, or more than ``max_points`` points.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"data file {str(path)!r} does not exist")
    if path.is_dir():
        raise InputError(f"data file {str(path)!r} is a folder, not a file")
    if not os.access(path, os.R_OK):
        raise InputError(f"data file {str(path)!r} cannot be read (permission denied)")
    suffix = path.suffix.lower()
    readers = {".csv": _read_csv, ".npy": _read_npy, ".npz": _read_npz}
    if suffix not in readers:
        raise InputError(f"data file {str(path)!r} must end in .csv, .npy or .npz")
    X, labels = readers[suffix](path)
    return _validate(path, X, labels, max_points=max_points, n_features=n_features)


def points_from_csv_text(
    text: str,
    *,
    name: str = "uploaded CSV",
    max_points: int = MAX_POINTS,
    n_features: int | None = None,
):
    """Parse CSV text held in memory by the same rules as :func:`load_points` (no file involved).

    ``name`` only appears in error sentences. Returns X float32 (n, d), y int64 (n,).
    """
    X, labels = _parse_csv_rows(name, csv.reader(io.StringIO(text)))
    return _validate(name, X, labels, max_points=max_points, n_features=n_features)


def _read_csv(path: Path):
    try:
        with open(path, newline="") as f:
            return _parse_csv_rows(path, csv.reader(f))
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"data file {str(path)!r} cannot be read as text CSV ({e})") from None


def _parse_csv_rows(path, reader):
    rows = [r for r in reader if r and any(c.strip() for c in r)]
    if not rows:
        raise InputError(f"data file {str(path)!r} is empty")
    if not _is_numeric_row(rows[0]):
        rows = rows[1:]  # header
        if not rows:
            raise InputError(f"data file {str(path)!r} has a header but no points")
    width = len(rows[0])
    values = np.empty((len(rows), width), dtype=np.float64)
    for i, row in enumerate(rows):
        if len(row) != width:
            raise InputError(
                f"data file {str(path)!r}: row {i + 1} has {len(row)} columns, expected {width}"
            )
        for j, cell in enumerate(row):
            try:
                values[i, j] = float(cell)
            except ValueError:
                raise InputError(
                    f"data file {str(path)!r}: row {i + 1}, column {j + 1} is not a number: "
                    f"{cell.strip()!r}"
                ) from None
    return _split_label_column(path, values)


def _is_numeric_row(row) -> bool:
    try:
        [float(c) for c in row]
        return True
    except ValueError:
        return False


def _split_label_column(path, values):
    if values.ndim != 2 or values.shape[1] < 2:
        raise InputError(
            f"data file {str(path)!r} needs at least one feature column and a label column"
        )
    return values[:, :-1], values[:, -1]


def _read_npy(path: Path):
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise InputError(f"data file {str(path)!r} is not a readable .npy array ({e})") from None
    if arr.size == 0:
        raise InputError(f"data file {str(path)!r} is empty")
    if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.number):
        raise InputError(
            f"data file {str(path)!r} must hold a numeric 2-D array (points x columns), "
            f"got shape {arr.shape} of {arr.dtype}"
        )
    return _split_label_column(path, arr.astype(np.float64))


def _read_npz(path: Path):
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = {"X", "y"} - set(z.files)
            if missing:
                raise InputError(
                    f"data file {str(path)!r} must hold arrays 'X' and 'y'; missing "
                    f"{', '.join(sorted(missing))}"
                )
            X, y = z["X"], z["y"]
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        if isinstance(e, InputError):
            raise
        raise InputError(f"data file {str(path)!r} is not a readable .npz archive ({e})") from None
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise InputError(
            f"data file {str(path)!r}: X must be (n, d) and y (n,), got {X.shape} and {y.shape}"
        )
    if not (np.issubdtype(X.dtype, np.number) and np.issubdtype(y.dtype, np.number)):
        raise InputError(f"data file {str(path)!r}: X and y must be numeric")
    return X.astype(np.float64), y.astype(np.float64)


def _validate(path, X, labels, *, max_points, n_features):
    name = str(path)
    if len(X) == 0:
        raise InputError(f"data file {name!r} is empty")
    if len(X) > max_points:
        raise InputError(
            f"data file {name!r} has {len(X)} points, more than the limit {max_points}"
        )
    if not np.isfinite(X).all():
        row = int(np.argwhere(~np.isfinite(X))[0, 0])
        raise InputError(f"data file {name!r} has a NaN or infinite value (row {row + 1})")
    if not np.isfinite(labels).all() or not np.all(labels == np.round(labels)):
        raise InputError(f"data file {name!r}: labels (the last column) must be integers")
    if n_features is not None and X.shape[1] != n_features:
        raise InputError(
            f"data file {name!r} has {X.shape[1]} feature columns, expected {n_features}"
        )
    classes, y = np.unique(labels.astype(np.int64), return_inverse=True)
    if len(classes) < 2:
        raise InputError(f"data file {name!r} has a single class; at least two are needed")
    return X.astype(np.float32), y.astype(np.int64)
