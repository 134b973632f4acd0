"""Vector-field layers meet the same topological limit as any homeomorphism of the plane.

Networks made only of 2-D vector-field stages (each a homeomorphism of R^2: the residual
map x + v(x) with the field's Lipschitz bound kept below 1, or its flow) followed by a
linear read-out cannot separate a disc from the annulus around it: the annulus' image
still surrounds the disc's, so every line between the classes crosses the annulus' image.
With finitely many training points the map can still thread the crossings between samples,
so the honest measure is accuracy over the continuous sets (a dense grid of the disc and
annulus), not only on the training points. After an embedding R^2 -> R^3 (a linear map of
full rank) the same stages in 3-D can lift the disc out of the annulus' plane.

:func:`vector_field_experiment` trains both architectures on disc_annulus and spirals (N
networks at once) and returns training and test accuracy, dense-set accuracy where the
dataset has continuous sets, and whether every stage is certified a homeomorphism.
"""

from __future__ import annotations

import time

import numpy as np

from ..errors import check_positive_int

__all__ = ["vector_field_experiment", "SETTINGS", "dense_accuracy"]

SETTINGS = {"2d": "2-D vector fields only", "3d": "embed 2-D -> 3-D, then 3-D vector fields"}


def _stages(
    setting: str, *, n_stages: int, n_anchors: int, sigma: float, mode: str, n_networks: int
):
    from ..nn import Affine, VectorField

    dim = 2 if setting == "2d" else 3
    lip = 0.9 if mode == "residual" else None
    first = [] if setting == "2d" else [Affine(2, 3, n_networks=n_networks)]
    return first + [
        VectorField(
            dim,
            n_anchors,
            sigma=sigma,
            mode=mode,
            max_lipschitz=lip,
            flow_steps=4,
            n_networks=n_networks,
        )
        for _ in range(n_stages)
    ]


def dense_accuracy(net, dataset: str, *, resolution: int = 121, **params) -> np.ndarray | None:
    """Accuracy (N,) over a dense grid of the dataset's continuous sets, or None if the
    dataset has none."""
    from ..datasets import DATASETS

    spec = DATASETS[dataset]
    if spec.labels_fn is None:
        return None
    s = np.linspace(-1.05, 1.05, resolution)
    G = np.stack(np.meshgrid(s, s), -1).reshape(-1, 2)
    lab = spec.labels_fn(G, **params)
    G, lab = G[lab >= 0].astype(np.float32), lab[lab >= 0]
    pred = np.asarray(net.predict(G)).reshape(net.n_networks, -1)
    return (pred == lab).mean(1)


def vector_field_experiment(
    datasets=("disc_annulus", "spirals"),
    *,
    n_networks: int = 3,
    n_stages: int = 4,
    n_anchors: int = 16,
    sigma: float = 0.5,
    mode: str = "residual",
    steps: int = 600,
    lr: float = 0.03,
    n: int = 400,
    seed: int = 0,
    quick: bool = False,
    progress=None,
) -> dict:
    """Train vector-field-only networks in 2-D and after a 2-D -> 3-D embedding.

    Parameters
    ----------
    datasets : sequence of str
        2-D datasets of ``DATASETS``.
    n_networks : int
        Networks per setting, trained together (seeds seed, seed + 1, ...).
    n_stages, n_anchors, sigma, mode
        Vector-field stages per network, anchors per stage (k-means of the training points
        as they reach the stage), initial width, "residual" (Lipschitz bound 0.9) or "flow".
    steps, lr : Adam's steps (full batch) and rate.
    n : points per dataset (a quarter held out).
    quick : bool
        Few steps and points (for tests).
    progress : callable, optional
        ``progress(done, total)`` over all training steps.

    Returns
    -------
    dict: {"rows": [{"dataset", "setting", "train_accuracy" [N], "test_accuracy" [N],
    "dense_accuracy" [N] or None, "homeomorphism": bool}, ...], "seconds", "settings"}
    """
    from ..datasets import make_dataset
    from ..nn import Network, VectorField, init_anchors
    from ..train import fit, train_test_split

    n_networks = check_positive_int(n_networks, "the number of networks")
    if quick:
        steps, n = min(steps, 40), min(n, 120)
    start = time.perf_counter()
    rows, done = [], 0
    total = steps * len(datasets) * len(SETTINGS)
    for ds in datasets:
        X, y = make_dataset(ds, n, seed=seed)
        Xtr, ytr, Xte, yte = train_test_split(X, y, seed=seed)
        for setting in SETTINGS:
            net = Network.from_stages(
                _stages(
                    setting,
                    n_stages=n_stages,
                    n_anchors=n_anchors,
                    sigma=sigma,
                    mode=mode,
                    n_networks=n_networks,
                ),
                2,
                seed=seed,
            )
            init_anchors(net, Xtr, method="kmeans", seed=seed)
            offset = done
            hist = fit(
                net,
                Xtr,
                ytr,
                steps=steps,
                lr=lr,
                seed=seed,
                record_every=steps,
                progress=None
                if progress is None
                else (lambda s, _t, o=offset: progress(o + s, total)),
            )
            done += steps
            test = (np.asarray(net.predict(Xte)).reshape(n_networks, -1) == yte).mean(1)
            dense = dense_accuracy(net, ds)
            homeo = all(
                bool(s.is_homeomorphism().all()) for s in net.stages if isinstance(s, VectorField)
            )
            rows.append(
                {
                    "dataset": ds,
                    "setting": setting,
                    "train_accuracy": hist.final_train_accuracy.tolist(),
                    "test_accuracy": test.tolist(),
                    "dense_accuracy": None if dense is None else dense.tolist(),
                    "homeomorphism": homeo,
                    "net": net,
                }
            )
    return {
        "rows": rows,
        "settings": dict(SETTINGS),
        "steps": steps,
        "n_networks": n_networks,
        "seconds": round(time.perf_counter() - start, 1),
    }
