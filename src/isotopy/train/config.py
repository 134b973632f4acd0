"""Every training default, written once: :class:`TrainConfig` and the few defaults beside it.

``TrainConfig`` holds the settings of a run (what ``isotopy train`` and :func:`train_run`
train with, recorded in the run folder). The training engine (:func:`~isotopy.train.fit`,
:class:`~isotopy.train.Trainer`), the sweep grid and the command line read their defaults
from here (``ENGINE`` for the engine, ``SWEEP_STEPS`` for sweeps, ``DEVICE`` for all), and
each command-line flag takes its default and its help text from the field's entry below, so
``--help`` shows the value this module writes.

One difference is deliberate: a run trains with the edge penalty (``TrainConfig.edge_penalty
= 1.0``: a run is made to be looked at, so it keeps its points off the edges of the tanh
square), while the engine is plain unless asked (``ENGINE.edge_penalty = 0.0``), so that
``fit`` and ``Trainer`` train the objective their docstrings state and nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

__all__ = [
    "TrainConfig",
    "ENGINE",
    "SWEEP_STEPS",
    "DEVICE",
    "EDGE_BOUND",
    "EDGE_START",
    "help_of",
]

# |pre-activation| in tanh units beyond which the edge penalty acts: tanh(1.5) = 0.905, clear
# of the edge band |tanh| > 0.95 that the edge fraction counts
EDGE_BOUND = 1.5
# the share of training done before the edge penalty joins (then rising linearly to full
# strength at the last step): from the start it holds 2 to 4 of 10 3-unit disc networks in a
# 2-unit-like band, joined at full strength halfway it undoes the two curves' separation;
# ramped in over the second half, 10 of 10 disc networks separate (docs/readable.md)
EDGE_START = 0.5
# the share of the rest over which it rises to full strength: all of it
EDGE_RAMP = 1.0
# A sweep trains many seeds of every cell: 2,000 steps are enough for 3-unit tanh networks
# on disc_annulus, and a third fewer than a run's
SWEEP_STEPS = 2000
# Where training runs unless told: not part of what is trained, so no run records it
DEVICE = "cpu"


def _setting(default, help: str, metavar: str | None = None):
    """A field with its default and the help text of its command-line flag."""
    return field(default=default, metadata={"help": help, "metavar": metavar})


@dataclass
class TrainConfig:
    """Everything that decides a training run besides the network's architecture.

    Each field's metadata holds the help text of its command-line flag (:func:`help_of`).
    """

    # enough for width-3 tanh nets to separate disc_annulus completely
    steps: int = _setting(3000, "optimiser steps")
    # Adam on nets this small is stable well above the usual 1e-3
    lr: float = _setting(0.02, "learning rate")
    # full batch: a few hundred points cost nothing
    batch_size: int | None = _setting(
        None, "mini-batch size; unset (None): the full set every step"
    )
    optimizer: str = _setting("adam", "the optimiser")
    # one seed for data, split, initialisation and batch order
    seed: int = _setting(0, "seed of the data, the split, the initialisation and batch order")
    # None: about 100 snapshots, enough for smooth replay
    record_every: int | None = _setting(
        None, "a snapshot every this many steps; unset (None): about 100 snapshots"
    )
    # held-out fraction reported beside training accuracy
    test_size: float = _setting(0.25, "held-out fraction")
    weight_penalty: float = _setting(
        0.0, "add λ·Σ(|W|²+|b|²) of the hidden layers to the loss", "LAMBDA"
    )
    # λ of the edge penalty: a run is made to be looked at, so it keeps its points off the edges
    # of the tanh square (the engine, ENGINE, trains without it); measured in docs/readable.md:
    # same verdicts as without it on the essay's datasets
    edge_penalty: float = _setting(
        1.0,
        "add λ·mean Σ max(|z| - c, 0)² over the pre-activations z of tanh / sigmoid units: "
        "keeps the points off the edges of the tanh square so pictures stay readable "
        "(0 trains plainly, and tanh layers then saturate)",
        "LAMBDA",
    )
    edge_bound: float = _setting(EDGE_BOUND, "the edge penalty's bound c on |pre-activation|", "C")
    # a plain first part finds the separation, then the penalty
    edge_start: float = _setting(
        EDGE_START,
        "the share of the steps trained plainly before the edge penalty joins "
        "(the network first finds how to separate its data)",
        "SHARE",
    )
    # then rising to full strength over the rest of training (0: at full strength at once,
    # which holds the points off the edges from the first steps; docs/readable.md)
    edge_ramp: float = _setting(
        EDGE_RAMP,
        "the share of the steps after the plain part over which the edge penalty's "
        "strength rises linearly to λ (0: full strength as soon as it joins)",
        "SHARE",
    )
    contractive: float = _setting(
        0.0, "add λ·mean ||∂h/∂x||² over the hidden layers to the loss", "LAMBDA"
    )
    # TensorFlow Playground's regularisation: every affine weight, read-out included, no bias
    l1: float = _setting(
        0.0,
        "L1 regularisation: add RATE·Σ|w| over every weight (not the biases) to the loss",
        "RATE",
    )
    l2: float = _setting(
        0.0,
        "L2 regularisation: add RATE·Σw²/2 over every weight (not the biases) to the loss",
        "RATE",
    )
    # TensorFlow Playground's input features as the network's first stage; None (every run
    # before them): the network reads (x1, x2) itself
    features: tuple[str, ...] | None = _setting(
        None,
        "input features of 2-D data as the network's first stage, comma-separated, from "
        "x1, x2, x1sq, x2sq, x1x2, sinx1, sinx2; unset (None): the network reads the points "
        "as they are",
        "F1,F2,...",
    )

    def __post_init__(self):
        if self.features is not None:  # names, labels or one comma string: checked names
            from ..nn.stages import feature_names

            self.features = feature_names(self.features)


# The engine's defaults (fit, Trainer): a run's, but plain (no edge penalty; see the module
# docstring)
ENGINE = replace(TrainConfig(), edge_penalty=0.0)


def help_of(name: str) -> dict:
    """``{"help": ..., "metavar": ...}`` of the :class:`TrainConfig` field ``name`` (for
    argparse; the metavar only when one is set)."""
    for f in fields(TrainConfig):
        if f.name == name:
            out = {"help": f.metadata["help"]}
            if f.metadata.get("metavar"):
                out["metavar"] = f.metadata["metavar"]
            return out
    raise KeyError(name)
