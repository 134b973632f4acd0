"""An unlink separated by 3-unit layers: the network is a certificate that it is unlinked.

The essay: if a network whose layers have only 3 units classifies two tori, they form an
unlink. Precisely: when every stage is a homeomorphism of R^3 onto its image (non-singular
W, tanh), the layers compose to a homeomorphism, and if its read-out plane puts the two
(continuous) core curves on opposite sides, the cores are split in R^3. The isotopy
animation of the layers (the animation feature) shows the untangling; the numbers here are
the certificate: every stage's determinant, the linking number 0 at every stage, and the
core vertices all on their correct sides.

With ``--per-kind`` the same run also tries tangled unlinks of several kinds
(:func:`isotopy.experiments.tangled_unlinks.tangled_unlinks`, an experiment of its own).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import check_positive_int
from ..topology.linking import linking_labels
from ._common import (
    check_seeds,
    link_certificate,
    make_config,
    setting,
    tick,
    train_config,
)
from .tangled_unlinks import TangledUnlinkConfig, tangled_unlinks
from .verdicts import Verdict

__all__ = ["UnlinkConfig", "run", "certificate_verdict", "TangledUnlinkConfig", "tangled_unlinks"]

NAME = "unlink"
SUMMARY = (
    "an unlink separated by 3-unit layers: accuracy, determinants and linking numbers "
    "at every stage as the certificate"
)
EXAMPLE = " --seeds 8 --steps 1500 --per-kind 10"


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
    (the certificate holds), its ``edge_fraction``, the ``verdict`` of
    :func:`certificate_verdict` and ``summary`` lines; with ``return_network`` also the
    best ``network``, its training ``data`` (X, y), its ``history`` and its ``run`` (a Run
    to ship), which are not JSON-able
    """
    from ..datasets import make_dataset
    from ..topology import stage_diagnostics
    from ..topology.saturation import saturation_by_stage

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
        "edge_fraction": float(max(saturation_by_stage(one, X).values())),
        "summary": lines,
    }
    out["verdict"] = certificate_verdict(out).to_dict()
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
        from ..train import TrainConfig, run_of

        out["network"], out["data"] = one, (X, y)
        out["history"] = hist.select(best)
        out["lr"] = cfg.lr
        train = TrainConfig(steps=steps, lr=cfg.lr, seed=seed + best, edge_penalty=cfg.edge_penalty)
        about = {"dataset": "unlink", "params": {}, "n": int(len(X))}
        out["run"] = run_of(one, out["history"], X, y, data=about, train=train)
    return out


def certificate_verdict(res: dict) -> Verdict:
    """The essay's claim that a 3-unit network separating two tori shows they are an unlink:
    agrees when the best network is a certificate, not resolved when none is."""
    cert = res["certificate"]
    zero = bool(cert["linking_3d"]) and all(v == 0 for v in cert["linking_3d"])
    return Verdict(
        "agrees" if res["separated"] else "not resolved",
        "agrees if the best network is a certificate (every stage a homeomorphism, the "
        "read-out plane splits both core curves, every linking number certified 0); not "
        "resolved if no network is (training may have missed one)",
        "exact: determinants and certified linking numbers of every stage",
        f"separated: {res['separated']}; dense accuracy {max(res['dense_accuracy']):.4f}; "
        f"linking 0 at every certified stage: {zero} ({len(cert['linking_3d'])} certified)",
    )
