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
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, check_positive_int
from ._common import make_config, setting
from .verdicts import Verdict

__all__ = [
    "VectorFieldConfig",
    "vector_field_experiment",
    "run",
    "SETTINGS",
    "dense_accuracy",
    "disc_verdict",
]

NAME = "vector_fields"
SUMMARY = (
    "vector-field layers alone in 2-D against the same after a 2-D -> 3-D embedding: "
    "accuracy on the samples and on the continuous sets"
)
EXAMPLE = " --datasets disc_annulus --n-networks 3 --mode flow"

SETTINGS = {"2d": "2-D vector fields only", "3d": "embed 2-D -> 3-D, then 3-D vector fields"}
MODES = ("residual", "flow")


@dataclass(frozen=True)
class VectorFieldConfig:
    """Settings of :func:`vector_field_experiment` (``quick()``: few steps and points)."""

    datasets: tuple[str, ...] = setting(
        ("disc_annulus", "spirals"), "2-D datasets of DATASETS"
    )  # one that 2-D fields cannot separate, one they can untangle
    n_networks: int = setting(3, "networks per setting")  # trained together, seeds seed + i
    n_stages: int = setting(4, "vector-field stages per network")  # each a homeomorphism
    n_anchors: int = setting(16, "anchors per stage")  # k-means of the points reaching it
    sigma: float = setting(0.5, "initial width of each anchor's bump")  # learnt from here
    mode: str = setting(
        "residual", "x + v(x) (Lipschitz bound 0.9) or its flow", choices=MODES
    )  # residual: a bound < 1 certifies a homeomorphism
    steps: int = setting(600, "optimiser steps")  # Adam, full batch
    lr: float = setting(0.03, "Adam's learning rate")
    n: int = setting(400, "points per dataset (a quarter held out)")  # 300 train, 100 test
    seed: int = setting(0, "seed of data and networks")

    @classmethod
    def quick(cls) -> VectorFieldConfig:
        """Few steps and points (the report's quick mode, tests)."""
        return cls(steps=40, n=120)


CONFIG = VectorFieldConfig


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
    config: VectorFieldConfig | None = None, *, progress=None, **changes
) -> dict:
    """Train vector-field-only networks in 2-D and after a 2-D -> 3-D embedding.

    Parameters
    ----------
    config : VectorFieldConfig, optional
        ``datasets`` (2-D datasets of ``DATASETS``); ``n_networks`` per setting, trained
        together (seeds seed, seed + 1, ...); ``n_stages`` vector-field stages of
        ``n_anchors`` anchors each (k-means of the training points as they reach the stage),
        initial width ``sigma``, ``mode`` "residual" (Lipschitz bound 0.9) or "flow";
        ``steps`` full-batch Adam steps at ``lr``; ``n`` points per dataset (a quarter held
        out). Default ``VectorFieldConfig()``; ``VectorFieldConfig.quick()`` for tests.
    progress : callable, optional
        ``progress(done, total)`` over all training steps.
    **changes
        Settings changed from ``config``.

    Returns
    -------
    dict: {"rows": [{"dataset", "setting", "train_accuracy" [N], "test_accuracy" [N],
    "dense_accuracy" [N] or None, "homeomorphism": bool, "net", "history", "split": (X_train,
    y_train, X_test, y_test), "run": network 0 as a Run}, ...], "seconds", "settings",
    "verdicts" ({"disc_annulus": :func:`disc_verdict`} where disc_annulus was trained)}
    """
    from ..datasets import DATASETS, make_dataset
    from ..errors import lookup
    from ..nn import Network, VectorField, init_anchors
    from ..train import TrainConfig, fit, run_of, train_test_split

    cfg = make_config(VectorFieldConfig, config, changes)
    n_networks = check_positive_int(cfg.n_networks, "the number of networks")
    if cfg.mode not in MODES:
        raise InputError(f"mode must be one of {', '.join(MODES)}, got {cfg.mode!r}")
    datasets = cfg.datasets
    for ds in datasets:
        lookup(DATASETS, ds, "dataset")
    n_stages, n_anchors, sigma, mode = cfg.n_stages, cfg.n_anchors, cfg.sigma, cfg.mode
    steps, lr, n, seed = cfg.steps, cfg.lr, cfg.n, cfg.seed
    start = time.perf_counter()
    rows, done = [], 0
    total = steps * len(datasets) * len(SETTINGS)
    for ds in datasets:
        X, y = make_dataset(ds, n, seed=seed)
        Xtr, ytr, Xte, yte = train_test_split(X, y, seed=seed)
        for arch in SETTINGS:
            net = Network.from_stages(
                _stages(
                    arch,
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
                    "setting": arch,
                    "train_accuracy": hist.final_train_accuracy.tolist(),
                    "test_accuracy": test.tolist(),
                    "dense_accuracy": None if dense is None else dense.tolist(),
                    "homeomorphism": homeo,
                    "net": net,
                    "history": hist,
                    "split": (Xtr, ytr, Xte, yte),
                    "run": run_of(
                        net,
                        hist,
                        Xtr,
                        ytr,
                        X_test=Xte,
                        y_test=yte,
                        data={"dataset": ds, "params": {}, "n": int(len(X))},
                        train=TrainConfig(steps=steps, lr=lr, seed=seed, edge_penalty=0.0),
                    ),
                }
            )
    by = {(r["dataset"], r["setting"]): r for r in rows}
    verdicts = {}
    if ("disc_annulus", "2d") in by and ("disc_annulus", "3d") in by:
        v = disc_verdict(by["disc_annulus", "2d"], by["disc_annulus", "3d"])
        verdicts["disc_annulus"] = v.to_dict()
    return {
        "rows": rows,
        "settings": dict(SETTINGS),
        "steps": steps,
        "lr": lr,
        "n_networks": n_networks,
        "verdicts": verdicts,
        "seconds": round(time.perf_counter() - start, 1),
    }


