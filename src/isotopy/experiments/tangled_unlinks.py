"""Tangled unlinks tried with 3-unit layers: the essay's open question, for unlinks.

The essay asks whether every unlink can be classified by a network whose layers have only
3 units. For every kind of ``isotopy.datasets.links.UNLINK_KINDS`` (pairs of curves with
linking number 0 that no plane separates, so no translation pulls them apart),
``per_kind`` random instances, each trained with ``seeds`` networks of ``depth`` layers of
``width`` units; an instance counts as separated when one of its networks classifies every
point of a fresh dense sample of both solid tori and every vertex of both core curves
correctly. The result gives the fraction separated per kind with the setting it was
measured at, and the verdict on the essay's question: "agrees" only if every instance is
separated, "not resolved" otherwise (a separating network that training did not find may
still exist, so it can never be "differs" without a proof).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..errors import check_positive_int
from ._common import check_seeds, fit_seeds, make_config, one_thread, setting, tick
from .verdicts import Verdict

__all__ = ["TangledUnlinkConfig", "tangled_unlinks", "run"]

NAME = "tangled_unlinks"
SUMMARY = (
    "random tangled unlinks of three kinds tried with 3-unit layers: the fraction "
    "separated per kind (the essay's open question)"
)
EXAMPLE = " --per-kind 10 --seeds 3"


@dataclass(frozen=True)
class TangledUnlinkConfig:
    """Settings of :func:`tangled_unlinks` (``quick()``: a tiny setting for tests)."""

    per_kind: int = setting(10, "random instances of each kind")  # one instance = 10% per kind
    width: int = setting(3, "units per hidden layer")  # the essay's question: only 3 units
    depth: int = setting(3, "hidden layers")  # as in the unlink experiment
    seeds: int = setting(4, "networks per instance")  # separated when any one of them is right
    steps: int = setting(1500, "optimiser steps")  # Adam, full batch, as in the unlink run
    lr: float = setting(0.02, "Adam's learning rate")  # the library's default rate (fit)
    n: int = setting(600, "training points")  # half per solid torus
    dense: int = setting(4000, "points of the dense check")  # beside the core vertices
    core: int = setting(800, "vertices per core curve")  # the curves no plane separates
    activation: str = setting("tanh", "activation name")  # strictly monotone: homeomorphisms
    seed: int = setting(0, "first instance")  # instances seed, seed + 1, ...

    @classmethod
    def quick(cls) -> TangledUnlinkConfig:
        """1 instance per kind, 2 networks, 100 steps (the numbers mean little)."""
        return cls(per_kind=1, seeds=2, steps=100, n=150, dense=400, core=100)


def tangled_unlinks(config: TangledUnlinkConfig | None = None, *, progress=None, **changes) -> dict:
    """Train networks on random tangled unlinks of every kind; the fraction separated per kind.

    Parameters
    ----------
    config : TangledUnlinkConfig, optional
        ``per_kind`` random instances of each kind (instance seeds ``seed``, ``seed + 1``,
        ...), each trained with ``seeds`` networks (network seeds 0 .. seeds - 1) of hidden
        layers (width,) * depth; ``dense`` points of a fresh sample of the two solid tori and
        ``core`` vertices per core curve decide "separated".
    progress : callable, optional
        ``progress(done, total)`` over instances.
    **changes
        Settings changed from ``config``.

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

    cfg = make_config(TangledUnlinkConfig, config, changes)
    steps, n, dense, core, seed = cfg.steps, cfg.n, cfg.dense, cfg.core, cfg.seed
    per_kind = check_positive_int(cfg.per_kind, "instances per kind")
    seeds = check_seeds(cfg.seeds)
    width, depth = check_positive_int(cfg.width, "width"), check_positive_int(cfg.depth, "depth")
    activation, lr = cfg.activation, cfg.lr
    rows, start = [], time.perf_counter()
    total = per_kind * len(UNLINK_KINDS)
    with one_thread():
        for kind in UNLINK_KINDS:
            for i in range(per_kind):
                inst = seed + i
                X, y = make_tangled_unlink(n, kind=kind, instance=inst, seed=inst)
                net, hist = fit_seeds(
                    X,
                    y,
                    hidden=(width,) * depth,
                    activation=activation,
                    seeds=seeds,
                    steps=steps,
                    lr=lr,
                    seed=list(range(seeds)),
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
        "experiment": NAME,
        "per_kind": per,
        "instances": rows,
        "setting": setting,
        "seconds": seconds,
        "summary": lines,
    }


CONFIG = TangledUnlinkConfig


def question_verdict(per_kind: dict, seeds: int) -> Verdict:
    """The essay's question from the instances separated per kind: agrees when every
    instance is separated, not resolved otherwise."""
    total = sum(r["instances"] for r in per_kind.values())
    done = sum(round(r["separated"] * r["instances"]) for r in per_kind.values())
    return Verdict(
        "agrees" if done == total else "not resolved",
        "agrees if some network of 3-unit layers separates every instance (dense points and "
        "core vertices all right); otherwise not resolved, since a separating network that "
        "training did not find may still exist (it can never be 'differs' without a proof)",
        f"{seeds} networks per instance",
        f"{done} of {total} instances separated",
    )


def run(config: TangledUnlinkConfig | None = None, *, progress=None, **changes) -> dict:
    """:func:`tangled_unlinks` with the verdict on the essay's question (``verdict``)."""
    res = tangled_unlinks(config, progress=progress, **changes)
    v = question_verdict(res["per_kind"], res["setting"]["seeds"])
    res["verdict"] = v.to_dict()
    res["summary"] = res["summary"] + [f"every unlink separated: {v.verdict} ({v.measured})"]
    return res
