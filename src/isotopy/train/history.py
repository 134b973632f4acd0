"""What a training run remembers: losses and accuracies per step, parameter snapshots.

Per-step curves have shape (N, steps) for N networks trained together. Snapshots are the
parameters (a state dict, each tensor with its leading network axis) at the recorded steps,
so any stage's representation at any recorded step can be rebuilt with
:meth:`History.network_at`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

__all__ = ["History"]


@dataclass
class History:
    loss: np.ndarray  # (N, steps) training loss (mini-batch loss when batched)
    train_accuracy: np.ndarray  # (N, steps) accuracy on the batch the step trained on
    record_steps: list[int]  # steps at which snapshots and test metrics were taken
    snapshots: list[dict[str, torch.Tensor]]  # state dicts at record_steps
    test_loss: np.ndarray | None = None  # (N, len(record_steps))
    test_accuracy: np.ndarray | None = None  # (N, len(record_steps))
    final_train_accuracy: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (N,) full set
    stopped: str | None = None  # why training stopped early (a non-finite loss), else None
    stopped_at: np.ndarray | None = None  # (N,) step each network stopped at, -1: ran on

    @property
    def steps_done(self) -> int:
        return self.loss.shape[1]

    def network_at(self, net, step: int):
        """A copy of ``net`` with the parameters recorded at ``step`` (the nearest recorded one
        at or before it)."""
        import copy

        idx = int(np.searchsorted(self.record_steps, step, side="right")) - 1
        idx = max(idx, 0)
        new = copy.deepcopy(net)
        new.load_state_dict(self.snapshots[idx])
        return new

    def select(self, index: int) -> History:
        """The history of network ``index`` alone (N = 1), e.g. to save it as a run."""

        def row(a):
            return None if a is None else np.asarray(a)[index : index + 1].copy()

        return History(
            loss=row(self.loss),
            train_accuracy=row(self.train_accuracy),
            record_steps=list(self.record_steps),
            snapshots=[
                {k: v[index : index + 1].clone() for k, v in s.items()} for s in self.snapshots
            ],
            test_loss=row(self.test_loss),
            test_accuracy=row(self.test_accuracy),
            final_train_accuracy=row(self.final_train_accuracy),
            stopped=self.stopped,
            stopped_at=row(self.stopped_at),
        )

    def summary(self, index: int = 0) -> dict:
        """Final numbers of network ``index`` as plain floats."""
        row = self.loss[index]
        finite = row[np.isfinite(row)]
        out = {
            "final_loss": float(finite[-1]) if len(finite) else float("nan"),
            "train_accuracy": float(self.final_train_accuracy[index]),
            "steps": int(self.steps_done),
        }
        if self.test_accuracy is not None:
            out["test_accuracy"] = float(self.test_accuracy[index, -1])
            out["test_loss"] = float(self.test_loss[index, -1])
        if self.stopped:
            out["stopped"] = self.stopped
        return out

    def __repr__(self) -> str:
        s = self.summary()
        test = f", test_acc={s['test_accuracy']:.3f}" if "test_accuracy" in s else ""
        n = self.loss.shape[0]
        return (
            f"History(steps={s['steps']}, networks={n}, snapshots={len(self.snapshots)}, "
            f"loss={s['final_loss']:.4f}, train_acc={s['train_accuracy']:.3f}{test}"
            + (f", stopped={self.stopped!r}" if self.stopped else "")
            + ")"
        )
