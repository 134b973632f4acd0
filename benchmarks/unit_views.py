"""Cost of the unit views (:func:`isotopy.scene.units.unit_grids`) against today's stage view.

    OMP_NUM_THREADS=1 python benchmarks/unit_views.py
    OMP_NUM_THREADS=1 python benchmarks/unit_views.py --repeats 400 --resolutions 16,32,64

The network is a 2-6-6-1 tanh network (with and without the input features x1, x2, x1·x2)
on 500 points of ``disc_annulus``. The stage view is what the explorer computes per view
update for one stage with the library's scene builders: the points, the input grid's
vertices (17 lines of 40 vertices) and the decision-field lattice (72 × 72; coarse: 20
vertices a line and 36 × 36) pushed through the network together
(:func:`isotopy.scene.build.push_together`), the scene of the last hidden layer
(:func:`isotopy.scene.stage_scene` from the pushed arrays) and the input's decision field
(:func:`isotopy.scene.build.field_from_logits`); the grid and lattice are made once, as the
explorer keeps them, and the network's orientation is left out (both make the stage view
cheaper, so the ratios err against the unit views). Both sides are timed with their
arrays encoded as the page receives them (float32 or uint8 bytes in base64), on one thread.

Prints ratios only: the median CPU time of a unit-view update over that of a stage-view
update (below 1: the unit views cost less).
"""

from __future__ import annotations

import argparse
import base64
import statistics
import time

import numpy as np
import torch

from isotopy.datasets import make_dataset
from isotopy.nn import Network
from isotopy.scene import domain_bounds, input_grid, stage_scene
from isotopy.scene.build import field_from_logits, field_lattice, push_together
from isotopy.scene.units import unit_grids


def b64(a, dtype=np.float32) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=dtype).tobytes()).decode("ascii")


def stage_view(net, X, y, box, grid, lattice, res: int) -> int:
    """One stage-view update as the explorer computes it; returns the bytes sent."""
    k = len(net.stages) - 1  # the read-out's input: the last hidden layer
    reps = push_together(net, [X, grid.reshape(-1, 2), lattice])
    sc = stage_scene(
        net,
        X,
        y,
        k,
        domain=box,
        regions=False,
        orient=False,
        grid=grid,
        pushed=(reps[0][k], reps[1][k]),
        camera=False,
    )
    field = field_from_logits(reps[2][-1], box, res)
    out = [b64(sc.points), b64(sc.grid), b64(np.round(field.values * 255), np.uint8)]
    return sum(len(s) for s in out)


def unit_view(net, box, res: int, pre: bool) -> int:
    """One unit-view update: every unit's grid and every weight, encoded; bytes sent."""
    u = unit_grids(net, box, res, preactivations=pre)
    out = [b64(layer["values"]) for layer in u["layers"]]
    out += [b64(layer["pre"]) for layer in u["layers"] if "pre" in layer]
    return sum(len(s) for s in out) + 60 * (len(u["weights"]) + len(u["biases"]))


def median_cpu(fn, repeats: int) -> float:
    for _ in range(10):  # warm-up
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.thread_time()
        fn()
        times.append(time.thread_time() - t0)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--resolutions", default="16,24,32,48")
    args = ap.parse_args()
    torch.set_num_threads(1)
    X, y = make_dataset("disc_annulus", 500, seed=0)
    box = domain_bounds(X)
    resolutions = [int(r) for r in args.resolutions.split(",")]
    for features in (None, ["x1", "x2", "x1x2"]):
        net = Network(2, (6, 6), "tanh", features=features, seed=0)
        print(f"2-6-6-1 tanh network, features: {', '.join(features) if features else 'none'}")
        for label, samples, field_res in (("full", 40, 72), ("coarse", 20, 36)):
            grid = input_grid(box, lines=17, samples=samples)
            lattice = field_lattice(box, field_res)
            base = median_cpu(
                lambda n=net, g=grid, la=lattice, r=field_res: stage_view(n, X, y, box, g, la, r),
                args.repeats,
            )
            sent = stage_view(net, X, y, box, grid, lattice, field_res)
            cells = []
            for res in resolutions:
                for pre in (False, True):
                    cost = median_cpu(
                        lambda n=net, r=res, p=pre: unit_view(n, box, r, p), args.repeats
                    )
                    size = unit_view(net, box, res, pre) / sent
                    tag = f"{res}x{res}{' +pre' if pre else ''}"
                    cells.append(f"{tag}: {cost / base:.2f} (bytes {size:.2f})")
            print(f"  unit views / {label} stage view: " + "; ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
