"""The registry of experiments behind ``isotopy experiment NAME``.

Each :class:`ExperimentSpec` has a name, a one-line summary, ``run(**options) -> dict`` (the
numbers; a ``"summary"`` entry, if present, is the text the CLI prints) and
``add_arguments(parser)`` adding the experiment's own CLI options, whose destinations are
exactly ``run``'s keyword arguments. A new experiment is one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ExperimentSpec", "EXPERIMENTS"]


@dataclass(frozen=True)
class ExperimentSpec:
    name: str
    summary: str  # one line, shown by --list and in --help
    run: Callable[..., dict]  # run(**options) -> dict of results
    add_arguments: Callable  # add_arguments(parser): the experiment's own options
    example: str = ""  # a full command line shown in the experiment's --help

    def __repr__(self) -> str:
        return f"ExperimentSpec({self.name!r}, {self.summary!r})"


def _knn_run(*, progress=None, **options) -> dict:
    from .knn import run_cli

    return run_cli(**options, progress=progress)


def _knn_args(parser) -> None:
    from .knn import add_arguments

    add_arguments(parser)


EXPERIMENTS: dict[str, ExperimentSpec] = {
    "knn": ExperimentSpec(
        "knn", "softmax read-out vs test-time k-NN vs a net trained with a k-NN head "
               "(digits or MNIST)", _knn_run, _knn_args,
        example="isotopy experiment knn --data digits --seeds 3"),
}
