"""Which training state a picture shows: the final one, a given step, or the readable one.

Networks trained to the end with Adam keep growing their weights after they classify every
point: the loss still falls as the logits grow. Through tanh or sigmoid layers that pushes
the points and the grid into the corners of the cube, where the geometry the network found
(the disc lifted on a surface, the line bent into a curve) is squeezed into a few clumps.
The function is the same; only its picture is unreadable.

**The readable state** of a run is chosen from its recorded snapshots by one rule:

    the earliest snapshot whose accuracy on the training points is within ``ACC_TOL`` of the
    best accuracy any snapshot reaches, and, when that best is 100%, whose every training
    point is classified with a logit margin of at least ``MARGIN``.

A network that separates its data is shown at the first moment it does so with a margin;
one that cannot (two units on the disc in an annulus) is shown when it first gets as far as
it ever gets. Both states have the verdict of the final state (all points right, or not),
while the corner fraction (:mod:`isotopy.topology.saturation`) is far lower: on the report's
showcase networks with the default 3,000 steps, 0.00-0.18 at the readable state against
0.48-0.85 at the last step (disc in annulus with 2 and 3 units, interval with 2 units).

The rule needs snapshots along the way (``fit`` records about 100 by default); with only the
final one the readable state is the final state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..errors import InputError, check_positive_int

__all__ = ["MARGIN", "ACC_TOL", "State", "readable_step", "state_at", "parse_at"]

MARGIN = 0.4  # logit margin: every point at probability >= 0.6 of its own class (2 classes)
ACC_TOL = 0.02  # "as far as it ever gets": within two points in a hundred of the best
AT_CHOICES = ("readable", "final")


@dataclass
class State:
    """A network at one recorded training step, and why that step was chosen."""

    net: object  # Network (one network) with the parameters of ``step``
    step: int  # the recorded step shown
    final_step: int  # the run's last step
    kind: str  # "readable", "final" or "step"
    train_accuracy: float  # on the points the rule was applied to
    corner: dict = field(default_factory=dict)  # corner fraction per bounded activation stage

    @property
    def max_corner(self) -> float:
        vals = [v for v in self.corner.values() if np.isfinite(v)]
        return float(max(vals)) if vals else 0.0

    def label(self) -> str:
        """A short phrase for titles and captions: which state and step a picture shows."""
        what = {"readable": "readable state", "final": "final state", "step": "chosen step"}[
            self.kind
        ]
        return f"{what}, step {self.step} of {self.final_step}"

    def describe(self) -> str:
        """One sentence: the state, its accuracy and its largest corner fraction."""
        corner = f"; corner fraction {self.max_corner:.2f}" if self.corner else ""
        return f"{self.label()}: train accuracy {self.train_accuracy:.3f}{corner}"

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "step": self.step,
            "final_step": self.final_step,
            "train_accuracy": self.train_accuracy,
            "corner": dict(self.corner),
            "max_corner": self.max_corner,
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
    """Training accuracy and smallest margin at every snapshot: (S,), (S,)."""
    Xt, yt = _tensors(X, y)
    work = _snapshot_net(net, history, 0, index)  # one copy, reloaded for each snapshot
    accs, mins = [], []
    for i in range(len(history.snapshots)):
        m = _margins(_load(work, history, i, index), Xt, yt)
        accs.append(float((m > 0).double().mean()))
        mins.append(float(m.min()))  # NaN parameters give NaN: never "with the margin"
    return np.array(accs), np.array(mins)


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
    accs, mins = _scan(net, history, X, y, index)
    best = float(accs.max())
    good = accs >= best - acc_tol
    if best >= 1.0:
        good &= (accs >= 1.0) & (mins >= margin)
        if not good.any():  # 100% reached but never with the margin: the largest margin
            cand = np.flatnonzero(accs >= 1.0)
            return int(history.record_steps[int(cand[np.nanargmax(mins[cand])])])
    return int(history.record_steps[int(np.flatnonzero(good)[0])])


def state_at(net, history, X, y, at="readable", *, index: int = 0, X_corner=None) -> State:
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
    X_corner : array, optional
        Points for the corner fractions (default ``X``).

    Returns
    -------
    State
    """
    from ..topology.saturation import saturation_by_stage

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
    corner = saturation_by_stage(shown, X if X_corner is None else X_corner)
    return State(shown, int(step), final_step, kind, float((m > 0).double().mean()), corner)
