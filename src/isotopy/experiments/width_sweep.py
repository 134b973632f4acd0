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

:func:`run_width_claims` judges the essay's claim itself at exactly n and n + 1 units per
layer, at depths 1-3 (its claim holds "regardless of depth": 2, 2-2 and 2-2-2 units for the
disc in the annulus): every network is trained for 2L steps with a snapshot at L, both
lengths are scored on the dense grid, and
:func:`~isotopy.experiments.verdicts.fraction_verdict` turns the share of seeds at 100% into
a verdict that must be the same at L and 2L (if more training changes it, the length did not
decide it). "n units cannot" must hold at every depth
(:func:`~isotopy.experiments.verdicts.all_verdict`), and at each depth it counts only where
n + 1 units trained the same way can (:func:`~isotopy.experiments.verdicts.controlled_verdict`):
a recipe that fails at that depth with either width says nothing about the width.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..errors import InputError, check_positive_int
from ._common import (
    check_seeds,
    claims_result,
    given_settings,
    grid_accuracy,
    grid_points,
    make_config,
    one_thread,
    setting,
    tick,
    train_config,
)
from .verdicts import fraction_verdict

NAME = "width_sweep"
SUMMARY = (
    "nested spheres in R^1..R^3: accuracy against layer width over many seeds, on the "
    "samples and on a dense grid, with the n + 1 bound marked"
)

EXAMPLE = " --dims 2 --seeds 10 --steps 2000"

GRID = {1: 2001, 2: 161, 3: 41}  # grid points per axis: ~2,000, ~15,000, ~27,000 inside


@dataclass(frozen=True)
class WidthClaimSettings:
    """Settings of :func:`run_width_claims` (full defaults; ``quick()`` for tests).

    Measured on this machine (20 seeds, R^3, width 4, dense-grid successes): at lr 0.05
    from the default initialisation 0/20 after 3,000 steps and 4/20 after 8,000; most
    networks let one unit die and put the other three in a plane (a prism-shaped region
    that misses the shell's two caps: grid accuracy 0.936). Input weights 3 times the
    Glorot draw keep all four units alive (median grid accuracy 0.9996), and the remaining
    misses were shell grid points at radius 0.70-0.72, where the volume-uniform sample is
    sparse; 2,000 extra points in the ball and the shell's inner 0.05 fix them: 19/20 at
    1,500, 3,000 and 6,000 steps. Width 3 under the same settings: 0/20 at every length.
    The same recipe at depths 2 and 3 (input weights x 3, deeper layers as drawn): n + 1
    units reach 100% in 17-20 of 20 seeds in R^1, R^2 and R^3 at both lengths; n units in
    none (R^2, 2-2-2: grid accuracy up to 0.974).
    """

    dims: tuple[int, ...] = (1, 2, 3)  # the interval, the disc in an annulus, the 3-ball
    depths: tuple[int, ...] = (1, 2, 3)  # "regardless of depth": 1 to 3 hidden layers of w
    seeds: int = 20  # resolution 5%; 20 networks train about as fast as 10 (per-step overhead)
    steps: int = 1500  # L: judged at L and 2L = 3,000 Adam steps (outcome stable to 6,000)
    n: int = 2000  # training points, uniform by volume
    boundary: int = 2000  # extra points: ball, and shell within 0.05 of its inner radius
    init_scale: float = 3.0  # input weights × this (see above); the same for every width
    lr: float = 0.05  # Adam
    share: float = 0.5  # share of seeds at 100% that counts as "networks can"

    @classmethod
    def quick(cls) -> WidthClaimSettings:
        """R^1 and R^2, depths 1-2, 3 seeds, 100 steps: too few seeds for a verdict."""
        return cls(dims=(1, 2), depths=(1, 2), seeds=3, steps=100, n=200, boundary=100)


def claim_sample(dim: int, *, n: int, boundary: int, seed: int = 0):
    """The training sample of the width claims: ``nested_spheres`` plus boundary points.

    ``n`` points uniform by volume (seed ``seed``) and ``boundary`` more (seed ``seed + 1``)
    drawn from the ball and from the shell's inner 0.05 (radii 0.7 to 0.75), where the
    decision surface must pass and the volume-uniform sample is sparsest.

    Returns
    -------
    X : ndarray float32 (n + boundary, dim)
    y : ndarray int64 (n + boundary,)
    """
    from ..datasets import make_dataset, make_nested_spheres

    X, y = make_dataset("nested_spheres", n, seed=seed, dim=dim)
    if not boundary:
        return X, y
    Xb, yb = make_nested_spheres(boundary, dim=dim, outer_radius=0.75, seed=seed + 1)
    return np.concatenate([X, Xb]), np.concatenate([y, yb])


