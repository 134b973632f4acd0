"""Training: one code path for one network or N networks of one architecture.

The objective of network i is its own mean cross-entropy L_i (plus an optional penalty
P_i); the optimiser minimises Σ_i (L_i + P_i). A network with another objective (a k-NN
head, say) supplies it as a method ``objective(xb, yb) -> (loss (N,), predicted labels
(N, B))``, which is then used for training steps, test records and final accuracy alike. Because the parameters of different networks
never interact and Adam's and SGD's updates are element-wise, this trains every network
exactly as if it were trained alone.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ..errors import InputError, check_positive_int, lookup
from .history import History

__all__ = ["fit", "OPTIMIZERS", "accuracy"]

OPTIMIZERS: dict[str, Callable] = {
    "adam": lambda params, lr: torch.optim.Adam(params, lr=lr),
    "sgd": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9),
    "rmsprop": lambda params, lr: torch.optim.RMSprop(params, lr=lr),
}


def _as_data(X, y, net, what):
    X = torch.as_tensor(np.asarray(X, dtype=np.float32))
    y = torch.as_tensor(np.asarray(y)).long()
    if X.dim() == 1:
        X = X[:, None]
    if X.dim() != 2 or y.dim() != 1 or len(X) != len(y):
        raise InputError(f"{what} must be X (n, d) and y (n,), got {tuple(X.shape)} and "
                         f"{tuple(y.shape)}")
    if len(X) == 0:
        raise InputError(f"{what} is empty")
    if X.shape[1] != net.d_in:
        raise InputError(f"{what} has {X.shape[1]} features, the network expects {net.d_in}")
    if not torch.isfinite(X).all():
        raise InputError(f"{what} contains NaN or infinite values")
    if y.min() < 0 or y.max() >= net.n_classes:
        raise InputError(f"{what} has labels outside 0..{net.n_classes - 1}")
    return X, y


def _objective(net, X, y) -> tuple[torch.Tensor, torch.Tensor]:
    """Loss of each network (N,) and its predicted labels (N, B) on a batch."""
    own = getattr(net, "objective", None)
    if own is not None:
        return own(X, y)
    logits = net(X)
    logits = logits.unsqueeze(0) if logits.dim() == 2 else logits  # (N, B, c)
    return net.loss(logits, y), net._labels_from_logits(logits)


@torch.no_grad()
def accuracy(net, X, y) -> np.ndarray:
    """Accuracy of each network: (N,) float."""
    y = torch.as_tensor(y)
    _, pred = _objective(net, torch.as_tensor(X), y)
    return (pred == y).double().mean(-1).numpy()


def fit(net, X, y, *, steps: int = 3000, lr: float = 0.02, batch_size: int | None = None,
        optimizer: str = "adam", seed: int = 0, record_every: int | None = None,
        X_test=None, y_test=None, penalty: Callable | None = None,
        progress: Callable[[int, int], None] | None = None) -> History:
    """Train ``net`` in place and return its :class:`History`.

    Parameters
    ----------
    net : Network
        Holds N >= 1 networks; all are trained on the same data.
    X : array, shape (n, d)
    y : array of int, shape (n,)
    steps : int
        Optimiser steps.
    lr : float
        Learning rate.
    batch_size : int or None
        Mini-batch size; None trains on the full set each step.
    optimizer : {"adam", "sgd", "rmsprop"}
    seed : int
        Seed of the mini-batch order.
    record_every : int or None
        Take a snapshot (and test metrics) every this many steps, plus the first and last;
        None gives about 100 snapshots.
    X_test, y_test : arrays, optional
        A held-out set evaluated at the recorded steps.
    penalty : callable, optional
        ``penalty(net, xb) -> (N,)`` tensor added to each network's loss (e.g. contractive).
    progress : callable, optional
        Called as ``progress(step, steps)`` after every step.

    Returns
    -------
    History
        If a loss becomes NaN or infinite, training stops, the parameters go back to the
        last recorded snapshot (taken at a step whose loss was finite), and
        ``history.stopped`` says so.
    """
    steps = check_positive_int(steps, "steps")
    lr = float(lr)
    if not np.isfinite(lr) or lr <= 0:
        raise InputError(f"the learning rate must be a finite number > 0, got {lr}")
    make_opt = lookup(OPTIMIZERS, optimizer, "optimizer")
    X, y = _as_data(X, y, net, "training data")
    has_test = X_test is not None
    if has_test:
        X_test, y_test = _as_data(X_test, y_test, net, "test data")
    if batch_size is not None:
        batch_size = min(check_positive_int(batch_size, "batch_size"), len(X))
    record_every = max(1, steps // 100) if record_every is None else check_positive_int(
        record_every, "record_every")

    n_net = net.n_networks
    opt = make_opt(net.parameters(), lr)
    gen = torch.Generator().manual_seed(int(seed))
    loss_hist = torch.zeros(n_net, steps, dtype=torch.float64)
    acc_hist = torch.zeros(n_net, steps, dtype=torch.float64)
    record_steps, snapshots, test_loss, test_acc = [], [], [], []

    def record(step):
        record_steps.append(step)
        snapshots.append({k: v.detach().clone() for k, v in net.state_dict().items()})
        if has_test:
            with torch.no_grad():
                loss, pred = _objective(net, X_test, y_test)
                test_loss.append(loss.double().numpy())
                test_acc.append((pred == y_test).double().mean(-1).numpy())

    record(0)
    stopped, done = None, steps
    for step in range(steps):
        if batch_size is None:
            xb, yb = X, y
        else:
            idx = torch.randint(len(X), (batch_size,), generator=gen)
            xb, yb = X[idx], y[idx]
        per_net, pred = _objective(net, xb, yb)  # (N,), (N, B)
        if penalty is not None:
            per_net = per_net + penalty(net, xb)
        if not torch.isfinite(per_net).all():
            bad = int((~torch.isfinite(per_net)).nonzero()[0, 0])
            net.load_state_dict(snapshots[-1])
            stopped = (f"the loss of network {bad} became {per_net[bad].item()} at step {step}; "
                       f"training stopped and kept the last good snapshot (step "
                       f"{record_steps[-1]})")
            done = step
            break
        opt.zero_grad(set_to_none=True)
        per_net.sum().backward()
        opt.step()
        with torch.no_grad():
            loss_hist[:, step] = per_net.detach().double()
            acc_hist[:, step] = (pred == yb).double().mean(-1)
        if (step + 1) % record_every == 0 and step + 1 < steps:
            record(step + 1)
        if progress is not None:
            progress(step + 1, steps)
    if record_steps[-1] != done and stopped is None:
        record(done)
    done = max(done, 1)
    hist = History(
        loss=loss_hist[:, :done].numpy(), train_accuracy=acc_hist[:, :done].numpy(),
        record_steps=record_steps, snapshots=snapshots,
        test_loss=np.stack(test_loss, 1) if has_test else None,
        test_accuracy=np.stack(test_acc, 1) if has_test else None,
        final_train_accuracy=accuracy(net, X, y), stopped=stopped)
    return hist
