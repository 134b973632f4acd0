"""Width sweep on nested spheres: accuracy against layer width, over many seeds.

For n = 1, 2, 3 the ball inside a spherical shell in R^n needs a layer of n + 1 units
(:mod:`isotopy.topology.bounds`). For every width w we train ``seeds`` networks of
``depth`` hidden layers of w tanh units and measure accuracy twice:

- on the training sample (what a training curve shows), and
- on a dense grid of the continuous ball and shell (``DATASETS[...].labels_fn``), as the
  mean of the ball's and the shell's accuracy (balanced like the samples; the
  volume-weighted figure is kept too).

A network below the bound can reach 100% on a finite sample by routing a thin channel of
"ball" through gaps between shell samples; the grid exposes that channel. The essay saw
about 80% for its 2-unit network on the disc inside an annulus.
"""

from __future__ import annotations

import numpy as np

from ..errors import parse_int_list
from ._common import check_seeds, grid_accuracy, grid_points, tick, train_seeds

NAME = "width_sweep"
SUMMARY = ("nested spheres in R^1..R^3: accuracy against layer width over many seeds, on the "
           "samples and on a dense grid, with the n + 1 bound marked")

GRID = {1: 2001, 2: 161, 3: 41}  # grid points per axis: ~2,000, ~15,000, ~27,000 inside


def run(*, dims="1,2,3", widths=None, seeds: int = 10, steps: int = 2000, depth: int = 1,
        n: int = 400, lr: float = 0.02, activation: str = "tanh", seed: int = 0,
        progress=None) -> dict:
    """Train ``seeds`` networks per (dimension, width) and measure accuracy.

    Parameters
    ----------
    dims : str or sequence of int
        Dimensions n of ``nested_spheres``.
    widths : str or sequence of int, optional
        Layer widths to try; default 1 .. n + 2 for each n.
    seeds, steps, depth, n, lr, activation, seed
        Networks per width, optimiser steps, hidden layers, sample size, learning rate,
        activation, base seed.

    Returns
    -------
    dict
        ``results``: one dict per dimension with ``widths``, ``bound`` (n + 1),
        ``sample_accuracy`` and ``grid_accuracy`` (seeds × widths lists), their means and
        the fraction of seeds reaching 100% / >= 99% on the grid; ``summary``: text lines.
    """
    dims = parse_int_list(dims, "dims")
    fixed = parse_int_list(widths, "widths") if widths not in (None, "") else None
    seeds = check_seeds(seeds)
    plan = [(d, fixed or tuple(range(1, d + 3))) for d in dims]
    total, done = sum(len(w) for _, w in plan), 0
    results = []
    for d in dims:
        ws = dict(plan)[d]
        P, labels = grid_points("nested_spheres", resolution=GRID.get(d, 21), params={"dim": d})
        sample_acc, grid_acc, grid_vol = [], [], []
        for w in ws:
            net, X, y, hist = train_seeds("nested_spheres", hidden=(w,) * depth,
                                          activation=activation, seeds=seeds, steps=steps,
                                          lr=lr, n=n, seed=seed, params={"dim": d})
            sample_acc.append(np.asarray(hist.final_train_accuracy, dtype=float))
            grid_acc.append(grid_accuracy(net, P, labels))
            grid_vol.append(grid_accuracy(net, P, labels, balanced=False))
            done += 1
            tick(progress, done, total)
        sa, ga = np.stack(sample_acc, 1), np.stack(grid_acc, 1)  # (seeds, widths)
        results.append({
            "dim": d, "widths": list(ws), "bound": d + 1, "depth": depth,
            "sample_accuracy": sa.tolist(), "grid_accuracy": ga.tolist(),
            "sample_mean": sa.mean(0).tolist(), "grid_mean": ga.mean(0).tolist(),
            "sample_max": sa.max(0).tolist(), "grid_max": ga.max(0).tolist(),
            "sample_perfect": (sa == 1.0).mean(0).tolist(),
            "grid_perfect": (ga == 1.0).mean(0).tolist(),
            "grid_points": int(len(P)),
            "grid_volume_mean": np.stack(grid_vol, 1).mean(0).tolist(),
        })
    lines = [f"nested_spheres, {seeds} seeds per width, {depth} hidden layer(s) of {activation}, "
             f"{steps} steps, {n} samples; accuracy mean (max) on samples | on the dense grid"]
    for r in results:
        lines.append(f"R^{r['dim']} (bound: a layer of {r['bound']} units; grid of "
                     f"{r['grid_points']} points)")
        for i, w in enumerate(r["widths"]):
            mark = "  < bound" if w < r["bound"] else ""
            lines.append(f"  width {w}: samples {r['sample_mean'][i]:.3f} "
                         f"({r['sample_max'][i]:.3f})  grid {r['grid_mean'][i]:.3f} "
                         f"({r['grid_max'][i]:.3f})  100% on samples: "
                         f"{r['sample_perfect'][i]:.0%}{mark}")
    return {"experiment": NAME, "activation": activation, "seeds": seeds, "steps": steps,
            "n": n, "results": results, "summary": lines}


def add_arguments(p) -> None:
    p.add_argument("--dims", default="1,2,3", help="dimensions n of nested_spheres")
    p.add_argument("--widths", default=None, help="layer widths (default 1..n+2 per n)")
    p.add_argument("--seeds", type=int, default=10, help="networks per width")
    p.add_argument("--steps", type=int, default=2000, help="optimiser steps")
    p.add_argument("--depth", type=int, default=1, help="hidden layers")
    p.add_argument("--n", type=int, default=400, help="training points")
    p.add_argument("--activation", default="tanh", help="activation name")
    p.add_argument("--seed", type=int, default=0, help="base seed")


add_arguments.example = " --dims 2 --seeds 10 --steps 2000"
