"""A differentiable k-NN classifier: the essay's "nearest neighbour layer" in place of softmax.

Each query point i is classified by a set of reference points j (the other elements of its
mini-batch, or a second batch) with class probabilities

    p(c | i) = Σ_{j ∈ R(i), y_j = c} w_ij / Σ_{j ∈ R(i)} w_ij,

and the loss is the mean of -log p(y_i | i). R(i) is every reference point except i itself,
or only the k nearest of them when ``k`` is given. The weights come in two forms:

    "inverse_distance"   w_ij = 1 / (|z_i - z_j| + eps)     (the essay's 1/distance votes)
    "temperature"        w_ij = exp(-|z_i - z_j|² / T)      (neighbourhood components
                                                              analysis, Goldberger et al. 2004)

The weights are normalised in log space (a softmax of log w_ij over the voting points), so
they neither under- nor overflow; the class sums are one matrix product with the one-hot
labels.
With ``k`` set and no softening, "inverse_distance" reproduces scikit-learn's
distance-weighted k-NN exactly;
"temperature" tends to the 1-nearest-neighbour rule as T -> 0 and, with ``k`` set, to the
uniform k-NN vote as T -> ∞.

Variants (how a training batch is split into queries and references):

    "in_batch"    every element classified by the others (self excluded)      (essay)
    "two_batch"   the batch halves A, B classify each other (the essay's footnote 9)

Shapes: embeddings z (N, B, d) for N networks, labels y (B,) or (N, B); class log
probabilities (N, B, K).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import InputError, check_positive_int, lookup
from ..nn.head import Head, register_head
from ..nn.stages import Stage, register_stage

__all__ = ["KNNHead", "Embedding", "KNN_HEAD_MODES", "KNN_HEAD_VARIANTS", "knn_log_probs"]

# Above this many points an evaluation without gradients classifies in blocks of queries
# against the whole set, so memory stays at block x n distances.
EVAL_BLOCK = 2048

KNN_HEAD_MODES = {
    "inverse_distance": "weights 1 / distance (the essay)",
    "temperature": "weights exp(-distance² / T) (NCA)",
}
KNN_HEAD_VARIANTS = {
    "in_batch": "each element classified by the rest of its batch",
    "two_batch": "the two halves of the batch classify each other",
}

_EPS = 1e-8  # keeps 1 / distance finite for coincident points
_TINY = 1e-30  # floor of a class probability before the log


def _log_weights(
    d2: torch.Tensor, mode: str, temperature: float, softening: float = 0.0
) -> torch.Tensor:
    """log w from squared distances (N, Bq, Br)."""
    if mode == "temperature":
        return -d2 / temperature
    floor = _EPS * _EPS
    if softening > 0:  # ε_i = softening x the RMS distance from query i to the references
        floor = softening**2 * d2.mean(dim=-1, keepdim=True) + floor
    return -0.5 * torch.log(d2 + floor)


def _sq_dists(zq: torch.Tensor, zr: torch.Tensor) -> torch.Tensor:
    """|zq_i - zr_j|²: (N, Bq, d), (N, Br, d) -> (N, Bq, Br), >= 0."""
    d2 = (
        (zq * zq).sum(-1, keepdim=True)
        + (zr * zr).sum(-1).unsqueeze(1)
        - 2 * torch.bmm(zq, zr.transpose(1, 2))
    )
    return d2.clamp_min(0)


def knn_log_probs(
    zq: torch.Tensor,
    zr: torch.Tensor,
    yr: torch.Tensor,
    n_classes: int,
    *,
    mode: str = "inverse_distance",
    k: int | None = None,
    temperature: float = 1.0,
    exclude_self: bool = False,
    self_index: torch.Tensor | None = None,
    softening: float = 0.0,
) -> torch.Tensor:
    """Class log probabilities of queries given labelled references (differentiable).

    Parameters
    ----------
    zq : tensor (N, Bq, d)
        Query embeddings.
    zr : tensor (N, Br, d)
        Reference embeddings.
    yr : int tensor (Br,) or (N, Br)
        Reference labels in 0..n_classes-1.
    n_classes : int
    mode : {"inverse_distance", "temperature"}
    k : int or None
        Vote with the k nearest references only (None: all of them).
    temperature : float
        T of the "temperature" mode.
    exclude_self : bool
        Queries are the references (Bq = Br) and none votes for itself.
    self_index : int tensor (Bq,), optional
        Query i is reference ``self_index[i]`` and does not vote for itself (for queries that
        are a slice of the references).
    softening : float
        "inverse_distance" only: weights 1 / sqrt(d² + ε_i²) with ε_i = softening x the
        root-mean-square distance from query i to the references (0: plain 1 / d).

    Returns
    -------
    tensor (N, Bq, n_classes)
        log p(c | query); log(1e-30) for classes with no voting reference.
    """
    n, br = zr.shape[0], zr.shape[1]
    yr = torch.as_tensor(yr).long().expand(n, br)  # (N, Br)
    d2 = _sq_dists(zq, zr)  # (N, Bq, Br)
    logw = _log_weights(d2, mode, temperature, softening)
    mask = torch.zeros_like(logw, dtype=torch.bool)
    if exclude_self:
        mask |= torch.eye(zq.shape[1], br, dtype=torch.bool).unsqueeze(0)
    if self_index is not None:
        rows = torch.arange(zq.shape[1])
        mask[:, rows, torch.as_tensor(self_index)] = True
    if k is not None:
        with torch.no_grad():  # which neighbours vote is a choice, not a function to diff.
            near = torch.topk(
                d2.detach().masked_fill(mask, math.inf), k, dim=-1, largest=False
            ).indices  # (N, Bq, k)
            keep = torch.zeros_like(mask).scatter_(-1, near, True)
        mask |= ~keep
    w = torch.softmax(logw.masked_fill(mask, -math.inf), dim=-1)  # (N, Bq, Br), rows sum to 1
    onehot = torch.nn.functional.one_hot(yr, n_classes).to(w.dtype)  # (N, Br, K)
    p = torch.bmm(w, onehot)  # (N, Bq, K)
    # a class without votes gets log(_TINY) (about -69) and no gradient, instead of -inf
    return torch.log(p.clamp_min(_TINY))


@register_stage
class Embedding(Stage):
    """z -> z: the last stage of a network with a k-NN head (its output is the embedding).

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

    def is_homeomorphism(self, rtol: float | None = None) -> torch.Tensor:
        return torch.ones(self.n_networks, dtype=torch.bool)

    def spec(self) -> dict:
        return {"type": self.type_name, "dim": self.d_in}

    def short(self) -> str:
        return f"embedding {self.d_in}"


