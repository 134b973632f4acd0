"""An unlink separated by 3-unit layers: the network is a certificate that it is unlinked.

The essay: if a network whose layers have only 3 units classifies two tori, they form an
unlink. Precisely: when every stage is a homeomorphism of R^3 onto its image (non-singular
W, tanh), the layers compose to a homeomorphism, and if its read-out plane puts the two
(continuous) core curves on opposite sides, the cores are split in R^3. The isotopy
animation of the layers (the animation feature) shows the untangling; the numbers here are
the certificate: every stage's determinant, the linking number 0 at every stage, and the
core vertices all on their correct sides.
"""

from __future__ import annotations

import numpy as np

from ..errors import check_positive_int
from ._common import check_seeds, link_certificate, tick, train_seeds

NAME = "unlink"
SUMMARY = ("an unlink separated by 3-unit layers: accuracy, determinants and linking numbers "
           "at every stage as the certificate")


def run(*, depth: int = 3, width: int = 3, seeds: int = 8, steps: int = 1500, n: int = 600,
        dense: int = 20000, lr: float = 0.02, activation: str = "tanh", seed: int = 0,
        return_network: bool = False, progress=None) -> dict:
    """Train 3-unit networks on ``unlink``; certify the best one.

    Returns
    -------
    dict with ``sample_accuracy``, ``dense_accuracy`` per seed, the best seed's
    ``certificate`` (:func:`link_certificate` plus its stage determinants), ``separated``
    (the certificate holds) and ``summary`` lines; with ``return_network`` also the best
    ``network`` and its training ``data`` (X, y), which are not JSON-able
    """
    from ..datasets import make_dataset
    from ..topology import stage_diagnostics

    seeds = check_seeds(seeds)
    Xd, yd = make_dataset("unlink", check_positive_int(dense, "dense", minimum=2),
                          seed=seed + 99)
    net, X, y, hist = train_seeds("unlink", hidden=(width,) * depth, activation=activation,
                                  seeds=seeds, steps=steps, lr=lr, n=n, seed=seed)
    tick(progress, 1, 2)
    sample = np.asarray(hist.final_train_accuracy, dtype=float)
    pred = np.atleast_2d(net.predict(Xd))
    dense_acc = (pred == yd[None, :]).mean(1)
    best = int(np.argmax(dense_acc + sample))
    one = net.select(best)
    cert = link_certificate(one, "unlink")
    diags = stage_diagnostics(one, include_readout=False)
    cert["determinants"] = {d.name: d.det for d in diags if d.det is not None}
    separated = bool(cert["all_homeomorphisms"] and sum(cert["core_misclassified"]) == 0
                     and all(v == 0 for v in cert["linking_3d"])
                     and not cert["touching_stages"])
    tick(progress, 2, 2)
    lk = ", ".join("n/a" if v is None else f"{v:+d}" + ("*" if t else "")
                   for v, t in zip(cert["linking"]["linking"], cert["linking"]["touching"],
                                   strict=True))
    dets = ", ".join(f"{k} {v:.3g}" for k, v in cert["determinants"].items())
    lines = [f"unlink, {depth} hidden layers of {width} {activation} units, {seeds} seeds, "
             f"{steps} steps, {n} training points, dense sample of {dense}",
             f"samples: mean {sample.mean():.3f}, 100% for {(sample == 1).mean():.0%} of seeds; "
             f"dense: mean {dense_acc.mean():.4f}, best {dense_acc[best]:.4f}",
             f"best seed {seed + best}: determinants [{dets}]",
             f"  linking number per stage [{lk}]; core vertices misclassified "
             f"{cert['core_misclassified']} of {cert['core_vertices']} each",
             "  certificate: " + ("every stage is a homeomorphism and the read-out plane "
                                  "splits the two cores: an unlink" if separated else
                                  "not obtained with these settings")]
    out = {"experiment": NAME, "width": width, "depth": depth, "seeds": seeds, "steps": steps,
           "sample_accuracy": sample.tolist(), "dense_accuracy": dense_acc.tolist(),
           "best_seed": seed + best, "certificate": cert, "separated": separated,
           "summary": lines}
    if return_network:
        out["network"], out["data"] = one, (X, y)
    return out


def add_arguments(p) -> None:
    p.add_argument("--depth", type=int, default=3, help="hidden layers")
    p.add_argument("--width", type=int, default=3, help="units per layer")
    p.add_argument("--seeds", type=int, default=8, help="networks trained")
    p.add_argument("--steps", type=int, default=1500, help="optimiser steps")
    p.add_argument("--n", type=int, default=600, help="training points")
    p.add_argument("--dense", type=int, default=20000, help="points of the dense sample")
    p.add_argument("--activation", default="tanh", help="activation name")
    p.add_argument("--seed", type=int, default=0, help="base seed")


add_arguments.example = " --seeds 8 --steps 1500"