def _score(net, P, labels, X, y) -> dict:
    import torch

    ga = grid_accuracy(net, P, labels)  # (N,)
    sa = (np.atleast_2d(net.predict(torch.as_tensor(X))) == y[None, :]).mean(1)  # (N,)
    perfect = int((ga == 1.0).sum())
    gv = grid_accuracy(net, P, labels, balanced=False)  # (N,) each set counted by its volume
    return {
        "grid_accuracy": ga.tolist(),
        "grid_volume_accuracy": gv.tolist(),
        "sample_accuracy": sa.tolist(),
        "grid_perfect": perfect,
        "fraction": perfect / len(ga),
        "sample_perfect": int((sa == 1.0).sum()),
        "grid_median": float(np.median(ga)),
        "grid_min": float(ga.min()),
        "grid_max": float(ga.max()),
    }


def _plural(w: int) -> str:
    return f"{w} unit{'s' if w > 1 else ''}"


def width_verdicts(
    successes: dict, dim: int, *, seeds: int, share: float = 0.5, min_seeds: int = 10
) -> tuple[dict, dict]:
    """The width claims' verdicts in R^dim from the seeds that reach 100% on the grid.

    Parameters
    ----------
    successes : dict
        (width, depth) -> [seeds at 100% after L steps, after 2L steps], for width ``dim``
        and ``dim + 1`` at the same depths.
    dim : int
        n: the claims are "layers of n units cannot, at any depth" and "layers of n + 1 units
        can, at every depth".
    seeds, share, min_seeds
        As in :func:`~isotopy.experiments.verdicts.fraction_verdict`.

    Returns
    -------
    verdicts : {"fail": Verdict, "succeed": Verdict}
        "fail": at every depth no seed of width n reaches 100% at both lengths, each depth
        counting only where width n + 1 at that depth can
        (:func:`~isotopy.experiments.verdicts.controlled_verdict`); differs if it differs
        at any depth (:func:`~isotopy.experiments.verdicts.all_verdict`). "succeed": width
        n + 1 reaches it at every depth.
    parts : {"fail": {"depth k": Verdict}, "succeed": {...}}
        The verdict at each depth.
    """
    from .verdicts import all_verdict, controlled_verdict

    depths = sorted({k for (_, k) in successes})
    missing = [(w, k) for w in (dim, dim + 1) for k in depths if (w, k) not in successes]
    if missing:
        raise InputError(
            f"width_verdicts needs widths {dim} and {dim + 1} at every depth, "
            f"missing (width, depth) {missing[0]}"
        )

    def one(w, k, expect):
        at_l, at_2l = successes[w, k]
        return fraction_verdict(
            at_l,
            seeds,
            expect=expect,
            share=share,
            min_seeds=min_seeds,
            successes_longer=at_2l,
            target="100% on the grid",
        )

    over = f"depth {depths[0]}-{depths[-1]}" if len(depths) > 1 else f"depth {depths[0]}"
    succeed = {f"depth {k}": one(dim + 1, k, "succeed") for k in depths}
    fail = {
        f"depth {k}": controlled_verdict(
            one(dim, k, "fail"),
            succeed[f"depth {k}"],
            what=f"the same depth with {_plural(dim + 1)} per layer",
            label=_plural(dim + 1),
        )
        for k in depths
    }
    verdicts = {"fail": all_verdict(fail, over=over), "succeed": all_verdict(succeed, over=over)}
    return verdicts, {"fail": fail, "succeed": succeed}


