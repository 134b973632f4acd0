"""An unlink separated by 3-unit layers: the network is a certificate that it is unlinked.

The essay: if a network whose layers have only 3 units classifies two tori, they form an
unlink. Precisely: when every stage is a homeomorphism of R^3 onto its image (non-singular
W, tanh), the layers compose to a homeomorphism, and if its read-out plane puts the two
(continuous) core curves on opposite sides, the cores are split in R^3. The isotopy
animation of the layers (the animation feature) shows the untangling; the numbers here are
the certificate: every stage's determinant, the linking number 0 at every stage, and the
core vertices all on their correct sides.

Tangled unlinks of several kinds (:func:`tangled_unlinks`, ``--per-kind``): for every kind
of ``isotopy.datasets.links.UNLINK_KINDS`` (pairs with linking number 0 that no plane
separates), ``per_kind`` random instances, each trained with ``seeds`` networks of
``depth`` layers of ``width`` units; an instance counts as separated when one of its
networks classifies every point of a fresh dense sample of both solid tori and every vertex
of both core curves correctly. The result gives the fraction separated per kind with the
setting it was measured at.
"""

from __future__ import annotations

import time

import numpy as np

from ..errors import check_positive_int
from ..topology.linking import linking_labels
from ._common import check_seeds, link_certificate, one_thread, tick, train_seeds

NAME = "unlink"
SUMMARY = (
    "an unlink separated by 3-unit layers: accuracy, determinants and linking numbers "
    "at every stage as the certificate"
)


def tangled_unlinks(
    per_kind: int = 10,
    *,
    width: int = 3,
    depth: int = 3,
    seeds: int = 4,
    steps: int = 1500,
    lr: float = 0.02,
    n: int = 600,
    dense: int = 4000,
    core: int = 800,
    activation: str = "tanh",
    seed: int = 0,
    quick: bool = False,
    progress=None,
) -> dict:
    """Train networks on random tangled unlinks of every kind; the fraction separated per kind.

    Parameters
    ----------
    per_kind : int
        Random instances of each kind (instance seeds ``seed``, ``seed + 1``, ...).
    width, depth : int
        Hidden layers (width,) * depth.
    seeds : int
        Networks per instance, trained as one batch (network seeds 0 .. seeds - 1).
    steps, lr, n, activation
        Full-batch Adam steps, learning rate, training points, activation.
    dense, core : int
        Points of the fresh dense sample of the two solid tori, vertices per core curve.
    quick : bool
        A small setting for tests: 1 instance per kind, 2 networks, 100 steps, n = 150,
        dense = 400, core = 100 (the numbers mean little).

    Returns
    -------
    dict
        ``per_kind``: {kind: {"instances", "separated" (fraction of instances with a
        separating network), "networks_separated" (fraction of networks), "best_dense"
        (mean over instances of the best network's dense accuracy)}}; ``instances``: one
        row per instance; ``setting``; ``seconds``; ``summary`` lines.
    """
    import torch

    from ..datasets.links import UNLINK_KINDS, make_tangled_unlink, unlink_cores
    from ..nn import Network
    from ..train import fit

    if quick:
        per_kind, seeds, steps, n, dense, core = 1, 2, 100, 150, 400, 100
    per_kind = check_positive_int(per_kind, "instances per kind")
    seeds = check_seeds(seeds)
    width, depth = check_positive_int(width, "width"), check_positive_int(depth, "depth")
    rows, start = [], time.perf_counter()
    total = per_kind * len(UNLINK_KINDS)
    with one_thread():
        for kind in UNLINK_KINDS:
            for i in range(per_kind):
                inst = seed + i
                X, y = make_tangled_unlink(n, kind=kind, instance=inst, seed=inst)
                net = Network(
                    3, (width,) * depth, activation, 2, n_networks=seeds, seed=list(range(seeds))
                )
                hist = fit(
                    net, X, y, steps=steps, lr=lr, seed=list(range(seeds)), record_every=steps
                )
                Xd, yd = make_tangled_unlink(dense, kind=kind, instance=inst, seed=inst + 7919)
                a, b = unlink_cores(kind, inst, samples=core)
                P = torch.as_tensor(np.concatenate([Xd, a, b]).astype(np.float32))
                labels = np.concatenate([yd, np.zeros(core, np.int64), np.ones(core, np.int64)])
                acc = (np.atleast_2d(net.predict(P)) == labels[None]).mean(1)  # (seeds,)
                rows.append(
                    {
                        "kind": kind,
                        "instance": inst,
                        "train_accuracy": [float(v) for v in hist.final_train_accuracy],
                        "dense_accuracy": acc.tolist(),
                        "separated": bool((acc == 1.0).any()),
                        "networks_separated": float((acc == 1.0).mean()),
                    }
                )
                tick(progress, len(rows), total)
    seconds = time.perf_counter() - start
    per = {}
    for kind in UNLINK_KINDS:
        mine = [r for r in rows if r["kind"] == kind]
        per[kind] = {
            "instances": len(mine),
            "separated": float(np.mean([r["separated"] for r in mine])),
            "networks_separated": float(np.mean([r["networks_separated"] for r in mine])),
            "best_dense": float(np.mean([max(r["dense_accuracy"]) for r in mine])),
        }
    setting = {
        "width": width,
        "depth": depth,
        "seeds": seeds,
        "steps": steps,
        "lr": lr,
        "n": n,
        "dense": dense,
        "core": core,
        "activation": activation,
        "first_instance": seed,
    }
    lines = [
        f"tangled unlinks: {per_kind} random instances per kind, {depth} hidden layers of "
        f"{width} {activation} units, {seeds} networks per instance, {steps} steps, {n} "
        f"training points; separated = one network right on all {dense} dense points "
        f"and {core} vertices of each core ({seconds:.0f} s)"
    ]
    for kind, r in per.items():
        lines.append(
            f"  {kind}: {r['separated']:.0%} of {r['instances']} instances separated "
            f"({r['networks_separated']:.0%} of networks); best dense accuracy, "
            f"mean over instances {r['best_dense']:.4f}"
        )
    return {
        "experiment": "tangled_unlinks",
        "per_kind": per,
        "instances": rows,
        "setting": setting,
        "seconds": seconds,
        "summary": lines,
    }


