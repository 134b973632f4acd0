"""Training one chunk of a sweep: a batch of networks of one grid cell, one ``fit`` call.

``run_chunk(spec) -> list of row dicts`` is a pure function of its plain-dict spec (from
:func:`isotopy.sweep.grid.grid_chunks`), so the local executor and Ray run the very same
code and give the same numbers: it always computes with one thread, whatever the caller's
setting, because the order of floating-point reductions may depend on the thread count.

Dense-grid accuracy: where the dataset's registry entry has ``labels_fn`` (the label of any
point under the continuous sets, -1 outside them), a regular grid of about
``dense_points`` points over the data's bounding box (padded by 5 %) is labelled and every
network is scored on the points that lie in the sets. It sees the sets, not the samples: a
network that threads its boundary between the training points of a disc and an annulus it
cannot really separate scores below 1 here.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..datasets import DATASETS, make_dataset
from ..nn import Network
from ..train import accuracy, fit, train_test_split
from ..train.config import DEVICE
from ..train.penalties import contractive_penalty

__all__ = ["run_chunk", "dense_grid"]


def dense_grid(labels_fn, X: np.ndarray, n_points: int, params: dict):
    """Points of a regular grid over the data's box that lie in the continuous sets.

    Parameters
    ----------
    labels_fn : callable
        ``labels_fn(points, **params) -> (m,)`` labels, -1 outside the sets.
    X : ndarray, shape (n, d)
        The data (sets the box).
    n_points : int
        About this many grid points in the box (before keeping those in the sets).
    params : dict
        The dataset's parameters.

    Returns
    -------
    points : ndarray of float32, shape (m, d)
    labels : ndarray of int64, shape (m,)
    """
    d = X.shape[1]
    lo, hi = X.min(0), X.max(0)
    pad = 0.05 * (hi - lo)
    res = max(2, int(math.floor(n_points ** (1.0 / d))))
    axes = [np.linspace(a, b, res) for a, b in zip(lo - pad, hi + pad, strict=True)]
    pts = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, d)
    labels = np.asarray(labels_fn(pts, **params))
    keep = labels >= 0
    return pts[keep].astype(np.float32), labels[keep].astype(np.int64)


def run_chunk(spec: dict) -> list[dict]:
    """Train the chunk's networks as one batch and return one row per network.

    Parameters
    ----------
    spec : dict
        A chunk from :func:`grid_chunks` (dataset, params, depth, width, activation,
        contractive, seeds, training settings, id), and optionally how and where to train
        (``compile``, ``device``: see :func:`isotopy.fit`).

    Returns
    -------
    list of dict
        One row per seed: the cell, the seed, train / test / dense accuracy, final loss, ...
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _run(spec)
    finally:
        torch.set_num_threads(threads)


def _run(spec: dict) -> list[dict]:
    params = dict(spec["params"])
    seeds = list(spec["seeds"])
    X, y = make_dataset(spec["dataset"], spec["n_points"], seed=spec["data_seed"], **params)
    Xtr, ytr, Xte, yte = train_test_split(X, y, spec["test_size"], spec["data_seed"])
    n_classes = max(int(y.max()) + 1, 2)
    hidden = (spec["width"],) * spec["depth"]
    net = Network(
        X.shape[1], hidden, spec["activation"], n_classes, n_networks=len(seeds), seed=seeds
    )
    lam = float(spec["contractive"])
    hist = fit(
        net,
        Xtr,
        ytr,
        steps=spec["steps"],
        lr=spec["lr"],
        batch_size=spec["batch_size"],
        optimizer=spec["optimizer"],
        seed=seeds,
        record_every=spec["steps"],
        X_test=Xte if len(Xte) else None,
        y_test=yte if len(yte) else None,
        penalty=contractive_penalty(lam) if lam > 0 else None,
        compile=spec.get("compile"),
        device=spec.get("device", DEVICE),
    )
    labels_fn = DATASETS[spec["dataset"]].labels_fn
    dense = np.full(len(seeds), np.nan)
    n_dense = 0
    if labels_fn is not None:
        pts, labs = dense_grid(labels_fn, X, spec["dense_points"], params)
        n_dense = len(pts)
        if n_dense:
            dense = accuracy(net, pts, labs)
    stopped_at = hist.stopped_at if hist.stopped_at is not None else np.full(len(seeds), -1)
    rows = []
    for i, seed in enumerate(seeds):
        s = hist.summary(i)
        rows.append(
            {
                "dataset": spec["dataset"],
                **{f"param_{k}": v for k, v in params.items()},
                "depth": spec["depth"],
                "width": spec["width"],
                "hidden": ",".join(map(str, hidden)),
                "activation": spec["activation"],
                "contractive": lam,
                "seed": int(seed),
                "train_accuracy": s["train_accuracy"],
                "test_accuracy": s.get("test_accuracy", float("nan")),
                "dense_accuracy": float(dense[i]),
                "dense_points": int(n_dense),
                "final_loss": s["final_loss"],
                "steps": int(spec["steps"]),
                "stopped_at": int(stopped_at[i]),
                "n_train": int(len(Xtr)),
                "n_test": int(len(Xte)),
                "chunk": spec["id"],
            }
        )
    return rows