def run_width_claims(
    settings: WidthClaimSettings | None = None,
    *,
    seed: int = 0,
    progress=None,
    keep_networks: bool = False,
) -> dict:
    """The essay's width claims at exactly n and n + 1 units per layer, depths 1-3, judged.

    For each dimension n and depth k: ``seeds`` networks with k hidden layers of n tanh units
    and as many with k layers of n + 1 units are trained on ``nested_spheres`` (dim n) for
    2L steps with a snapshot at L; at both lengths each network is scored on the dense grid
    of the ball and the shell (balanced accuracy, and by volume) and on its training sample.

    Parameters
    ----------
    settings : WidthClaimSettings, optional
        The settings (default: the full ``WidthClaimSettings()``; ``WidthClaimSettings.quick()``
        for tests, where every verdict is "not resolved").
    seed : int
        Data sample seed and first network seed.
    progress : callable, optional
        ``progress(done, total)`` over (dimension, width, depth) triples.
    keep_networks : bool
        Also return the trained networks (not JSON-able; for figures that ship them).

    Returns
    -------
    dict
        ``settings``; ``results``: one dict per dimension with ``dim``, ``bound`` (n + 1),
        ``steps`` ([L, 2L]), ``depths``, ``grid_points``, ``runs``: one dict per (width,
        depth) with ``width``, ``depth`` and ``at`` ([score at L, score at 2L]: per-seed
        ``grid_accuracy``, ``grid_volume_accuracy`` and ``sample_accuracy``,
        ``grid_perfect`` (seeds at 100% on the grid), ``fraction``,
        ``grid_median``/``grid_min``/``grid_max``), ``parts`` {"fail": {depth: verdict},
        "succeed": {depth: verdict}} and ``verdicts`` {"fail": n units cannot at any depth,
        "succeed": n + 1 units can at every depth} as :class:`Verdict` dicts; ``verdicts``
        (the same, flat, keyed "R^n: ..."); ``seconds``; ``summary`` lines; with
        ``keep_networks``, ``networks`` {(n, width, depth): (net, history, X, y)} and
        ``runs`` (:func:`claim_runs`).
    """
    import time

    import torch

    from ..nn import Network
    from ..train import fit

    cfg = make_config(WidthClaimSettings, settings)
    seeds = check_seeds(cfg.seeds)
    L = check_positive_int(cfg.steps, "steps")
    dims = tuple(check_positive_int(d, "every entry of dims") for d in cfg.dims)
    depths = tuple(check_positive_int(k, "every entry of depths") for k in cfg.depths)
    if not depths:
        raise InputError("the width claims need at least one depth")
    start, done, total = time.perf_counter(), 0, 2 * len(dims) * len(depths)
    results, flat, networks = [], {}, {}
    for d in dims:
        P, labels = grid_points("nested_spheres", resolution=GRID.get(d, 21), params={"dim": d})
        X, y = claim_sample(d, n=cfg.n, boundary=cfg.boundary, seed=seed)
        runs = []
        for w in (d, d + 1):
            for k in depths:
                net = Network(d, (w,) * k, "tanh", 2, n_networks=seeds, seed=seed)
                with torch.no_grad():
                    net.stages[0].weight.mul_(cfg.init_scale)
                with one_thread():
                    hist = fit(
                        net, X, y, steps=2 * L, lr=cfg.lr, seed=seed, record_every=L, compile=True
                    )
                at = [
                    _score(hist.network_at(net, L), P, labels, X, y),
                    _score(net, P, labels, X, y),
                ]
                runs.append({"width": w, "depth": k, "at": at})
                if keep_networks:
                    networks[d, w, k] = (net, hist, X, y)
                done += 1
                tick(progress, done, total)
        successes = {(r["width"], r["depth"]): [a["grid_perfect"] for a in r["at"]] for r in runs}
        verdicts, parts = width_verdicts(successes, d, seeds=seeds, share=cfg.share)
        over = f"depth {depths[0]}-{depths[-1]}" if len(depths) > 1 else f"depth {depths[0]}"
        flat[f"R^{d}: layers of {_plural(d)} cannot separate the ball from the shell ({over})"] = (
            verdicts["fail"]
        )
        flat[f"R^{d}: layers of {_plural(d + 1)} can separate the ball from the shell ({over})"] = (
            verdicts["succeed"]
        )
        results.append(
            {
                "dim": d,
                "bound": d + 1,
                "steps": [L, 2 * L],
                "depths": list(depths),
                "seeds": seeds,
                "grid_points": int(len(P)),
                "runs": runs,
                "parts": {e: {k: v.to_dict() for k, v in p.items()} for e, p in parts.items()},
                "verdicts": {k: v.to_dict() for k, v in verdicts.items()},
            }
        )
    out = claims_result(
        NAME, "claims", cfg, start, flat, claims_summary, "measured", results=results
    )
    if keep_networks:
        out["networks"] = networks
        out["runs"] = claim_runs(networks, cfg, seed)
    return out


