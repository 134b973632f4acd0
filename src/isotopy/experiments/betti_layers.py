"""Betti numbers of each class through the layers: tanh keeps them (a theorem, checked
exactly), ReLU need not (measured against a control).

**tanh.** A layer x -> tanh(Wx + b) with det W != 0 is a homeomorphism onto its image, and
a homeomorphism carries the homology of every subset onto that of its image: no Betti
number of either class can change. The measurement checks the theorem's hypothesis exactly:
:func:`isotopy.topology.stage_diagnostics` certifies every stage of every tanh network
(s_min / s_max > 1e-6 for every W), and the topological reading
(:func:`isotopy.topology.betti_through_network` with ``reading="topological"``) then
carries the input's numbers through every stage. A metric reading of the same stages
(``metric``, robust by default) still changes at some of them: those changes are effects
of reading a finite sample (saturation, stretching), counted and reported, never evidence.

**ReLU.** ReLU is not injective: it folds space onto the faces of the positive orthant and
can glue parts of a class or collapse its hole, so its stages are read from the points.
Whether a change a metric reading reports is the network's or the reading's is decided by
a *control*: trained networks of the same shape whose every stage is a homeomorphism
(``controls``: tanh and leaky ReLU, the piecewise-linear relative of ReLU), read the same
way at the same layers. A hidden layer is *trusted* when the control keeps every class's
resolved numbers there in at least ``trust`` of its networks. ReLU networks trained to at
least ``min_accuracy`` count; one *changes* the topology when a resolved number of some
class differs from the input's at a trusted layer.

**Verdicts** (:func:`judge`): tanh agrees when the diagnostics certify every stage of at
least ``min_seeds`` networks, not resolved otherwise (no sample can make a theorem differ);
ReLU is :func:`~.verdicts.fraction_verdict` "can change" at share 1/2 among the counted
ReLU networks (agrees at half or more, differs when none changes at a trusted layer), not
resolved when no layer is trusted or fewer than ``min_seeds`` networks count.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ._common import make_config, setting, tick, train_seeds
from .verdicts import Verdict, fraction_verdict

NAME = "betti_layers"
SUMMARY = (
    "Betti numbers (β0, β1) of each class through tanh and ReLU networks: the topological "
    "reading and exact diagnostics for tanh, a metric reading against homeomorphic controls "
    "for ReLU"
)
EXAMPLE = " --hidden 3,3,3 --seeds 20"


@dataclass(frozen=True)
class BettiLayersConfig:
    """Settings of :func:`run` (the CLI's and the report's; ``quick()`` for tests)."""

    dataset: str = setting("disc_annulus", "a registered dataset")  # disc (1,0), annulus (1,1)
    hidden: tuple[int, ...] = setting((3, 3, 3), "hidden widths")  # the 2-3-3-3
    activations: tuple[str, ...] = setting(("tanh", "relu"), "activations judged")
    controls: tuple[str, ...] = setting(
        ("tanh", "leaky_relu"), "homeomorphic activations whose networks vouch for a layer"
    )
    # ReLU 2-3-3-3 networks reach 99% training accuracy in 7 of 12 (the rest die at 50-84%):
    # 20 leave at least 10 to count
    seeds: int = setting(20, "networks per activation")
    steps: int = setting(800, "optimiser steps")  # width 3 separates within ~800
    n: int = setting(800, "training points (half per class)")
    dense: int = setting(1600, "points pushed through the networks")  # 800 per class
    max_points: int = setting(1000, "largest sample per class and stage (farthest points)")
    lr: float = setting(0.02, "Adam's learning rate")  # the library's default rate (fit)
    metric: str = setting(
        "robust", "metric reading of the points", choices=("robust", "euclidean", "geodesic")
    )
    trust: float = setting(0.9, "share of control networks that must keep a layer's numbers")
    min_accuracy: float = setting(0.99, "training accuracy a ReLU network needs to count")
    min_seeds: int = setting(10, "networks a verdict needs")
    seed: int = setting(0, "base seed")  # data sample and network 0 (network i: seed + i)

    @classmethod
    def quick(cls) -> BettiLayersConfig:
        """Tiny settings (report's quick mode, tests): one layer of 3, two seeds, 60 steps."""
        return cls(hidden=(3,), seeds=2, steps=60, n=300, dense=400)


CONFIG = BettiLayersConfig


def _activation_layers(names, act: str) -> list[int]:
    return [s for s, n in enumerate(names) if n.rstrip("0123456789") == act]


def _one(net, Xd, yd, act, cfg) -> dict:
    """What one network does: diagnostics, the topological reading of every stage and the
    metric reading of the input and of every hidden activation layer."""
    from ..topology import betti_numbers, betti_through_network, stage_diagnostics

    diags = stage_diagnostics(net, include_readout=False)
    top = betti_through_network(
        net, Xd, yd, reading="topological", metric=cfg.metric, max_points=cfg.max_points
    )
    reps = net.trace(np.asarray(Xd, dtype=np.float32))
    names = [n for n, _ in reps]
    layers = _activation_layers(names, act)
    chart = act if cfg.metric == "robust" else None
    betti, resolved, ratios = [], [], []
    for s in [0, *layers]:  # the input, then each hidden activation layer
        row = [
            betti_numbers(
                reps[s][1][yd == c],
                reading=cfg.metric,
                max_points=cfg.max_points,
                activation=chart if s else None,
                return_details=True,
            )  # fmt: skip
            for c in (0, 1)
        ]
        betti.append([b.tolist() for b, _ in row])
        resolved.append([det["resolved"].tolist() for _, det in row])
        ratios.append([_top_ratios(det["diagrams"]) for _, det in row])
    b, ok = np.asarray(betti), np.asarray(resolved)
    # per hidden activation layer: no resolved number differs from the input's
    kept = [bool(((b[j] == b[0]) | ~ok[j]).all()) for j in range(1, len(b))]
    return {
        "stages": names,
        "certified": all(d.homeomorphism for d in diags),
        "dets": {d.name: d.det for d in diags if d.det is not None},
        "topological": top.to_dict(),
        "metric": {"betti": betti, "resolved": resolved},
        "layers": [names[s] for s in layers],
        "kept": kept,
        "unresolved": [bool(not ok[j].all()) for j in range(1, len(b))],
        "ratios": ratios,  # the five largest death / birth of H_1 per class
    }


def _top_ratios(dgms, k: int = 5) -> list[float]:
    """The ``k`` largest death / birth of the finite H_1 classes of one diagram list."""
    if dgms is None or len(dgms) < 2:
        return []
    d = np.asarray(dgms[1])
    d = d[np.isfinite(d[:, 1]) & (d[:, 0] > 0)]
    return sorted((d[:, 1] / d[:, 0]).round(3).tolist(), reverse=True)[:k]


def judge(results: dict, cfg) -> dict[str, Verdict]:
    """The two verdicts from per-activation lists of :func:`_one` dicts (module docstring).

    ``results[act]`` is a list of network dicts with ``certified``, ``kept`` (per hidden
    activation layer) and ``accuracy``; returns ``{"tanh": Verdict, "relu": Verdict}`` for
    the activations present.
    """
    out = {}
    if "tanh" in results:
        nets = results["tanh"]
        ok = sum(r["certified"] for r in nets)
        rule = (
            "a theorem (a homeomorphism keeps every Betti number): agrees when the exact "
            "diagnostics certify every stage of every tanh network (s_min/s_max > 1e-6 for "
            f"each W) and there are at least {cfg.min_seeds}; not resolved otherwise. No "
            "sample can make it differ: a metric reading's change at a certified stage is an "
            "effect of the sample."
        )
        verdict = "agrees" if ok == len(nets) >= cfg.min_seeds else "not resolved"
        measured = f"{ok} of {len(nets)} tanh networks certified homeomorphisms at every stage"
        out["tanh"] = Verdict(verdict, rule, "exact (singular values of each W)", measured)
    # a control network vouches only where it is certified a homeomorphism at every stage
    controls = [r for a in cfg.controls for r in results.get(a, []) if r["certified"]]
    if "relu" in results and controls:
        n_layers = len(controls[0]["kept"])
        trusted = [
            j for j in range(n_layers) if np.mean([c["kept"][j] for c in controls]) >= cfg.trust
        ]
        counted = [r for r in results["relu"] if r["accuracy"] >= cfg.min_accuracy]
        changed = sum(any(not r["kept"][j] for j in trusted) for r in counted)
        target = "a resolved change of a class's Betti numbers at a layer the control trusts"
        v = fraction_verdict(
            changed,
            max(len(counted), 1),
            expect="succeed",
            share=0.5,
            min_seeds=cfg.min_seeds,
            target=target,
        )
        rule = (
            v.rule[:-1] + f"; a layer is trusted when the control ({', '.join(cfg.controls)} "
            f"networks of the same shape, read the same way) keeps every class's numbers there "
            f"in at least {cfg.trust:.0%} of its networks; not resolved when no layer is "
            f"trusted; ReLU networks count at training accuracy >= {cfg.min_accuracy:g}."
        )
        verdict = v.verdict if trusted and counted else "not resolved"
        names = [f"layer {j + 1}" for j in trusted]
        measured = (
            f"{changed} of {len(counted)} ReLU networks change a class's Betti numbers at a "
            f"trusted layer ({', '.join(names) or 'none trusted'}; {len(counted)} of "
            f"{len(results['relu'])} networks at training accuracy >= {cfg.min_accuracy:g})"
        )
        out["relu"] = Verdict(verdict, rule, v.resolution, measured)
    return out


def run(config: BettiLayersConfig | None = None, *, progress=None, **changes) -> dict:
    """Train ``seeds`` networks per activation (judged and control) and read each.

    (:func:`run_with_networks` also returns the networks its figure shows.)

    Returns
    -------
    dict
        ``results``: per activation, ``networks`` (per network: ``certified``, ``dets``,
        ``topological`` (a :class:`~isotopy.topology.BettiTrace` dict of every stage),
        ``metric`` (``betti`` and ``resolved`` at the input and each hidden activation
        layer), those ``layers``, ``kept`` and ``unresolved`` per layer, ``ratios`` (the five
        largest H_1 death / birth per class there), ``accuracy``),
        ``metric_changes`` (networks whose metric reading changes at some activation layer);
        ``verdicts``; ``shown`` (per judged activation, the network a figure shows: tanh's
        first, the first counted ReLU network that changes); ``summary`` lines.
    """
    return run_with_networks(config, progress=progress, **changes)[0]


def run_with_networks(config=None, *, progress=None, **changes):
    """:func:`run`, also returning ``{activation: Run}`` of the networks in ``shown``."""
    from ..datasets import DATASETS, make_dataset
    from ..errors import InputError, check_positive_int, lookup
    from ..nn import get_activation
    from ..train import TrainConfig
    from ..train.runs import run_of

    cfg = make_config(BettiLayersConfig, config, changes)
    lookup(DATASETS, cfg.dataset, "dataset")
    hidden = tuple(check_positive_int(w, "every hidden width") for w in cfg.hidden)
    acts = list(dict.fromkeys([*cfg.activations, *cfg.controls]))
    for a in acts:
        get_activation(a)
    for v, what in ((cfg.trust, "trust"), (cfg.min_accuracy, "min_accuracy")):
        if not 0 < v <= 1:
            raise InputError(f"{what} must be a number in (0, 1], got {v}")
    seeds = check_positive_int(cfg.seeds, "the number of seeds")
    Xd, yd = make_dataset(cfg.dataset, check_positive_int(cfg.dense, "dense", minimum=2),
                          seed=cfg.seed + 99)  # fmt: skip
    results, runs, trained = {}, {}, {}
    for i, act in enumerate(acts):
        net, X, y, hist = train_seeds(
            cfg.dataset, hidden=hidden, activation=act, seeds=seeds, steps=cfg.steps,
            lr=cfg.lr, n=cfg.n, seed=cfg.seed,
        )  # fmt: skip
        acc = np.asarray(hist.final_train_accuracy, dtype=float)
        results[act] = [
            {**_one(net.select(k), Xd, yd, act, cfg), "accuracy": float(acc[k])}
            for k in range(seeds)
        ]
        trained[act] = (net, X, y, hist)
        tick(progress, i + 1, len(acts))
    verdicts = judge(results, cfg)
    shown = {}
    for act in cfg.activations:
        nets = results[act]
        good = [r["accuracy"] >= cfg.min_accuracy for r in nets]
        changes_here = [k for k, r in enumerate(nets) if good[k] and not all(r["kept"])]
        pick = changes_here[0] if changes_here and act != "tanh" else 0
        shown[act] = pick
        net, X, y, hist = trained[act]
        train = TrainConfig(steps=cfg.steps, lr=cfg.lr, seed=cfg.seed, edge_penalty=0.0)
        about = {"dataset": cfg.dataset, "params": {}, "n": cfg.n}
        runs[act] = run_of(net, hist, X, y, data=about, train=train, index=pick)
    out = {
        "experiment": NAME,
        "settings": asdict(cfg),
        "dataset": cfg.dataset,
        "hidden": list(hidden),
        "seeds": seeds,
        "results": {
            a: {
                "networks": nets,
                "metric_changes": int(sum(not all(r["kept"]) for r in nets)),
            }
            for a, nets in results.items()
        },
        "verdicts": {k: v.to_dict() for k, v in verdicts.items()},
        "shown": shown,
    }
    out["summary"] = _summary(out)
    return out, runs


def _summary(res) -> list[str]:
    s = res["settings"]
    lines = [
        f"{res['dataset']}, hidden {','.join(map(str, res['hidden']))}, {res['seeds']} networks "
        f"per activation, {s['steps']} steps, {s['dense']} points pushed through; metric "
        f"reading: {s['metric']}"
    ]
    for act, r in res["results"].items():
        nets = r["networks"]
        acc = np.mean([n["accuracy"] for n in nets])
        cert = sum(n["certified"] for n in nets)
        first = nets[0]["topological"]
        lines.append(
            f"{act}: accuracy mean {acc:.3f}; certified homeomorphisms {cert} of {len(nets)}; "
            f"metric reading changes some class at an activation layer in "
            f"{r['metric_changes']} of {len(nets)}; topological reading of network 0: "
            + ", ".join(
                f"{st} " + "|".join(str(tuple(c)) for c in b)
                for st, b in zip(first["stages"], first["betti"], strict=True)
            )
        )
    for k, v in res["verdicts"].items():
        lines.append(f"{k}: {v['verdict']} ({v['measured']})")
    return lines
