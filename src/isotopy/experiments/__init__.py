"""The essay's claims as experiments: each a function returning numbers (and arrays to draw).

``EXPERIMENTS`` (in :mod:`.registry`) maps a name to an :class:`ExperimentSpec`; the CLI
(``isotopy experiment NAME``) and the report read the same dict.
"""

from .registry import EXPERIMENTS, ExperimentSpec, run_experiment

__all__ = ["EXPERIMENTS", "ExperimentSpec", "run_experiment"]
