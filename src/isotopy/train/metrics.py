"""Measures of trained networks that the engine and its callers share.

Kept apart from :mod:`.fit` and :mod:`.trainer` so that both can use them without
importing each other.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["accuracy"]


@torch.no_grad()
def accuracy(net, X, y, *, block: int = 1 << 20) -> np.ndarray:
    """Accuracy of each network on (X, y) by its head's rule: (N,) float64.

    Points are evaluated in blocks so that N * points stays near ``block`` (memory stays
    bounded for thousands of networks on large grids); a head that classifies each point by
    the others (k-NN) sees the whole set at once.
    """
    device = next(net.parameters()).device
    if isinstance(X, torch.Tensor):
        X = X.detach().float().to(device)
    else:
        X = torch.as_tensor(np.asarray(X, dtype=np.float32), device=device)
    y = torch.as_tensor(y).long().to(device)
    if X.dim() == 1:
        X = X[:, None]
    if net.head.type_name != "linear":
        _, labels = net.head.loss_and_labels(net.outputs(X), y)
        return (labels == y).double().mean(-1).cpu().numpy()
    if X.dim() == 3:  # (N, B, d): each network its own points
        return (net.labels(net(X)) == y).double().mean(-1).cpu().numpy()
    step = max(1, block // max(net.n_networks, 1))
    correct = torch.zeros(net.n_networks, dtype=torch.float64, device=device)
    for a in range(0, len(X), step):
        out = net.outputs(X[a : a + step].T.contiguous().T)  # point-last, as in training
        correct += (net.labels(out) == y[a : a + step]).sum(-1)
    return (correct / max(len(X), 1)).cpu().numpy()
