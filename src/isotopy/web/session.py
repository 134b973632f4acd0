"""One page's state, and the dispatcher of its messages.

A :class:`Session` is plain synchronous Python (no asyncio, no sockets): ``handle(msg)``
applies one validated message (:mod:`.protocol`) and returns the replies as JSON-able
dicts; ``advance(budget_s)`` works off a slice of training; ``frame()`` gives the view
update to stream. The server runs each session in its own thread (:mod:`.worker`), so
sessions never share state and never block the event loop.

A session is four parts, each in a module of its own, and this module routes the page's
messages to them:

- the points (:class:`~.data.SessionData`: a dataset, an uploaded CSV or a run's split,
  edited by clicks; a new one for every change),
- the training (:class:`~.training.TrainingControl`: the network and the library's
  Trainer on those points, with the page's settings),
- the state the views show (:class:`~.shown.ShownState`: the live network or the run's
  readable state),
- the views (:class:`~.scenes.SessionViews`: the stage view's choice and the view updates).

Animations (:mod:`.animation`), diagnostics (:mod:`.diagnose`) and exports (:mod:`.exports`)
read a session; the page's drop-downs come from :mod:`.registry`.
"""

from __future__ import annotations

from operator import attrgetter

import torch

from ..datasets import make_dataset
from ..errors import InputError
from ..nn import Network
from ..nn.edit import set_parameter
from ..train.trainer import as_data
from . import protocol as P
from .data import SessionData
from .diagnose import diagnostics, diagnostics_message
from .exports import export_message
from .registry import penalties, registry
from .scenes import COARSE_FIELD_RES, COARSE_GRID_SAMPLES, FIELD_RES, SessionViews
from .settings import TRAIN
from .shown import SHOW_CHOICES, ShownState
from .training import TrainingControl
from .views import encode, grid_plan

__all__ = [
    "Session",
    "registry",
    "penalties",
    "diagnostics",
    "encode",
    "grid_plan",
    "SHOW_CHOICES",
    "FIELD_RES",
    "COARSE_FIELD_RES",
    "COARSE_GRID_SAMPLES",
]


_DATA = "training.data"


class _Of:
    """An attribute of one of the session's parts, read (and, where ``settable``, set)
    through the session: ``net = _Of("training")`` is ``session.training.net``."""

    def __init__(self, part: str, name: str | None = None, *, settable: bool = False):
        self.part, self.name, self.settable = attrgetter(part), name, settable

    def __set_name__(self, owner, name: str) -> None:
        self.name = self.name or name

    def __get__(self, obj, owner=None):
        return self if obj is None else getattr(self.part(obj), self.name)

    def __set__(self, obj, value) -> None:
        if not self.settable:
            raise AttributeError(f"{self.name} is read through the session, not set")
        setattr(self.part(obj), self.name, value)


