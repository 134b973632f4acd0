"""One page's state: its data, network, optimiser and training curves; and what it shows.

A :class:`Session` is plain synchronous Python (no asyncio, no sockets): ``handle(msg)``
applies one validated message (:mod:`.protocol`) and returns the replies as JSON-able
dicts; ``train(budget_s)`` runs optimiser steps for about ``budget_s`` seconds; ``frame()``
gives the view update to stream. The server runs each session in its own thread
(:mod:`.worker`), so sessions never share state and never block the event loop.

Training is the same objective as :func:`isotopy.train.fit` (mean cross-entropy of the
read-out, Adam / SGD / RMSprop from ``OPTIMIZERS``), stepped interactively: the learning
rate, batch size and optimiser can change between steps without resetting the network.
Views come from the library as Scenes (``stage_scene``, ``decision_field``) and go to the
page as plain arrays (float32 / uint8, base64).

What the views show is a choice of the page (``show``): the *live* network as it trains, or
the run's *readable state* (:func:`isotopy.train.readable.state_at` on the session's
snapshots and training points: the earliest snapshot that classifies as well as the run ever
does, with a margin, before growing weights crowd the points into the corners of the tanh
cube). The readable state is computed when the page asks for it and again whenever training
stops with new steps, never on every frame; while training plays on, the views keep the
state last computed. Every view, animation and export of the network uses the shown
network, and every frame says which state and step it shows and the edge fraction
(:mod:`isotopy.topology.saturation`) of each bounded activation stage.
"""

from __future__ import annotations

import copy
import io
import json
import time
from types import SimpleNamespace

import numpy as np
import torch

from ..datasets import DATASETS, dataset_params, make_dataset, points_from_csv_text
from ..errors import InputError, lookup
from ..nn import ACTIVATIONS, STAGE_TYPES, Affine, Network
from ..nn.stages import Activation
from ..scene import decision_field, domain_bounds, input_grid, stage_scene
from ..scene.build import field_from_logits, field_lattice, push_together, stage_words, swapped_at
from ..topology.saturation import bounded_image, edge_fraction, saturation_by_stage
from ..train import OPTIMIZERS, Trainer, train_test_split
from ..train.readable import state_at
from . import protocol as P
from .protocol import LIMITS
from .views import encode, grid_plan

__all__ = ["Session", "registry", "encode", "grid_plan", "SHOW_CHOICES"]

FIELD_RES = 72  # decision-region texture per axis: smooth once drawn with bilinear scaling
# Coarser views while many tabs train at once (the server sets Session.coarse): half the
# decision-field texture and half the vertices per grid line, and the accuracy, loss and
# edge fractions refreshed at most every COARSE_REFRESH_S while training; the frame says so.
COARSE_FIELD_RES = 36
COARSE_GRID_SAMPLES = 20
COARSE_REFRESH_S = 0.5
MAX_SNAPSHOTS = 200  # recorded parameter sets kept for replay (thinned by halves beyond)
SHOW_CHOICES = ("live", "readable", "final")  # what the views show; "final" is the live net
# The edge penalty's schedule on the page: the steps trained plainly, then the steps over which
# it ramps in; the schedule of a 3,000-step run of isotopy train (TrainConfig.edge_start 0.5)
EDGE_PLAIN = 1500
EDGE_RAMP = 1500


def _penalties() -> dict:
    """Training penalties the library provides, as {name: factory(strength) -> penalty}
    (``isotopy.train.penalties.PENALTIES``; a penalty is ``penalty(net, xb) -> (N,)``)."""
    from ..train.penalties import PENALTIES

    return dict(PENALTIES)


def registry() -> dict:
    """What the page's drop-downs offer, read from the library's registries."""
    return {
        "datasets": [
            {
                "name": s.name,
                "summary": s.summary,
                "dim": s.dim,
                "params": {
                    k: v for k, v in dataset_params(s.name).items() if k not in ("n", "seed")
                },
                "n": dataset_params(s.name)["n"],
            }
            for s in DATASETS.values()
        ],
        "activations": [
            {"name": a.name, "homeomorphism": a.is_homeomorphism} for a in ACTIVATIONS.values()
        ],
        "optimizers": list(OPTIMIZERS),
        "stage_types": list(STAGE_TYPES),
        "penalties": list(_penalties()),
        "limits": LIMITS,
    }


def _int_param_ok(name, value, default):
    if isinstance(default, int) and not isinstance(default, bool):
        if value != int(value):
            raise InputError(f"dataset parameter {name!r} must be an integer, got {value}")
        cap = LIMITS["max_dim"] if name == "dim" else 16
        if not 1 <= value <= cap:
            raise InputError(
                f"dataset parameter {name!r} must be between 1 and {cap}, got {value:g}"
            )
        return int(value)
    return float(value)


