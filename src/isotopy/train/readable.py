"""Which training state a picture shows: the final one, a given step, or the readable one.

Networks trained to the end with Adam keep growing their weights after they classify every
point: the loss still falls as the logits grow. Through tanh or sigmoid layers that pushes
the points and the grid onto the edges of the cube, where the geometry the network found
(the disc lifted on a surface, the line bent into a curve) is flattened into bands along the
sides. The function is the same; only its picture is unreadable. Training with the edge
penalty (:func:`isotopy.train.penalties.edge_penalty`) keeps the points off the edges at
every step; for a run trained without it the readable state is the best one can show.

**The readable state** of a run is chosen from its recorded snapshots by one rule:

    the candidates are the snapshots that classify the training points as well as the run
    does: when some snapshot classifies all of them, those that do with a logit margin of at
    least ``MARGIN``; otherwise those within ``ACC_TOL`` of the best accuracy, where the best
    is taken over the snapshots with an edge fraction of at most ``READABLE_EDGE`` when one
    of them gets within ``CANNOT_TOL`` of the best of all. Of the candidates, the one with the
    smallest edge fraction (the largest over the bounded stages) is shown; snapshots within
    ``EDGE_TIE`` of it count as equal and the earliest of them is taken.

The edge fraction (:mod:`isotopy.topology.saturation`) is the share of points with any unit
within 0.05 of a bound; a picture counts as readable when it is at most ``READABLE_EDGE``
= 0.2. A network that separates its data is shown at the least saturated moment it does so
with a margin: without a penalty that is about the first such moment (the edges only fill up
afterwards), with the edge penalty a late one (the penalty eases the points back off the
edges). One that cannot separate (two units on the disc in an annulus) is shown when it gets
about as far as it ever gets; pressing its points into the edges buys such a network a few
points of accuracy (0.883 against 0.856 for the report's 2-unit disc network), which the
readable rule does not chase. Either way the state has the verdict of the final state (all
points right, or not). A network without bounded stages is shown at the earliest candidate.

The rule needs snapshots along the way (``fit`` records about 100 by default); with only the
final one the readable state is the final state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..errors import InputError, check_positive_int
from ..topology.saturation import READABLE_EDGE, saturation_by_stage

__all__ = [
    "MARGIN",
    "ACC_TOL",
    "EDGE_TIE",
    "CANNOT_TOL",
    "READABLE_EDGE",
    "State",
    "readable_step",
    "state_at",
    "parse_at",
]

MARGIN = 0.4  # logit margin: every point at probability >= 0.6 of its own class (2 classes)
ACC_TOL = 0.02  # "as far as it ever gets": within two points in a hundred of the best
EDGE_TIE = 0.01  # edge fractions this close are one picture: the earlier snapshot is shown
CANNOT_TOL = 0.05  # a readable snapshot this close to the best of a network that cannot separate
AT_CHOICES = ("readable", "final")


@dataclass
class State:
    """A network at one recorded training step, and why that step was chosen."""

    net: object  # Network (one network) with the parameters of ``step``
    step: int  # the recorded step shown
    final_step: int  # the run's last step
    kind: str  # "readable", "final" or "step"
    train_accuracy: float  # on the points the rule was applied to
    edge: dict = field(default_factory=dict)  # edge fraction per bounded activation stage

    @property
    def max_edge(self) -> float:
        """The largest edge fraction of any bounded stage (0 when there is none)."""
        vals = [v for v in self.edge.values() if np.isfinite(v)]
        return float(max(vals)) if vals else 0.0

    def label(self) -> str:
        """A short phrase for titles and captions: which state and step a picture shows."""
        what = {"readable": "readable state", "final": "final state", "step": "chosen step"}[
            self.kind
        ]
        return f"{what}, step {self.step} of {self.final_step}"

    def describe(self) -> str:
        """One sentence: the state, its accuracy and its largest edge fraction."""
        edge = f"; edge fraction {self.max_edge:.2f}" if self.edge else ""
        return f"{self.label()}: train accuracy {self.train_accuracy:.3f}{edge}"

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "step": self.step,
            "final_step": self.final_step,
            "train_accuracy": self.train_accuracy,
            "edge": dict(self.edge),
            "max_edge": self.max_edge,
        }

    def __repr__(self) -> str:
        return f"State({self.describe()})"


def parse_at(value) -> str | int:
    """``"final"``, ``"readable"`` or a step number (as given to ``--at``)."""
    if isinstance(value, (int, np.integer)):
        return check_positive_int(int(value), "the step", minimum=0)
    text = str(value).strip().lower()
    if text in AT_CHOICES:
        return text
    try:
        step = int(text)
    except ValueError:
        raise InputError(f"--at must be final, readable or a step number, got {value!r}") from None
    return check_positive_int(step, "the step", minimum=0)


def _single(net, index):
    return net if net.n_networks == 1 else net.select(index)


@torch.no_grad()
def _margins(net, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per point: logit margin of its own class (positive = classified right). (n,)"""
    z = net(X)  # (n, c)
    if z.shape[-1] == 1:
        return (2.0 * y.to(z.dtype) - 1.0) * z[:, 0]
    own = z.gather(1, y[:, None])[:, 0]
    other = z.scatter(1, y[:, None], float("-inf")).max(1).values
    return own - other


