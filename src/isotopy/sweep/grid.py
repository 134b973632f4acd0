"""A sweep grid: datasets (and their parameters) × depths × widths × activations ×
contractive weights λ × seeds, cut into chunks of networks that train as one batch.

Every network of a grid cell has the architecture ``(width,) * depth`` with one activation,
trains on the same data (made with ``data_seed``) and differs from the others only by its
seed, which sets its initialisation and its mini-batch order. A chunk is a run of up to
``chunk_size`` seeds of one cell: one call of ``fit`` on a batch of networks. Chunks are plain
dicts (picklable, JSON-able) so any executor can ship them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import asdict, dataclass, field, fields

from ..datasets import DATASETS, dataset_params
from ..errors import InputError, check_positive_int, lookup
from ..nn import get_activation
from ..train import ENGINE, OPTIMIZERS
from ..train.config import SWEEP_STEPS

__all__ = ["SweepGrid", "grid_cells", "grid_chunks"]


def _tuple(values, what, cast):
    try:
        out = tuple(cast(v) for v in values)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a list of numbers, got {values!r}") from None
    if not out:
        raise InputError(f"the sweep grid is empty: {what} has no values")
    if len(set(out)) != len(out):
        raise InputError(f"{what} lists a value twice: {list(values)}")
    return out


@dataclass
class SweepGrid:
    """Everything that decides a sweep's results table (executors and workers do not)."""

    datasets: tuple = ("disc_annulus",)
    params: dict = field(default_factory=dict)  # dataset parameter -> tuple of values
    widths: tuple = (2, 3, 4)
    depths: tuple = (1,)
    activations: tuple = ("tanh",)
    # λ of the contractive penalty; 0 trains without it
    contractive: tuple = (ENGINE.contractive,)
    seeds: tuple = tuple(range(10))  # network seeds: initialisation and mini-batch order
    n_points: int | None = None  # None: each dataset's default size
    # the training settings: the engine's defaults (isotopy.train.config), sweeps train plainly
    steps: int = SWEEP_STEPS
    lr: float = ENGINE.lr
    batch_size: int | None = ENGINE.batch_size
    optimizer: str = ENGINE.optimizer
    test_size: float = ENGINE.test_size
    data_seed: int = 0  # one data set (and split) per cell, shared by all its seeds
    chunk_size: int = 100  # networks trained as one batch and saved as one chunk file
    dense_points: int = 20000  # points of the dense grid over the continuous sets

    def __post_init__(self):
        self.datasets = _tuple(
            [self.datasets] if isinstance(self.datasets, str) else self.datasets,
            "the datasets",
            str,
        )
        for name in self.datasets:
            lookup(DATASETS, name, "dataset")
        self.widths = _tuple(self.widths, "the widths", int)
        self.depths = _tuple(self.depths, "the depths", int)
        for w in self.widths:
            check_positive_int(w, "every width")
        for d in self.depths:
            check_positive_int(d, "every depth")
        self.activations = _tuple(
            [self.activations] if isinstance(self.activations, str) else self.activations,
            "the activations",
            str,
        )
        for a in self.activations:
            get_activation(a)
        self.contractive = _tuple(self.contractive, "the contractive weights", float)
        for lam in self.contractive:
            if not (math.isfinite(lam) and lam >= 0):
                raise InputError(
                    f"every contractive weight must be a finite number >= 0, got {lam}"
                )
        self.seeds = _tuple(self.seeds, "the seeds", int)
        params = {}
        for key, values in dict(self.params).items():
            vals = values if isinstance(values, (list, tuple)) else [values]
            params[str(key)] = _tuple(vals, f"dataset parameter {key!r}", _number)
            if not any(key in dataset_params(d) for d in self.datasets):
                raise InputError(
                    f"no dataset of the sweep has a parameter {key!r}; "
                    f"{', '.join(self.datasets)} take: "
                    f"{', '.join(_param_names(self.datasets)) or 'none'}"
                )
        self.params = params
        if self.n_points is not None:
            self.n_points = check_positive_int(self.n_points, "the number of points", minimum=4)
        self.steps = check_positive_int(self.steps, "steps")
        self.lr = float(self.lr)
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise InputError(f"the learning rate must be a finite number > 0, got {self.lr}")
        if self.batch_size is not None:
            self.batch_size = check_positive_int(self.batch_size, "batch_size")
        lookup(OPTIMIZERS, self.optimizer, "optimizer")
        if not 0 <= float(self.test_size) < 1:
            raise InputError(f"test_size must be in [0, 1), got {self.test_size}")
        self.test_size = float(self.test_size)
        self.data_seed = int(self.data_seed)
        self.chunk_size = check_positive_int(self.chunk_size, "the chunk size")
        self.dense_points = check_positive_int(
            self.dense_points, "the dense-grid points", minimum=16
        )

    # ------------------------------------------------------------------------- identity
    def to_dict(self) -> dict:
        d = asdict(self)
        d["params"] = {k: list(v) for k, v in self.params.items()}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls, d: dict) -> SweepGrid:
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise InputError(f"sweep grid has unknown field {sorted(unknown)[0]!r}")
        return cls(**d)

    def key(self) -> str:
        """A short hash of everything that decides the table."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def n_networks(self) -> int:
        return sum(len(c["seeds"]) for c in grid_chunks(self))

    def __repr__(self) -> str:
        cells = len(grid_cells(self))
        return (
            f"SweepGrid({', '.join(self.datasets)}: {cells} cells × {len(self.seeds)} seeds,"
            f" widths={list(self.widths)}, depths={list(self.depths)}, "
            f"activations={list(self.activations)}, λ={list(self.contractive)}, "
            f"steps={self.steps})"
        )


def _number(v):
    if isinstance(v, str):
        for cast in (int, float):
            try:
                return cast(v)
            except ValueError:
                continue
        raise ValueError(v)
    if isinstance(v, bool):
        raise ValueError(v)
    return int(v) if float(v).is_integer() and not isinstance(v, float) else float(v)


def _param_names(datasets) -> list[str]:
    names = set()
    for d in datasets:
        names |= set(dataset_params(d)) - {"n", "seed"}
    return sorted(names)


def grid_cells(grid: SweepGrid) -> list[dict]:
    """Every cell of the grid (no seeds) as a plain dict, in a fixed order."""
    cells = []
    for dataset in grid.datasets:
        own = [k for k in grid.params if k in dataset_params(dataset)]
        combos = itertools.product(*(grid.params[k] for k in own))
        for values in combos:
            params = dict(zip(own, values, strict=True))
            for depth, width, act, lam in itertools.product(
                grid.depths, grid.widths, grid.activations, grid.contractive
            ):
                cells.append(
                    {
                        "dataset": dataset,
                        "params": params,
                        "depth": depth,
                        "width": width,
                        "activation": act,
                        "contractive": lam,
                    }
                )
    return cells


def grid_chunks(grid: SweepGrid) -> list[dict]:
    """The grid cut into chunks: each a cell, a run of seeds and the training settings.

    Each chunk has an ``id`` naming it by position and content, so a rerun of the same grid
    finds the chunks it already finished.
    """
    settings = {
        k: getattr(grid, k)
        for k in (
            "n_points",
            "steps",
            "lr",
            "batch_size",
            "optimizer",
            "test_size",
            "data_seed",
            "dense_points",
        )
    }
    seeds = list(grid.seeds)
    chunks = []
    for cell in grid_cells(grid):
        for a in range(0, len(seeds), grid.chunk_size):
            spec = {**cell, **settings, "seeds": seeds[a : a + grid.chunk_size]}
            digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:10]
            spec["id"] = f"{len(chunks):05d}-{digest}"
            chunks.append(spec)
    return chunks