class Session:
    """The state behind one browser tab.

    Parameters
    ----------
    dataset : str
        Dataset to start with.
    hidden : sequence of int
    activation : str
    """

    def __init__(self, dataset: str = "disc_annulus", hidden=(3,), activation: str = "tanh"):
        self._init_controls(hidden, activation)
        X, y = make_dataset(dataset, seed=0)
        self._set_data(
            X, y, {"dataset": dataset, "params": {}, "n": int(len(X)), "seed": 0, "test_size": 0.25}
        )
        self._build_network()

    def _init_controls(self, hidden, activation: str) -> None:
        self.playing = False
        self.stage_view = 0
        self.lr, self.batch_size, self.optimizer = 0.03, None, "adam"
        # the edge penalty, as runs train: the live picture keeps its points off the edges
        self.penalty, self.penalty_weight = "edge", 1.0
        self.speed = 20  # optimiser steps per training slice
        self.steps_left, self.step_id = 0, None  # a "step" request still being worked off
        self.progress = None  # progress(i, n) hook of long jobs (a cancellation check)
        self.hidden, self.activation, self.net_seed = tuple(hidden), activation, 0
        self.data_info: dict = {}
        self.data_version = 0
        self.show = "live"  # what the views show: one of SHOW_CHOICES
        self.coarse = False  # set by the server while many tabs train: cheaper, coarser views
        self._shown_cache = None  # (time, step, show, data version, state) of the coarse view

    @classmethod
    def from_run(cls, run, at="readable") -> Session:
        """A session opened on a saved run (``isotopy serve --run DIR``): the run's training
        and test points and its network at the state ``at`` ("readable", "final" or a step;
        :mod:`isotopy.train.readable`), as the live network at step 0, ready to train on.

        Only networks of affine stages and one activation (what the page builds) open; any
        other run is one InputError sentence.
        """
        from ..train.readable import state_at

        cfg = run.net.config()
        kinds = [st["type"] for st in cfg["stages"]]
        acts = {st["name"] for st in cfg["stages"] if st["type"] == "activation"}
        plain = not set(kinds) - {"affine", "activation"} and len(acts) <= 1
        if not plain or run.net.head.type_name != "linear":
            raise InputError(
                "the explorer opens runs of affine stages and one activation with a linear "
                f"read-out; this run has stages {', '.join(dict.fromkeys(kinds))}"
            )
        state = state_at(run.net, run.history, run.X_train, run.y_train, at, X_edge=run.X)
        s = cls.__new__(cls)
        s._init_controls(run.net.hidden_widths, acts.pop() if acts else "identity")
        what = run.data.get("dataset") or run.data.get("file") or "data"
        info = {
            "run": str(run.path) if run.path is not None else "",
            "dataset": run.data.get("dataset"),
            "params": run.data.get("params", {}),
            "n": int(len(run.X)),
            "opened": f"{what} from the run {run.path}, {state.label()}",
        }
        s._set_data_split(run.X_train, run.y_train, run.X_test, run.y_test, info)
        s._build_network()
        with torch.no_grad():
            s.net.load_state_dict(state.net.state_dict())
        s._reset_training()
        return s

    # ------------------------------------------------------------------------------ data
    def _set_data(self, X, y, info, *, split=True):
        if X.shape[1] > LIMITS["max_dim"]:
            raise InputError(
                f"data has {X.shape[1]} features; the explorer takes at most {LIMITS['max_dim']}"
            )
        if len(X) > LIMITS["max_points"]:
            raise InputError(
                f"data has {len(X)} points; the explorer takes at most {LIMITS['max_points']}"
            )
        classes = len(np.unique(y))
        if classes > LIMITS["max_classes"]:  # the page colours, names and click-labels 10
            raise InputError(
                f"data has {classes} classes; the explorer takes at most {LIMITS['max_classes']}"
            )
        X = np.asarray(X, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            X32 = X.astype(np.float32)
        bad = ~np.isfinite(X32)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise InputError(
                f"point {i + 1}, column {j + 1} is not a finite 32-bit number "
                f"(values beyond about ±3.4e38 overflow); the explorer takes "
                f"finite values only"
            )
        X = X32
        if split:
            Xtr, ytr, Xte, yte = train_test_split(
                X, y, info.get("test_size", 0.25), info.get("seed", 0)
            )
        else:
            Xtr, ytr, Xte, yte = X, y, X[:0], y[:0]
        self.X_train, self.y_train = Xtr.astype(np.float32), ytr.astype(np.int64)
        self.X_test, self.y_test = Xte.astype(np.float32), yte.astype(np.int64)
        self.n_classes = max(int(y.max()) + 1, 2)
        self.data_info = info
        self.domain = domain_bounds(X)
        self.data_version += 1

    def _set_data_split(self, X_train, y_train, X_test, y_test, info) -> None:
        """:meth:`_set_data` with the split given (a run's own training and test points)."""
        n = len(X_train)
        self._set_data(
            np.concatenate([X_train, X_test]), np.concatenate([y_train, y_test]), info, split=False
        )
        self.X_train, self.X_test = self.X_train[:n], self.X_train[n:]
        self.y_train, self.y_test = self.y_train[:n], self.y_train[n:]

    @property
    def X(self) -> np.ndarray:
        return np.concatenate([self.X_train, self.X_test])

    @property
    def y(self) -> np.ndarray:
        return np.concatenate([self.y_train, self.y_test])

    @property
    def d_in(self) -> int:
        return int(self.X_train.shape[1])

    def view_note(self) -> str | None:
        """One sentence on how the views show data of more than 3 dimensions (through
        principal axes, and with a thinned grid where the full one would be too large for a
        view update); None for 1 to 3 dimensions, which are shown as they are."""
        d = self.d_in
        if d <= 3:
            return None
        lines, samples = grid_plan(d)
        full_lines, full_samples = grid_plan(3)
        how = f"The data has {d} features: the views show it through its top 3 principal axes"
        if (lines, samples) == (full_lines, full_samples):
            return f"{how}."
        n_lines = d * lines ** (d - 1)
        what = "to the edges of the box" if lines == 2 else f"to {lines} lines per axis"
        return (
            f"{how}, and its grid is thinned {what} ({n_lines:,} lines of {samples} points, "
            f"instead of {full_lines} lines per axis) to keep each view update small."
        )

    def data_message(self) -> dict:
        return {
            "type": "data",
            "version": self.data_version,
            "info": self.data_info,
            "dim": self.d_in,
            "n_classes": self.n_classes,
            "points": encode(self.X),
            "labels": encode(self.y, np.uint8),
            "n_train": int(len(self.X_train)),
            "domain": self.domain.tolist(),
            "note": self.view_note(),
        }

    # --------------------------------------------------------------------------- network
    def _build_network(self):
        self.net = Network(
            self.d_in, self.hidden, self.activation, self.n_classes, seed=self.net_seed
        )
        self.stage_view = min(self.stage_view, len(self.net.stages))
        self._reset_training()

    def _reset_training(self):
        # the library's one training engine: batches, optimiser, penalties, snapshots (every
        # 5 steps, thinned by halves beyond MAX_SNAPSHOTS) and the NaN rule are all its own
        self.trainer = Trainer(
            self.net,
            self.X_train,
            self.y_train,
            lr=self.lr,
            optimizer=self.optimizer,
            batch_size=self.batch_size,
            seed=self.net_seed,
            record_every=5,
            max_snapshots=MAX_SNAPSHOTS,
            quiet=True,
        )
        self._penalty_key = None
        self.evals: list[list[float]] = []  # [step, train_acc, test_acc, train_loss, test_loss]
        self.sent_steps = 0
        self.sent_evals = 0
        self._Xtr = torch.as_tensor(self.X_train)
        self._ytr = torch.as_tensor(self.y_train)
        self._Xte = torch.as_tensor(self.X_test)
        self._yte = torch.as_tensor(self.y_test)
        self.state = None  # the readable state (State) last computed, if any
        self._state_key = None  # (step, data version) it was computed at
        self._evaluate()
        self.curves_reset = True

    # the trainer's record, read where the session used to keep its own
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

    @torch.no_grad()
    def _evaluate(self, logits=None):
        """Record accuracy and loss on the training and test points at this step.

        ``logits``: (train logits, test logits) of the live network when a view pass has
        them already (:meth:`frame`); otherwise both sets go through the network in one pass.
        """
        if self.evals and self.evals[-1][0] == self.step_count:
            return
        if logits is None:
            reps = push_together(self.net, [self.X_train, self.X_test])
            logits = (reps[0][-1], reps[1][-1])
        row = [float(self.step_count)]
        for z, y in zip(logits, (self._ytr, self._yte)):
            if len(y) == 0:
                row += [None, None]
                continue
            z = z if z.dim() == 3 else z[None]
            acc = (self.net.labels(z) == y).double().mean().item()
            row += [acc, float(self.net.loss(z, y)[0])]
        self.evals.append([row[0], row[1], row[3], row[2], row[4]])

    def train(
        self, budget_s: float | None = None, max_steps: int | None = None, interrupt=None
    ) -> int:
        """Run optimiser steps (at least one); returns how many.

        Without ``max_steps``: at most ``speed`` steps within about ``budget_s`` seconds.
        With ``max_steps``: that many steps, or fewer when ``budget_s`` (if given) runs
        out. Without either, the slice is 10 ms. ``interrupt()``, when given, is asked after
        every step whether to stop early (a message is waiting), so controls never wait for
        a whole slice.
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
        key = (self.penalty, self.penalty_weight)
        if self._penalty_key != key:
            on = self.penalty and self.penalty_weight > 0
            if on and self.penalty == "edge":
                # as a run of isotopy train: plain training finds the separation first, then
                # the penalty ramps in (from EDGE_PLAIN steps, or from now if later, over
                # EDGE_RAMP steps) and stays on while the network trains on
                start = max(self.step_count, EDGE_PLAIN)
                trainer.set_penalty(
                    edge_penalty=self.penalty_weight, edge_from=start, edge_full=start + EDGE_RAMP
                )
            else:  # the factory scales the penalty by its weight
                trainer.set_penalty(_penalties()[self.penalty](self.penalty_weight) if on else None)
            self._penalty_key = key
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

    # ------------------------------------------------------------------ the shown state
    def run_history(self) -> SimpleNamespace:
        """This run's snapshots as :func:`isotopy.train.readable.state_at` reads them
        (``snapshots``, ``record_steps``, ``steps_done``); shares the session's lists."""
        return SimpleNamespace(
            snapshots=self.snapshots, record_steps=self.snap_steps, steps_done=self.step_count
        )

    def readable_state(self):
        """The readable state of this run, computed afresh from the snapshots.

        The current parameters are recorded first when they are not a snapshot yet, so the
        state is chosen among every step recorded so far, the last one included.

        Returns
        -------
        State
        """
        if self.snap_steps[-1] != self.step_count:
            self._snapshot()
        self.state = state_at(self.net, self.run_history(), self.X_train, self.y_train, "readable")
        self._state_key = (self.step_count, self.data_version)
        return self.state

    def _refresh_state(self) -> None:
        """Compute the readable state where the page shows it and it is missing, or out of
        date while training stands still (paused, or a step request done)."""
        if self.show != "readable":
            return
        if self.state is None or (
            not self.busy and self._state_key != (self.step_count, self.data_version)
        ):
            self.readable_state()

    def view_net(self):
        """The network every view, animation and export shows: the live one, or the
        readable state's copy."""
        if self.show != "readable":
            return self.net
        if self.state is None:
            self.readable_state()
        return self.state.net

    def shown_state(self, edge: dict | None = None) -> dict:
        """Which state the views show: kind, step, label and edge fractions (by stage
        name, on the training points; ``edge`` gives those of the live network when a view
        pass has them already)."""
        if self.show == "readable":
            self.view_net()  # computes the readable state when it is missing
            st = self.state
            out = {**st.to_dict(), "label": st.label(), "describe": st.describe()}
        else:
            if edge is None:
                edge = saturation_by_stage(self.net, self.X_train)
            finite = [v for v in edge.values() if np.isfinite(v)]
            what = "final state" if self.show == "final" else "live network"
            out = {
                "kind": self.show,
                "step": self.step_count,
                "final_step": self.step_count,
                "edge": edge,
                "max_edge": float(max(finite)) if finite else 0.0,
                "label": f"{what}, step {self.step_count}",
            }
        out["edge"] = {k: (float(v) if np.isfinite(v) else None) for k, v in out["edge"].items()}
        out["show"] = self.show
        return out

    # ----------------------------------------------------------------------------- views
    def _readout_in(self) -> int:
        return len(self.net.stages) - 1

    def stage_names(self) -> list[str]:
        return ["input", *self.net.names]

    def network_message(self) -> dict:
        names = self.stage_names()
        dims = [self.d_in, *[s.d_out for s in self.net.stages]]
        return {
            "type": "network",
            "stages": [
                {"index": i, "name": n, "dim": d, "words": stage_words(self.net, i)}
                for i, (n, d) in enumerate(zip(names, dims))
            ],
            "readout_in": self._readout_in(),
            "layer_ends": [0, *[i + 1 for i in self.net.layer_ends()]],
            "repr": repr(self.net),
            "hidden": list(self.hidden),
            "activation": self.activation,
            "seed": self.net_seed,
        }

    def oriented(self, net):
        """``orient_network(net)``, without copying the network on every view.

        The first call for a network deep-copies it once; later calls copy its current
        parameters into that copy in place and make the same unit swaps as
        :func:`isotopy.paths.orient_network` (units 0 and 1 of every square hidden affine
        stage with det W < 0, then the next affine stage's columns), so a streamed view costs
        no deep copy. Returns ``(oriented copy, swaps)``; the copy is reused by the next call.
        """
        cache = getattr(self, "_orient_cache", None)
        if cache is None or cache[0] is not net:
            onet = copy.deepcopy(net)
            dst = list(onet.state_dict(keep_vars=True).values())
            src = list(net.state_dict(keep_vars=True).values())
            stages = list(onet.stages)
            # the stages orient_network may swap: square hidden affine maps of 2 units or
            # more whose next non-activation stage is affine (it takes the swapped columns)
            cands = []
            for k, st in enumerate(stages[:-1]):
                if not isinstance(st, Affine) or st.d_in != st.d_out or st.d_out < 2:
                    continue
                nxt = k + 1
                while nxt < len(stages) and isinstance(stages[nxt], Activation):
                    nxt += 1
                if nxt < len(stages) and isinstance(stages[nxt], Affine):
                    # numpy views of the copy's parameters (network 0): swapped in place
                    W, c = st.weight.detach().numpy()[0], st.bias.detach().numpy()[0]
                    cands.append((k, W, c, stages[nxt].weight.detach().numpy()[0]))
            cache = self._orient_cache = (net, onet, dst, src, cands)
        _, onet, dst, src, cands = cache
        swaps = {}
        with torch.no_grad():
            torch._foreach_copy_(dst, src)
        for k, W, c, W_next in cands:  # in order: a swap changes the next det's sign
            if float(np.linalg.det(W.astype(np.float64))) >= 0:
                continue
            W[[0, 1]] = W[[1, 0]]  # units 0 and 1 of stage k ...
            c[[0, 1]] = c[[1, 0]]
            W_next[:, [0, 1]] = W_next[:, [1, 0]]  # ... and the next affine map's columns
            swaps[k] = (0, 1)
        return onet, swaps

    def _input_grid(self, lines: int, samples: int) -> np.ndarray:
        """The input box's grid polylines (L, P, d), kept until the box or plan changes."""
        key = (self.domain.tobytes(), lines, samples)
        cache = getattr(self, "_grid_cache", None)
        if cache is None or cache[0] != key:
            cache = self._grid_cache = (key, input_grid(self.domain, lines=lines, samples=samples))
        return cache[1]

    def _field_points(self, res: int) -> np.ndarray:
        """The input box's decision-field lattice, kept until the box or resolution changes."""
        key = (self.domain.tobytes(), res)
        cache = getattr(self, "_lattice_cache", None)
        if cache is None or cache[0] != key:
            cache = self._lattice_cache = (key, field_lattice(self.domain, res))
        return cache[1]

    def view_pass(self, net=None) -> SimpleNamespace:
        """Everything a view update needs from the network, in one pass.

        The points (training, then test), the vertices of the input grid and, for inputs of
        1 or 2 dimensions, the input's decision-field lattice go through the oriented copy of
        ``net`` (:meth:`oriented`) together (:func:`isotopy.scene.build.push_together`):
        one call per stage instead of one per stage and per set (about six passes before).
        The grid and lattice are made once per input box and kept. Returns the oriented
        network and swaps, the grid, the field resolution and ``reps[i][k]``: set i
        (0 points, 1 grid vertices, 2 lattice) at representation k.
        """
        net = net or self.view_net()
        onet, swaps = self.oriented(net)
        lines, samples = grid_plan(self.d_in)
        if self.coarse:
            samples = max(2, min(samples, COARSE_GRID_SAMPLES))
        res = COARSE_FIELD_RES if self.coarse else FIELD_RES
        grid0 = self._input_grid(lines, samples)
        sets = [self.X, grid0.reshape(-1, self.d_in)]
        if self.d_in <= 2:
            sets.append(self._field_points(res))
        reps = push_together(onet, sets)
        return SimpleNamespace(net=net, onet=onet, swaps=swaps, grid=grid0, res=res, reps=reps)

    def _pass_edge(self, vp) -> dict:
        """:func:`saturation_by_stage` of the pass's network on the training points, read off
        the pass (the edge fraction does not depend on the order of units)."""
        n_train = len(self.X_train)
        out = {}
        for j, stage in enumerate(vp.onet.stages):
            image = bounded_image(stage)
            if image is not None:
                Z = vp.reps[0][j + 1][:n_train].double().numpy()
                out[vp.onet.names[j]] = edge_fraction(Z, image)
        return out

    def scene_json(self, k: int, net=None, state: dict | None = None, vp=None) -> dict:
        """Representation k as plain arrays (points, grid, bounds, separator, field).

        The view is in the oriented coordinates of the library's static views and
        animations (:func:`isotopy.paths.orient_network`: two units swapped where a square
        layer has det W < 0; here through :meth:`oriented`), named in words; ``state``
        (:meth:`shown_state`) puts the state into the title and the stage's edge fraction
        into the reply. ``vp``: the :meth:`view_pass` of ``net`` when the caller has it.
        """
        vp = vp or self.view_pass(net)
        net, onet, swaps = vp.net, vp.onet, vp.swaps
        X = self.X
        label = stage_words(onet, k)  # the title stage_scene gives an oriented network
        swapped = swapped_at(onet, swaps, k)
        if swapped is not None:
            label += f" (units {swapped[0] + 1}\u2194{swapped[1] + 1} swapped)"
        if state:
            label += f"\n{state['label']}"
        sc = stage_scene(
            onet,
            X,
            self.y,
            k,
            domain=self.domain,
            regions=False,
            orient=False,
            title=label,
            state=state["label"] if state else None,
            grid=vp.grid,
            pushed=(vp.reps[0][k], vp.reps[1][k]),
            camera=False,  # the page's 3-D view is turned by hand, redrawn every frame
        )
        meta = {m: v for m, v in sc.meta.items() if isinstance(v, (str, int, float))}
        if swapped is not None:
            meta["swapped"] = [int(u) for u in swapped]
        out = {
            "index": k,
            "title": sc.title,
            "dim": sc.dim,
            "meta": meta,
            "points": encode(sc.points),
            "grid": encode(sc.grid),
            "bounds": sc.bounds.tolist(),
            "separator": None if sc.separator is None else sc.separator.tolist(),
        }
        if state and 1 <= k <= len(net.stages):
            out["edge"] = state["edge"].get(net.names[k - 1])
        if sc.dim <= 2 and k in (0, self._readout_in()) and "projection" not in sc.meta:
            if k == 0:  # the whole network over the input box, from the pass
                out["field"] = self._input_field(vp)
            else:  # the read-out alone, in the same oriented coordinates as the points
                out["field"] = self.field_json(k, sc.bounds, onet)
        return out

    def _input_field(self, vp) -> dict:
        """The input's decision field, from the logits of the pass's lattice."""
        return self._field_message(field_from_logits(vp.reps[2][-1], self.domain, vp.res))

    def _field_message(self, f) -> dict:
        vals = f.values if f.kind == "probability" else f.values / max(self.n_classes - 1, 1)
        return {
            "kind": f.kind,
            "bounds": np.asarray(f.bounds).tolist(),
            "values": encode(np.clip(np.round(vals * 255), 0, 255), np.uint8),
        }

    def field_json(self, k: int, bounds, net=None) -> dict:
        res = COARSE_FIELD_RES if self.coarse else FIELD_RES
        return self._field_message(decision_field(net or self.view_net(), bounds, res=res, stage=k))

    def frame(self) -> dict:
        """The view update: new curve points, the shown state, the input's decision regions
        and the chosen stage (both of the shown network).

        One :meth:`view_pass` gives the points, grid and input field of the shown network
        and, when that is the live network, the logits for accuracy and loss and the
        edge fractions. While :attr:`coarse` (many tabs train at once) the view is
        cheaper: a coarser field and grid, and the evaluation and edge fractions at most
        every ``COARSE_REFRESH_S`` seconds while training; the frame's ``coarse`` entry
        says so.
        """
        now = time.perf_counter()
        fresh = not (self.coarse and self.busy)
        self._refresh_state()
        net = self.view_net()
        vp = self.view_pass(net)
        live = net is self.net
        n_train = len(self.X_train)
        if fresh or not self.evals or now - getattr(self, "_eval_time", 0.0) >= COARSE_REFRESH_S:
            out = vp.reps[0][-1]
            self._evaluate((out[:n_train], out[n_train:]) if live else None)
            self._eval_time = now
        key = (self.show, self.data_version, id(self.net))
        c = self._shown_cache
        if fresh or c is None or c[1] != key or now - c[0] >= COARSE_REFRESH_S:
            state = self.shown_state(self._pass_edge(vp) if live else None)
            self._shown_cache = (now, key, state)
        else:  # the edge fractions of a moment ago, with the step shown now
            state = dict(c[2])
            if state["kind"] != "readable":
                what = "final state" if self.show == "final" else "live network"
                state.update(
                    step=self.step_count,
                    final_step=self.step_count,
                    label=f"{what}, step {self.step_count}",
                )
        loss_new, acc_new = self.trainer.curves_since(self.sent_steps)
        msg = {
            "type": "frame",
            "step": self.step_count,
            "playing": self.playing,
            "reset": self.curves_reset,
            "loss": encode(loss_new),
            "acc": encode(acc_new),
            "from_step": self.sent_steps,
            "evals": self.evals[self.sent_evals :],
            "state": state,
        }
        self.curves_reset = False
        self.sent_steps, self.sent_evals = self.sent_steps + len(loss_new), len(self.evals)
        if self.d_in <= 2:
            msg["input_field"] = self._input_field(vp)
        if self.stage_view > 0 or self.d_in > 2:
            msg["stage"] = self.scene_json(self.stage_view, net, state, vp=vp)
        if self.coarse:
            msg["coarse"] = True
        return msg

    def status(self, **extra) -> dict:
        return {
            "type": "status",
            "playing": self.playing,
            "step": self.step_count,
            "lr": self.lr,
            "batch_size": self.batch_size or 0,
            "optimizer": self.optimizer,
            "speed": self.speed,
            "stage": self.stage_view,
            "penalty": self.penalty,
            "penalty_weight": self.penalty_weight,
            "show": self.show,
            **extra,
        }

    # ------------------------------------------------------------------------- messages
    def handle(self, msg) -> list[dict]:
        """Apply one validated message; returns the replies (the frame is sent separately)."""
        kind = msg.type
        fn = getattr(self, f"_on_{kind}")
        out = fn(msg) or []
        for o in out:
            if msg.id is not None:
                o.setdefault("id", msg.id)
        return out

    def _on_ping(self, msg):
        return [{"type": "pong"}]

    def _on_set_data(self, msg: P.SetData):
        spec = lookup(DATASETS, msg.dataset, "dataset")
        defaults = dataset_params(spec.name)
        params = {}
        for k, v in msg.params.items():
            if k in ("n", "seed") or k not in defaults:
                valid = ", ".join(p for p in defaults if p not in ("n", "seed"))
                raise InputError(
                    f"dataset {spec.name!r} has no parameter {k!r}; its "
                    f"parameters are: {valid or 'none'}"
                )
            params[k] = _int_param_ok(k, v, defaults[k])
        X, y = make_dataset(spec.name, msg.n, seed=msg.seed, **params)
        self._set_data(
            X,
            y,
            {
                "dataset": spec.name,
                "params": params,
                "n": int(len(X)),
                "seed": msg.seed,
                "test_size": msg.test_size,
            },
        )
        return self._after_data()

    def _on_upload_csv(self, msg: P.UploadCSV):
        with np.errstate(over="ignore", invalid="ignore"):  # checked in _set_data
            X, y = points_from_csv_text(
                msg.text, name="uploaded CSV", max_points=LIMITS["max_points"]
            )
        self._set_data(
            X,
            y,
            {
                "file": "uploaded CSV",
                "n": int(len(X)),
                "seed": msg.seed,
                "test_size": msg.test_size,
            },
        )
        return self._after_data()

    def _after_data(self):
        out = self._stop_steps("the data changed")
        self.playing = False
        self._build_network()
        note = self.view_note()
        info = [{"type": "info", "request": "data", "message": note}] if note else []
        return [*out, self.data_message(), self.network_message(), self.status(), *info]

    def _edit_done(self):
        # the network keeps its parameters and optimiser state; only the data tensors change
        self.trainer.set_data(self.X_train, self.y_train)
        self._Xtr = torch.as_tensor(self.X_train)
        self._ytr = torch.as_tensor(self.y_train)
        self.data_version += 1
        self.data_info = dict(self.data_info, edited=True)
        return [self.data_message()]

    def _on_add_point(self, msg: P.AddPoint):
        if len(msg.x) != self.d_in:
            raise InputError(f"a point here has {self.d_in} coordinates, got {len(msg.x)}")
        if msg.label >= self.n_classes:
            raise InputError(f"label must be 0..{self.n_classes - 1}, got {msg.label}")
        if len(self.X_train) + len(self.X_test) >= LIMITS["max_points"]:
            raise InputError(f"the data already has the maximum of {LIMITS['max_points']} points")
        self.X_train = np.concatenate([self.X_train, np.asarray([msg.x], np.float32)])
        self.y_train = np.concatenate([self.y_train, [msg.label]]).astype(np.int64)
        return self._edit_done()

    def _on_remove_point(self, msg: P.RemovePoint):
        if len(msg.x) != self.d_in:
            raise InputError(f"a point here has {self.d_in} coordinates, got {len(msg.x)}")
        if len(self.X_train) <= 2:
            raise InputError("the training set needs at least two points")
        d = np.linalg.norm(self.X_train - np.asarray(msg.x, np.float32), axis=1)
        i = int(np.argmin(d))
        if d[i] > msg.radius:
            return [{"type": "info", "message": "no training point there to remove"}]
        self.X_train = np.delete(self.X_train, i, axis=0)
        self.y_train = np.delete(self.y_train, i)
        return self._edit_done()

    def _on_set_network(self, msg: P.SetNetwork):
        lookup(ACTIVATIONS, msg.activation, "activation")
        self.hidden, self.activation, self.net_seed = tuple(msg.hidden), msg.activation, msg.seed
        out = self._stop_steps("the network changed")
        self.playing = False
        self._build_network()
        return [*out, self.network_message(), self.status()]

    def _on_set_train(self, msg: P.SetTrain):
        if msg.optimizer is not None and msg.optimizer != self.optimizer:
            lookup(OPTIMIZERS, msg.optimizer, "optimizer")
            self.optimizer = msg.optimizer
            self.trainer.set_optimizer(self.optimizer)
        if msg.penalty is not None:
            if msg.penalty in ("", "none"):
                self.penalty = None
            else:
                lookup(_penalties(), msg.penalty, "penalty")
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
        return [self.status()]

    def _on_play(self, msg):
        out = self._stop_steps("training plays on")
        self.playing = True
        return [*out, self.status()]

    def _on_pause(self, msg):
        out = self._stop_steps("paused")
        self.playing = False
        return [*out, self.status()]

    def _on_step(self, msg: P.Step):
        """Queue the steps; :meth:`advance` works them off in slices (the server checks for
        Pause between slices) and replies when they are done."""
        self.playing = False
        out = self._stop_steps("replaced by a new step request")
        self.steps_left, self.step_id = msg.steps, msg.id
        return out

    def _stop_steps(self, why: str) -> list[dict]:
        """End a pending step request early; its reply says how far it got."""
        if not self.steps_left:
            return []
        sid = self.step_id
        self.steps_left, self.step_id = 0, None
        return [self.status(id=sid, stopped=why)]

    @property
    def busy(self) -> bool:
        """Whether there is training to do (playing, or steps left of a step request)."""
        return self.playing or self.steps_left > 0

    def advance(self, budget_s: float = 0.01, interrupt=None) -> list[dict]:
        """One slice of the pending work: training while playing, or the next part of a step
        request (its reply once it is complete)."""
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
                return [self.status(id=sid)] if sid is not None else [self.status()]
            return []
        if self.playing:
            self.train(budget_s, interrupt=interrupt)
        return []

    def run_steps(self, n: int) -> None:
        """Train ``n`` steps at once (for scripts and tests; the server uses advance)."""
        self.train(max_steps=n, budget_s=None)

    def _on_reset(self, msg: P.Reset):
        if msg.seed is not None:
            self.net_seed = msg.seed
        out = self._stop_steps("the network was reset")
        self.playing = False
        self._build_network()
        return [*out, self.network_message(), self.status()]

    def _on_view(self, msg: P.View):
        n = len(self.net.stages)
        if msg.stage > n:
            raise InputError(f"stage {msg.stage} is out of range 0..{n} for this network")
        self.stage_view = msg.stage
        return [self.status()]

    def _on_show(self, msg: P.Show):
        """Choose what the views show; choosing the readable state (again) recomputes it."""
        self.show = msg.state
        if self.show == "readable":
            self.readable_state()
        return [self.status()]

    def _on_animate(self, msg: P.Animate):
        from .animation import animation_frames, frames_json

        fr = animation_frames(self, msg.kind, msg.frames, msg.stage)
        state = self.shown_state()
        return [
            {
                "type": "animation",
                "kind": msg.kind,
                "step": state["step"],
                "state": state["label"],
                "shown": state["kind"],
                **frames_json(fr),
            }
        ]

    def _on_diagnostics(self, msg):
        net, state = self.view_net(), self.shown_state()
        rows = diagnostics(net, self.X)
        for row in rows:
            if row["name"] in state["edge"]:
                row["edge"] = state["edge"][row["name"]]
        out = {"type": "diagnostics", "rows": rows, "step": state["step"], "state": state["label"]}
        from ..topology import betti_through_network

        try:  # Betti numbers of each class's points at every representation
            out["betti"] = betti_through_network(
                net, self.X, self.y, maxdim=1, reading="topological"
            ).to_dict()
        except ImportError:  # ripser (the "topology" extra) is not installed
            out["betti_error"] = "Betti numbers need ripser: pip install 'isotopy[topology]'"
        except InputError as e:
            out["betti_error"] = str(e)
        if self.d_in == 2 and len(self.net.stages) > 1:  # a hidden stage to stretch
            out["stretch"] = self.stretch_json()
        return [out]

    def stretch_json(self, res: int = 64) -> dict:
        """How much input -> the viewed hidden stage stretches space around each point of the
        input box: the spectral norm of the Jacobian on a res x res lattice (rows follow y)."""
        from ..topology import stretch_grid

        k, net = self.stage_view, self.view_net()
        stage = net.names[k - 1] if 1 <= k <= self._readout_in() else -1
        g = stretch_grid(net, bounds=tuple(map(tuple, self.domain.T)), resolution=res, stage=stage)
        return {
            "stage": g["stage"],
            "norm": g["norm"],
            "bounds": self.domain.tolist(),
            "values": encode(g["values"]),
        }

    def _on_export(self, msg: P.Export):
        if msg.what in ("gif", "mp4"):
            from .animation import animation_bytes

            data = animation_bytes(
                self,
                msg.kind,
                msg.what,
                frames=msg.frames,
                fps=msg.fps,
                size=msg.size,
                progress=self.progress,
            )
            media = "image/gif" if msg.what == "gif" else "video/mp4"
            name = f"isotopy-{msg.kind}-{self._file_tag()}.{msg.what}"
        elif msg.what == "weights":
            data, media = self.weights_bytes(), "application/octet-stream"
            name = f"isotopy-weights-{self._file_tag()}.safetensors"
        else:
            data, media = self.data_csv().encode(), "text/csv"
            name = "isotopy-data.csv"
        return [
            {"type": "download", "what": msg.what, "filename": name, "media": media, "bytes": data}
        ]

    # ------------------------------------------------------------------------- exports
    def _file_tag(self) -> str:
        """``step120`` for the live network, ``readable-step40`` for the readable state."""
        if self.show == "readable":
            self.view_net()  # computes the readable state when it is missing
            return f"readable-step{self.state.step}"
        return f"step{self.step_count}"

    def weights_bytes(self) -> bytes:
        """The shown network's parameters as safetensors, with its config, step and state
        as metadata."""
        from safetensors.torch import save

        net, state = self.view_net(), self.shown_state()
        meta = {
            "network": json.dumps(net.config()),
            "step": str(state["step"]),
            "state": state["label"],
            "data": json.dumps(self.data_info),
        }
        return save({k: v.contiguous() for k, v in net.state_dict().items()}, meta)

    def data_csv(self) -> str:
        """The current points as CSV (features, then label), readable by ``load_points``."""
        buf = io.StringIO()
        cols = [f"x{i + 1}" for i in range(self.d_in)]
        buf.write(",".join([*cols, "label"]) + "\n")
        for x, lab in zip(self.X, self.y):
            buf.write(",".join(f"{v:.6g}" for v in x) + f",{int(lab)}\n")
        return buf.getvalue()

    def freeze(self) -> Session:
        """A copy that long jobs (animations, GIF / MP4, diagnostics) can read while this one
        trains on."""
        f = copy.copy(self)
        f.net = copy.deepcopy(self.net)
        f.trainer = _Frozen(self.trainer)
        f._orient_cache = None  # the oriented copy belongs to the thread of this session
        f.coarse = False  # long jobs show full quality
        f.evals = list(self.evals)
        return f

    def network_at_snapshot(self, i: int):
        net = copy.deepcopy(self.net)
        net.load_state_dict(self.snapshots[i])
        return net

    def __repr__(self) -> str:
        what = self.data_info.get("dataset") or self.data_info.get("file")
        return (
            f"Session({what}, {self.net!r}, step={self.step_count}, "
            f"{'playing' if self.playing else 'paused'})"
        )


@torch.no_grad()
def diagnostics(net, X) -> list[dict]:
    """Per-stage numbers from the library's own diagnostics (:func:`isotopy.topology.
    stage_diagnostics`: the homeomorphism flag by the library's one rule, det, singular
    values, condition number, near-singular flag, note), with each stage's type and the
    spread of its output over X."""
    from ..topology import diagnostics_to_json, stage_diagnostics

    rows = diagnostics_to_json(stage_diagnostics(net))
    reps = net.forward_all(np.asarray(X, np.float32))[1:]
    for row, st, h in zip(rows, net.stages, reps, strict=True):
        row["type"] = st.type_name
        row["spread"] = [float(v) for v in h[0].double().std(0)]
    return rows


class _Frozen:
    """What a long job reads of a session's trainer, fixed at one moment (it trains on)."""

    def __init__(self, trainer):
        self.step_count = trainer.step_count
        self.snapshots = list(trainer.snapshots)
        self.record_steps = list(trainer.record_steps)
        self._curves = trainer.curves_since(0)

    def curves_since(self, start: int, index: int = 0):
        return self._curves[0][start:], self._curves[1][start:]
