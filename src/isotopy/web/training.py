"""The page's training: a thin control around the library's :class:`~isotopy.train.Trainer`.

The Trainer is the library's one training engine (the objective of
:func:`isotopy.train.fit`, batches, optimisers, penalties, snapshots and the rule for a
broken loss are all its own); this control keeps the page's settings (learning rate, batch
size, optimiser, penalty, speed), which change between steps without resetting the network,
runs training in slices of about 10 ms (Play, and step requests worked off slice by slice),
and records the accuracy and loss the page plots.

The network trains on ``device`` (``isotopy serve --device``); everything the page is sent
is read from a CPU copy (:meth:`TrainingControl.cpu_net`), which is the network itself when
it trains on the CPU.
"""

from __future__ import annotations

import copy
import time
from types import SimpleNamespace

import numpy as np
import torch

from ..errors import InputError, lookup
from ..nn import Network
from ..scene.build import push_together
from ..train import Trainer, resolve_device
from ..train.trainer import as_data
from .protocol import LIMITS
from .registry import penalties
from .settings import EXPLORER, TRAIN
from .views import encode

__all__ = ["TrainingControl", "FrozenTrainer", "explorer_device", "DEVICE_KINDS"]

DEVICE_KINDS = ("cpu", "cuda", "mps")  # where the explorer's networks can train
KEEP = object()  # rebuild(features=KEEP): the present input features


def explorer_device(name) -> torch.device:
    """The device named by ``isotopy serve --device`` ("cpu", "cuda", "cuda:1", "mps" or
    "auto"); one sentence when this machine has no such device."""
    dev = resolve_device(name)  # the library's sentences for unknown names, no CUDA, no MPS
    if dev.type not in DEVICE_KINDS:
        raise InputError(f"the explorer trains on cpu, cuda, cuda:N or mps, not {str(name)!r}")
    if dev.type == "cuda" and dev.index is not None:
        count = torch.cuda.device_count()
        if dev.index >= count:
            raise InputError(
                f"device {str(name)!r} was asked for, but this machine has {count} CUDA "
                f"device{'s' if count != 1 else ''} (cuda:0 to cuda:{count - 1})"
            )
    return dev


