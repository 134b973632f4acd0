"""Measure what the edge penalty does to the essay's showcase networks, over seeds.

For each showcase network of the report's first section (two curves with 2 hidden units, the
disc in an annulus with 2 and 3, the interval with 2) and for the spirals' four 2-unit layers,
train ``--seeds`` networks as ``isotopy train`` does (``TrainConfig``: Adam at lr 0.02 on 75%
of 500 points, 3,000 steps; the two curves also 6,000) once plainly and once with the edge
penalty (λ = 1 beyond |z| = 1.5, ramped in over the second half of training), and print per
setting: how many networks classify every training point, the median and range of the final
training accuracy, and the largest edge fraction (share of points with any tanh unit within
0.05 of ±1) at the final step and at the readable state. The table in docs/readable.md comes
from

    python tools/readable_training.py --seeds 10

(about 25 minutes on two cores).
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np
import torch

from isotopy.train import TrainConfig, train_run
from isotopy.train.readable import state_at

# (dataset, hidden widths, dataset parameters, training steps)
CASES = [
    ("two_curves", (2,), {}, 3000),
    ("two_curves", (2,), {}, 6000),  # the report's showcase: the penalty needs longer here
    ("disc_annulus", (2,), {}, 3000),
    ("disc_annulus", (3,), {}, 3000),
    ("interval", (2,), {}, 3000),
    ("spirals", (2, 2, 2, 2), {"turns": 0.6}, 3000),
]


def measure(dataset, hidden, params, train) -> dict:
    run = train_run(dataset, hidden=hidden, dataset_params=params, train=train, record_every=20)
    state = state_at(run.net, run.history, run.X_train, run.y_train, "readable", X_edge=run.X)
    final = state_at(run.net, run.history, run.X_train, run.y_train, "final", X_edge=run.X)
    return {"acc": final.train_accuracy, "edge": final.max_edge, "readable": state.max_edge}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=10)
    args = p.parse_args()
    torch.set_num_threads(1)
    print(
        "| data | hidden | training | 100% of training points | train accuracy median "
        "[min, max] | edge fraction, final: median [max] | at the readable state |"
    )
    print("|---|---|---|---|---|---|---|")
    for dataset, hidden, params, steps in CASES:
        for name, lam in (("plain", 0.0), ("edge penalty", 1.0)):
            rows = [
                measure(
                    dataset,
                    hidden,
                    params,
                    replace(TrainConfig(), seed=s, edge_penalty=lam, steps=steps),
                )
                for s in range(args.seeds)
            ]
            acc = np.array([r["acc"] for r in rows])
            edge = np.array([r["edge"] for r in rows])
            readable = np.array([r["readable"] for r in rows])
            what = dataset + (
                f" ({', '.join(f'{k} {v}' for k, v in params.items())})" if params else ""
            )
            print(
                f"| {what} | {','.join(map(str, hidden))} | {steps} | {name} | "
                f"{int((acc == 1).sum())} of "
                f"{len(acc)} | {np.median(acc):.3f} [{acc.min():.3f}, {acc.max():.3f}] | "
                f"{np.median(edge):.2f} [{edge.max():.2f}] | {np.median(readable):.2f} "
                f"[{readable.max():.2f}] |",
                flush=True,
            )


if __name__ == "__main__":
    main()