def run(
    *,
    depth: int = 3,
    width: int = 3,
    seeds: int = 8,
    steps: int = 1500,
    n: int = 600,
    dense: int = 20000,
    lr: float = 0.02,
    activation: str = "tanh",
    seed: int = 0,
    per_kind: int = 0,
    quick: bool = False,
    return_network: bool = False,
    progress=None,
) -> dict:
    """Train 3-unit networks on ``unlink``; certify the best one.

    With ``per_kind`` > 0 (or ``quick``), also run :func:`tangled_unlinks` with the same
    depth, width, steps, n and activation, returned under ``tangled``.

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
    Xd, yd = make_dataset("unlink", check_positive_int(dense, "dense", minimum=2), seed=seed + 99)
    net, X, y, hist = train_seeds(
        "unlink",
        hidden=(width,) * depth,
        activation=activation,
        seeds=seeds,
        steps=steps,
        lr=lr,
        n=n,
        seed=seed,
    )
    tick(progress, 1, 2)
    sample = np.asarray(hist.final_train_accuracy, dtype=float)
    pred = np.atleast_2d(net.predict(Xd))
    dense_acc = (pred == yd[None, :]).mean(1)
    best = int(np.argmax(dense_acc + sample))
    one = net.select(best)
    cert = link_certificate(one, "unlink")
    diags = stage_diagnostics(one, include_readout=False)
    cert["determinants"] = {d.name: d.det for d in diags if d.det is not None}
    separated = bool(
        cert["all_homeomorphisms"]
        and sum(cert["core_misclassified"]) == 0
        and all(v == 0 for v in cert["linking_3d"])
        and not cert["touching_stages"]
        and not cert["linking"]["unresolved_stages"]
    )
    tick(progress, 2, 2)
    lk = ", ".join(linking_labels(cert["linking"]))
    dets = ", ".join(f"{k} {v:.3g}" for k, v in cert["determinants"].items())
    lines = [
        f"unlink, {depth} hidden layers of {width} {activation} units, {seeds} seeds, "
        f"{steps} steps, {n} training points, dense sample of {dense}",
        f"samples: mean {sample.mean():.3f}, 100% for {(sample == 1).mean():.0%} of seeds; "
        f"dense: mean {dense_acc.mean():.4f}, best {dense_acc[best]:.4f}",
        f"best seed {seed + best}: determinants [{dets}]",
        f"  linking number per stage [{lk}]; core vertices misclassified "
        f"{cert['core_misclassified']} of {cert['core_vertices']} each",
        "  certificate: "
        + (
            "every stage is a homeomorphism and the read-out plane splits the two cores: an unlink"
            if separated
            else "not obtained with these settings"
        ),
    ]
    out = {
        "experiment": NAME,
        "width": width,
        "depth": depth,
        "seeds": seeds,
        "steps": steps,
        "sample_accuracy": sample.tolist(),
        "dense_accuracy": dense_acc.tolist(),
        "best_seed": seed + best,
        "certificate": cert,
        "separated": separated,
        "summary": lines,
    }
    if per_kind or quick:
        tangled = tangled_unlinks(
            per_kind or 2,
            width=width,
            depth=depth,
            seeds=min(seeds, 4),
            steps=steps,
            lr=lr,
            n=n,
            activation=activation,
            seed=seed,
            quick=quick,
        )
        out["tangled"] = tangled
        out["summary"] = lines + tangled["summary"]
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
    p.add_argument(
        "--per-kind",
        type=int,
        default=0,
        help="also train on this many random tangled unlinks of each kind (e.g. 10)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="the tangled unlinks in a tiny setting (for a smoke test)",
    )


add_arguments.example = " --seeds 8 --steps 1500 --per-kind 10"