def disc_verdict(row2, row3) -> Verdict:
    """2-D vector fields cannot separate the disc from the annulus, after a 3-D embedding
    they can: judged on the dense grid of the two sets (rows of the 2-D and 3-D settings)."""
    dense2, dense3 = np.max(row2["dense_accuracy"]), np.min(row3["dense_accuracy"])
    return Verdict(
        "agrees" if dense2 < 0.99 and dense3 > dense2 else "differs",
        "agrees if the best 2-D network stays below 99% on the dense grid and the worst 3-D "
        "network does better than it; differs otherwise",
        "one grid point of the dense check",
        f"disc_annulus accuracy on the continuous sets: best 2-D network {dense2:.3f}, worst "
        f"3-D network {dense3:.3f}",
    )


def run(config: VectorFieldConfig | None = None, *, progress=None, **changes) -> dict:
    """:func:`vector_field_experiment` as a registered experiment: its numbers without the
    networks, and ``summary`` lines."""
    res = vector_field_experiment(config, progress=progress, **changes)
    rows = [
        {k: v for k, v in r.items() if k not in ("net", "history", "split", "run")}
        for r in res["rows"]
    ]
    lines = [
        f"vector-field networks, {res['n_networks']} per setting, {res['steps']} steps; "
        "accuracy mean (min) on train / test / the continuous sets"
    ]
    for r in rows:
        dense = r["dense_accuracy"]
        shown = "-" if dense is None else f"{np.mean(dense):.3f} ({np.min(dense):.3f})"
        lines.append(
            f"  {r['dataset']}, {SETTINGS[r['setting']]}: {np.mean(r['train_accuracy']):.3f} / "
            f"{np.mean(r['test_accuracy']):.3f} / {shown}; every stage a homeomorphism: "
            f"{'yes' if r['homeomorphism'] else 'not certified'}"
        )
    lines += [f"{k}: {v['verdict']} ({v['measured']})" for k, v in res["verdicts"].items()]
    lines.append(f"({res['seconds']} s)")
    return {**res, "experiment": NAME, "rows": rows, "summary": lines}
