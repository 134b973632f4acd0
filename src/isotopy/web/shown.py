"""Which state of the network the views show: the live network, or the run's readable state.

What the views show is a choice of the page (``show``): the *live* network as it trains
("final" is the live network too, named as the run's final state), or the run's *readable
state* (:func:`isotopy.train.readable.state_at` on the session's snapshots and training
points: the earliest snapshot that classifies as well as the run ever does, with a margin,
before growing weights crowd the points into the corners of the tanh cube). The readable
state is computed when the page asks for it and again whenever training stops with new
steps, never on every frame; while training plays on, the views keep the state last
computed. Every view, animation and export of the network uses the shown network, and says
which state and step it shows and the edge fraction
(:mod:`isotopy.topology.saturation`) of each bounded activation stage.
"""

from __future__ import annotations

import numpy as np

from ..topology.saturation import saturation_by_stage
from ..train.readable import state_at

__all__ = ["ShownState", "SHOW_CHOICES"]

SHOW_CHOICES = ("live", "readable", "final")  # what the views show; "final" is the live net


class ShownState:
    """The page's choice of state and the readable state last computed, for one
    :class:`~.training.TrainingControl`."""

    def __init__(self, training, show: str = "live"):
        self.training = training
        self.show = show  # one of SHOW_CHOICES
        self.forget()

    def forget(self) -> None:
        """Training started afresh: no readable state yet."""
        self.state = None  # the readable state (State) last computed, if any
        self._key = None  # (step, data version) it was computed at

    def choose(self, show: str) -> None:
        """Show ``show``; choosing the readable state (again) recomputes it."""
        self.show = show
        if show == "readable":
            self.readable_state()

    def readable_state(self):
        """The readable state of this run, computed afresh from the snapshots.

        The current parameters are recorded first when they are not a snapshot yet, so the
        state is chosen among every step recorded so far, the last one included.

        Returns
        -------
        State
        """
        tr = self.training
        if tr.snap_steps[-1] != tr.step_count:
            tr.trainer.record()
        data = tr.data
        self.state = state_at(tr.cpu_net(), tr.run_history(), data.X_train, data.y_train)
        self._key = (tr.step_count, data.version)
        return self.state

    def refresh(self) -> None:
        """Compute the readable state where the page shows it and it is missing, or out of
        date while training stands still (paused, or a step request done)."""
        if self.show != "readable":
            return
        tr = self.training
        if self.state is None or (not tr.busy and self._key != (tr.step_count, tr.data.version)):
            self.readable_state()

    @property
    def live(self) -> bool:
        """Whether the views show the live network (not the readable state's copy)."""
        return self.show != "readable"

    def net(self):
        """The network every view, animation and export shows: the live one (its CPU copy),
        or the readable state's copy (computed when it is missing)."""
        if self.live:
            return self.training.cpu_net()
        if self.state is None:
            self.readable_state()
        return self.state.net

    def live_label(self) -> str:
        """The header's words for the live network at its present step."""
        what = "final state" if self.show == "final" else "live network"
        return f"{what}, step {self.training.step_count}"

    def describe(self, edge: dict | None = None) -> dict:
        """Which state the views show: kind, step, label and edge fractions (by stage name,
        on the training points; ``edge`` gives those of the live network when a view pass
        has them already)."""
        if not self.live:
            self.net()  # computes the readable state when it is missing
            st = self.state
            out = {**st.to_dict(), "label": st.label(), "describe": st.describe()}
        else:
            tr = self.training
            if edge is None:
                edge = saturation_by_stage(tr.cpu_net(), tr.data.X_train)
            finite = [v for v in edge.values() if np.isfinite(v)]
            out = {
                "kind": self.show,
                "step": tr.step_count,
                "final_step": tr.step_count,
                "edge": edge,
                "max_edge": float(max(finite)) if finite else 0.0,
                "label": self.live_label(),
            }
        out["edge"] = {k: (float(v) if np.isfinite(v) else None) for k, v in out["edge"].items()}
        out["show"] = self.show
        return out

    def file_tag(self) -> str:
        """``step120`` for the live network, ``readable-step40`` for the readable state: the
        part of an export's file name that says which state it holds."""
        if not self.live:
            self.net()  # computes the readable state when it is missing
            return f"readable-step{self.state.step}"
        return f"step{self.training.step_count}"

    def frozen(self, training) -> ShownState:
        """The same choice and readable state, for a frozen copy of the training."""
        f = ShownState(training, self.show)
        f.state, f._key = self.state, self._key
        return f
