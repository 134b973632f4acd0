"""Test-time k-NN on any stage of any network.

:func:`knn_classify` keeps a trained network's stages, drops its read-out and labels each
query by its k nearest training points in the representation after a chosen stage (by
default the input of the read-out, the penultimate representation). A network trained for
k-NN is an ordinary :class:`~isotopy.nn.Network` with a :class:`~isotopy.knn.head.KNNHead`
(``Network.from_stages(stages, K, head=KNNHead(K, ...))``).
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import InputError
from ..nn.network import Network
from .head import Embedding
from .search import knn_predict

__all__ = ["Embedding", "knn_classify", "representation"]


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