def claim_runs(networks: dict, cfg: WidthClaimSettings, seed: int) -> dict:
    """The claims' networks as runs to ship, one per (dimension, width, depth) with all its
    seeds: ``{"R<n>_w<width>_depth<k>": Run}``."""
    from ..train import Run, TrainConfig

    out = {}
    for (d, w, k), (net, hist, X, y) in networks.items():
        train = TrainConfig(  # plain fit: no edge penalty, no held-out split
            steps=2 * cfg.steps,
            lr=cfg.lr,
            seed=seed,
            record_every=cfg.steps,
            test_size=0.0,
            edge_penalty=0.0,
        )
        data = {"dataset": "nested_spheres", "params": {"dim": d}, "n": int(len(X))}
        empty = (np.zeros((0, d), np.float32), np.zeros(0, np.int64))
        out[f"R{d}_w{w}_depth{k}"] = Run(net, hist, X, y, *empty, train=train, data=data)
    return out


def claims_summary(res: dict) -> list[str]:
    """Readable lines of :func:`run_width_claims`'s result, before the verdicts."""
    c = res["settings"]
    lines = [
        f"nested_spheres, 1-{max(c['depths'])} hidden layers of n or n + 1 tanh units, "
        f"{c['seeds']} seeds, {c['n']} + {c['boundary']} boundary points, input weights "
        f"x{c['init_scale']:g}, Adam lr {c['lr']}; scored on a dense grid (balanced) after L "
        "and 2L steps"
    ]
    for r in res["results"]:
        L, L2 = r["steps"]
        lines.append(f"R^{r['dim']} (grid of {r['grid_points']} points):")
        for run in r["runs"]:
            for steps, a in zip((L, L2), run["at"], strict=True):
                lines.append(
                    f"  width {run['width']} x depth {run['depth']}, {steps:>5} steps: "
                    f"{a['grid_perfect']:>2}/{r['seeds']} at 100% on the grid; grid median "
                    f"{a['grid_median']:.4f} (min {a['grid_min']:.4f}, max "
                    f"{a['grid_max']:.4f}); {a['sample_perfect']} at 100% on samples"
                )
    return lines


_C = WidthClaimSettings  # the claims' defaults, named in the flags' help


@dataclass(frozen=True)
class WidthSweepConfig:
    """Settings of :func:`run` (the CLI's defaults; ``quick()`` for the report's quick mode).

    With ``claims`` the run is :func:`run_width_claims` instead, with the settings of
    :class:`WidthClaimSettings` and the values of ``dims``, ``seeds``, ``steps`` (as L),
    ``n`` and ``lr`` that are given.
    """

    dims: tuple[int, ...] = setting((1, 2, 3), "dimensions n of nested_spheres")  # R^1..R^3
    widths: tuple[int, ...] | None = setting(
        None, "layer widths", shown="1..n+2 per n"
    )  # None: 1 .. n + 2, i.e. both sides of the bound n + 1
    seeds: int = setting(10, f"networks per width ({_C.seeds} with --claims)")  # one = 10%
    steps: int = setting(2000, f"optimiser steps (L = {_C.steps} with --claims)")  # Adam
    depth: int = setting(1, "hidden layers")  # the bound is about one layer's width
    n: int = setting(400, f"training points ({_C.n} with --claims)")  # uniform by volume
    lr: float = setting(0.02, f"Adam's learning rate ({_C.lr:g} with --claims)")  # fit's
    activation: str = setting("tanh", "activation name")  # strictly monotone: homeomorphisms
    seed: int = setting(0, "base seed")  # data sample and network 0 (network i: seed + i)
    claims: bool = setting(
        False,
        "judge the essay's claims at n and n + 1 units per layer, depths "
        f"{min(_C.depths)}-{max(_C.depths)}, with verdicts ({_C.seeds} seeds, L = {_C.steps} "
        f"and 2L steps, {_C.n} + {_C.boundary} boundary points, lr {_C.lr:g}, unless given)",
    )  # the claims have their own settings (WidthClaimSettings): two lengths, three depths

    @classmethod
    def quick(cls) -> WidthSweepConfig:
        """Tiny settings (report's quick mode): R^1 and R^2, widths 1-3, 2 seeds, 150 steps."""
        return cls(dims=(1, 2), widths=(1, 2, 3), seeds=2, steps=150, n=200)


CONFIG = WidthSweepConfig
_CLAIM_KEYS = ("dims", "seeds", "steps", "n", "lr")  # what --claims takes from the sweep


