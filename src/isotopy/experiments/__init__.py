"""The essay's claims as experiments: each a function returning numbers (and arrays to draw).

``EXPERIMENTS`` (in :mod:`.registry`) maps a name to an :class:`ExperimentSpec`; the CLI
(``isotopy experiment NAME``) and the report read the same dict. Each experiment's settings
are one frozen dataclass (``spec.config``) with ``quick()`` for tests and the report's quick
mode; its CLI flags are made from the dataclass's fields. Claims are judged by the
rules of :mod:`.verdicts` (agrees / differs / not resolved, each with its rule and
resolution).
"""

from ._common import grid_accuracy, grid_points, make_config, one_thread, setting, train_seeds
from .registry import EXPERIMENTS, ExperimentSpec, add_config_arguments, run_experiment
from .verdicts import Verdict

__all__ = [
    "EXPERIMENTS",
    "ExperimentSpec",
    "run_experiment",
    "make_config",
    "setting",
    "add_config_arguments",
    "Verdict",
    "train_seeds",
    "one_thread",
    "grid_points",
    "grid_accuracy",
]