class Session:
    """The state behind one browser tab.

    Parameters
    ----------
    dataset : str
        Dataset to start with.
    hidden : sequence of int
    activation : str
    device : str or torch.device
        Where the network trains ("cpu", "cuda", "cuda:1", "mps"); views and exports read a
        CPU copy.
    """

    def __init__(
        self, dataset: str = "disc_annulus", hidden=(3,), activation: str = "tanh", *, device="cpu"
    ):
        X, y = make_dataset(dataset, seed=TRAIN.seed)
        info = {
            "dataset": dataset,
            "params": {},
            "n": int(len(X)),
            "seed": TRAIN.seed,
            "test_size": TRAIN.test_size,
        }
        self._assemble(TrainingControl(hidden, activation, device=device))
        self.training.rebuild(SessionData.split(X, y, info))

    def _assemble(self, training, shown=None, stage_view: int = 0) -> None:
        self.training = training
        self.shown = shown or ShownState(training)
        self.views = SessionViews(training, self.shown, stage_view)
        self.progress = None  # progress(i, n) hook of long jobs (a cancellation check)

    @classmethod
    def from_run(cls, run, at="readable", *, device="cpu") -> Session:
        """A session opened on a saved run (``isotopy serve --run DIR``): the run's training
        and test points and its network at the state ``at`` ("readable", "final" or a step;
        :mod:`isotopy.train.readable`), as the live network at step 0, ready to train on.

        Only networks of affine stages and one activation, after input features or not (what
        the page builds), open; any other run is one InputError sentence.
        """
        from ..train.readable import state_at

        cfg = run.net.config()
        kinds = [st["type"] for st in cfg["stages"]]
        acts = {st["name"] for st in cfg["stages"] if st["type"] == "activation"}
        if kinds[:1] == ["features"]:
            kinds = kinds[1:]
        plain = not set(kinds) - {"affine", "activation"} and len(acts) <= 1
        if not plain or run.net.head.type_name != "linear":
            raise InputError(
                "the explorer opens runs of affine stages and one activation with a linear "
                f"read-out; this run has stages {', '.join(dict.fromkeys(kinds))}"
            )
        state = state_at(run.net, run.history, run.X_train, run.y_train, at, X_edge=run.X)
        what = run.data.get("dataset") or run.data.get("file") or "data"
        info = {
            "run": str(run.path) if run.path is not None else "",
            "dataset": run.data.get("dataset"),
            "params": run.data.get("params", {}),
            "n": int(len(run.X)),
            "opened": f"{what} from the run {run.path}, {state.label()}",
        }
        data = SessionData.given_split(run.X_train, run.y_train, run.X_test, run.y_test, info)
        s = cls.__new__(cls)
        training = TrainingControl(
            run.net.hidden_widths, acts.pop() if acts else "identity", device=device
        )
        s._assemble(training)
        net = Network(
            data.d_in,
            training.hidden,
            training.activation,
            data.n_classes,
            seed=training.net_seed,
            features=run.net.input_features,
        )
        training.features = net.input_features
        with torch.no_grad():
            net.load_state_dict(state.net.state_dict())
        training.start(data, net)
        return s

    def freeze(self) -> Session:
        """A copy that long jobs (animations, GIF / MP4, diagnostics) can read while this one
        trains on: its network on the CPU, its record and its readable state as they are
        now, full-quality views."""
        if not self.shown.live:
            self.shown.net()  # the readable state, computed now when it is missing
        f = type(self).__new__(type(self))
        training = self.training.frozen()
        f._assemble(training, self.shown.frozen(training), self.views.stage_view)
        return f

    # ------------------------------------------------------ the parts, read through here
    data = _Of("training")  # the points (a SessionData)
    X, y, d_in, domain = _Of(_DATA), _Of(_DATA), _Of(_DATA), _Of(_DATA)
    X_train, y_train, X_test, y_test = _Of(_DATA), _Of(_DATA), _Of(_DATA), _Of(_DATA)
    n_classes, data_info, data_version = _Of(_DATA), _Of(_DATA, "info"), _Of(_DATA, "version")
    net, trainer, train, busy = _Of("training"), _Of("training"), _Of("training"), _Of("training")
    hidden, activation, net_seed = _Of("training"), _Of("training"), _Of("training")
    step_count, snapshots, snap_steps = _Of("training"), _Of("training"), _Of("training")
    loss_curve, acc_curve, evals = _Of("training"), _Of("training"), _Of("training")
    state, readable_state = _Of("shown"), _Of("shown")
    view_net, shown_state = _Of("shown", "net"), _Of("shown", "describe")
    # set through the session too: by the server (playing, steps_left, coarse), by scripts
    playing = _Of("training", settable=True)
    steps_left = _Of("training", settable=True)
    lr = _Of("training", settable=True)
    batch_size = _Of("training", settable=True)
    optimizer = _Of("training", settable=True)
    speed = _Of("training", settable=True)
    penalty = _Of("training", settable=True)
    penalty_weight = _Of("training", settable=True)
    regularization = _Of("training", settable=True)
    reg_rate = _Of("training", settable=True)
    features = _Of("training")
    show = _Of("shown", settable=True)
    stage_view = _Of("views", settable=True)
    coarse = _Of("views", settable=True)
    frame, view_pass, scene_json = _Of("views"), _Of("views"), _Of("views")
    field_json, oriented, network_message = _Of("views"), _Of("views"), _Of("views")
    unit_views, live_unit_views, units_live = _Of("views"), _Of("views"), _Of("views")

    def data_message(self) -> dict:
        return self.data.message()

    def _reset_training(self) -> None:
        """Train the present network afresh from step 0 with the present settings."""
        self.training.restart()
        self.shown.forget()

    def run_steps(self, n: int) -> None:
        """Train ``n`` steps at once (for scripts and tests; the server uses advance)."""
        self.training.train(max_steps=n, budget_s=None)

    def advance(self, budget_s: float = 0.01, interrupt=None) -> list[dict]:
        """One slice of the pending work: training while playing, or the next part of a step
        request (its reply once it is complete)."""
        done = self.training.advance(budget_s, interrupt)
        return [] if done is None else [self.status(**done)]

    def status(self, **extra) -> dict:
        """The ``status`` message: the training settings and where training stands."""
        tr = self.training
        return {
            "type": "status",
            "playing": tr.playing,
            "step": tr.step_count,
            "lr": tr.lr,
            "batch_size": tr.batch_size or 0,
            "optimizer": tr.optimizer,
            "speed": tr.speed,
            "stage": self.views.stage_view,
            "penalty": tr.penalty,
            "penalty_weight": tr.penalty_weight,
            "regularization": tr.regularization,
            "reg_rate": tr.reg_rate,
            "features": None if tr.features is None else list(tr.features),
            "features_note": self.views.features_note(),
            "noise": tr.data.noise,
            "test_size": tr.data.test_share,
            "show": self.shown.show,
            **extra,
        }

    # ------------------------------------------------------------------ the dispatcher
    def handle(self, msg) -> list[dict]:
        """Apply one validated message; returns the replies (the frame is sent separately)."""
        out = getattr(self, f"_on_{msg.type}")(msg) or []
        for o in out:
            if msg.id is not None:
                o.setdefault("id", msg.id)
        return out

    def _stop_reply(self, why: str) -> list[dict]:
        """The reply a pending step request gets when it is ended early (how far it got)."""
        if not self.training.steps_left:
            return []
        return [self.status(id=self.training.step_id, stopped=why)]

    def _stop_steps(self, why: str) -> list[dict]:
        """End a pending step request early; its reply says how far it got."""
        out = self._stop_reply(why)
        self.training.stop_steps()
        return out

    def _restarted(self, replies: list[dict]) -> list[dict]:
        """After a new network or new data: the pending step request ended (``replies``, made
        before), training paused, no readable state yet, the stage view within range."""
        self.training.stop_steps()
        self.training.playing = False
        self.shown.forget()
        self.views.network_changed()
        return replies

    def _on_ping(self, msg):
        return [{"type": "pong"}]

    def _on_set_data(self, msg: P.SetData):
        version = self.data.version + 1
        data = SessionData.generated(
            msg.dataset,
            msg.params,
            msg.n,
            msg.seed,
            msg.test_size,
            noise=msg.noise,
            version=version,
        )
        return self._new_data(data)

    def _on_upload_csv(self, msg: P.UploadCSV):
        version = self.data.version + 1
        data = SessionData.uploaded(msg.text, msg.seed, msg.test_size, version=version)
        return self._new_data(data)

    def _new_data(self, data: SessionData) -> list[dict]:
        out = self._stop_reply("the data changed")
        features = self.training.features
        self.training.rebuild(data)  # the library checks the points: refused, nothing changes
        self._restarted(out)
        note = data.view_note()
        info = [{"type": "info", "request": "data", "message": note}] if note else []
        if features is not None and self.training.features is None:
            dropped = (
                f"The input features ({', '.join(features)}) were dropped: they read 2-D data, "
                f"and this data has {data.d_in} features."
            )
            info.append({"type": "info", "request": "data", "message": dropped})
        return [*out, data.message(), self.network_message(), self.status(), *info]

    def _edit(self, data: SessionData | None) -> list[dict]:
        if data is None:
            return [{"type": "info", "message": "no training point there to remove"}]
        self.training.set_data(data)  # the network and its optimiser state stay
        return [data.message()]

    def _on_add_point(self, msg: P.AddPoint):
        x, label = as_data([msg.x], [msg.label], self.net, "the new point")  # the library's
        return self._edit(self.data.with_point(x[0].numpy(), int(label[0])))

    def _on_remove_point(self, msg: P.RemovePoint):
        x, _ = as_data([msg.x], [0], self.net, "the point to remove")
        return self._edit(self.data.without_point(x[0].numpy(), msg.radius))

    def _on_set_network(self, msg: P.SetNetwork):
        out = self._stop_reply("the network changed")
        self.training.rebuild(
            hidden=msg.hidden, activation=msg.activation, seed=msg.seed, features=msg.features
        )
        return [*self._restarted(out), self.network_message(), self.status()]

    def _on_reset(self, msg: P.Reset):
        out = self._stop_reply("the network was reset")
        self.training.rebuild(seed=msg.seed)
        return [*self._restarted(out), self.network_message(), self.status()]

    def _on_set_train(self, msg: P.SetTrain):
        self.training.configure(msg)
        return [self.status()]

    def _on_play(self, msg):
        out = self._stop_steps("training plays on")
        self.training.playing = True
        return [*out, self.status()]

    def _on_pause(self, msg):
        out = self._stop_steps("paused")
        self.training.playing = False
        return [*out, self.status()]

    def _on_step(self, msg: P.Step):
        """Queue the steps; :meth:`advance` works them off in slices (the server checks for
        Pause between slices) and replies when they are done."""
        self.training.playing = False
        out = self._stop_steps("replaced by a new step request")
        self.training.request_steps(msg.steps, msg.id)
        return out

    def _on_view(self, msg: P.View):
        n = len(self.net.stages)
        if msg.stage > n:
            raise InputError(f"stage {msg.stage} is out of range 0..{n} for this network")
        self.views.stage_view = msg.stage
        return [self.status()]

    def _on_show(self, msg: P.Show):
        """Choose what the views show; choosing the readable state (again) recomputes it."""
        self.shown.choose(msg.state)
        return [self.status()]

    def _on_unit_views(self, msg: P.UnitViews):
        """Answer with the unit views at once; while ``live``, the server sends them again
        after every view update (:meth:`live_unit_views`)."""
        if not msg.live:
            self.views.units_live = None
            if self.data.d_in != 2:
                return []  # nothing to stop, nothing to draw
        reply = self.views.unit_views(msg.resolution)  # refused: nothing changes
        self.views.units_live = msg.resolution if msg.live else None
        return [reply]

    def _on_set_param(self, msg: P.SetParam):
        """Set one parameter entry of the live network by hand (the library checks the name,
        the index and the value); the views show the live network from now on."""
        old = set_parameter(self.training.net, msg.name, msg.index, msg.value)
        self.training.edited()
        if not self.shown.live:
            self.shown.choose("live")
        edit = {"name": msg.name, "index": list(msg.index), "value": msg.value, "old": old}
        return [self.status(edited=edit)]

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
        return [diagnostics_message(self)]

    def _on_export(self, msg: P.Export):
        return [export_message(self, msg)]

    def __repr__(self) -> str:
        what = self.data.info.get("dataset") or self.data.info.get("file")
        return (
            f"Session({what}, {self.net!r}, step={self.step_count}, "
            f"{'playing' if self.playing else 'paused'})"
        )
