"""The low-dimensional network of the essay: a list of stages and a linear read-out.

``Network(d_in, hidden=(2, 2), activation="tanh", n_classes=2)`` builds

    affine d_in→h1, σ, affine h1→h2, σ, ..., readout h_last→c

with c = 1 logit for two classes (probability = sigmoid) and c = K logits for K > 2
(probabilities = softmax). Any list of stages works through :meth:`Network.from_stages`.
Parameters carry a leading network axis N so that N networks of one architecture train as
one program; x: (B, d_in) or (N, B, d_in) -> logits (N, B, c), squeezed to (B, c) when N = 1
and x is (B, d_in).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import InputError, check_positive_int, parse_int_list
from .activations import get_activation
from .stages import Activation, Affine, Stage, stage_from_spec

__all__ = ["Network"]


class Network(nn.Module):
    """A sequence of named stages ending in a linear read-out.

    Parameters
    ----------
    d_in : int
        Input dimension (from the data).
    hidden : sequence of int or str
        Hidden widths, e.g. ``(2, 2, 2)`` or ``"2,2,2"``; empty for no hidden layer.
    activation : str
        A key of ``ACTIVATIONS``.
    n_classes : int
        Number of classes (>= 2).
    n_networks : int
        How many networks of this architecture to hold (leading parameter axis).
    seed : int or sequence of int
        Initialisation seed of each network; an int s gives networks seeds s, s+1, ...
    """

    def __init__(self, d_in: int, hidden=(2,), activation: str = "tanh", n_classes: int = 2,
                 *, n_networks: int = 1, seed=0):
        d_in = check_positive_int(d_in, "the input dimension")
        hidden = parse_int_list(hidden, "the hidden widths")
        get_activation(activation)
        stages, names, widths = [], [], [d_in, *hidden]
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:]), start=1):
            stages += [Affine(a, b, n_networks=n_networks), Activation(activation, b,
                                                                       n_networks=n_networks)]
            names += [f"affine{i}", f"{activation}{i}"]
        self._init(stages, names, n_classes, n_networks, seed, d_in)

    @classmethod
    def from_stages(cls, stages: list[Stage], n_classes: int = 2, *, names=None, seed=0):
        """A network from any hidden stages; the read-out is appended here."""
        if not stages:
            raise InputError("a network built from stages needs at least one stage")
        net = cls.__new__(cls)
        names = list(names) if names is not None else [
            f"{s.type_name}{i}" for i, s in enumerate(stages, start=1)]
        net._init(list(stages), names, n_classes, stages[0].n_networks, seed, stages[0].d_in)
        return net

    def _init(self, stages, names, n_classes, n_networks, seed, d_in):
        nn.Module.__init__(self)
        self.n_classes = check_positive_int(n_classes, "the number of classes", minimum=2)
        self.n_networks = check_positive_int(n_networks, "the number of networks")
        for prev, nxt in zip(stages[:-1], stages[1:]):
            if prev.d_out != nxt.d_in:
                raise InputError(f"stage widths do not chain: {prev.d_out} then {nxt.d_in}")
        d_last = stages[-1].d_out if stages else d_in
        out = 1 if self.n_classes == 2 else self.n_classes
        stages = [*stages, Affine(d_last, out, n_networks=self.n_networks)]
        self.stages = nn.ModuleList(stages)
        self.names = [*names, "readout"]
        self.d_in = d_in
        self.reset_parameters(seed)

    # ----------------------------------------------------------------------------- config
    def reset_parameters(self, seed=0) -> None:
        """Initialise each network from its own generator, stage by stage, in a fixed order."""
        seeds = list(seed) if isinstance(seed, (list, tuple, np.ndarray)) else [
            int(seed) + i for i in range(self.n_networks)]
        if len(seeds) != self.n_networks:
            raise InputError(f"got {len(seeds)} seeds for {self.n_networks} networks")
        self.seeds = [int(s) for s in seeds]
        gens = [torch.Generator().manual_seed(s) for s in self.seeds]
        for stage in self.stages:
            stage.reset_parameters(gens)

    def config(self) -> dict:
        """JSON-able description from which :meth:`from_config` rebuilds the architecture."""
        return {"d_in": self.d_in, "n_classes": self.n_classes, "n_networks": self.n_networks,
                "seeds": self.seeds, "names": self.names[:-1],
                "stages": [s.spec() for s in self.stages[:-1]]}

    @classmethod
    def from_config(cls, cfg: dict) -> Network:
        try:
            n = int(cfg.get("n_networks", 1))
            stages = [stage_from_spec(s, n_networks=n) for s in cfg["stages"]]
            if not stages:
                return cls(cfg["d_in"], (), "identity", cfg["n_classes"], n_networks=n,
                           seed=cfg.get("seeds", 0))
            return cls.from_stages(stages, cfg["n_classes"], names=cfg.get("names"),
                                   seed=cfg.get("seeds", 0))
        except (KeyError, TypeError) as e:
            raise InputError(f"network config is incomplete or malformed ({e})") from None

    @property
    def hidden_widths(self) -> list[int]:
        return [s.d_out for s in self.stages[:-1] if isinstance(s, Affine)]

    def layer_ends(self) -> list[int]:
        """Indices of the stages after which a hidden representation is complete.

        A representation is complete after each stage that is followed by an affine stage
        (the read-out included), so "the last hidden representation" is the input to the
        read-out.
        """
        return [i for i in range(len(self.stages) - 1)
                if isinstance(self.stages[i + 1], Affine)]

    def select(self, index: int) -> Network:
        """Network ``index`` of a batch of networks, as a network of its own (a copy)."""
        if not 0 <= index < self.n_networks:
            raise InputError(f"network index {index} out of range 0..{self.n_networks - 1}")
        cfg = dict(self.config(), n_networks=1, seeds=[self.seeds[index]])
        net = Network.from_config(cfg)
        with torch.no_grad():
            for (_, p_new), (_, p) in zip(net.named_parameters(), self.named_parameters()):
                p_new.copy_(p[index])
        return net

    # ---------------------------------------------------------------------------- forward
    def _batched(self, x) -> tuple[torch.Tensor, bool]:
        x = torch.as_tensor(x, dtype=self.stages[0].weight.dtype if isinstance(
            self.stages[0], Affine) else torch.get_default_dtype())
        if x.dim() == 1 and self.d_in == 1:
            x = x[:, None]
        if x.dim() == 2:
            squeeze = self.n_networks == 1
            x = x.unsqueeze(0).expand(self.n_networks, -1, -1)
        elif x.dim() == 3:
            squeeze = False
        else:
            raise InputError(f"input must be (B, d) or (N, B, d), got shape {tuple(x.shape)}")
        if x.shape[-1] != self.d_in:
            raise InputError(f"input has {x.shape[-1]} features, the network expects {self.d_in}")
        return x, squeeze

    def forward(self, x) -> torch.Tensor:
        """Logits. x: (B, d_in) or (N, B, d_in) -> (B, c) or (N, B, c)."""
        h, squeeze = self._batched(x)
        for stage in self.stages:
            h = stage(h)
        return h[0] if squeeze else h

    def forward_all(self, x, upto: int | None = None) -> list[torch.Tensor]:
        """[x, after stage 0, after stage 1, ...] as (N, B, d) tensors, differentiable."""
        h, _ = self._batched(x)
        out = [h]
        for stage in self.stages[: upto]:
            h = stage(h)
            out.append(h)
        return out

    @torch.no_grad()
    def trace(self, x) -> list[tuple[str, np.ndarray]]:
        """The representation after every stage, with stage names.

        x: (B, d_in) -> [("input", (B, d_in)), (name_1, (B, d_1)), ..., ("readout", (B, c))];
        each array gains a leading N axis when the network holds N > 1 networks.
        """
        _, squeeze = self._batched(x)
        reps = self.forward_all(x)
        names = ["input", *self.names]
        return [(n, (r[0] if squeeze else r).numpy()) for n, r in zip(names, reps)]

    # ---------------------------------------------------------------------- classification
    def loss(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of each network: logits (N, B, c), y (B,) or (N, B) -> (N,)."""
        if logits.dim() == 2:
            logits = logits.unsqueeze(0)
        y = torch.as_tensor(y)
        if self.n_classes == 2:  # cast before expanding: no (N, B) copy of the labels
            target = y.to(logits.dtype).expand(logits.shape[0], -1)
            return F.binary_cross_entropy_with_logits(
                logits[..., 0], target, reduction="none").mean(-1)
        y = y.expand(logits.shape[0], -1)
        ce = F.cross_entropy(logits.transpose(1, 2), y, reduction="none")  # (N, B)
        return ce.mean(-1)

    @staticmethod
    def _labels_from_logits(logits: torch.Tensor) -> torch.Tensor:
        if logits.shape[-1] == 1:
            return (logits[..., 0] > 0).long()
        return logits.argmax(-1)

    @torch.no_grad()
    def predict(self, x) -> np.ndarray:
        """Predicted labels: (B,) or (N, B) int64."""
        return self._labels_from_logits(self(x)).numpy()

    @torch.no_grad()
    def predict_proba(self, x) -> np.ndarray:
        """Class probabilities: (B, K) or (N, B, K)."""
        logits = self(x)
        if logits.shape[-1] == 1:
            p = torch.sigmoid(logits)
            return torch.cat([1 - p, p], dim=-1).numpy()
        return torch.softmax(logits, dim=-1).numpy()

    def __repr__(self) -> str:
        parts = " → ".join(s.short() for s in self.stages)
        batch = f", n_networks={self.n_networks}" if self.n_networks > 1 else ""
        return f"Network(d_in={self.d_in}: {parts}, n_classes={self.n_classes}{batch})"
