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
from dataclasses import dataclass

import numpy as np

from ..errors import check_positive_int
from ..topology.linking import linking_labels
from ._common import (
    check_seeds,
    fit_seeds,
    link_certificate,
    make_config,
    one_thread,
    setting,
    tick,
    train_config,
)

NAME = "unlink"
SUMMARY = (
    "an unlink separated by 3-unit layers: accuracy, determinants and linking numbers "
    "at every stage as the certificate"
)
EXAMPLE = " --seeds 8 --steps 1500 --per-kind 10"


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
        "experiment": "tangled_unlinks",
        "per_kind": per,
        "instances": rows,
        "setting": setting,
        "seconds": seconds,
        "summary": lines,
    }


@dataclass(frozen=True)
class UnlinkConfig:
    """Settings of :func:`run` (the CLI's defaults; ``quick()`` for the report's quick mode)."""

    depth: int = setting(3, "hidden layers")  # the same depth as linked_tori, compared beside it
    width: int = setting(3, "units per layer")  # the claim: 3 units suffice for an unlink
    seeds: int = setting(8, "networks trained")  # the best one is certified
    steps: int = setting(1500, "optimiser steps")  # Adam, full batch; linked_tori's budget too
    n: int = setting(600, "training points")  # half per torus, as in linked_tori
    dense: int = setting(20000, "points of the dense sample")  # one point = 0.005% accuracy
    lr: float = setting(0.02, "Adam's learning rate")  # the library's default rate (fit)
    activation: str = setting("tanh", "activation name")  # strictly monotone: homeomorphisms
    seed: int = setting(0, "base seed")  # data sample and network 0 (network i: seed + i)
    edge_penalty: float = setting(
        1.0, "λ of the edge penalty (0: plain training)"
    )  # the certifying network is drawn: its points kept off the edges of the cube
    per_kind: int = setting(
        0, "also train on this many random tangled unlinks of each kind (e.g. 10)"
    )  # 0: the tangled unlinks are a separate, longer run
    tangled_quick: bool = setting(
        False, "the tangled unlinks in a tiny setting (for a smoke test)"
    )  # TangledUnlinkConfig.quick() with this run's width, depth, lr and activation

    @classmethod
    def quick(cls) -> UnlinkConfig:
        """Tiny settings (report's quick mode, tests): one layer, 2 seeds, 60 steps."""
        return cls(depth=1, seeds=2, steps=60, n=200, dense=500)


CONFIG = UnlinkConfig


def run(
    config: UnlinkConfig | None = None,
    *,
    return_network: bool = False,
    progress=None,
    **changes,
) -> dict:
    """Train 3-unit networks on ``unlink``; certify the best one.

    With ``per_kind`` > 0 (or ``tangled_quick``), also run :func:`tangled_unlinks` with the
    same depth, width, steps, n, lr and activation, returned under ``tangled``.

    Returns
    -------
    dict with ``sample_accuracy``, ``dense_accuracy`` per seed, the best seed's
    ``certificate`` (:func:`link_certificate` plus its stage determinants), ``separated``
    (the certificate holds) and ``summary`` lines; with ``return_network`` also the best
    ``network``, its training ``data`` (X, y) and its ``history``, which are not JSON-able
    """
    from ..datasets import make_dataset
    from ..topology import stage_diagnostics

    cfg = make_config(UnlinkConfig, config, changes)
    depth, width, steps, n, dense = cfg.depth, cfg.width, cfg.steps, cfg.n, cfg.dense
    activation, seed = cfg.activation, cfg.seed
    seeds = check_seeds(cfg.seeds)
    Xd, yd = make_dataset("unlink", check_positive_int(dense, "dense", minimum=2), seed=seed + 99)
    net, X, y, hist = train_config(
        "unlink", cfg, hidden=(width,) * depth, edge_penalty=cfg.edge_penalty
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
    if cfg.per_kind or cfg.tangled_quick:
        shared = dict(width=width, depth=depth, lr=cfg.lr, activation=activation, seed=seed)
        if cfg.tangled_quick:
            tangled = tangled_unlinks(TangledUnlinkConfig.quick(), **shared)
        else:
            tangled = tangled_unlinks(
                per_kind=cfg.per_kind, seeds=min(seeds, 4), steps=steps, n=n, **shared
            )
        out["tangled"] = tangled
        out["summary"] = lines + tangled["summary"]
    if return_network:
        out["network"], out["data"] = one, (X, y)
        out["history"] = hist.select(best)
        out["lr"] = cfg.lr
    return out
