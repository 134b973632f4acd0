"""The low-dimensional network of the essay: a list of stages and a head.

``Network(d_in, hidden=(2, 2), activation="tanh", n_classes=2)`` builds

    affine d_in→h1, σ, affine h1→h2, σ, ..., readout h_last→c

(preceded, with ``features=["x1", "x2", "x1x2"]`` and a 2-D input, by the input features of
:class:`~isotopy.nn.stages.Features`: features, affine k→h1, σ, ...), with the linear
read-out of :class:`~isotopy.nn.head.LinearHead`: c = 1 logit for two
classes (probability = sigmoid) and c = K logits for K > 2 (probabilities = softmax). Any
list of stages works through :meth:`Network.from_stages`, and any head (``head=``, e.g. the
k-NN head of :mod:`isotopy.knn`): the head supplies the last stage, the loss and the labels.
Parameters carry a leading network axis N so that N networks of one architecture train as
one program; x: (B, d_in) or (N, B, d_in) -> outputs (N, B, c), squeezed to (B, c) when
N = 1 and x is (B, d_in).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..errors import InputError, check_positive_int, parse_int_list
from .activations import get_activation
from .head import Head, LinearHead, head_from_spec, labels
from .stages import Activation, Affine, Features, Stage, stage_from_spec

__all__ = ["Network"]


class Network(nn.Module):
    """A sequence of named stages ending in the stage its head supplies.

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
    head : Head or None
        What reads the last representation; None: the linear read-out.
    features : sequence of str, str, Features or None
        Input features as a first stage named "features" (2-D inputs only), e.g.
        ``["x1", "x2", "x1x2"]`` or ``"x1,x2,sinx1"`` (see ``FEATURE_NAMES``); the first
        affine stage then reads the k features. None: the network reads (x1, x2) itself.
    """

    def __init__(
        self,
        d_in: int,
        hidden=(2,),
        activation: str = "tanh",
        n_classes: int = 2,
        *,
        n_networks: int = 1,
        seed=0,
        head: Head | None = None,
        features=None,
    ):
        d_in = check_positive_int(d_in, "the input dimension")
        hidden = parse_int_list(hidden, "the hidden widths")
        get_activation(activation)
        stages, names, widths = [], [], [d_in, *hidden]
        if features is not None:
            feat = _features_stage(
                features, d_in, check_positive_int(n_networks, "the number of networks")
            )
            stages, names, widths = [feat], ["features"], [feat.d_out, *hidden]
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:]), start=1):
            stages += [
                Affine(a, b, n_networks=n_networks),
                Activation(activation, b, n_networks=n_networks),
            ]
            names += [f"affine{i}", f"{activation}{i}"]
        self._init(stages, names, n_classes, n_networks, seed, d_in, head)

    @classmethod
    def from_stages(
        cls, stages: list[Stage], n_classes: int = 2, *, names=None, seed=0, head=None
    ) -> Network:
        """A network from any hidden stages; the head's last stage is appended here."""
        if not stages:
            raise InputError("a network built from stages needs at least one stage")
        net = cls.__new__(cls)
        names = (
            list(names)
            if names is not None
            else [f"{s.type_name}{i}" for i, s in enumerate(stages, start=1)]
        )
        net._init(list(stages), names, n_classes, stages[0].n_networks, seed, stages[0].d_in, head)
        return net

    def _init(self, stages, names, n_classes, n_networks, seed, d_in, head=None):
        nn.Module.__init__(self)
        self.n_classes = check_positive_int(n_classes, "the number of classes", minimum=2)
        self.n_networks = check_positive_int(n_networks, "the number of networks")
        if head is None:
            head = LinearHead(self.n_classes)
        elif isinstance(head, dict):
            head = head_from_spec(head, self.n_classes)
        if not isinstance(head, Head):
            raise InputError(f"a network's head must be a Head, got {type(head).__name__}")
        if head.n_classes != self.n_classes:
            raise InputError(f"the head has {head.n_classes} classes, the network {self.n_classes}")
        for prev, nxt in zip(stages[:-1], stages[1:]):
            if prev.d_out != nxt.d_in:
                raise InputError(f"stage widths do not chain: {prev.d_out} then {nxt.d_in}")
        d_last = stages[-1].d_out if stages else d_in
        stages = [*stages, head.readout(d_last, self.n_networks)]
        self.stages = nn.ModuleList(stages)
        self.head = head
        self.names = [*names, head.stage_name]
        self.d_in = d_in
        self.reset_parameters(seed)

    # ----------------------------------------------------------------------------- config
    def reset_parameters(self, seed=0) -> None:
        """Initialise each network from its own generator, stage by stage, in a fixed order."""
        seeds = (
            list(seed)
            if isinstance(seed, (list, tuple, np.ndarray))
            else [int(seed) + i for i in range(self.n_networks)]
        )
        if len(seeds) != self.n_networks:
            raise InputError(f"got {len(seeds)} seeds for {self.n_networks} networks")
        self.seeds = [int(s) for s in seeds]
        gens = [torch.Generator().manual_seed(s) for s in self.seeds]
        for stage in self.stages:
            stage.reset_parameters(gens)

    def config(self) -> dict:
        """JSON-able description from which :meth:`from_config` rebuilds the architecture."""
        cfg = {
            "d_in": self.d_in,
            "n_classes": self.n_classes,
            "n_networks": self.n_networks,
            "seeds": self.seeds,
            "names": self.names[:-1],
            "stages": [s.spec() for s in self.stages[:-1]],
        }
        if not isinstance(self.head, LinearHead):  # configs of linear read-outs stay as before
            cfg["head"] = self.head.spec()
        return cfg

    @classmethod
    def from_config(cls, cfg: dict) -> Network:
        try:
            n = int(cfg.get("n_networks", 1))
            stages = [stage_from_spec(s, n_networks=n) for s in cfg["stages"]]
            head = head_from_spec(cfg.get("head"), cfg["n_classes"])
            if not stages:
                return cls(
                    cfg["d_in"],
                    (),
                    "identity",
                    cfg["n_classes"],
                    n_networks=n,
                    seed=cfg.get("seeds", 0),
                    head=head,
                )
            return cls.from_stages(
                stages,
                cfg["n_classes"],
                names=cfg.get("names"),
                seed=cfg.get("seeds", 0),
                head=head,
            )
        except (KeyError, TypeError) as e:
            raise InputError(f"network config is incomplete or malformed ({e})") from None

    @property
    def input_features(self) -> tuple[str, ...] | None:
        """The names of the input features when the first stage is a Features stage, else None."""
        first = self.stages[0]
        return first.names if isinstance(first, Features) else None

    @property
    def hidden_widths(self) -> list[int]:
        return [s.d_out for s in self.stages[:-1] if isinstance(s, Affine)]

    def layer_ends(self) -> list[int]:
        """Indices of the stages after which a hidden representation is complete.

        A representation is complete after each stage that is followed by an affine stage or
        by the head's stage, so "the last hidden representation" is the input to the read-out
        (or to a k-NN head's embedding).
        """
        last = len(self.stages) - 1  # the head's stage
        return [i for i in range(last) if i + 1 == last or isinstance(self.stages[i + 1], Affine)]

    def select(self, index: int) -> Network:
        """Network ``index`` of a batch of networks, as a network of its own (a copy)."""
        if not 0 <= index < self.n_networks:
            raise InputError(f"network index {index} out of range 0..{self.n_networks - 1}")
        cfg = dict(self.config(), n_networks=1, seeds=[self.seeds[index]])
        net = Network.from_config(cfg)
        with torch.no_grad():
            for (_, p_new), (_, p) in zip(net.named_parameters(), self.named_parameters()):
                p_new.copy_(p[index])
        net.head.copy_state(self.head)
        return net

    # ---------------------------------------------------------------------------- forward
    def batched(self, x) -> tuple[torch.Tensor, bool]:
        """x as (N, B, d_in) on the parameters' device and dtype, and whether outputs for
        it are squeezed back to (B, ...) (a single network given (B, d_in))."""
        p = next(self.parameters(), None)
        x = torch.as_tensor(
            x,
            dtype=p.dtype if p is not None else torch.get_default_dtype(),
            device=p.device if p is not None else None,
        )
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
        h, squeeze = self.batched(x)
        h = self._through(h)
        return h[0] if squeeze else h

    def outputs(self, x) -> torch.Tensor:
        """The last stage's output, always with the network axis: x -> (N, B, c)."""
        return self._through(self.batched(x)[0])

    def _through(self, h: torch.Tensor) -> torch.Tensor:
        for stage in self.stages:
            h = stage(h)
        return h

    def forward_all(self, x, upto: int | None = None) -> list[torch.Tensor]:
        """[x, after stage 0, after stage 1, ...] as (N, B, d) tensors, differentiable."""
        h, _ = self.batched(x)
        out = [h]
        for stage in self.stages[:upto]:
            h = stage(h)
            out.append(h)
        return out

    @torch.no_grad()
    def trace(self, x) -> list[tuple[str, np.ndarray]]:
        """The representation after every stage, with stage names.

        x: (B, d_in) -> [("input", (B, d_in)), (name_1, (B, d_1)), ..., ("readout", (B, c))];
        each array gains a leading N axis when the network holds N > 1 networks.
        """
        _, squeeze = self.batched(x)
        reps = self.forward_all(x)
        names = ["input", *self.names]
        return [(n, (r[0] if squeeze else r).numpy()) for n, r in zip(names, reps)]

    # ---------------------------------------------------------------------- classification
    def loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The head's mean loss of each network: out (N, B, c) or (B, c), y (B,) -> (N,)."""
        return self.head.loss(out if out.dim() == 3 else out[None], y)

    @staticmethod
    def labels(out: torch.Tensor) -> torch.Tensor:
        """Labels of read-out logits (..., c): the sign of one logit, or the argmax."""
        return labels(out)

    @torch.no_grad()
    def predict(self, x, **options) -> np.ndarray:
        """Predicted labels: (B,) or (N, B) int64 (the head's rule; options go to it)."""
        return self.head.predict(self, x, **options)

    def set_reference(self, X, y) -> Network:
        """Give a head that classifies by reference points (k-NN) its labelled points."""
        if not hasattr(self.head, "set_reference"):
            raise InputError("this network's head classifies without reference points")
        self.head.set_reference(self, X, y)
        return self

    @torch.no_grad()
    def predict_proba(self, x) -> np.ndarray:
        """Class probabilities of a linear read-out: (B, K) or (N, B, K)."""
        if not isinstance(self.head, LinearHead):
            raise InputError("only a linear read-out gives class probabilities; use predict")
        logits = self(x)
        if logits.shape[-1] == 1:
            p = torch.sigmoid(logits)
            return torch.cat([1 - p, p], dim=-1).numpy()
        return torch.softmax(logits, dim=-1).numpy()

    def __repr__(self) -> str:
        parts = " → ".join(s.short() for s in self.stages)
        batch = f", n_networks={self.n_networks}" if self.n_networks > 1 else ""
        head = "" if isinstance(self.head, LinearHead) else f", head={self.head.type_name}"
        return f"Network(d_in={self.d_in}: {parts}, n_classes={self.n_classes}{batch}{head})"


def _features_stage(features, d_in: int, n_networks: int) -> Features:
    """The Features stage that ``Network(features=...)`` asks for (names or a stage)."""
    if d_in != 2:
        raise InputError(f"input features (x1, x2, x1², ...) need a 2-D input, got {d_in}-D")
    if not isinstance(features, Features):
        return Features(features, n_networks=n_networks)
    if features.n_networks != n_networks:
        raise InputError(
            f"the features stage holds {features.n_networks} networks, the network {n_networks}"
        )
    return features