def _load(work, history, i, index):
    """Load snapshot ``i`` of network ``index`` into the one-network ``work``; return it."""
    # every tensor carries the leading network axis (N = 1 included)
    work.load_state_dict({k: v[index : index + 1] for k, v in history.snapshots[i].items()})
    return work


def _snapshot_net(net, history, i, index):
    """A one-network copy of ``net`` holding snapshot ``i`` of network ``index``."""
    import copy

    return _load(copy.deepcopy(_single(net, index)), history, i, index)


def _tensors(X, y):
    Xt = torch.as_tensor(np.asarray(X, dtype=np.float32))
    return (Xt[:, None] if Xt.dim() == 1 else Xt), torch.as_tensor(np.asarray(y), dtype=torch.long)


def _scan(net, history, X, y, index):
    """Training accuracy, smallest margin and largest edge fraction at every snapshot:
    (S,), (S,), (S,) (edge fractions 0 without bounded stages)."""
    Xt, yt = _tensors(X, y)
    work = _snapshot_net(net, history, 0, index)  # one copy, reloaded for each snapshot
    accs, mins, edges = [], [], []
    for i in range(len(history.snapshots)):
        m = _margins(_load(work, history, i, index), Xt, yt)
        accs.append(float((m > 0).double().mean()))
        mins.append(float(m.min()))  # NaN parameters give NaN: never "with the margin"
        vals = [v for v in saturation_by_stage(work, X).values() if np.isfinite(v)]
        edges.append(max(vals) if vals else 0.0)
    return np.array(accs), np.array(mins), np.array(edges)


def readable_step(
    net, history, X, y, *, index: int = 0, margin: float = MARGIN, acc_tol: float = ACC_TOL
) -> int:
    """The recorded step of the readable state (rule in the module docstring).

    Parameters
    ----------
    net : Network
        The trained network (its architecture; the parameters come from the snapshots).
    history : History
        With its snapshots.
    X : array (n, d_in)
    y : array (n,)
        The points the rule is applied to (the training points).
    index : int
        Which network of a batch.

    Returns
    -------
    int
        One of ``history.record_steps``.
    """
    if not history.snapshots:
        raise InputError("this run has no recorded snapshots to choose a state from")
    accs, mins, edges = _scan(net, history, X, y, index)
    best = float(accs.max())
    if best >= 1.0:
        good = (accs >= 1.0) & (mins >= margin)
        if not good.any():  # 100% reached but never with the margin: the largest margin
            cand = np.flatnonzero(accs >= 1.0)
            return int(history.record_steps[int(cand[np.nanargmax(mins[cand])])])
    else:
        readable = edges <= READABLE_EDGE
        ref = best
        if readable.any() and accs[readable].max() >= best - CANNOT_TOL:
            ref = float(accs[readable].max())
        good = accs >= ref - acc_tol
    cand = np.flatnonzero(good)
    least = edges[cand].min()
    return int(history.record_steps[int(cand[edges[cand] <= least + EDGE_TIE][0])])


def state_at(net, history, X, y, at="readable", *, index: int = 0, X_edge=None) -> State:
    """The network at the state ``at`` ("readable", "final" or a step number).

    Parameters
    ----------
    net : Network
        The trained network (returned as is for "final").
    history : History
    X, y : arrays
        The training points: the readable rule is applied to them and the accuracy is
        measured on them.
    at : "readable", "final" or int
        A step number picks the snapshot recorded at or just before that step.
    X_edge : array, optional
        Points for the edge fractions (default ``X``).

    Returns
    -------
    State
    """
    at = parse_at(at)
    final_step = int(history.steps_done)
    if at == "final" or not history.snapshots:
        kind, step, shown = "final", final_step, _single(net, index)
    else:
        if at == "readable":
            kind, step = "readable", readable_step(net, history, X, y, index=index)
        else:
            if at > final_step:
                raise InputError(f"step {at} is beyond this run's last step {final_step}")
            kind = "step"
            i = max(int(np.searchsorted(history.record_steps, at, side="right")) - 1, 0)
            step = int(history.record_steps[i])
        i = int(np.searchsorted(history.record_steps, step, side="right")) - 1
        shown = _snapshot_net(net, history, max(i, 0), index)
    m = _margins(shown, *_tensors(X, y))
    edge = saturation_by_stage(shown, X if X_edge is None else X_edge)
    return State(shown, int(step), final_step, kind, float((m > 0).double().mean()), edge)
