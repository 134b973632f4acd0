"""The training engine: one stateful :class:`Trainer` that ``fit``, sweeps and the explorer drive.

The objective of network i is its head's mean loss L_i (cross-entropy for a linear read-out)
plus an optional penalty P_i; the optimiser minimises Σ_i (L_i + P_i). Because the parameters
of different networks never interact and Adam's, SGD's and RMSprop's updates are
element-wise, every network is trained exactly as if it were trained alone: network i of a
batch built with seed s and trained with seed t equals the network built with seed s + i and
trained alone with seed t + i (to float tolerance), mini-batch order and stopping included.

Mini-batches are drawn per network, with replacement, from a counter-based hash of
(network seed, step, position) (:func:`batch_indices`), so network i's batches do not depend
on how many networks share the program. A network whose loss becomes NaN or infinite stops
alone: its parameters go back to those of the previous step (whose loss was finite) and stay
there while the others keep training (:meth:`Trainer.resume` lets them go on, e.g. after a
lower learning rate).

The trainer keeps every step's loss and batch accuracy per network, snapshots of the
parameters every ``record_every`` steps (with test metrics when a test set is given), and
can change its learning rate, optimiser, batch size, penalty and data between steps without
resetting the networks. Speed: the hot loop is a handful of batched tensor ops per stage (no
per-network Python); the data are kept point-last (d, n) so that the affine stages' outputs
are contiguous along the point axis; Adam and SGD use PyTorch's fused kernels; per-step
curves are written into preallocated tensors without host round trips. The step itself is
computed by a backend (:mod:`isotopy.train.backends`): eager by default, compiled only when
asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from ..errors import InputError, check_positive_int, lookup
from .backends import backend_for, step_objective
from .config import DEVICE, ENGINE
from .history import History
from .metrics import accuracy
from .penalties import PENALTIES

__all__ = ["Trainer", "OPTIMIZERS", "batch_indices", "resolve_device", "as_data"]


# Adam and SGD use PyTorch's fused kernels (one pass over every parameter, half the time of
# the multi-tensor "foreach" path for thousands of tiny networks); RMSprop has none.
OPTIMIZERS: dict[str, Callable] = {
    "adam": lambda params, lr, fused=True: torch.optim.Adam(params, lr=lr, fused=fused),
    "sgd": lambda params, lr, fused=True: torch.optim.SGD(params, lr=lr, momentum=0.9, fused=fused),
    "rmsprop": lambda params, lr, fused=True: torch.optim.RMSprop(params, lr=lr, foreach=True),
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


def resolve_device(device) -> torch.device:
    """A torch device from ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` or ``"auto"``
    (CUDA when present, else Apple's MPS when present, else the CPU); a device this machine
    does not have, or one that cannot train (``"meta"``: tensors without values), is refused
    in one sentence (InputError). A ``torch.device`` is taken as it is."""
    if isinstance(device, torch.device):
        return device
    name = DEVICE if device is None else str(device)
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        return torch.device("mps" if mps is not None and mps.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise InputError(f"unknown device {name!r}; use cpu, cuda, cuda:N, mps or auto") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise InputError(f"device {name!r} was asked for, but this machine has no CUDA device")
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise InputError(
                f"device {name!r} was asked for, but this machine has {count} CUDA "
                f"device{'s' if count != 1 else ''} (cuda:0 to cuda:{count - 1})"
            )
    elif dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise InputError("device 'mps' was asked for, but it is not available here")
    elif dev.type == "meta":
        raise InputError(
            "device 'meta' holds no values and cannot train; use cpu, cuda, cuda:N, mps or auto"
        )
    elif dev.type != "cpu":
        available = getattr(getattr(torch, dev.type, None), "is_available", None)
        if available is None or not available():
            raise InputError(
                f"device {name!r} is not available here; use cpu, cuda, cuda:N, mps or auto"
            )
    return dev


def as_data(X, y, net, what):
    """(X (n, d) float32, y (n,) int64) checked against ``net``: one sentence if wrong."""
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


def _seed_list(seed, n: int) -> list[int]:
    if isinstance(seed, (Sequence, np.ndarray)) and not isinstance(seed, str):
        seeds = [int(s) for s in seed]
        if len(seeds) != n:
            raise InputError(f"got {len(seeds)} batch-order seeds for {n} networks")
        return seeds
    return [int(seed) + i for i in range(n)]


def _check_lr(lr) -> float:
    lr = float(lr)
    if not np.isfinite(lr) or lr <= 0:
        raise InputError(f"the learning rate must be a finite number > 0, got {lr}")
    return lr


class Trainer:
    """Trains the N networks of ``net`` in place, one step at a time.

    Parameters
    ----------
    net : Network
        Holds N >= 1 networks; all are trained on the same data, each on its own loss.
    X, y : arrays (n, d), (n,)
        Training data.
    lr, optimizer, batch_size :
        Learning rate; "adam", "sgd" or "rmsprop"; mini-batch size (None: the full set).
    seed : int or sequence of N ints
        Seed of the mini-batch order; an int s gives network i the seed s + i.
    penalty : callable, optional
        ``penalty(net, xb) -> (N,)`` added to each network's loss.
    contractive, weight_penalty, l1, l2, edge_penalty : float
        λ of the penalties of :mod:`isotopy.train.penalties` added to ``penalty``: l1 and
        l2 are the rates of L1 and L2 regularisation, λ1 · Σ|w| and λ2 · Σw²/2 over the
        weights of every affine stage (read-out included, biases not). Every default comes
        from ``isotopy.train.config.ENGINE`` (the edge penalty off).
    edge_bound : float
        The edge penalty's bound c (|pre-activation| in tanh units).
    edge_from, edge_full : int
        The edge penalty is added from step ``edge_from`` on, at a strength rising linearly
        to ``edge_penalty`` at step ``edge_full`` (0, 0: at full strength from the start).
    X_test, y_test : arrays, optional
        Evaluated at each snapshot.
    record_every : int
        A snapshot every this many steps (and at step 0).
    max_snapshots : int or None
        When set, keep at most about this many snapshots: beyond it every other one is
        dropped and the interval doubles (long interactive runs stay small).
    compile, backend :
        The step's backend (:mod:`isotopy.train.backends`): ``backend`` by name, or
        ``compile=True`` for "compiled"; otherwise "eager". Nothing compiles unless asked.
    device : str or torch.device
        Where to train: "cpu" (default), "cuda", "mps" or "auto". The network is moved there.
    quiet : bool
        No warning when a compiled backend falls back to the next one down.
    """

    def __init__(
        self,
        net,
        X,
        y,
        *,
        lr: float = ENGINE.lr,
        optimizer: str = ENGINE.optimizer,
        batch_size: int | None = ENGINE.batch_size,
        seed=ENGINE.seed,
        penalty: Callable | None = None,
        contractive: float = ENGINE.contractive,
        weight_penalty: float = ENGINE.weight_penalty,
        l1: float = ENGINE.l1,
        l2: float = ENGINE.l2,
        edge_penalty: float = ENGINE.edge_penalty,  # off: the engine is plain (see .config)
        edge_bound: float = ENGINE.edge_bound,
        edge_from: int = 0,
        edge_full: int = 0,
        X_test=None,
        y_test=None,
        record_every: int = 1,
        max_snapshots: int | None = None,
        compile: bool | None = None,
        backend: str | None = None,
        device=DEVICE,
        quiet: bool = False,
    ):
        self.net = net
        self.device = resolve_device(device)
        if next(net.parameters()).device != self.device:
            net.to(self.device)
        self.n_networks = net.n_networks
        self.backend = backend_for(compile, backend)
        self.backend_used: str | None = None
        self.quiet = quiet
        self.record_every = check_positive_int(record_every, "record_every")
        self.max_snapshots = max_snapshots
        self.batch_seeds = _seed_list(seed, self.n_networks)
        self.lr = _check_lr(lr)
        self.optimizer = optimizer
        self._make_opt = lookup(OPTIMIZERS, optimizer, "optimizer")
        self.params = list(net.parameters())
        self.opt = self._new_optimizer()
        self.set_penalty(
            penalty,
            contractive=contractive,
            weight_penalty=weight_penalty,
            l1=l1,
            l2=l2,
            edge_penalty=edge_penalty,
            edge_bound=edge_bound,
            edge_from=edge_from,
            edge_full=edge_full,
        )
        self.batch_size = batch_size
        self.set_data(X, y, X_test, y_test, _initial=True)
        # per-step curves: rows of preallocated (capacity, N) tensors
        self._loss = torch.zeros(0, self.n_networks, device=self.device)
        self._acc = torch.zeros(0, self.n_networks, device=self.device)
        self.step_count = 0
        self.record_steps: list[int] = []
        self.snapshots: list[dict] = []
        self.test_loss: list[np.ndarray] = []
        self.test_acc: list[np.ndarray] = []
        self.prev = [p.detach().clone() for p in self.params]  # before the latest update
        self.frozen = [p.detach().clone() for p in self.params]  # of stopped networks
        self.alive = torch.ones(self.n_networks, dtype=torch.bool, device=self.device)
        self.stopped_at = np.full(self.n_networks, -1, dtype=np.int64)
        self.first_stop: tuple[int, float, int] | None = None
        self.record()

    # ---------------------------------------------------------------------- settings
    def _new_optimizer(self):
        # PyTorch's fused optimiser kernels exist for the CPU and CUDA
        return self._make_opt(self.params, self.lr, self.device.type in ("cpu", "cuda"))

    def set_lr(self, lr: float) -> None:
        """A new learning rate from the next step on (the optimiser keeps its state)."""
        self.lr = _check_lr(lr)
        for group in self.opt.param_groups:
            group["lr"] = self.lr

    def set_optimizer(self, name: str) -> None:
        """A new optimiser (fresh state) from the next step on."""
        self._make_opt = lookup(OPTIMIZERS, name, "optimizer")
        self.optimizer = name
        self.opt = self._new_optimizer()

    def set_penalty(
        self,
        penalty: Callable | None = None,
        *,
        contractive: float = 0.0,
        weight_penalty: float = 0.0,
        l1: float = 0.0,
        l2: float = 0.0,
        edge_penalty: float = 0.0,
        edge_bound: float = ENGINE.edge_bound,
        edge_from: int = 0,
        edge_full: int = 0,
    ) -> None:
        """The penalty added to each network's loss from the next step on: ``penalty`` plus
        the library's penalties (:mod:`isotopy.train.penalties`) of the strengths given, each
        off at 0 (here 0 means off, whatever the defaults of a new Trainer):
        ``contractive``, ``weight_penalty``, the L1 and L2 rates ``l1`` (λ1 · Σ|w|) and
        ``l2`` (λ2 · Σw²/2) over the weights of every affine stage, and ``edge_penalty`` with
        bound ``edge_bound``, from step ``edge_from`` on, its strength rising linearly to the
        full ``edge_penalty`` at step ``edge_full`` (trained plainly first, a network finds
        how to separate its data, and the penalty then eases its points back off the edges;
        switched on at full strength at once, it can undo what the network found)."""
        parts = [penalty] if penalty is not None else []
        for name, strength in (
            ("contractive", contractive),
            ("weight", weight_penalty),
            ("l1", l1),
            ("l2", l2),
        ):
            if strength:
                parts.append(PENALTIES[name](strength))
        self.edge_from = check_positive_int(edge_from, "edge_from", minimum=0)
        self.edge_full = max(check_positive_int(edge_full, "edge_full", minimum=0), self.edge_from)
        self._edge = PENALTIES["edge"](edge_penalty, bound=edge_bound) if edge_penalty else None
        if not parts:
            self.penalty = None
        elif len(parts) == 1:
            self.penalty = parts[0]
        else:
            self.penalty = lambda n, xb: sum(p(n, xb) for p in parts)

    def edge_factor(self, step: int) -> float:
        """The share of the edge penalty's strength applied at ``step``: 0 before
        ``edge_from``, rising linearly to 1 at ``edge_full``, then 1."""
        if self._edge is None or step < self.edge_from:
            return 0.0
        if step >= self.edge_full:
            return 1.0
        return (step - self.edge_from + 1) / (self.edge_full - self.edge_from + 1)

    def set_batch_size(self, batch_size: int | None) -> None:
        """Mini-batches of this size from the next step on (None: the full set)."""
        self.batch_size = (
            None
            if batch_size is None
            else min(check_positive_int(batch_size, "batch_size"), len(self.X))
        )
        self._objective = None

    def set_data(self, X, y, X_test=None, y_test=None, *, _initial: bool = False) -> None:
        """New training (and test) data from the next step on; networks and optimiser state
        stay as they are."""
        X, y = as_data(X, y, self.net, "training data")
        self.X = X.to(self.device)
        self.y = y.to(self.device)
        self.Xt = self.X.T.contiguous()  # (d, n): point-last, see the module docstring
        self.X_full = self.Xt.T  # (n, d) view
        self.y_bool = self.y.bool()
        self.has_test = X_test is not None and len(X_test) > 0
        if self.has_test:
            Xs, ys = as_data(X_test, y_test, self.net, "test data")
            self.X_test, self.y_test = _point_last(Xs).to(self.device), ys.to(self.device)
        else:
            self.X_test = self.y_test = None
        self.set_batch_size(self.batch_size)
        n = self.n_networks
        if (
            self.batch_size is None
            and 1 < n
            and n * self.X.numel() <= (1 << 26)
            and self.backend == "eager"
        ):
            # one (N, d, n) copy now spares the first affine stage a copy of it every step
            # (compiled code reads the shared (d, n) points directly)
            self.X_full = self.Xt.expand(n, -1, -1).contiguous().transpose(1, 2)

    # ---------------------------------------------------------------------- stepping
    def _objective_for(self, shape):
        if self._objective is None or self._objective_shape != shape:
            self._objective, self.backend_used = step_objective(
                self.net, self.backend, shape, quiet=self.quiet
            )
            self._objective_shape = shape
        return self._objective

    def _reserve(self, rows: int) -> None:
        """Room for the curves of ``rows`` more steps."""
        need = self.step_count + rows
        if need > len(self._loss):
            cap = max(need, 2 * len(self._loss))
            for name in ("_loss", "_acc"):
                old = getattr(self, name)
                new = torch.zeros(cap, self.n_networks, device=self.device)
                new[: len(old)] = old
                setattr(self, name, new)

    @property
    def stopped(self) -> bool:
        """Whether every network has stopped (non-finite loss)."""
        return not bool(self.alive.any())

    def resume(self) -> None:
        """Let stopped networks train again (from the parameters they stopped with)."""
        self.alive[:] = True
        self.stopped_at[:] = -1
        self.first_stop = None

    def step(self, n: int = 1, *, progress=None, interrupt=None) -> int:
        """Run up to ``n`` optimiser steps; returns how many ran.

        Stops early when every network has stopped, or when ``interrupt()`` (asked after
        every step) returns true. ``progress(done, n)`` is called after every step.
        """
        self._reserve(n)
        done = 0
        n_points = len(self.X) if self.batch_size is None else self.batch_size
        objective = self._objective_for((self.n_networks, n_points, self.X.shape[1]))
        net, params, opt = self.net, self.params, self.opt
        while done < n and not self.stopped:
            step = self.step_count
            if self.batch_size is None:
                xb, yb, y_bool = self.X_full, self.y, self.y_bool
            else:
                idx = batch_indices(self.batch_seeds, step, self.batch_size, len(self.X))
                idx = idx.to(self.device)
                xb = self.Xt[:, idx].permute(1, 0, 2).contiguous().transpose(1, 2)  # (N, B, d)
                yb = self.y[idx]  # (N, B)
                y_bool = yb.bool()
            per_net, hits = objective(xb, yb, y_bool)  # (N,), (N,)
            if self.penalty is not None:
                per_net = per_net + self.penalty(net, xb)
            factor = self.edge_factor(step)
            if factor > 0:
                per_net = per_net + factor * self._edge(net, xb)
            finite = torch.isfinite(per_net.detach())
            if not bool(finite[self.alive].all()):
                newly = (self.alive & ~finite).nonzero()[:, 0]
                if self.first_stop is None:
                    i = int(newly[0])
                    self.first_stop = (i, per_net[i].item(), step)
                self.stopped_at[newly.cpu().numpy()] = step
                self.alive &= finite
                for f, q in zip(self.frozen, self.prev, strict=True):
                    f[newly] = q[newly]  # their parameters before the last update
                if self.stopped:
                    self._restore_stopped()
                    break
            with torch.no_grad():
                torch._foreach_copy_(self.prev, [p.detach() for p in params])
                self._loss[step] = per_net.detach()
                self._acc[step] = hits / xb.shape[-2]
            opt.zero_grad(set_to_none=True)
            (per_net.where(self.alive, 0.0) if self.first_stop else per_net).sum().backward()
            opt.step()
            if self.first_stop is not None:
                self._restore_stopped()
            self.step_count += 1
            done += 1
            if self.step_count % self.record_every == 0:
                self.record()
            if progress is not None:
                progress(done, n)
            if interrupt is not None and interrupt():
                break
        return done

    @torch.no_grad()
    def _restore_stopped(self) -> None:
        dead = ~self.alive
        for p, f in zip(self.params, self.frozen, strict=True):
            p[dead] = f[dead]

    # ---------------------------------------------------------------------- recording
    @torch.no_grad()
    def record(self) -> None:
        """A snapshot of the parameters (and the test metrics) at the current step."""
        if self.record_steps and self.record_steps[-1] == self.step_count:
            return
        self.record_steps.append(self.step_count)
        self.snapshots.append(
            {k: v.detach().to("cpu", copy=True) for k, v in self.net.state_dict().items()}
        )
        if self.has_test:
            loss, acc = self.evaluate(self.X_test, self.y_test)
            self.test_loss.append(loss)
            self.test_acc.append(acc)
        if self.max_snapshots is not None and len(self.snapshots) > self.max_snapshots:
            keep = list(range(0, len(self.snapshots) - 1, 2)) + [len(self.snapshots) - 1]
            for name in ("snapshots", "record_steps", "test_loss", "test_acc"):
                items = getattr(self, name)
                if items:
                    setattr(self, name, [items[i] for i in keep])
            self.record_every *= 2

    @torch.no_grad()
    def evaluate(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        """(loss (N,), accuracy (N,)) of every network on (X, y), by the head's rule."""
        X = torch.as_tensor(X, device=self.device)
        y = torch.as_tensor(y, device=self.device).long()
        loss, labels = self.net.head.loss_and_labels(self.net.outputs(X), y)
        return loss.double().cpu().numpy(), (labels == y).double().mean(-1).cpu().numpy()

    def curves(self) -> tuple[np.ndarray, np.ndarray]:
        """(loss, batch accuracy), each (N, steps) float64, NaN after a network stopped."""
        done = max(self.step_count, 1)  # a run stopped at step 0 still has one (NaN) row
        self._reserve(done - self.step_count)
        loss = self._loss[:done].T.double().cpu().numpy().copy()
        acc = self._acc[:done].T.double().cpu().numpy().copy()
        for i in np.flatnonzero(self.stopped_at >= 0):
            loss[i, self.stopped_at[i] :] = np.nan
            acc[i, self.stopped_at[i] :] = np.nan
        return loss, acc

    def curves_since(self, start: int, index: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(loss, batch accuracy) of network ``index`` for steps ``start`` .. now, float32
        (what a live view sends on: only the steps it has not sent yet)."""
        end = self.step_count
        loss = self._loss[start:end, index].float().cpu().numpy()
        acc = self._acc[start:end, index].float().cpu().numpy()
        return loss, acc

    def stop_message(self) -> str | None:
        """One sentence on the first network that stopped, or None."""
        if self.first_stop is None:
            return None
        i, value, at = self.first_stop
        n_stop = int((self.stopped_at >= 0).sum())
        who = f"network {i}" if self.n_networks > 1 else "network"
        msg = (
            f"the loss of {who} became {value} at step {at}; it stopped and kept its "
            f"parameters from step {max(at - 1, 0)}"
        )
        if n_stop > 1:
            msg += f" ({n_stop} of {self.n_networks} networks stopped early)"
        return msg

    def history(self) -> History:
        """The run so far as a :class:`History` (a final snapshot is taken if needed)."""
        self.record()
        loss, acc = self.curves()
        return History(
            loss=loss,
            train_accuracy=acc,
            record_steps=list(self.record_steps),
            snapshots=list(self.snapshots),
            test_loss=np.stack(self.test_loss, 1) if self.has_test else None,
            test_accuracy=np.stack(self.test_acc, 1) if self.has_test else None,
            final_train_accuracy=accuracy(self.net, self.X, self.y),
            stopped=self.stop_message(),
            stopped_at=self.stopped_at.copy() if self.first_stop is not None else None,
        )
