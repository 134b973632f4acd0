"""Networks classified by k-NN: test-time k-NN on any stage, and a network trained for k-NN.

Test-time k-NN (:func:`knn_classify`) keeps a trained network's stages, drops its read-out
and labels each query by its k nearest training points in the representation after a chosen
stage (by default the input of the read-out, the penultimate representation).

:class:`KNNNetwork` is a stack of stages whose last representation z is an embedding
classified by a :class:`~isotopy.knn.head.KNNHead` instead of a linear read-out. It trains
with the same :func:`isotopy.train.fit`, through the ``objective(xb, yb) -> (loss (N,),
predictions (N, B))`` hook that ``fit`` uses when a network has one; ``predict`` classifies
new points by hard k-NN against a reference set given with :meth:`KNNNetwork.set_reference`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..errors import InputError, check_positive_int
from ..nn.network import Network
from ..nn.stages import Stage, stage_from_spec
from .head import KNNHead, nll
from .search import knn_predict

__all__ = ["KNNNetwork", "Embedding", "knn_classify", "representation"]

# Above this many points an evaluation without gradients classifies in blocks of queries
# against the whole set, so memory stays at block x n distances.
_EVAL_BLOCK = 2048


class Embedding(Stage):
    """z -> z: marks the end of a k-NN network (its output is the embedding itself).

    z: (N, B, d) -> (N, B, d). Takes the read-out's place, so every tool that reads a
    network's stage list sees the embedding as the last representation.
    """

    type_name = "embedding"

    def __init__(self, dim: int, *, n_networks: int = 1):
        super().__init__()
        self.d_in = self.d_out = check_positive_int(dim, "the embedding width")
        self.n_networks = n_networks

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return z

    def is_homeomorphism(self) -> torch.Tensor:
        return torch.ones(self.n_networks, dtype=torch.bool)

    def spec(self) -> dict:
        return {"type": self.type_name, "dim": self.d_in}

    def short(self) -> str:
        return f"embedding {self.d_in}"


class KNNNetwork(Network):
    """Stages ending in an embedding that a :class:`KNNHead` classifies.

    Build with :meth:`KNNNetwork.from_stages`; ``net(x)`` returns the embedding (N, B, d)
    (squeezed like :class:`Network`), ``net.loss(z, y)`` the head's loss (N,).

    The test loss and accuracy that ``fit`` records for such a network classify the test
    set by itself (each point by the other test points, the head's rule); the experiment's
    numbers instead classify test points by the training set (:meth:`predict`).
    """

    @classmethod
    def from_stages(
        cls,
        stages: list[Stage],
        n_classes: int = 2,
        *,
        names=None,
        seed=0,
        head: KNNHead | dict | None = None,
    ) -> KNNNetwork:
        if not stages:
            raise InputError("a k-NN network needs at least one stage")
        head = head if isinstance(head, KNNHead) else KNNHead(n_classes, **(head or {}))
        if head.n_classes != n_classes:
            raise InputError(f"the k-NN head has {head.n_classes} classes, the network {n_classes}")
        net = cls.__new__(cls)
        names = (
            list(names)
            if names is not None
            else [f"{s.type_name}{i}" for i, s in enumerate(stages, start=1)]
        )
        nn.Module.__init__(net)
        net.n_classes = check_positive_int(n_classes, "the number of classes", minimum=2)
        net.n_networks = stages[0].n_networks
        for prev, nxt in zip(stages[:-1], stages[1:], strict=True):
            if prev.d_out != nxt.d_in:
                raise InputError(f"stage widths do not chain: {prev.d_out} then {nxt.d_in}")
        net.stages = nn.ModuleList(
            [*stages, Embedding(stages[-1].d_out, n_networks=net.n_networks)]
        )
        net.names = [*names, "embedding"]
        net.d_in = stages[0].d_in
        net.head = head
        net.reference = None
        net.reset_parameters(seed)
        return net

    def config(self) -> dict:
        return {**super().config(), "kind": "knn", "head": self.head.spec()}

    @classmethod
    def from_config(cls, cfg: dict) -> KNNNetwork:
        try:
            n = int(cfg.get("n_networks", 1))
            stages = [stage_from_spec(s, n_networks=n) for s in cfg["stages"]]
            head = dict(cfg["head"])
            n_classes = head.pop("n_classes")
            return cls.from_stages(
                stages, n_classes, names=cfg.get("names"), seed=cfg.get("seeds", 0), head=head
            )
        except (KeyError, TypeError) as e:
            raise InputError(f"k-NN network config is incomplete or malformed ({e})") from None

    def select(self, index: int) -> KNNNetwork:
        if not 0 <= index < self.n_networks:
            raise InputError(f"network index {index} out of range 0..{self.n_networks - 1}")
        net = KNNNetwork.from_config(dict(self.config(), n_networks=1, seeds=[self.seeds[index]]))
        with torch.no_grad():
            for (_, p_new), (_, p) in zip(
                net.named_parameters(), self.named_parameters(), strict=True
            ):
                p_new.copy_(p[index])
        if self.reference is not None:
            net.reference = self.reference
        return net

    def layer_ends(self) -> list[int]:
        return sorted({*super().layer_ends(), len(self.stages) - 2})

    # ------------------------------------------------------------------- training hooks
    def loss(self, z: torch.Tensor, y) -> torch.Tensor:
        """The head's loss of each network: z (N, B, d) or (B, d), y (B,) -> (N,)."""
        return self.head(z.unsqueeze(0) if z.dim() == 2 else z, y)

    def objective(self, x, y) -> tuple[torch.Tensor, torch.Tensor]:
        """Loss (N,) and in-batch predictions (N, B) of a batch; what ``fit`` optimises.

        Without gradients and for more than a few thousand points, the in-set
        classification runs in blocks of queries against the whole set (same result).
        """
        y = torch.as_tensor(y).long()
        z, _ = self._batched(x)
        for stage in self.stages:
            z = stage(z)  # (N, B, d)
        n = z.shape[1]
        if torch.is_grad_enabled() or n <= _EVAL_BLOCK or self.head.variant != "in_batch":
            lp = self.head.log_probs(z, y)  # (N, B, K)
        else:
            lp = torch.cat(
                [
                    self.head.classify(
                        z[:, s : s + _EVAL_BLOCK],
                        z,
                        y,
                        self_index=torch.arange(s, min(n, s + _EVAL_BLOCK)),
                    )
                    for s in range(0, n, _EVAL_BLOCK)
                ],
                dim=1,
            )
        return nll(lp, y), lp.argmax(-1)

    # ------------------------------------------------------------------ classification
    def set_reference(self, X, y) -> KNNNetwork:
        """Keep the labelled points (n, d_in), (n,) that :meth:`predict` classifies by."""
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y)
        if X.ndim != 2 or X.shape[1] != self.d_in or y.shape != (len(X),):
            raise InputError(
                f"reference points must be X (n, {self.d_in}) and y (n,), got "
                f"{X.shape} and {y.shape}"
            )
        self.reference = (X, y.astype(np.int64))
        return self

    @torch.no_grad()
    def predict(self, x, *, k: int | None = None, weights: str = "distance") -> np.ndarray:
        """Hard k-NN labels of x against the reference set: (B,) or (N, B).

        ``k`` defaults to the head's k (5 when the head votes with every point).
        """
        if self.reference is None:
            raise InputError(
                "this k-NN network has no reference set; call set_reference(X_train, y_train) first"
            )
        X_ref, y_ref = self.reference
        return knn_classify(self, X_ref, y_ref, x, k=k or self.head.k or 5, weights=weights)

    def predict_proba(self, x):  # pragma: no cover - a k-NN network has no read-out
        raise InputError("a k-NN network gives labels (predict), not read-out probabilities")

    def __repr__(self) -> str:
        return (
            super().__repr__().replace("Network(", "KNNNetwork(", 1)[:-1]
            + f", head={self.head.extra_repr()})"
        )


