"""The contractive penalty swept over λ, for width 2 against width 3 on disc_annulus.

A 2-unit network cannot separate the disc from the annulus; the best it can do is the
"easy way out": stretch a thin part of space very hard so that most points land on the
right side. A contractive penalty λ · mean ||∂h/∂x||_F^2 (:mod:`isotopy.train.penalties`)
makes stretching expensive. We expect the width-2 networks' stretch (the largest and 99th
percentile spectral norm of the Jacobian input -> last hidden layer, over a dense grid of
the two sets) to fall with λ, taking their accuracy with it, while width-3 networks, which
separate without tearing anything, keep their accuracy for moderate λ.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, parse_int_list
from ._common import check_seeds, grid_accuracy, grid_points, tick, train_seeds

NAME = "contractive"
SUMMARY = ("contractive penalty swept over λ for width-2 against width-3 networks on "
           "disc_annulus: accuracy and stretch")


def _floats(text, what):
    try:
        vals = [float(v) for v in str(text).split(",") if v.strip()]
    except ValueError:
        raise InputError(f"{what} must be comma-separated numbers such as '0,0.1', "
                         f"got {text!r}") from None
    if not vals or any(not np.isfinite(v) or v < 0 for v in vals):
        raise InputError(f"{what} must be finite numbers >= 0, got {text!r}")
    return vals


def run(*, widths="2,3", lambdas="0,0.01,0.1,1", seeds: int = 4, steps: int = 1500,
        depth: int = 1, n: int = 400, lr: float = 0.02, seed: int = 0,
        progress=None) -> dict:
    """Train ``seeds`` networks per (width, λ); measure accuracy and stretch.

    Returns
    -------
    dict
        ``results``: per width, per λ: sample and grid accuracy (per seed), and the
        stretch of the last hidden layer over the grid (per seed: max, 99th percentile,
        median spectral norm); ``summary`` lines.
    """
    from ..topology import stretch

    widths = parse_int_list(widths, "widths")
    lams = _floats(lambdas, "lambdas")
    seeds = check_seeds(seeds)
    P, labels = grid_points("disc_annulus", resolution=81)
    total, done = len(widths) * len(lams), 0
    results = []
    for w in widths:
        rows = []
        for lam in lams:
            net, X, y, hist = train_seeds("disc_annulus", hidden=(w,) * depth, seeds=seeds,
                                          steps=steps, lr=lr, n=n, seed=seed, contractive=lam)
            st = [stretch(net, P, index=i) for i in range(seeds)]
            sp = np.stack([s.spectral[-1] for s in st])  # (seeds, m) last hidden stage
            rows.append({
                "lambda": lam,
                "sample_accuracy": np.asarray(hist.final_train_accuracy, dtype=float).tolist(),
                "grid_accuracy": grid_accuracy(net, P, labels).tolist(),
                "stretch_max": sp.max(1).tolist(),
                "stretch_p99": np.percentile(sp, 99, axis=1).tolist(),
                "stretch_median": np.median(sp, axis=1).tolist(),
            })
            done += 1
            tick(progress, done, total)
        results.append({"width": w, "rows": rows})
    lines = [f"disc_annulus, {depth} hidden layer(s), {seeds} seeds, {steps} steps, {n} "
             "points; per λ: accuracy on samples / grid (means), stretch ||J||_2 of the last "
             "hidden layer over the grid (median over seeds of max / 99th pct)"]
    for r in results:
        lines.append(f"width {r['width']}:")
        for row in r["rows"]:
            lines.append(f"  λ={row['lambda']:<6g} acc {np.mean(row['sample_accuracy']):.3f} / "
                         f"{np.mean(row['grid_accuracy']):.3f}  stretch max "
                         f"{np.median(row['stretch_max']):8.3g}  p99 "
                         f"{np.median(row['stretch_p99']):8.3g}")
    return {"experiment": NAME, "widths": list(widths), "lambdas": lams, "seeds": seeds,
            "steps": steps, "results": results, "summary": lines}


def add_arguments(p) -> None:
    p.add_argument("--widths", default="2,3", help="layer widths to compare")
    p.add_argument("--lambdas", default="0,0.01,0.1,1", help="penalty strengths λ")
    p.add_argument("--seeds", type=int, default=4, help="networks per (width, λ)")
    p.add_argument("--steps", type=int, default=1500, help="optimiser steps")
    p.add_argument("--depth", type=int, default=1, help="hidden layers")
    p.add_argument("--n", type=int, default=400, help="training points")
    p.add_argument("--seed", type=int, default=0, help="base seed")


add_arguments.example = " --widths 2,3 --lambdas 0,0.1,1"
