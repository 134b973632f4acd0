"""A run: data, network, training history, saved to and loaded from a folder.

Folder layout (every file written under a temporary name, the folder renamed into place):

    config.json          network config, training settings, data description
    weights.safetensors  final parameters
    snapshots.safetensors parameters at each recorded step ("step{k}.{param}")
    history.safetensors  per-step loss / accuracy, test curves, recorded steps
    data.npz             X_train, y_train, X_test, y_test (no pickles)
    metrics.json         train_accuracy, test_accuracy, final_loss, steps, ...

Nothing here unpickles code: tensors come from safetensors, arrays from ``np.load(...,
allow_pickle=False)``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..datasets import load_points, make_dataset
from ..errors import InputError, check_positive_int
from ..files import atomic_dir
from ..nn import Network
from .config import DEVICE, TrainConfig
from .fit import fit
from .history import History

__all__ = [
    "TrainConfig",
    "Run",
    "train_run",
    "run_of",
    "save_run",
    "load_run",
    "train_test_split",
    "atomic_dir",
    "is_run",
]

FORMAT = 1


@dataclass
class Run:
    """A trained network with its data and history."""

    net: Network
    history: History
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    train: TrainConfig
    data: dict = field(default_factory=dict)  # {"dataset": name, "params": {...}} or {"file":..}
    path: Path | None = None

    @property
    def X(self) -> np.ndarray:
        return np.concatenate([self.X_train, self.X_test])

    @property
    def y(self) -> np.ndarray:
        return np.concatenate([self.y_train, self.y_test])

    def metrics(self) -> dict:
        return {
            **self.history.summary(),
            "n_train": int(len(self.X_train)),
            "n_test": int(len(self.X_test)),
        }

    def __repr__(self) -> str:
        m = self.metrics()
        what = self.data.get("dataset") or self.data.get("file", "data")
        test = f", test_acc={m['test_accuracy']:.3f}" if "test_accuracy" in m else ""
        return f"Run({what}, {self.net!r}, train_acc={m['train_accuracy']:.3f}{test})"


def run_of(
    net, history, X, y, *, data: dict, train: TrainConfig, index: int = 0, X_test=None, y_test=None
) -> Run:
    """Network ``index`` of a batch trained by ``fit`` on (X, y), with its history, as a
    :class:`Run` (to save and redraw it like any run); ``data`` describes the data
    (``{"dataset": name, "params": {...}, "n": n}``), ``train`` the settings it was trained
    with."""
    one = net if net.n_networks == 1 else net.select(index)
    hist = history if net.n_networks == 1 else history.select(index)
    X, y = np.asarray(X, dtype=np.float32), np.asarray(y, dtype=np.int64)
    if X_test is None:
        X_test, y_test = X[:0], y[:0]
    return Run(one, hist, X, y, np.asarray(X_test, np.float32), np.asarray(y_test), train, data)


def train_test_split(X, y, test_size: float = TrainConfig.test_size, seed: int = 0):
    """A stratified random split: (X_train, y_train, X_test, y_test)."""
    if not 0 <= test_size < 1:
        raise InputError(f"test_size must be in [0, 1), got {test_size}")
    rng = np.random.default_rng(seed + 1_000_003)
    test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        k = int(round(test_size * len(idx)))
        test[rng.choice(idx, size=min(k, len(idx) - 1), replace=False)] = True
    return X[~test], y[~test], X[test], y[test]


def train_run(
    dataset: str | None = None,
    *,
    data_file=None,
    n: int | None = None,
    hidden="2",
    activation: str = "tanh",
    dataset_params: dict | None = None,
    train: TrainConfig | None = None,
    net: Network | None = None,
    progress=None,
    compile: bool = False,
    device=DEVICE,
    **train_kwargs,
) -> Run:
    """Make or load data, split it, build a network, train it.

    Parameters
    ----------
    dataset : str, optional
        A key of ``DATASETS`` (or give ``data_file``).
    data_file : path, optional
        A CSV / NPY / NPZ file read by :func:`load_points`.
    n : int, optional
        Number of points to generate.
    hidden, activation
        The network's hidden widths and activation (ignored when ``net`` is given).
    dataset_params : dict, optional
        The generator's own parameters.
    train : TrainConfig, optional
        Training settings (default: ``TrainConfig()``, :mod:`isotopy.train.config`); keyword
        arguments override its fields. Its ``features`` (e.g. "x1,x2,x1x2") put input
        features first in the network built.
    net : Network, optional
        A network to train instead of building one (its input features, if any, are
        recorded as the run's ``features``).
    compile, device
        How and where to train (see :func:`isotopy.train.fit`); they do not change what is
        trained, so the run folder does not record them.

    Returns
    -------
    Run
    """
    train = TrainConfig(**{**asdict(train or TrainConfig()), **train_kwargs})
    if (dataset is None) == (data_file is None):
        raise InputError("give exactly one of a dataset name and a data file")
    if dataset is not None:
        params = dict(dataset_params or {})
        X, y = make_dataset(dataset, n, seed=train.seed, **params)
        data = {"dataset": dataset, "params": params, "n": int(len(X))}
    else:
        X, y = load_points(data_file)
        if n is not None:
            check_positive_int(n, "the number of points", minimum=2)
            X, y = X[:n], y[:n]
        data = {"file": str(data_file), "n": int(len(X))}
    n_classes = max(int(y.max()) + 1, 2)
    if net is None:
        net = Network(
            X.shape[1], hidden, activation, n_classes, seed=train.seed, features=train.features
        )
    elif train.features is None:
        train.features = net.input_features  # the run records the network's own features
    elif net.input_features != train.features:
        raise InputError(
            f"the network given reads the input features {net.input_features}, the settings "
            f"ask for {train.features}"
        )
    Xtr, ytr, Xte, yte = train_test_split(X, y, train.test_size, train.seed)
    hist = fit(
        net,
        Xtr,
        ytr,
        steps=train.steps,
        lr=train.lr,
        batch_size=train.batch_size,
        optimizer=train.optimizer,
        seed=train.seed,
        record_every=train.record_every,
        X_test=Xte if len(Xte) else None,
        y_test=yte if len(yte) else None,
        progress=progress,
        contractive=train.contractive,
        weight_penalty=train.weight_penalty,
        l1=train.l1,
        l2=train.l2,
        edge_penalty=train.edge_penalty,
        edge_bound=train.edge_bound,
        edge_start=train.edge_start,
        edge_ramp=train.edge_ramp,
        compile=compile,
        device=device,
    )
    return Run(net, hist, Xtr, ytr, Xte, yte, train, data)


# --------------------------------------------------------------------------------- saving
def _write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def is_run(path: Path) -> bool:
    """Whether ``path`` looks like a run folder (so that it may be replaced by a new run)."""
    return (path / "config.json").exists() and (path / "weights.safetensors").exists()


def save_run(run: Run, path) -> Path:
    """Write ``run`` to the folder ``path`` atomically (an old run folder there is replaced)."""
    from safetensors.torch import save_file

    path = Path(path)
    with atomic_dir(path, replace_if=is_run, what="run folder") as tmp:
        cfg = {
            "format": FORMAT,
            "network": run.net.config(),
            "train": asdict(run.train),
            "data": run.data,
        }
        _write_json(tmp / "config.json", cfg)
        save_file(
            {k: v.detach().cpu().contiguous() for k, v in run.net.state_dict().items()},
            str(tmp / "weights.safetensors"),
        )
        snaps = {
            f"step{s}.{k}": v.contiguous()
            for s, sd in zip(run.history.record_steps, run.history.snapshots)
            for k, v in sd.items()
        }
        save_file(snaps, str(tmp / "snapshots.safetensors"))
        h = run.history
        hist = {
            "loss": torch.from_numpy(h.loss),
            "train_accuracy": torch.from_numpy(h.train_accuracy),
            "record_steps": torch.tensor(h.record_steps, dtype=torch.int64),
            "final_train_accuracy": torch.from_numpy(np.asarray(h.final_train_accuracy)),
        }
        if h.test_accuracy is not None:
            hist["test_accuracy"] = torch.from_numpy(h.test_accuracy)
            hist["test_loss"] = torch.from_numpy(h.test_loss)
        if h.stopped_at is not None:
            hist["stopped_at"] = torch.from_numpy(np.asarray(h.stopped_at, dtype=np.int64))
        save_file(
            {k: v.contiguous() for k, v in hist.items()},
            str(tmp / "history.safetensors"),
            metadata={"stopped": h.stopped or ""},
        )
        np.savez(
            tmp / "data.npz",
            X_train=run.X_train,
            y_train=run.y_train,
            X_test=run.X_test,
            y_test=run.y_test,
        )
        _write_json(tmp / "metrics.json", run.metrics())
    run.path = path
    return path


def load_run(path) -> Run:
    """Read a run folder written by :func:`save_run`; any problem is one InputError sentence."""
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_dir():
        raise InputError(f"run folder {str(path)!r} does not exist or is not a folder")
    needed = [
        "config.json",
        "weights.safetensors",
        "snapshots.safetensors",
        "history.safetensors",
        "data.npz",
    ]
    missing = [f for f in needed if not (path / f).is_file()]
    if missing:
        raise InputError(
            f"{str(path)!r} is not an isotopy run folder (missing {', '.join(missing)})"
        )
    try:
        cfg = json.loads((path / "config.json").read_text())
        net = Network.from_config(cfg["network"])
        net.load_state_dict(load_file(str(path / "weights.safetensors")))
        raw = load_file(str(path / "snapshots.safetensors"))
        with safe_open(str(path / "history.safetensors"), "pt") as f:
            meta = f.metadata() or {}
            hist = {k: f.get_tensor(k) for k in f.keys()}
        steps = hist["record_steps"].tolist()
        snaps = [
            {k.split(".", 1)[1]: v for k, v in raw.items() if k.split(".", 1)[0] == f"step{s}"}
            for s in steps
        ]
        with np.load(path / "data.npz", allow_pickle=False) as z:
            arrays = {k: z[k] for k in ("X_train", "y_train", "X_test", "y_test")}
        train = TrainConfig(**cfg["train"])
    except InputError:
        raise
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, SafetensorError) as e:
        raise InputError(
            f"run folder {str(path)!r} is damaged or from another version ({type(e).__name__}: {e})"
        ) from None
    h = History(
        loss=hist["loss"].numpy(),
        train_accuracy=hist["train_accuracy"].numpy(),
        record_steps=steps,
        snapshots=snaps,
        test_loss=hist["test_loss"].numpy() if "test_loss" in hist else None,
        test_accuracy=hist["test_accuracy"].numpy() if "test_accuracy" in hist else None,
        final_train_accuracy=hist["final_train_accuracy"].numpy(),
        stopped=meta.get("stopped") or None,
        stopped_at=hist["stopped_at"].numpy() if "stopped_at" in hist else None,
    )
    return Run(net, h, **arrays, train=train, data=cfg.get("data", {}), path=path)
