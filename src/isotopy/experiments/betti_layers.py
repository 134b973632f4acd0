"""Betti numbers of each class through the layers: tanh against ReLU networks.

A tanh layer with non-singular W is a homeomorphism onto its image, so it cannot change the
topology of either class: β0 and β1 of the disc (1, 0) and of the annulus (1, 1) must stay
as they are at every stage. ReLU is not injective: it folds space onto the faces of the
positive orthant and can glue distant parts of a class together (changing β1) or collapse
its hole. We train networks of both kinds and read the Betti numbers of each class at every
stage with :func:`isotopy.topology.betti_through_network`: by default robustly (no scale;
each tanh stage read in the chart of atanh, every cloud whitened, classes counted by
death/birth ratio; see :mod:`isotopy.topology.robust`), or at one Euclidean scale chosen from
each cloud (:mod:`isotopy.topology.homology`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._common import check_seeds, make_config, setting, tick, train_seeds

NAME = "betti_layers"
SUMMARY = (
    "Betti numbers (β0, β1) of each class at every stage of tanh and ReLU networks: "
    "homeomorphisms keep them, ReLU can change them"
)
EXAMPLE = " --hidden 3,3 --activations tanh,relu"


@dataclass(frozen=True)
class BettiLayersConfig:
    """Settings of :func:`run` (the CLI's defaults; ``quick()`` for the report's quick mode)."""

    dataset: str = setting("disc_annulus", "a registered dataset")  # disc (1,0), annulus (1,1)
    hidden: tuple[int, ...] = setting((3, 3), "hidden widths")  # 3 units separate the classes
    activations: tuple[str, ...] = setting(("tanh", "relu"), "activations to compare")
    seeds: int = setting(4, "networks per activation")  # one network = 25% of a share
    steps: int = setting(1500, "optimiser steps")  # width 3 separates within ~1,000
    n: int = setting(1000, "training points (half per class)")
    dense: int = setting(4000, "points pushed through the networks")  # ~2,000 per class
    max_points: int = setting(1000, "farthest-point subsample per class and stage")
    lr: float = setting(0.02, "Adam's learning rate")  # the library's default rate (fit)
    seed: int = setting(0, "base seed")  # data sample and network 0 (network i: seed + i)
    reading: str = setting(
        "robust",
        "Betti reading: robust (activation charts, whitened, persistence ratios) or "
        "euclidean (the raw clouds at one scale)",
        choices=("robust", "euclidean"),
    )

    @classmethod
    def quick(cls) -> BettiLayersConfig:
        """Tiny settings (report's quick mode, tests): one layer of 3, one seed, 60 steps."""
        return cls(hidden=(3,), seeds=1, steps=60, n=300, dense=400)


CONFIG = BettiLayersConfig


def run(config: BettiLayersConfig | None = None, *, progress=None, **changes) -> dict:
    """Train ``seeds`` networks per activation and trace Betti numbers through each.

    The clouds are a fresh sample of ``dense`` points pushed through each network and
    subsampled by farthest-point sampling to ``max_points`` per class at every stage (which
    evens out the density that saturating layers create). ``reading`` is the Betti reading
    (:data:`isotopy.topology.homology.READINGS`): "robust" (activation charts, whitened
    clouds, persistence ratios: unchanged by invertible affine maps and by a tanh stage's own
    saturation) or "euclidean".

    Returns
    -------
    dict
        ``results``: per activation, the stage names, ``betti`` (seeds × stages × classes ×
        2), sample accuracies, ``preserved`` (fraction of networks whose every hidden stage
        has the input's Betti numbers for both classes) and ``changed_at`` (per network,
        the first stage where they differ, or None), ``conditions`` (per network, the
        condition number of each affine stage); ``summary`` lines.
    """
    from ..datasets import DATASETS, make_dataset
    from ..errors import check_positive_int, lookup
    from ..nn import get_activation
    from ..topology import betti_through_network, stage_diagnostics

    cfg = make_config(BettiLayersConfig, config, changes)
    dataset, steps, n, dense, lr, seed = (
        cfg.dataset,
        cfg.steps,
        cfg.n,
        cfg.dense,
        cfg.lr,
        cfg.seed,
    )
    max_points, reading = cfg.max_points, cfg.reading
    lookup(DATASETS, dataset, "dataset")
    hidden = tuple(check_positive_int(w, "every hidden width") for w in cfg.hidden)
    acts = list(cfg.activations)
    for a in acts:
        get_activation(a)
    seeds = check_seeds(cfg.seeds)
    Xd, yd = make_dataset(dataset, check_positive_int(dense, "dense", minimum=2), seed=seed + 99)
    total, done = len(acts) * (seeds + 1), 0
    results = []
    for act in acts:
        net, X, y, hist = train_seeds(
            dataset, hidden=hidden, activation=act, seeds=seeds, steps=steps, lr=lr, n=n, seed=seed
        )
        done += 1
        tick(progress, done, total)
        traces = []
        for i in range(seeds):
            traces.append(
                betti_through_network(
                    net.select(i), Xd, yd, maxdim=1, max_points=max_points, reading=reading
                )
            )
            done += 1
            tick(progress, done, total)
        betti = np.stack([t.betti for t in traces])  # (seeds, S, C, 2)
        changed_at, conditions = [], []
        for i in range(seeds):
            conditions.append(
                {
                    d.name: d.condition
                    for d in stage_diagnostics(net.select(i), include_readout=False)
                    if d.condition is not None
                }
            )
        for t in traces:
            diff = [s for s in range(1, len(t.names)) if (t.betti[s] != t.betti[0]).any()]
            changed_at.append(t.names[diff[0]] if diff else None)
        results.append(
            {
                "activation": act,
                "stages": traces[0].names,
                "classes": traces[0].classes,
                "betti": betti.tolist(),
                "scales": [t.scales.tolist() for t in traces],
                "sample_accuracy": np.asarray(hist.final_train_accuracy, dtype=float).tolist(),
                "preserved": float(np.mean([c is None for c in changed_at])),
                "changed_at": changed_at,
                "conditions": conditions,  # per network: condition number of each affine stage
            }
        )
    lines = [
        f"{dataset}, hidden {','.join(map(str, hidden))}, {seeds} seeds, {steps} steps, "
        f"{n} training points, {dense} pushed through; (β0, β1) of class 0 | class 1 at "
        f"every stage of seed {seed}"
    ]
    for r in results:
        b = np.asarray(r["betti"])[0]
        lines.append(
            f"{r['activation']}: topology kept through every stage by "
            f"{r['preserved']:.0%} of networks; accuracy mean "
            f"{np.mean(r['sample_accuracy']):.3f}"
        )
        for s, name in enumerate(r["stages"]):
            cells = " | ".join(f"({b[s, c, 0]}, {b[s, c, 1]})" for c in range(b.shape[1]))
            lines.append(f"  {name:<10} {cells}")
    return {
        "experiment": NAME,
        "dataset": dataset,
        "hidden": list(hidden),
        "seeds": seeds,
        "steps": steps,
        "n": n,
        "reading": reading,
        "results": results,
        "summary": lines,
    }