class TrainingControl:
    """One network trained on one :class:`~.data.SessionData` by the library's Trainer.

    Parameters
    ----------
    hidden : sequence of int
    activation : str
    device : str or torch.device
        Where the network trains (checked by :func:`explorer_device`).
    """

    def __init__(self, hidden, activation: str, *, device="cpu"):
        self.hidden, self.activation, self.net_seed = tuple(hidden), activation, TRAIN.seed
        self.device = explorer_device(device)
        # the page trains as a run does (TrainConfig), except where EXPLORER says why not
        self.lr, self.batch_size, self.optimizer = EXPLORER.lr, TRAIN.batch_size, TRAIN.optimizer
        # the edge penalty, as runs train: the live picture keeps its points off the edges
        self.penalty, self.penalty_weight = "edge", TRAIN.edge_penalty
        # Playground's regularization (L1 or L2 of the weights, at a rate) beside the penalty;
        # off, as in a run (TrainConfig.l1 = l2 = 0)
        self.regularization = "l1" if TRAIN.l1 else "l2" if TRAIN.l2 else "none"
        self.reg_rate = TRAIN.l1 or TRAIN.l2
        self.features = None  # input features (names) as the network's first stage, or None
        self.speed = EXPLORER.speed  # optimiser steps per training slice
        self.playing = False
        self.steps_left, self.step_id = 0, None  # a "step" request still being worked off
        self.data = self.net = self.trainer = None
        self._mirror = None  # (network, its CPU copy, their tensors) when not on the CPU

    # -------------------------------------------------------------------- a new network
    def rebuild(self, data=None, *, hidden=None, activation=None, seed=None, features=KEEP) -> None:
        """A new network of the given architecture (default: the present one) on ``data``
        (default: the present data), trained from step 0. ``features``: input feature names
        for a first Features stage, None for none (default: the present ones; data that is
        not 2-D drops them). When the library refuses the architecture or the points,
        nothing changes."""
        data = self.data if data is None else data
        hidden = self.hidden if hidden is None else tuple(hidden)
        activation = self.activation if activation is None else activation
        seed = self.net_seed if seed is None else seed
        if features is KEEP:
            features = self.features if data.d_in == 2 else None
        elif features is not None and data.d_in != 2:
            raise InputError(
                f"input features need 2-D data; this data has {data.d_in} "
                f"feature{'s' if data.d_in != 1 else ''}"
            )
        net = Network(data.d_in, hidden, activation, data.n_classes, seed=seed, features=features)
        self.start(data, net, seed=seed)
        self.hidden, self.activation, self.net_seed = hidden, activation, seed
        self.features = net.input_features

    def start(self, data, net, *, seed=None) -> None:
        """Train ``net`` on ``data`` from step 0 with a fresh optimiser; the library checks
        the points against the network first (:func:`~isotopy.train.trainer.as_data`: the
        Trainer the training points, here the test points), and nothing changes if it
        refuses them."""
        if len(data.X_test):
            as_data(data.X_test, data.y_test, net, "test data")
        # batches, optimiser, penalties, snapshots (every record_every steps, thinned by
        # halves beyond max_snapshots) and the NaN rule are all the Trainer's own
        trainer = Trainer(
            net,
            data.X_train,
            data.y_train,
            lr=self.lr,
            optimizer=self.optimizer,
            batch_size=self.batch_size,
            seed=self.net_seed if seed is None else seed,
            record_every=EXPLORER.record_every,
            max_snapshots=EXPLORER.max_snapshots,
            device=self.device,
            quiet=True,
        )
        self.data, self.net, self.trainer = data, net, trainer
        self._mirror = None
        self._penalty_key = None
        self.evals: list[list[float]] = []  # [step, train_acc, test_acc, train_loss, test_loss]
        self.sent_steps = self.sent_evals = 0  # curve points and evaluations the page has
        self.curves_reset = True
        self._labels = (torch.as_tensor(data.y_train), torch.as_tensor(data.y_test))
        self._edited = False  # a parameter set by hand since the last evaluation
        self.evaluate()

    def restart(self) -> None:
        """The same network trained afresh from its present parameters: step 0, a fresh
        optimiser with the present settings, no curves."""
        self.start(self.data, self.net)

    def set_data(self, data) -> None:
        """Points edited on the page: the network keeps its parameters and the optimiser its
        state; only the Trainer's data change (checked by the library: refused, nothing
        changes)."""
        self.trainer.set_data(data.X_train, data.y_train)
        self.data = data
        self._labels = (torch.as_tensor(data.y_train), torch.as_tensor(data.y_test))

    # ----------------------------------------------------------------------- settings
    def configure(self, msg) -> None:
        """Apply a ``set_train`` message from the next step on, without a reset."""
        if msg.optimizer is not None and msg.optimizer != self.optimizer:
            self.trainer.set_optimizer(msg.optimizer)  # the library's registry decides
            self.optimizer = msg.optimizer
        if msg.penalty is not None:
            if msg.penalty in ("", "none"):
                self.penalty = None
            else:
                lookup(penalties(), msg.penalty, "penalty")
                self.penalty = msg.penalty
        if msg.penalty_weight is not None:
            self.penalty_weight = msg.penalty_weight
        if msg.lr is not None:
            self.lr = msg.lr
        if msg.batch_size is not None:
            self.batch_size = msg.batch_size or None
            self.trainer.set_batch_size(self.batch_size)
        if msg.speed is not None:
            self.speed = msg.speed
        if msg.regularization is not None:
            self.regularization = msg.regularization
        if msg.reg_rate is not None:
            self.reg_rate = msg.reg_rate
        self._apply_penalty()  # at once: the Trainer's next step trains with it

    def regularizer(self) -> dict:
        """The Trainer's ``l1`` and ``l2`` rates of the page's regularization."""
        rate = self.reg_rate if self.regularization in ("l1", "l2") else 0.0
        return {
            "l1": rate if self.regularization == "l1" else 0.0,
            "l2": rate if self.regularization == "l2" else 0.0,
        }

    def _apply_penalty(self) -> None:
        reg = self.regularizer()
        key = (self.penalty, self.penalty_weight, reg["l1"], reg["l2"])
        if self._penalty_key == key:
            return
        on = self.penalty and self.penalty_weight > 0
        if on and self.penalty == "edge":
            # as a run of isotopy train: plain training finds the separation first, then the
            # penalty ramps in (from edge_plain steps, or from now if later, over edge_ramp
            # steps) and stays on while the network trains on
            start = max(self.step_count, EXPLORER.edge_plain)
            self.trainer.set_penalty(
                edge_penalty=self.penalty_weight,
                edge_bound=TRAIN.edge_bound,
                edge_from=start,
                edge_full=start + EXPLORER.edge_ramp,
                **reg,
            )
        else:  # the factory scales the penalty by its weight
            chosen = penalties()[self.penalty](self.penalty_weight) if on else None
            self.trainer.set_penalty(chosen, **reg)
        self._penalty_key = key

    # ----------------------------------------------------------------------- training
    def train(
        self, budget_s: float | None = None, max_steps: int | None = None, interrupt=None
    ) -> int:
        """Run optimiser steps (at least one); returns how many.

        Without ``max_steps``: at most ``speed`` steps within about ``budget_s`` seconds.
        With ``max_steps``: that many steps, or fewer when ``budget_s`` (if given) runs
        out. Without either, the slice is 10 ms. ``interrupt()``, when given, is asked after
        every step whether to stop early (a message is waiting), so controls never wait for
        a whole slice. A broken loss pauses training and raises the Trainer's sentence.
        """
        t0 = time.perf_counter()
        timed = max_steps is None or budget_s is not None
        budget_s = 0.01 if budget_s is None else budget_s
        limit = max_steps if max_steps is not None else self.speed
        limit = min(limit, LIMITS["max_total_steps"] - self.step_count)
        if limit <= 0:
            self.playing = False
            return 0
        trainer = self.trainer
        self._apply_penalty()
        trainer.set_lr(self.lr)
        if trainer.stopped:  # a new attempt after a broken loss (a lower rate, say)
            trainer.resume()

        def enough() -> bool:
            return timed and (
                time.perf_counter() - t0 > budget_s or (interrupt is not None and interrupt())
            )

        done = trainer.step(limit, interrupt=enough)
        if trainer.stopped:
            self.playing = False
            raise InputError(f"{trainer.stop_message()}; training paused: lower the learning rate")
        if self.step_count >= LIMITS["max_total_steps"]:
            self.playing = False
        return done

    def request_steps(self, steps: int, request_id) -> None:
        """Queue a ``step`` request; :meth:`advance` works it off in slices."""
        self.steps_left, self.step_id = steps, request_id

    def stop_steps(self) -> dict | None:
        """End a pending step request early: the fields of its reply (its id), or None when
        none is pending."""
        if not self.steps_left:
            return None
        sid = self.step_id
        self.steps_left, self.step_id = 0, None
        return {"id": sid}

    @property
    def busy(self) -> bool:
        """Whether there is training to do (playing, or steps left of a step request)."""
        return self.playing or self.steps_left > 0

    def advance(self, budget_s: float = 0.01, interrupt=None) -> dict | None:
        """One slice of the pending work: training while playing, or the next part of a step
        request. Returns the fields of the request's reply once it is complete (its id, if
        it has one), else None."""
        if self.steps_left > 0:
            try:
                done = self.train(budget_s, max_steps=self.steps_left, interrupt=interrupt)
            except InputError:
                self.steps_left, self.step_id = 0, None
                raise
            self.steps_left -= done
            if self.step_count >= LIMITS["max_total_steps"]:
                self.steps_left = 0
            if self.steps_left <= 0:
                sid, self.steps_left, self.step_id = self.step_id, 0, None
                return {} if sid is None else {"id": sid}
            return None
        if self.playing:
            self.train(budget_s, interrupt=interrupt)
        return None

    # ------------------------------------------------------------------ the record
    @property
    def step_count(self) -> int:
        return self.trainer.step_count

    @property
    def snapshots(self) -> list[dict]:
        return self.trainer.snapshots

    @property
    def snap_steps(self) -> list[int]:
        return self.trainer.record_steps

    @property
    def loss_curve(self) -> np.ndarray:
        return self.trainer.curves_since(0)[0]

    @property
    def acc_curve(self) -> np.ndarray:
        return self.trainer.curves_since(0)[1]

    def run_history(self) -> SimpleNamespace:
        """This run's snapshots as :func:`isotopy.train.readable.state_at` reads them
        (``snapshots``, ``record_steps``, ``steps_done``); shares the Trainer's lists."""
        return SimpleNamespace(
            snapshots=self.snapshots, record_steps=self.snap_steps, steps_done=self.step_count
        )

    def cpu_net(self):
        """The live network where views and exports read it: the network itself when it
        trains on the CPU; otherwise one CPU copy per network, given the present parameters
        at every call."""
        if self.device.type == "cpu":
            return self.net
        if self._mirror is None or self._mirror[0] is not self.net:
            mirror = copy.deepcopy(self.net).to("cpu")
            pairs = list(
                zip(
                    mirror.state_dict(keep_vars=True).values(),
                    self.net.state_dict(keep_vars=True).values(),
                    strict=True,
                )
            )
            self._mirror = (self.net, mirror, pairs)
        _, mirror, pairs = self._mirror
        with torch.no_grad():
            for dst, src in pairs:
                dst.copy_(src)
        return mirror

    def edited(self) -> None:
        """A parameter was set by hand: the next evaluation records this step again (the
        curves show the jump at this step)."""
        self._edited = True

    @torch.no_grad()
    def evaluate(self, logits=None) -> None:
        """Record accuracy and loss on the training and test points at this step.

        ``logits``: (train logits, test logits) of the live network when a view pass has
        them already; otherwise both sets go through the network in one pass.
        """
        if self.evals and self.evals[-1][0] == self.step_count and not self._edited:
            return
        self._edited = False
        net = self.cpu_net()
        if logits is None:
            reps = push_together(net, [self.data.X_train, self.data.X_test])
            logits = (reps[0][-1], reps[1][-1])
        row = [float(self.step_count)]
        for z, y in zip(logits, self._labels):
            if len(y) == 0:
                row += [None, None]
                continue
            z = z if z.dim() == 3 else z[None]
            acc = (net.labels(z) == y).double().mean().item()
            row += [acc, float(net.loss(z, y)[0])]
        self.evals.append([row[0], row[1], row[3], row[2], row[4]])

    def curves_message(self) -> dict:
        """The curve points and evaluations the page has not been sent yet (the entries
        ``reset``, ``loss``, ``acc``, ``from_step`` and ``evals`` of a frame); counted as
        sent."""
        loss_new, acc_new = self.trainer.curves_since(self.sent_steps)
        out = {
            "reset": self.curves_reset,
            "loss": encode(loss_new),
            "acc": encode(acc_new),
            "from_step": self.sent_steps,
            "evals": self.evals[self.sent_evals :],
        }
        self.curves_reset = False
        self.sent_steps, self.sent_evals = self.sent_steps + len(loss_new), len(self.evals)
        return out

    def frozen(self) -> TrainingControl:
        """A copy that long jobs (animations, GIF / MP4, diagnostics) read while this one
        trains on: the network (on the CPU) and the record as they are now."""
        f = copy.copy(self)
        f.net = copy.deepcopy(self.cpu_net())
        f.device = torch.device("cpu")
        f.trainer = FrozenTrainer(self.trainer)
        f.evals = list(self.evals)
        f._mirror = None
        return f


class FrozenTrainer:
    """What a long job reads of a session's trainer, fixed at one moment (it trains on)."""

    def __init__(self, trainer):
        self.step_count = trainer.step_count
        self.snapshots = list(trainer.snapshots)
        self.record_steps = list(trainer.record_steps)
        self._curves = trainer.curves_since(0)

    def curves_since(self, start: int, index: int = 0):
        return self._curves[0][start:], self._curves[1][start:]