def _stage_index(net: Network, stage) -> int:
    """Position in ``forward_all``'s list: None = input of the read-out; a name; an int."""
    names = ["input", *net.names]
    if stage is None:
        return len(names) - 2
    if isinstance(stage, str):
        if stage not in names:
            raise InputError(f"unknown stage {stage!r}; choose one of: {', '.join(names)}")
        return names.index(stage)
    i = int(stage)
    if not -len(names) <= i < len(names):
        raise InputError(f"stage index {i} out of range for {len(names)} representations")
    return i % len(names)


@torch.no_grad()
def representation(net: Network, X, *, stage=None, batch_size: int = 4096) -> torch.Tensor:
    """The representation of X after ``stage``: (n, d_in) -> (N, n, d_stage).

    ``stage`` is a stage name (see ``net.names``; "input" for the data), a position in
    ``["input", *net.names]``, or None for the input of the read-out.
    """
    i = _stage_index(net, stage)
    X = torch.as_tensor(np.asarray(X, dtype=np.float32))
    parts = [
        net.forward_all(X[s : s + batch_size], upto=i)[i] for s in range(0, len(X), batch_size)
    ]
    return torch.cat(parts, dim=1)


def knn_classify(
    net: Network, X_ref, y_ref, X_query, *, stage=None, k: int = 5, weights: str = "distance"
) -> np.ndarray:
    """Test-time k-NN: label queries by their k nearest reference points in a representation.

    Parameters
    ----------
    net : Network
        Any network (N >= 1); its read-out is not used.
    X_ref : array (n, d_in), y_ref : int array (n,)
        Labelled reference points (usually the training set).
    X_query : array (m, d_in)
    stage : str, int or None
        Whose representation to search in; None: the input of the read-out.
    k : int
    weights : {"distance", "uniform"}

    Returns
    -------
    ndarray int64, shape (m,) for a single network, (N, m) for N > 1.
    """
    X_ref = np.asarray(X_ref, dtype=np.float32)
    X_query = np.asarray(X_query, dtype=np.float32)
    for what, a in (("reference points", X_ref), ("query points", X_query)):
        if a.ndim != 2 or a.shape[1] != net.d_in:
            raise InputError(f"the {what} must be (n, {net.d_in}), got shape {a.shape}")
    zr = representation(net, X_ref, stage=stage)
    zq = representation(net, X_query, stage=stage)
    preds = np.stack(
        [knn_predict(zr[i], y_ref, zq[i], k=k, weights=weights) for i in range(zr.shape[0])]
    )
    return preds[0] if net.n_networks == 1 else preds
