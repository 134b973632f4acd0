"""The explorer's training settings: the library's defaults, and the few where the page differs.

A tab trains as a run of ``isotopy train`` does (:class:`isotopy.train.TrainConfig`: its
optimiser, batch size, seed, test fraction and edge penalty are read from there, never
written again here). What the page does differently is in :data:`EXPLORER`, each value with
the reason it differs.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..train import TrainConfig
from ..train.penalties import edge_step

__all__ = ["TRAIN", "ExplorerSettings", "EXPLORER"]

TRAIN = TrainConfig()  # the library's defaults, where the page trains as a run does

# A run of TRAIN.steps steps trains plainly until this step, then ramps the edge penalty in
_EDGE_FROM = edge_step(TRAIN.steps, TRAIN.edge_start)


@dataclass(frozen=True)
class ExplorerSettings:
    """Where the page's training differs from a run's (:data:`TRAIN`), and why."""

    # a run's 0.02 is tuned for 3,000 steps nobody watches; on the page training is watched
    # as it happens, and at 0.03 the page's first network (3 tanh units on disc_annulus)
    # classifies every training point sooner (median 125 against 150 steps over 5 seeds)
    # while Adam stays as stable on these small networks; the page's field starts there too
    lr: float = 0.03
    # a run has a last step and records about 100 snapshots over it; the page trains without
    # end, so it records every 5 steps and thins by halves beyond this many (Trainer's rule)
    record_every: int = 5
    max_snapshots: int = 200
    # optimiser steps per training slice, until the page's speed control says otherwise
    speed: int = 20
    # the edge penalty's schedule: a run ramps it in over its second half and ends there; the
    # page has no last step, so it takes the schedule of a default run (plain for the first
    # edge_plain steps, then ramped in over edge_ramp steps) and keeps the penalty on after
    edge_plain: int = _EDGE_FROM
    edge_ramp: int = TRAIN.steps - _EDGE_FROM


EXPLORER = ExplorerSettings()
