"""The registry of experiments: one module per experiment, one entry per module.

An experiment module defines ``NAME``, ``SUMMARY`` (one line), ``run(**options) -> dict``
(numbers, JSON-able, plus a ``"summary"`` list of readable lines) and
``add_arguments(parser)`` (its own CLI options, whose ``dest`` names are ``run``'s keyword
arguments). Heavy imports stay inside ``run`` so that listing experiments is instant.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import lookup

__all__ = ["ExperimentSpec", "EXPERIMENTS", "run_experiment"]


@dataclass(frozen=True)
class ExperimentSpec:
    name: str
    summary: str  # one line, shown by ``isotopy experiment --list``
    run: Callable[..., dict]
    add_arguments: Callable  # add_arguments(parser): the experiment's own CLI options

    def __repr__(self) -> str:
        return f"ExperimentSpec({self.name!r}, {self.summary!r})"


# Module names under isotopy.experiments, in listing order; a new experiment is a new module
# and one line here.
_MODULES = [
    "width_sweep",
    "linked_tori",
    "unlink",
    "betti_layers",
    "contractive",
    "open_question",
    "knn",
]


def _load() -> dict[str, ExperimentSpec]:
    out = {}
    for mod_name in _MODULES:
        m = importlib.import_module(f"{__package__}.{mod_name}")
        out[m.NAME] = ExperimentSpec(m.NAME, m.SUMMARY, m.run, m.add_arguments)
    return out


EXPERIMENTS: dict[str, ExperimentSpec] = _load()


def run_experiment(name: str, **options) -> dict:
    """Run the experiment ``name`` with its keyword options; an unknown name is an InputError."""
    return lookup(EXPERIMENTS, name, "experiment").run(**options)
