"""Training: ``fit`` trains one network or N networks of one architecture to the end.

``fit`` builds a :class:`~isotopy.train.trainer.Trainer` (the one training engine, whose
docstring says what a step does, how mini-batches are drawn and what happens to a network
whose loss becomes NaN), runs it for ``steps`` steps and returns its :class:`History`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ..errors import check_positive_int
from .history import History
from .penalties import EDGE_BOUND, EDGE_START, edge_step
from .trainer import OPTIMIZERS, Trainer, batch_indices

__all__ = ["fit", "OPTIMIZERS", "accuracy", "batch_indices"]


@torch.no_grad()
def accuracy(net, X, y, *, block: int = 1 << 20) -> np.ndarray:
    """Accuracy of each network on (X, y) by its head's rule: (N,) float64.

    Points are evaluated in blocks so that N * points stays near ``block`` (memory stays
    bounded for thousands of networks on large grids); a head that classifies each point by
    the others (k-NN) sees the whole set at once.
    """
    device = next(net.parameters()).device
    if isinstance(X, torch.Tensor):
        X = X.detach().float().to(device)
    else:
        X = torch.as_tensor(np.asarray(X, dtype=np.float32), device=device)
    y = torch.as_tensor(y).long().to(device)
    if X.dim() == 1:
        X = X[:, None]
    if net.head.type_name != "linear":
        _, labels = net.head.loss_and_labels(net.outputs(X), y)
        return (labels == y).double().mean(-1).cpu().numpy()
    if X.dim() == 3:  # (N, B, d): each network its own points
        return (net.labels(net(X)) == y).double().mean(-1).cpu().numpy()
    step = max(1, block // max(net.n_networks, 1))
    correct = torch.zeros(net.n_networks, dtype=torch.float64, device=device)
    for a in range(0, len(X), step):
        out = net.outputs(X[a : a + step].T.contiguous().T)  # point-last, as in training
        correct += (net.labels(out) == y[a : a + step]).sum(-1)
    return (correct / max(len(X), 1)).cpu().numpy()


def fit(
    net,
    X,
    y,
    *,
    steps: int = 3000,
    lr: float = 0.02,
    batch_size: int | None = None,
    optimizer: str = "adam",
    seed=0,
    record_every: int | None = None,
    X_test=None,
    y_test=None,
    penalty: Callable | None = None,
    progress: Callable[[int, int], None] | None = None,
    contractive: float = 0.0,
    weight_penalty: float = 0.0,
    edge_penalty: float = 0.0,
    edge_bound: float = EDGE_BOUND,
    edge_start: float = EDGE_START,
    compile: bool | None = None,
    backend: str | None = None,
    device="cpu",
) -> History:
    """Train ``net`` in place and return its :class:`History`.

    Parameters
    ----------
    net : Network
        Holds N >= 1 networks; all are trained on the same data, each on its own loss.
    X : array, shape (n, d)
    y : array of int, shape (n,)
    steps : int
        Optimiser steps.
    lr : float
        Learning rate.
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
    contractive : float
        λ of a contractive penalty λ · mean ||∂h/∂x||_F^2 over the hidden layers
        (:func:`isotopy.train.penalties.contractive_penalty`), added to ``penalty``.
    weight_penalty : float
        λ of the weight penalty λ · Σ(|W|² + |b|²) over the hidden layers
        (:func:`isotopy.train.penalties.weight_penalty`), added to ``penalty``.
    edge_penalty, edge_bound, edge_start : float
        λ and bound c of the edge penalty λ · mean Σ max(|z| - c, 0)² on bounded units'
        pre-activations (:func:`isotopy.train.penalties.edge_penalty`; keeps pictures
        readable, ``docs/readable.md``), added from step ``edge_start · steps`` on and rising
        linearly to λ at the last step.
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
        edge_penalty=edge_penalty,
        edge_bound=edge_bound,
        edge_from=edge_step(steps, edge_start),
        edge_full=steps,
        X_test=X_test,
        y_test=y_test,
        record_every=record_every,
        compile=compile,
        backend=backend,
        device=device,
    )
    trainer.step(steps, progress=progress)
    return trainer.history()
