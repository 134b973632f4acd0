"""The essay's datasets as pure functions, one registry, and user data files.

Every generator is ``make_<name>(n, *, ..., seed=None) -> (X, y)`` with X float32 (n, d),
y int64 (n,), its own ``np.random.default_rng(seed)`` and no global state. ``DATASETS`` maps
each name to a :class:`DatasetSpec`; the CLI's choices and the web explorer's drop-downs read
the same dict.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, lookup
from ._common import check_nonneg
from .curves import make_spirals, make_two_curves
from .files import MAX_POINTS, load_points, points_from_csv_text
from .links import (
    link_cores,
    linked_tori_labels,
    make_linked_tori,
    make_unlink,
    unlink_labels,
)
from .playground import make_gaussians, make_xor, xor_labels
from .spheres import (
    make_disc_annulus,
    make_interval,
    make_nested_spheres,
    nested_spheres_labels,
)

__all__ = [
    "DATASETS",
    "DatasetSpec",
    "make_dataset",
    "dataset_params",
    "check_params",
    "load_points",
    "link_cores",
    "points_from_csv_text",
    "make_two_curves",
    "make_spirals",
    "make_nested_spheres",
    "make_disc_annulus",
    "make_interval",
    "make_linked_tori",
    "make_unlink",
    "make_xor",
    "make_gaussians",
    "nested_spheres_labels",
    "MAX_POINTS",
]


@dataclass(frozen=True)
class DatasetSpec:
    """One registry entry.

    ``labels_fn(points, **params)`` gives the label of arbitrary points under the continuous
    sets (-1 outside them) where the dataset has such sets, for dense-grid accuracy.
    ``is_link`` marks datasets whose two classes are solid tori with known core curves.
    """

    name: str
    make: Callable
    dim: int | None  # None: set by the ``dim`` parameter
    summary: str
    labels_fn: Callable | None = None
    is_link: bool = False

    def __repr__(self) -> str:
        return f"DatasetSpec({self.name!r}, dim={self.dim}, {self.summary!r})"


def _naitzat(name: str) -> Callable:
    """The generator of a data set of Naitzat et al.'s kind, defined with their experiment
    (:mod:`isotopy.experiments.naitzat`, imported when the data set is first made)."""

    def make(n: int = 1000, *, seed=None):
        from ..experiments.naitzat import DATA

        return DATA[name](n, seed=seed)

    make.__name__ = make.__qualname__ = f"make_{name}"
    return make


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in [
        DatasetSpec(
            "two_curves",
            make_two_curves,
            2,
            "two parallel sine curves: no line separates them, one hidden layer does",
        ),
        DatasetSpec(
            "spirals",
            make_spirals,
            2,
            "two interleaved spiral arms; 'turns' sets how entangled they are",
        ),
        DatasetSpec(
            "disc_annulus",
            make_disc_annulus,
            2,
            "a disc inside an annulus: 2-unit layers cannot separate it, 3 can",
            labels_fn=nested_spheres_labels,
        ),
        DatasetSpec(
            "interval",
            make_interval,
            1,
            "an interval inside its complement on the line: needs a 2-unit layer",
            labels_fn=nested_spheres_labels,
        ),
        DatasetSpec(
            "nested_spheres",
            make_nested_spheres,
            None,
            "a ball inside a spherical shell in R^dim: needs dim + 1 units",
            labels_fn=nested_spheres_labels,
        ),
        DatasetSpec(
            "linked_tori",
            make_linked_tori,
            3,
            "two solid tori linked 'linking' times: needs a 4-unit layer",
            labels_fn=linked_tori_labels,
            is_link=True,
        ),
        DatasetSpec(
            "unlink",
            make_unlink,
            3,
            "two solid tori that look tangled but come apart: 3 units can do it",
            labels_fn=unlink_labels,
            is_link=True,
        ),
        DatasetSpec(
            "rings_discs",
            _naitzat("rings_discs"),
            2,
            "four annuli around four discs (Naitzat et al.'s kind): β (4, 4) and (4, 0)",
        ),
        DatasetSpec(
            "hopf_pairs",
            _naitzat("hopf_pairs"),
            3,
            "four Hopf-linked pairs of solid tori, one of each pair per class (Naitzat et al.)",
        ),
        DatasetSpec(
            "xor",
            make_xor,
            2,
            "Playground's XOR: opposite quadrants share a class; the feature x1·x2 separates them",
            labels_fn=xor_labels,
        ),
        DatasetSpec(
            "gaussians",
            make_gaussians,
            2,
            "Playground's two Gaussian blobs: a line separates them up to their overlap",
        ),
    ]
}


# The random stream of the noise :func:`make_dataset` adds to a generator without a ``noise``
# parameter: separate from the generator's own (seeded by the same seed), so the points are
# the same with or without noise, only moved.
NOISE_STREAM = 0x6E6F697365


def _own_noise(spec) -> bool:
    """Whether the generator takes ``noise`` itself."""
    return "noise" in inspect.signature(spec.make).parameters


def dataset_params(name: str) -> dict:
    """The keyword parameters of a dataset generator with their defaults (n and seed included).

    Every dataset has ``noise`` (the std of Gaussian noise added to every coordinate): the
    generator's own where it has one, else 0.0, added by :func:`make_dataset`."""
    spec = lookup(DATASETS, name, "dataset")
    sig = inspect.signature(spec.make)
    params = {k: p.default for k, p in sig.parameters.items()}
    params.setdefault("noise", 0.0)
    return params


def _added_noise(X, sigma: float, seed) -> np.ndarray:
    """X moved by Gaussian noise of std ``sigma`` drawn from the noise stream of ``seed``."""
    if sigma == 0:
        return X
    rng = np.random.default_rng(None if seed is None else [int(seed), NOISE_STREAM])
    return (X + sigma * rng.standard_normal(X.shape)).astype(np.float32)


def check_params(name: str, params: dict) -> None:
    """Raise InputError if ``params`` names a parameter the generator ``name`` does not have."""
    valid = set(dataset_params(name)) - {"n", "seed"}
    unknown = sorted(set(params) - valid)
    if unknown:
        raise InputError(
            f"dataset {name!r} has no parameter {unknown[0]!r}; its parameters are: "
            f"{', '.join(sorted(valid)) or 'none'}"
        )


def make_dataset(name: str, n: int | None = None, *, seed: int | None = None, **params):
    """Generate a registered dataset by name.

    Parameters
    ----------
    name : str
        A key of ``DATASETS``.
    n : int, optional
        Number of points (the generator's default if None).
    seed : int or None
    **params
        The generator's own keyword parameters, and ``noise`` for every dataset (added here,
        from its own random stream, where the generator has none); an unknown one raises
        InputError.

    Returns
    -------
    X : ndarray of float32, shape (n, d)
    y : ndarray of int64, shape (n,)
    """
    spec = lookup(DATASETS, name, "dataset")
    check_params(name, params)
    kwargs = dict(params, seed=seed)
    sigma = 0.0
    if not _own_noise(spec) and "noise" in kwargs:
        sigma = check_nonneg(kwargs.pop("noise"), "noise")
    if n is not None:
        kwargs["n"] = n
    X, y = spec.make(**kwargs)
    X = _added_noise(X, sigma, seed)
    assert X.dtype == np.float32 and y.dtype == np.int64
    return X, y
