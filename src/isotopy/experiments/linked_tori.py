"""Linked tori with 3-unit layers against 4-unit layers.

Two solid tori linked k times (the torus link T(2, 2k); k = 1 is the Hopf link) cannot be
separated by 3-unit layers that are homeomorphisms: each such layer keeps the linking number
of the core curves, and a plane cannot split a linked pair. With 4-unit layers the tori can
come apart through the fourth dimension.

For each width we train ``seeds`` networks and report the accuracy on the training sample
and on a fresh dense sample, and for the best 3-unit network the linking number of the core
curves at every stage and how many core vertices its read-out gets wrong (never 0 for a
linked pair when all stages are homeomorphisms).
"""

from __future__ import annotations

import numpy as np

from ..errors import check_positive_int, parse_int_list
from ..topology.linking import linking_labels
from ._common import check_seeds, link_certificate, tick, train_seeds

NAME = "linked_tori"
SUMMARY = (
    "linked tori: 3-unit layers (accuracy < 100%, linking number kept at every stage) "
    "against 4-unit layers (separated)"
)


def run(
    *,
    widths="3,4",
    depth: int = 3,
    seeds: int = 8,
    steps: int = 1500,
    n: int = 600,
    linking: int = 1,
    dense: int = 20000,
    lr: float = 0.02,
    activation: str = "tanh",
    seed: int = 0,
    progress=None,
) -> dict:
    """Train networks of each width on ``linked_tori`` and certify what they do.

    Parameters
    ----------
    widths : str or sequence of int
        Layer widths to compare (3: no 4th dimension; 4: one).
    depth, seeds, steps, n, lr, activation, seed
        Hidden layers, networks per width, optimiser steps, training points, learning
        rate, activation, base seed.
    linking : int
        Linking number of the two tori (1: Hopf link; 2: T(2, 4)).
    dense : int
        Size of the fresh sample for the dense accuracy.

    Returns
    -------
    dict with one entry per width in ``results`` and ``summary`` lines
    """
    from ..datasets import make_dataset

    widths = parse_int_list(widths, "widths")
    seeds = check_seeds(seeds)
    check_positive_int(linking, "linking")
    params = {"linking": int(linking)}
    Xd, yd = make_dataset(
        "linked_tori", check_positive_int(dense, "dense", minimum=2), seed=seed + 99, **params
    )
    results = []
    for i, w in enumerate(widths):
        net, X, y, hist = train_seeds(
            "linked_tori",
            hidden=(w,) * depth,
            activation=activation,
            seeds=seeds,
            steps=steps,
            lr=lr,
            n=n,
            seed=seed,
            params=params,
        )
        sample = np.asarray(hist.final_train_accuracy, dtype=float)
        dense_acc = (
            (net.predict(Xd) == yd[None, :]).mean(1)
            if seeds > 1
            else np.array([(net.predict(Xd) == yd).mean()])
        )
        best = int(np.argmax(dense_acc))
        cert = link_certificate(net.select(best), "linked_tori", params=params)
        results.append(
            {
                "width": w,
                "sample_accuracy": sample.tolist(),
                "dense_accuracy": dense_acc.tolist(),
                "sample_perfect": float((sample == 1.0).mean()),
                "best_seed": seed + best,
                "best": cert,
            }
        )
        tick(progress, i + 1, len(widths))
    lines = [
        f"linked_tori (linking number {linking}), {depth} hidden layers of {activation}, "
        f"{seeds} seeds, {steps} steps, {n} training points, dense sample of {dense} "
        "(a stage's linking number is shown only where it is certified; 'touching': the "
        "image cores meet in floating point, 'unresolved': the refinement budget ran out)"
    ]
    for r in results:
        c = r["best"]
        lk = ", ".join(linking_labels(c["linking"]))
        lines.append(
            f"width {r['width']}: samples mean {np.mean(r['sample_accuracy']):.3f} "
            f"max {max(r['sample_accuracy']):.3f} (100% for "
            f"{r['sample_perfect']:.0%} of seeds); dense mean "
            f"{np.mean(r['dense_accuracy']):.3f} max {max(r['dense_accuracy']):.4f}"
        )
        lines.append(
            f"  best seed {r['best_seed']}: linking number per stage [{lk}]; all "
            f"stages homeomorphisms: {c['all_homeomorphisms']}; core vertices "
            f"misclassified {c['core_misclassified']} of {c['core_vertices']} each"
        )
        unsure = c["linking"]["unresolved_stages"] + c["linking"]["touching_stages"]
        if unsure:
            lines.append(f"  no certified linking number at: {', '.join(unsure)}")
    return {
        "experiment": NAME,
        "linking": int(linking),
        "depth": depth,
        "seeds": seeds,
        "steps": steps,
        "results": results,
        "summary": lines,
    }


def add_arguments(p) -> None:
    p.add_argument("--widths", default="3,4", help="layer widths to compare")
    p.add_argument("--depth", type=int, default=3, help="hidden layers")
    p.add_argument("--seeds", type=int, default=8, help="networks per width")
    p.add_argument("--steps", type=int, default=1500, help="optimiser steps")
    p.add_argument("--n", type=int, default=600, help="training points")
    p.add_argument("--linking", type=int, default=1, help="linking number of the tori")
    p.add_argument("--dense", type=int, default=20000, help="points of the dense sample")
    p.add_argument("--activation", default="tanh", help="activation name")
    p.add_argument("--seed", type=int, default=0, help="base seed")


add_arguments.example = " --widths 3,4 --linking 2"
