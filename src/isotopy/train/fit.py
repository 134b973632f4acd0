"""Training: one code path for one network or N networks of one architecture.

The objective of network i is its own mean cross-entropy L_i (plus an optional penalty
P_i); the optimiser minimises Σ_i (L_i + P_i). Because the parameters of different networks
never interact and Adam's, SGD's and RMSprop's updates are element-wise, every network is
trained exactly as if it were trained alone: network i of a batch built with seed s and
trained with ``fit(..., seed=t)`` equals the network built with seed s + i and trained alone
with ``seed=t + i`` (to float tolerance), mini-batch order and early stopping included.

Mini-batches are drawn per network, with replacement, from a counter-based hash of
(network seed, step, position) (``batch_indices``), so network i's batches do not depend on
how many networks share the program. A network whose loss becomes NaN or infinite stops
alone: its parameters go back to those of the previous step (whose loss was finite) and stay
there while the others keep training.

A network with another objective than cross-entropy on logits (a k-NN head, say) supplies
it as a method ``objective(xb, yb) -> (loss (N,), predicted labels (N, B))``; ``fit`` then
uses it for the training steps, the recorded test metrics and the final accuracy.

Speed: the hot loop is a handful of batched tensor ops per stage (no per-network Python);
the data are kept point-last (d, n) so that the affine stages' outputs are contiguous along
the point axis; Adam and SGD use PyTorch's fused CPU kernels; per-step curves are written
into preallocated tensors without host round trips; ``compile=True`` runs each step's forward
and backward pass as generated code (:mod:`isotopy.train.fused`, :mod:`isotopy.train.compiled`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from ..errors import InputError, check_positive_int, lookup
from .compiled import COMPILE_WORK, compilable, objective
from .history import History

__all__ = ["fit", "OPTIMIZERS", "accuracy", "batch_indices"]

# Adam and SGD use PyTorch's fused CPU kernels (one pass over every parameter, half the
# time of the multi-tensor "foreach" path for thousands of tiny networks); RMSprop has none.
OPTIMIZERS: dict[str, Callable] = {
    "adam": lambda params, lr: torch.optim.Adam(params, lr=lr, fused=True),
    "sgd": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9, fused=True),
    "rmsprop": lambda params, lr: torch.optim.RMSprop(params, lr=lr, foreach=True),
}

_M32 = 0xFFFFFFFF


def _mix32(x: torch.Tensor) -> torch.Tensor:
    # A 32-bit integer finaliser (xor-shift-multiply); int64 arithmetic never overflows here
    # because every operand stays below 2^32 and the multiplier below 2^27.
    x = ((x ^ (x >> 16)) * 0x45D9F3B) & _M32
    x = ((x ^ (x >> 16)) * 0x45D9F3B) & _M32
    return x ^ (x >> 16)


def batch_indices(seeds, step: int, size: int, n: int) -> torch.Tensor:
    """Mini-batch indices of every network at one step, from a counter-based hash.

    Parameters
    ----------
    seeds : sequence of int, length N
        Batch-order seed of each network.
    step : int
        Optimiser step.
    size : int
        Batch size.
    n : int
        Number of training points.

    Returns
    -------
    Tensor of int64, shape (N, size)
        Uniform draws from 0..n-1 (with replacement); row i depends only on
        (seeds[i], step), never on the other networks.
    """
    keys = torch.as_tensor(np.asarray(seeds, dtype=np.int64) & _M32)  # (N,)
    base = _mix32(keys ^ 0x9E3779B9)
    s = _mix32((base + (int(step) & _M32) * 0x2C1B3C6D) & _M32)  # (N,)
    j = torch.arange(size, dtype=torch.int64) * 0x297A2D39  # (size,)
    h = _mix32((s[:, None] + j[None, :]) & _M32)  # (N, size)
    return h % n


def _as_data(X, y, net, what):
    X = torch.as_tensor(np.asarray(X, dtype=np.float32))
    y = torch.as_tensor(np.asarray(y)).long()
    if X.dim() == 1:
        X = X[:, None]
    if X.dim() != 2 or y.dim() != 1 or len(X) != len(y):
        raise InputError(
            f"{what} must be X (n, d) and y (n,), got {tuple(X.shape)} and {tuple(y.shape)}"
        )
    if len(X) == 0:
        raise InputError(f"{what} is empty")
    if X.shape[1] != net.d_in:
        raise InputError(f"{what} has {X.shape[1]} features, the network expects {net.d_in}")
    if not torch.isfinite(X).all():
        raise InputError(f"{what} contains NaN or infinite values")
    if y.min() < 0 or y.max() >= net.n_classes:
        raise InputError(f"{what} has labels outside 0..{net.n_classes - 1}")
    return X, y


def _point_last(X: torch.Tensor) -> torch.Tensor:
    """(n, d) data stored as (d, n): the same values, a contiguous point axis."""
    return X.T.contiguous().T


@torch.no_grad()
def accuracy(net, X, y, *, block: int = 1 << 20) -> np.ndarray:
    """Accuracy of each network on (X, y): (N,) float64.

    Points are evaluated in blocks so that N * points stays near ``block`` (memory stays
    bounded for thousands of networks on large grids).
    """
    X = (
        X.detach().float()
        if isinstance(X, torch.Tensor)
        else torch.as_tensor(np.asarray(X, dtype=np.float32))
    )
    y = (y.detach() if isinstance(y, torch.Tensor) else torch.as_tensor(np.asarray(y))).long()
    if X.dim() == 1:
        X = X[:, None]
    if getattr(net, "objective", None) is not None:  # the network's own classification
        _, pred = net.objective(X, y)
        return (pred == y).double().mean(-1).numpy()
    if X.dim() == 3:  # (N, B, d): each network its own points
        logits = net(X)
        return (net._labels_from_logits(logits) == y).double().mean(-1).numpy()
    step = max(1, block // max(net.n_networks, 1))
    correct = torch.zeros(net.n_networks, dtype=torch.float64)
    for a in range(0, len(X), step):
        logits = net(_point_last(X[a : a + step]))
        if logits.dim() == 2:
            logits = logits.unsqueeze(0)
        correct += (net._labels_from_logits(logits) == y[a : a + step]).sum(-1)
    return (correct / max(len(X), 1)).numpy()


def _seed_list(seed, n: int) -> list[int]:
    if isinstance(seed, (Sequence, np.ndarray)) and not isinstance(seed, str):
        seeds = [int(s) for s in seed]
        if len(seeds) != n:
            raise InputError(f"got {len(seeds)} batch-order seeds for {n} networks")
        return seeds
    return [int(seed) + i for i in range(n)]


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
    compile: bool | None = None,
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

    compile : bool or None
        Run each step's forward and backward pass as generated code. Float32 networks of affine and
        activation stages with two classes run one C loop per network generated from the stage list
        (:mod:`isotopy.train.fused`; built once per architecture, in about half a second for a few
        units a layer, then cached on disk): about 5 times faster than uncompiled for a thousand
        networks. Other networks run the same stage code compiled by ``torch.compile``
        (:mod:`isotopy.train.compiled`): about 2.5 times faster, after 5 to 15 seconds of compiling
        per architecture and data shape. Each step agrees with uncompiled training to float
        tolerance (tanh, the exponential and the loss are evaluated by other formulas, within 4e-7);
        over thousands of steps such differences can grow along the trajectories of a few networks.
        None (the default) compiles only networks of affine and activation stages, and only when
        steps × networks × points >= 3·10^9, where that pays off many times (silently falling back
        if compiling fails); with ``compile=True``, a failure to build gives a warning and the next
        way down (torch.compile, then uncompiled training).

    Returns
    -------
    History
        Curves of shape (N, steps). If a network's loss becomes NaN or infinite, that
        network stops: its parameters go back to the previous step's, its later curve
        entries are NaN, ``history.stopped_at[i]`` is the step and ``history.stopped`` says
        so; training ends early only when every network has stopped.
    """
    steps = check_positive_int(steps, "steps")
    if contractive:
        from .penalties import contractive_penalty

        cp, extra = contractive_penalty(contractive), penalty
        penalty = cp if extra is None else (lambda n, xb: cp(n, xb) + extra(n, xb))
    lr = float(lr)
    if not np.isfinite(lr) or lr <= 0:
        raise InputError(f"the learning rate must be a finite number > 0, got {lr}")
    make_opt = lookup(OPTIMIZERS, optimizer, "optimizer")
    X, y = _as_data(X, y, net, "training data")
    has_test = X_test is not None
    if has_test:
        X_test, y_test = _as_data(X_test, y_test, net, "test data")
        X_test = _point_last(X_test)
    if batch_size is not None:
        batch_size = min(check_positive_int(batch_size, "batch_size"), len(X))
    record_every = (
        max(1, steps // 100)
        if record_every is None
        else check_positive_int(record_every, "record_every")
    )

    n_net = net.n_networks
    batch_seeds = _seed_list(seed, n_net)
    params = [p for p in net.parameters()]
    opt = make_opt(params, lr)
    n_points = len(X) if batch_size is None else batch_size
    auto = compile is None
    if auto:
        compile = compilable(net) and steps * n_net * n_points >= COMPILE_WORK
    compile = bool(compile)
    Xt = X.T.contiguous()  # (d, n): point-last, see the module docstring
    X_full = Xt.T  # (n, d) view
    if batch_size is None and 1 < n_net and n_net * X.numel() <= (1 << 26) and not compile:
        # one (N, d, n) copy now spares the first affine stage a copy of it every step
        # (compiled code reads the shared (d, n) points directly)
        X_full = Xt.expand(n_net, -1, -1).contiguous().transpose(1, 2)  # (N, n, d) view
    y_bool = y.bool()
    loss_hits = objective(net, (n_net, n_points, X.shape[1]), compile=compile, quiet=auto)
    loss_hist = torch.zeros(steps, n_net)  # filled row by row, transposed at the end
    acc_hist = torch.zeros(steps, n_net)
    record_steps, snapshots, test_loss, test_acc = [], [], [], []
    own = getattr(net, "objective", None)  # a network's own loss and predictions, if any

    def record(step):
        record_steps.append(step)
        snapshots.append({k: v.detach().clone() for k, v in net.state_dict().items()})
        if has_test and own is not None:
            with torch.no_grad():
                loss, pred = own(X_test, y_test)
                test_loss.append(loss.double().numpy())
                test_acc.append((pred == y_test).double().mean(-1).numpy())
        elif has_test:
            with torch.no_grad():
                logits = net(X_test)
                logits = logits.unsqueeze(0) if logits.dim() == 2 else logits
                test_loss.append(net.loss(logits, y_test).double().numpy())
                test_acc.append(
                    (net._labels_from_logits(logits) == y_test).double().mean(-1).numpy()
                )

    prev = [p.detach().clone() for p in params]  # parameters before the latest update
    frozen = [p.detach().clone() for p in params]  # parameters of stopped networks
    alive = torch.ones(n_net, dtype=torch.bool)
    stopped_at = np.full(n_net, -1, dtype=np.int64)
    first_stop = None
    record(0)
    done = steps
    for step in range(steps):
        if batch_size is None:
            xb, yb = X_full, y
        else:
            idx = batch_indices(batch_seeds, step, batch_size, len(X))  # (N, bs)
            xb = Xt[:, idx].permute(1, 0, 2).contiguous().transpose(1, 2)  # (N, bs, d)
            yb = y[idx]  # (N, bs)
            y_bool = yb.bool()
        if own is not None:
            per_net, pred = own(xb, yb)  # (N,), (N, B)
        else:
            per_net, hits = loss_hits(xb, yb, y_bool)  # (N,), (N,)
        if penalty is not None:
            per_net = per_net + penalty(net, xb)
        finite = torch.isfinite(per_net.detach())
        if not bool(finite[alive].all()):
            newly = (alive & ~finite).nonzero()[:, 0]
            if first_stop is None:
                i = int(newly[0])
                first_stop = (i, per_net[i].item(), step)
            stopped_at[newly.numpy()] = step
            alive &= finite
            for f, q in zip(frozen, prev, strict=True):
                f[newly] = q[newly]  # their parameters before the last update
            if not bool(alive.any()):
                done = step
                break
        with torch.no_grad():
            torch._foreach_copy_(prev, [p.detach() for p in params])
            loss_hist[step] = per_net.detach()
            if own is not None:
                hits = torch.count_nonzero(pred == yb, dim=-1)
            acc_hist[step] = hits / xb.shape[-2]
        opt.zero_grad(set_to_none=True)
        (per_net.where(alive, 0.0) if first_stop else per_net).sum().backward()
        opt.step()
        if first_stop is not None:
            with torch.no_grad():
                dead = ~alive
                for p, f in zip(params, frozen, strict=True):
                    p[dead] = f[dead]
        if (step + 1) % record_every == 0 and step + 1 < steps:
            record(step + 1)
        if progress is not None:
            progress(step + 1, steps)
    if first_stop is not None:
        with torch.no_grad():
            dead = ~alive
            for p, f in zip(params, frozen, strict=True):
                p[dead] = f[dead]
    if record_steps[-1] != done:
        record(done)
    done = max(done, 1)
    loss = loss_hist[:done].T.double().numpy().copy()
    acc = acc_hist[:done].T.double().numpy().copy()
    for i in np.flatnonzero(stopped_at >= 0):
        loss[i, stopped_at[i] :] = np.nan
        acc[i, stopped_at[i] :] = np.nan
    stopped = None
    if first_stop is not None:
        i, value, at = first_stop
        n_stop = int((stopped_at >= 0).sum())
        who = f"network {i}" if n_net > 1 else "network"
        stopped = (
            f"the loss of {who} became {value} at step {at}; it stopped and kept its "
            f"parameters from step {max(at - 1, 0)}"
        )
        if n_stop > 1:
            stopped += f" ({n_stop} of {n_net} networks stopped early)"
    return History(
        loss=loss,
        train_accuracy=acc,
        record_steps=record_steps,
        snapshots=snapshots,
        test_loss=np.stack(test_loss, 1) if has_test else None,
        test_accuracy=np.stack(test_acc, 1) if has_test else None,
        final_train_accuracy=accuracy(net, X, y),
        stopped=stopped,
        stopped_at=stopped_at if first_stop is not None else None,
    )
