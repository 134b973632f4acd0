"""Training: ``fit`` trains one network or N networks of one architecture to the end.

``fit`` builds a :class:`~isotopy.train.trainer.Trainer` (the one training engine, whose
docstring says what a step does, how mini-batches are drawn and what happens to a network
whose loss becomes NaN), runs it for ``steps`` steps and returns its :class:`History`.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import check_positive_int
from .config import DEVICE, ENGINE
from .history import History
from .metrics import accuracy
from .penalties import edge_full_step, edge_step
from .trainer import OPTIMIZERS, Trainer, batch_indices

__all__ = ["fit", "OPTIMIZERS", "accuracy", "batch_indices"]


def fit(
    net,
    X,
    y,
    *,
    steps: int = ENGINE.steps,
    lr: float = ENGINE.lr,
    batch_size: int | None = ENGINE.batch_size,
    optimizer: str = ENGINE.optimizer,
    seed=ENGINE.seed,
    record_every: int | None = ENGINE.record_every,
    X_test=None,
    y_test=None,
    penalty: Callable | None = None,
    progress: Callable[[int, int], None] | None = None,
    contractive: float = ENGINE.contractive,
    weight_penalty: float = ENGINE.weight_penalty,
    l1: float = ENGINE.l1,
    l2: float = ENGINE.l2,
    edge_penalty: float = ENGINE.edge_penalty,  # off: the engine is plain (see .config)
    edge_bound: float = ENGINE.edge_bound,
    edge_start: float = ENGINE.edge_start,
    edge_ramp: float = ENGINE.edge_ramp,
    compile: bool | None = None,
    backend: str | None = None,
    device=DEVICE,
) -> History:
    """Train ``net`` in place and return its :class:`History`; every default is that of
    ``ENGINE`` (:mod:`isotopy.train.config`), where each is written once.

    Parameters
    ----------
    net : Network
        Holds N >= 1 networks; all are trained on the same data, each on its own loss.
    X : array, shape (n, d)
    y : array of int, shape (n,)
    steps, lr : int, float
        Optimiser steps; learning rate.
    batch_size : int or None
        Mini-batch size; None trains on the full set each step.
    optimizer : {"adam", "sgd", "rmsprop"}
    seed : int or sequence of N ints
        Seed of the mini-batch order; an int s gives network i the seed s + i (as
        ``Network(seed=s)`` gives network i the initialisation seed s + i).
    record_every : int or None
        Take a snapshot (and test metrics) every this many steps, plus the first and last;
        None gives about 100 snapshots.
    X_test, y_test : arrays, optional
        A held-out set evaluated at the recorded steps.
    penalty : callable, optional
        ``penalty(net, xb) -> (N,)`` tensor added to each network's loss (e.g.
        :func:`isotopy.train.penalties.contractive_penalty`); xb is (B, d) for full-batch
        training and (N, B, d) with mini-batches.
    progress : callable, optional
        Called as ``progress(step, steps)`` after every step.
    contractive, weight_penalty, l1, l2 : float
        Strengths of the library's penalties (:mod:`isotopy.train.penalties`), added to
        ``penalty``: a contractive penalty λ · mean ||∂h/∂x||_F^2 over the hidden layers; a
        weight penalty λ · Σ(|W|² + |b|²) over the hidden layers; L1 and L2 regularisation
        (TensorFlow Playground's) λ1 · Σ|w| and λ2 · Σw²/2 over the weights of every affine
        stage, the read-out included, biases not.
    edge_penalty, edge_bound, edge_start, edge_ramp : float
        λ and bound c of the edge penalty λ · mean Σ max(|z| - c, 0)² on bounded units'
        pre-activations (:func:`isotopy.train.penalties.edge_penalty`; keeps pictures
        readable, ``docs/readable.md``), from step ``edge_start · steps`` on, rising to λ over
        the share ``edge_ramp`` of the rest (1: at the last step; 0: at once). Off here: ``fit``
        is the plain engine; a run (``TrainConfig``, ``isotopy train``) has it on by default.
    compile : bool or None
        True: run each step as generated code (the "compiled" backend of
        :mod:`isotopy.train.backends`: the fused C kernel for float32 networks of affine and
        activation stages with two classes, about 5 times faster than eager for a thousand
        networks; torch.compile for other networks, about 2.5 times faster after 5 to 15
        seconds of compiling). Each step agrees with eager training to float tolerance.
        None or False: eager. Nothing is ever compiled unless asked for.
    backend : str or None
        A backend by name ("eager", "compile", "fused", "compiled"); overrides ``compile``.
    device : str or torch.device
        "cpu" (default), "cuda", "mps" or "auto" (CUDA or MPS when present). The network is
        moved there and stays there.

    Returns
    -------
    History
        Curves of shape (N, steps). If a network's loss becomes NaN or infinite, that
        network stops: its parameters go back to the previous step's, its later curve
        entries are NaN, ``history.stopped_at[i]`` is the step and ``history.stopped`` says
        so; training ends early only when every network has stopped.
    """
    steps = check_positive_int(steps, "steps")
    record_every = (
        max(1, steps // 100)
        if record_every is None
        else check_positive_int(record_every, "record_every")
    )
    trainer = Trainer(
        net,
        X,
        y,
        lr=lr,
        optimizer=optimizer,
        batch_size=batch_size,
        seed=seed,
        penalty=penalty,
        contractive=contractive,
        weight_penalty=weight_penalty,
        l1=l1,
        l2=l2,
        edge_penalty=edge_penalty,
        edge_bound=edge_bound,
        edge_from=edge_step(steps, edge_start),
        edge_full=edge_full_step(steps, edge_start, edge_ramp),
        X_test=X_test,
        y_test=y_test,
        record_every=record_every,
        compile=compile,
        backend=backend,
        device=device,
    )
    trainer.step(steps, progress=progress)
    return trainer.history()
