"""Heads: what a network's last representation is read by (its loss and its labels).

A :class:`~isotopy.nn.Network` is its hidden stages followed by one last stage that its head
supplies (:meth:`Head.readout`), and the head gives the training objective and the labels:

    head.loss(out, y)          -> (N,)     mean loss of each network on a batch
    head.batch_labels(out, y)  -> (N, B)   the labels a training step counts as hits
    head.predict(net, x)       -> labels of new points

where ``out`` (N, B, c) is the output of the last stage. :class:`LinearHead` is the linear
read-out of the essay's networks: one logit for two classes (probability = sigmoid), K
logits for K > 2 (softmax), cross-entropy loss. Other heads (the k-NN head of
:mod:`isotopy.knn`) register themselves with :func:`register_head`, so that a network's
config names its head and :meth:`Network.from_config` rebuilds it.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import InputError, check_positive_int, lookup

__all__ = ["Head", "LinearHead", "HEAD_TYPES", "register_head", "head_from_spec", "labels"]

HEAD_TYPES: dict[str, type] = {}


def register_head(cls):
    """Class decorator: make ``cls`` loadable from a spec whose ``type`` is ``cls.type_name``."""
    HEAD_TYPES[cls.type_name] = cls
    return cls


def head_from_spec(spec: dict | None, n_classes: int) -> Head:
    """The head a config describes (None or no spec: the linear read-out)."""
    spec = dict(spec or {"type": "linear"})
    cls = lookup(HEAD_TYPES, spec.pop("type", "linear"), "head type")
    spec.setdefault("n_classes", n_classes)
    if spec["n_classes"] != n_classes:
        raise InputError(f"the head has {spec['n_classes']} classes, the network {n_classes}")
    return cls(**spec)


def labels(logits: torch.Tensor) -> torch.Tensor:
    """Labels of logits (..., c): one logit -> (logit > 0); K logits -> argmax."""
    if logits.shape[-1] == 1:
        return (logits[..., 0] > 0).long()
    return logits.argmax(-1)


class Head(nn.Module):
    """Base class of heads. Subclasses set ``type_name`` and ``stage_name``."""

    type_name = "head"
    stage_name = "head"  # the name of the last stage it supplies
    n_classes: int

    def readout(self, d_last: int, n_networks: int):  # pragma: no cover - overridden
        """The network's last stage, reading representations of width ``d_last``."""
        raise NotImplementedError

    def loss(self, out: torch.Tensor, y) -> torch.Tensor:  # pragma: no cover - overridden
        raise NotImplementedError

    def batch_labels(self, out: torch.Tensor, y) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def predict(self, net, x, **options) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def loss_and_labels(self, out: torch.Tensor, y) -> tuple[torch.Tensor, torch.Tensor]:
        """Loss (N,) and the step's labels (N, B) of one batch (heads may share the work)."""
        loss = self.loss(out, y)
        with torch.no_grad():
            return loss, self.batch_labels(out, y)

    def spec(self) -> dict:  # pragma: no cover - overridden
        raise NotImplementedError

    def copy_state(self, other: Head) -> None:
        """Take over what ``other`` (a head of the same kind) holds beyond its spec."""


@register_head
class LinearHead(Head):
    """The linear read-out: logits, cross-entropy, labels by sign (one logit) or argmax."""

    type_name = "linear"
    stage_name = "readout"

    def __init__(self, n_classes: int = 2):
        super().__init__()
        self.n_classes = check_positive_int(n_classes, "the number of classes", minimum=2)

    @property
    def n_logits(self) -> int:
        return 1 if self.n_classes == 2 else self.n_classes

    def readout(self, d_last: int, n_networks: int):
        from .stages import Affine

        return Affine(d_last, self.n_logits, n_networks=n_networks)

    def loss(self, out: torch.Tensor, y) -> torch.Tensor:
        """Mean cross-entropy of each network: logits (N, B, c), y (B,) or (N, B) -> (N,)."""
        y = torch.as_tensor(y, device=out.device)
        if self.n_classes == 2:  # cast before expanding: no (N, B) copy of the labels
            target = y.to(out.dtype).expand(out.shape[0], -1)
            return F.binary_cross_entropy_with_logits(out[..., 0], target, reduction="none").mean(
                -1
            )
        ce = F.cross_entropy(out.transpose(1, 2), y.expand(out.shape[0], -1), reduction="none")
        return ce.mean(-1)

    def batch_labels(self, out: torch.Tensor, y=None) -> torch.Tensor:
        return labels(out)

    @torch.no_grad()
    def predict(self, net, x, **options) -> np.ndarray:
        if options:
            raise InputError(
                f"a linear read-out takes no prediction options, got {', '.join(options)}"
            )
        return labels(net(x)).cpu().numpy()

    def spec(self) -> dict:
        return {"type": self.type_name}

    def extra_repr(self) -> str:
        return f"{self.n_classes} classes"