@register_head
class KNNHead(Head):
    """Differentiable k-NN classification of embeddings inside a mini-batch.

    Parameters
    ----------
    n_classes : int
    mode : {"inverse_distance", "temperature"}
        Weights 1 / distance (the essay) or exp(-distance² / T) (NCA).
    variant : {"in_batch", "two_batch"}
        Classify every element by the rest of the batch, or the batch halves by each other.
    k : int or None
        Only the k nearest references vote (None: all).
    temperature : float
        T of the temperature mode.
    softening : float
        Inverse-distance mode: weights 1 / sqrt(d² + ε²), ε = softening x the query's RMS
        distance to the others. 0 is the plain 1 / d, which trains badly: two points of a class
        that nearly coincide get weights and gradients without bound, and on digits its loss
        stalls far above the bounded head's; the default 0.01 bounds them.

    ``head(z, y)`` gives the loss of each network (N,) on a batch of embeddings z (N, B, d)
    with labels y; ``head.log_probs(z, y)`` the class log probabilities (N, B, K) it is made
    of; ``head.classify(zq, zr, yr)`` classifies queries by explicit references.

    As a network's head (``Network.from_stages(stages, K, head=KNNHead(K, ...))``) it appends
    an :class:`Embedding` stage, trains through the same ``fit`` as a linear read-out (loss:
    the mean negative log-likelihood above; the hits of a step: each batch element classified
    by the rest), and ``net.predict`` classifies new points by hard k-NN against the reference
    set given with ``net.set_reference(X_train, y_train)``. The test loss and accuracy that
    ``fit`` records classify the test set by itself (each point by the other test points, the
    head's rule).
    """

    type_name = "knn"
    stage_name = "embedding"

    def __init__(
        self,
        n_classes: int,
        *,
        mode: str = "inverse_distance",
        variant: str = "in_batch",
        k: int | None = None,
        temperature: float = 1.0,
        softening: float = 0.01,
    ):
        super().__init__()
        self.n_classes = check_positive_int(n_classes, "the number of classes", minimum=2)
        lookup(KNN_HEAD_MODES, mode, "k-NN head mode")
        lookup(KNN_HEAD_VARIANTS, variant, "k-NN head variant")
        self.mode, self.variant = mode, variant
        self.k = None if k is None else check_positive_int(k, "the k-NN head's k")
        temperature = float(temperature)
        if not math.isfinite(temperature) or temperature <= 0:
            raise InputError(f"the temperature must be a finite number > 0, got {temperature}")
        self.temperature = temperature
        softening = float(softening)
        if not math.isfinite(softening) or softening < 0:
            raise InputError(f"the softening must be a finite number >= 0, got {softening}")
        self.softening = softening
        self.reference = None  # (X (n, d_in) float32, y (n,) int64) that predict classifies by

    def spec(self) -> dict:
        return {
            "type": self.type_name,
            "n_classes": self.n_classes,
            "mode": self.mode,
            "variant": self.variant,
            "k": self.k,
            "temperature": self.temperature,
            "softening": self.softening,
        }

    def classify(self, zq, zr, yr, *, exclude_self: bool = False, self_index=None) -> torch.Tensor:
        """log p(c | query): zq (N, Bq, d), zr (N, Br, d), yr (Br,) -> (N, Bq, K)."""
        if zq.shape[-1] != zr.shape[-1]:
            raise InputError(
                f"query embeddings have {zq.shape[-1]} features but the "
                f"references have {zr.shape[-1]}"
            )
        available = zr.shape[1] - (1 if exclude_self or self_index is not None else 0)
        if available < 1:
            raise InputError("the k-NN head needs at least one other point to vote")
        k = None if self.k is None else min(self.k, available)
        return knn_log_probs(
            zq,
            zr,
            yr,
            self.n_classes,
            mode=self.mode,
            k=k,
            temperature=self.temperature,
            exclude_self=exclude_self,
            self_index=self_index,
            softening=self.softening,
        )

    def log_probs(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Class log probabilities of a batch under this head's variant.

        z (N, B, d), y (B,) or (N, B) -> (N, B, K). In the two-batch variant the first
        ⌊B/2⌋ elements are classified by the rest and the rest by the first ⌊B/2⌋.
        """
        y = torch.as_tensor(y).long()
        if self.variant == "in_batch":
            return self.classify(z, z, y, exclude_self=True)
        half = z.shape[1] // 2
        if half < 1:
            raise InputError("the two-batch k-NN head needs batches of at least 2 points")
        a, b = z[:, :half], z[:, half:]
        ya, yb = y[..., :half], y[..., half:]
        return torch.cat([self.classify(a, b, yb), self.classify(b, a, ya)], dim=1)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood of each network: (N, B, d), (B,) -> (N,)."""
        return nll(self.log_probs(z, y), torch.as_tensor(y).long())

    # ----------------------------------------------------------------- as a network's head
    def readout(self, d_last: int, n_networks: int) -> Embedding:
        return Embedding(d_last, n_networks=n_networks)

    def loss(self, out: torch.Tensor, y) -> torch.Tensor:
        return self(out, y)

    def loss_and_labels(self, z: torch.Tensor, y) -> tuple[torch.Tensor, torch.Tensor]:
        """Loss (N,) and in-set labels (N, B) of a batch from one set of log probabilities.

        Without gradients and for more than ``EVAL_BLOCK`` points, the in-set classification
        runs in blocks of queries against the whole set (same result, bounded memory).
        """
        y = torch.as_tensor(y, device=z.device).long()
        n = z.shape[1]
        if torch.is_grad_enabled() or n <= EVAL_BLOCK or self.variant != "in_batch":
            lp = self.log_probs(z, y)  # (N, B, K)
        else:
            lp = torch.cat(
                [
                    self.classify(
                        z[:, s : s + EVAL_BLOCK],
                        z,
                        y,
                        self_index=torch.arange(s, min(n, s + EVAL_BLOCK)),
                    )
                    for s in range(0, n, EVAL_BLOCK)
                ],
                dim=1,
            )
        return nll(lp, y), lp.argmax(-1).detach()

    def batch_labels(self, out: torch.Tensor, y) -> torch.Tensor:
        with torch.no_grad():
            return self.loss_and_labels(out, y)[1]

    def set_reference(self, net, X, y) -> None:
        """Keep the labelled points (n, d_in), (n,) that :meth:`predict` classifies by."""
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y)
        if X.ndim != 2 or X.shape[1] != net.d_in or y.shape != (len(X),):
            raise InputError(
                f"reference points must be X (n, {net.d_in}) and y (n,), got "
                f"{X.shape} and {y.shape}"
            )
        self.reference = (X, y.astype(np.int64))

    def copy_state(self, other: Head) -> None:
        self.reference = getattr(other, "reference", None)

    @torch.no_grad()
    def predict(self, net, x, *, k: int | None = None, weights: str = "distance") -> np.ndarray:
        """Hard k-NN labels of x against the reference set: (B,) or (N, B).

        ``k`` defaults to the head's k (5 when the head votes with every point).
        """
        from .network import knn_classify

        if self.reference is None:
            raise InputError(
                "this k-NN network has no reference set; call set_reference(X_train, y_train) first"
            )
        X_ref, y_ref = self.reference
        return knn_classify(net, X_ref, y_ref, x, k=k or self.k or 5, weights=weights)

    def extra_repr(self) -> str:
        t = f", temperature={self.temperature:g}" if self.mode == "temperature" else ""
        return f"{self.n_classes} classes, mode={self.mode}, variant={self.variant}, k={self.k}{t}"


def nll(log_probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean of -log p(target): (N, B, K), (B,) -> (N,). A class nobody voted for costs
    -log(1e-12) ≈ 27.6 instead of infinity (and passes no gradient)."""
    n = log_probs.shape[0]
    picked = log_probs.gather(-1, target.expand(n, -1).unsqueeze(-1))[..., 0]  # (N, B)
    return -picked.clamp_min(math.log(1e-12)).mean(-1)
