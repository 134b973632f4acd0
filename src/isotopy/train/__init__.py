"""Training: the :class:`Trainer` engine, ``fit`` for one or many networks, its ``History``,
and runs saved as folders; every training default is written once, in :mod:`.config`."""

from .config import ENGINE, TrainConfig
from .fit import OPTIMIZERS, fit
from .history import History
from .metrics import accuracy
from .runs import (
    Run,
    atomic_dir,
    is_run,
    load_run,
    run_of,
    save_run,
    train_run,
    train_test_split,
)
from .trainer import Trainer, resolve_device

__all__ = [
    "Trainer",
    "resolve_device",
    "fit",
    "accuracy",
    "OPTIMIZERS",
    "History",
    "Run",
    "TrainConfig",
    "ENGINE",
    "train_run",
    "run_of",
    "save_run",
    "load_run",
    "train_test_split",
    "atomic_dir",
    "is_run",
]