def run(config: WidthSweepConfig | None = None, *, progress=None, **changes) -> dict:
    """Train ``seeds`` networks per (dimension, width) and measure accuracy.

    Parameters
    ----------
    config : WidthSweepConfig, optional
        The settings (default: ``WidthSweepConfig()``).
    progress : callable, optional
        ``progress(done, total)`` over (dimension, width) pairs.
    **changes
        Settings changed from ``config`` (``dims=(2,)``, ``seeds=3``, ...). With
        ``claims``, :func:`run_width_claims` runs instead, taking ``dims``, ``seeds``,
        ``steps`` (as L), ``n`` and ``lr`` from the changes and from ``config`` where it
        differs from the defaults; ``widths``, ``depth`` and ``activation`` do not apply.

    Returns
    -------
    dict
        ``results``: one dict per dimension with ``widths``, ``bound`` (n + 1),
        ``sample_accuracy`` and ``grid_accuracy`` (seeds × widths lists), their means and
        the fraction of seeds reaching 100% / >= 99% on the grid; ``summary``: text lines.
    """
    cfg = make_config(WidthSweepConfig, config, changes)
    if cfg.claims:
        if cfg.widths is not None or cfg.depth != 1 or cfg.activation != "tanh":
            raise InputError(
                "the width claims are judged with 1-3 hidden layers of n and n + 1 tanh "
                "units; --widths, --depth and --activation do not apply to --claims"
            )
        given = given_settings(cfg, changes, _CLAIM_KEYS)
        return run_width_claims(
            replace(WidthClaimSettings(), **given), seed=cfg.seed, progress=progress
        )
    seeds, steps, depth, n, activation = cfg.seeds, cfg.steps, cfg.depth, cfg.n, cfg.activation
    dims = tuple(check_positive_int(d, "every entry of dims") for d in cfg.dims)
    fixed = cfg.widths and tuple(check_positive_int(w, "every entry of widths") for w in cfg.widths)
    seeds = check_seeds(seeds)
    plan = [(d, fixed or tuple(range(1, d + 3))) for d in dims]
    total, done = sum(len(w) for _, w in plan), 0
    results = []
    for d in dims:
        ws = dict(plan)[d]
        P, labels = grid_points("nested_spheres", resolution=GRID.get(d, 21), params={"dim": d})
        sample_acc, grid_acc, grid_vol = [], [], []
        for w in ws:
            net, X, y, hist = train_config(
                "nested_spheres", cfg, hidden=(w,) * depth, params={"dim": d}
            )
            sample_acc.append(np.asarray(hist.final_train_accuracy, dtype=float))
            grid_acc.append(grid_accuracy(net, P, labels))
            grid_vol.append(grid_accuracy(net, P, labels, balanced=False))
            done += 1
            tick(progress, done, total)
        sa, ga = np.stack(sample_acc, 1), np.stack(grid_acc, 1)  # (seeds, widths)
        results.append(
            {
                "dim": d,
                "widths": list(ws),
                "bound": d + 1,
                "depth": depth,
                "sample_accuracy": sa.tolist(),
                "grid_accuracy": ga.tolist(),
                "sample_mean": sa.mean(0).tolist(),
                "grid_mean": ga.mean(0).tolist(),
                "sample_max": sa.max(0).tolist(),
                "grid_max": ga.max(0).tolist(),
                "sample_perfect": (sa == 1.0).mean(0).tolist(),
                "grid_perfect": (ga == 1.0).mean(0).tolist(),
                "grid_points": int(len(P)),
                "grid_volume_mean": np.stack(grid_vol, 1).mean(0).tolist(),
            }
        )
    lines = [
        f"nested_spheres, {seeds} seeds per width, {depth} hidden layer(s) of {activation}, "
        f"{steps} steps, {n} samples; accuracy mean (max) on samples | on the dense grid"
    ]
    for r in results:
        lines.append(
            f"R^{r['dim']} (bound: a layer of {r['bound']} units; grid of "
            f"{r['grid_points']} points)"
        )
        for i, w in enumerate(r["widths"]):
            mark = "  < bound" if w < r["bound"] else ""
            lines.append(
                f"  width {w}: samples {r['sample_mean'][i]:.3f} "
                f"({r['sample_max'][i]:.3f})  grid {r['grid_mean'][i]:.3f} "
                f"({r['grid_max'][i]:.3f})  100% on samples: "
                f"{r['sample_perfect'][i]:.0%}{mark}"
            )
    return {
        "experiment": NAME,
        "activation": activation,
        "seeds": seeds,
        "steps": steps,
        "n": n,
        "results": results,
        "summary": lines,
    }
