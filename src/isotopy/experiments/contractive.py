"""The contractive penalty swept over λ, for width 2 against width 3 on disc_annulus.

A 2-unit network cannot separate the disc from the annulus; the best it can do is the
"easy way out": stretch a thin part of space very hard so that most points land on the
right side. A contractive penalty λ · mean ||∂h/∂x||_F^2 (:mod:`isotopy.train.penalties`)
makes stretching expensive. We expect the width-2 networks' stretch (the largest and 99th
percentile spectral norm of the Jacobian input -> last hidden layer, over a dense grid of
the two sets) to fall with λ, taking their accuracy with it, while width-3 networks, which
separate without tearing anything, keep their accuracy for moderate λ.

:func:`run_stretch_claims` measures the same claims over many seeds without choosing one
threshold: over a dense grid of the two sets, the relative stretch ρ = ||J||_2 / (diam h(P) /
diam P) of input -> last hidden layer (:func:`isotopy.topology.stretch.relative_stretch`),
and each network's exceedance curve t -> share of the grid with ρ > t
(:func:`~isotopy.topology.stretch.exceedance`). An ordering ("width 2 stretches more than
width 3", "λ > 0 stretches less than λ = 0") must hold at every threshold of the stated range
2 <= t <= 10 (from twice the map's overall scale up) to agree, the reverse at every one to
differ; where the curves cross it is "not resolved"
(:func:`~isotopy.experiments.verdicts.dominance_verdict`). Measured with 20 seeds: the
width-3 networks stretch more of the area moderately (ρ 2-4), the width-2 networks a smaller
area harder (ρ 5-8), so the curves cross.
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
    train_seeds,
)

NAME = "contractive"
SUMMARY = (
    "contractive penalty swept over λ for width-2 against width-3 networks on "
    "disc_annulus: accuracy and stretch"
)
EXAMPLE = " --widths 2,3 --lambdas 0,0.1,1"


def _lambdas(values) -> list[float]:
    """The penalty strengths as a list of floats; none, or one < 0 or not finite, is an error."""
    vals = [float(v) for v in values]
    if not vals or any(not np.isfinite(v) or v < 0 for v in vals):
        shown = ",".join(f"{v:g}" for v in vals)
        raise InputError(f"lambdas must be finite numbers >= 0, got {shown!r}")
    return vals


def _widths(values) -> tuple[int, ...]:
    return tuple(check_positive_int(w, "every entry of widths") for w in values)


@dataclass(frozen=True)
class StretchSettings:
    """Settings of :func:`run_stretch_claims` (full defaults; ``quick()`` for tests)."""

    widths: tuple[int, ...] = (2, 3)  # cannot separate / can separate disc from annulus
    # contractive penalty strengths: none, weak, strong (20 seeds: 0.1 brings every network's
    # largest ρ down to 1.9-2.3; each penalised run costs 2.5-6 times a plain one)
    lambdas: tuple[float, ...] = (0.0, 0.01, 0.1)
    seeds: int = 20  # networks per (width, λ): at least 10 for the curve rule, 5% resolution
    steps: int = 1500  # Adam steps (width 3 separates within ~1,000)
    n: int = 400  # training points
    lr: float = 0.02
    # the stated range of the curve rule: from twice the map's overall scale (ρ about 1 is
    # what an evenly stretching map has everywhere) to 10, past which no network of 20 seeds
    # of either width stretches any grid point (their largest ρ: 5.5-9.5)
    thresholds: tuple[float, ...] = (2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
    resolution: int = 81  # grid points per axis over [-1, 1]^2 (~3,400 inside the sets)
    heatmap: int = 120  # grid points per axis of the drawn heatmaps (keep_networks)

    @classmethod
    def quick(cls) -> StretchSettings:
        """3 seeds, 60 steps, λ 0 and 0.1, coarse grids: every verdict is "not resolved"."""
        return cls(lambdas=(0.0, 0.1), seeds=3, steps=60, n=200, resolution=31, heatmap=60)


CURVE = np.geomspace(1.0, 12.0, 34)  # thresholds of the drawn exceedance curves


def run_stretch_claims(
    settings: StretchSettings | None = None,
    *,
    seed: int = 0,
    progress=None,
    keep_networks: bool = False,
) -> dict:
    """Stretch over seeds: width 2 against width 3, and the contractive penalty, on disc_annulus.

    Parameters
    ----------
    settings : StretchSettings, optional
        The settings (default: ``StretchSettings()``; ``StretchSettings.quick()`` for tests).
    seed : int
        Data sample seed and first network seed.
    progress : callable, optional
        ``progress(done, total)`` over (width, λ) pairs.
    keep_networks : bool
        Also return the trained networks and what the report draws of them (not JSON-able).

    Returns
    -------
    dict
        ``settings``; ``rows``: one per (width, λ) with per-seed ``shares`` {t: [share of the
        grid with ρ > t]} at the rule's thresholds, ``curve`` (seeds x len(``curve_x``)) at
        the drawn thresholds ``curve_x``, ``scale`` (diam h(P) / diam P), ``relative_median``,
        ``relative_p99`` and ``relative_max`` of ρ over the grid, ``grid_accuracy``;
        ``verdicts`` {"width 2 stretches more than width 3 (λ = 0)": Verdict dict, "λ = ...
        lowers width w's stretch (against λ = 0)": ...}, judged by the curve rule;
        ``comparisons`` {verdict key: per threshold, the Mann-Whitney ``auc`` and ``p``, both
        medians and ``empty``}; ``unit_angles``: for each width-2 network without penalty,
        the angle in degrees between its two units' lines (None without width 2);
        ``grid_points``; ``seconds``; ``summary`` lines; with ``keep_networks``,
        ``networks`` {(width, λ): (net, history, X, y)}, ``grid`` (the points P), ``runs``
        {"width<w>": the first network of each width without penalty as a Run} and
        ``heatmaps`` {w: :func:`heatmap` of that network}.
    """
    import time

    cfg = make_config(StretchSettings, settings)
    seeds = check_seeds(cfg.seeds)
    widths = _widths(cfg.widths)
    lams = _lambdas(cfg.lambdas)
    ts = np.asarray(cfg.thresholds, dtype=float)
    if len(ts) == 0 or not (np.isfinite(ts).all() and (ts > 0).all()):
        raise InputError(f"thresholds must be finite numbers > 0, got {cfg.thresholds!r}")
    P, labels = grid_points("disc_annulus", resolution=cfg.resolution)
    start = time.perf_counter()
    rows, curves, networks = _stretch_groups(
        cfg, seeds, widths, lams, ts, P, labels, seed, progress
    )
    verdicts, comparisons = _stretch_verdicts(widths, lams, curves, ts)
    two = networks.get((2, lams[0]))
    out = claims_result(
        NAME,
        "stretch",
        cfg,
        start,
        verdicts,
        stretch_summary,
        "measured",
        rows=rows,
        curve_x=CURVE.tolist(),
        comparisons=comparisons,
        unit_angles=None if two is None else unit_angles(two[0]).tolist(),
        grid_points=int(len(P)),
    )
    if keep_networks:
        out["networks"] = networks
        out["grid"] = P
        out["runs"] = {f"width{w}": _first_run(networks[w, lams[0]], cfg, seed) for w in widths}
        out["heatmaps"] = {
            w: heatmap(run.net, P, resolution=cfg.heatmap)
            for w, run in zip(widths, out["runs"].values(), strict=True)
        }
    return out


def _stretch_groups(cfg, seeds, widths, lams, ts, P, labels, seed, progress):
    """Train every (width, λ) group and measure it: (rows, exceedance curves, networks)."""
    from ..topology.stretch import exceedance, relative_stretch, stretch_scale

    done, total = 0, len(widths) * len(lams)
    rows, curves, networks = [], {}, {}
    for w in widths:
        for lam in lams:
            with one_thread():
                net, X, y, hist = train_seeds(
                    "disc_annulus",
                    hidden=(w,),
                    seeds=seeds,
                    steps=cfg.steps,
                    lr=cfg.lr,
                    n=cfg.n,
                    seed=seed,
                    contractive=lam,
                    compile=True if lam == 0 else None,
                )
            networks[w, lam] = (net, hist, X, y)
            rho = relative_stretch(net, P)  # (seeds, m)
            curves[w, lam] = exceedance(rho, ts)  # (seeds, T)
            rows.append(
                {
                    "width": w,
                    "lambda": lam,
                    "shares": {f"{t:g}": curves[w, lam][:, j].tolist() for j, t in enumerate(ts)},
                    "curve": exceedance(rho, CURVE).tolist(),
                    "scale": stretch_scale(net, P).tolist(),
                    "relative_median": np.median(rho, 1).tolist(),
                    "relative_p99": np.percentile(rho, 99, axis=1).tolist(),
                    "relative_max": rho.max(1).tolist(),
                    "grid_accuracy": grid_accuracy(net, P, labels).tolist(),
                }
            )
            done += 1
            tick(progress, done, total)
    return rows, curves, networks


def _stretch_verdicts(widths, lams, curves, ts) -> tuple[dict, dict]:
    """The curve rule's verdicts: the narrowest width against the widest without penalty,
    and every λ > 0 against λ = 0 at each width; with the per-threshold comparisons."""
    from .verdicts import curve_comparison, dominance_verdict

    pairs = {}
    lo_w, hi_w = min(widths), max(widths)
    if lo_w != hi_w:
        key = f"width {lo_w} stretches more than width {hi_w} (λ = {lams[0]:g})"
        pairs[key] = ((lo_w, lams[0]), (hi_w, lams[0]), (f"width {lo_w}", f"width {hi_w}"))
    for w in widths:
        for lam in lams[1:]:
            key = f"λ = {lam:g} lowers width {w}'s stretch (against λ = {lams[0]:g})"
            pairs[key] = ((w, lams[0]), (w, lam), (f"λ = {lams[0]:g}", f"λ = {lam:g}"))
    verdicts, comparisons = {}, {}
    for key, (ka, kb, names) in pairs.items():
        verdicts[key] = dominance_verdict(
            curves[ka],
            curves[kb],
            ts,
            expect="a_greater",
            names=names,
            statistic="the share of the grid with ρ > t",
        )
        c = curve_comparison(curves[ka], curves[kb])
        comparisons[key] = {k: v.tolist() for k, v in c.items()}
    return verdicts, comparisons


def unit_angles(net) -> np.ndarray:
    """(N,) angle in degrees between the lines of the two units of each network's first
    layer (0: parallel; 90: perpendicular); ``net`` has 2 inputs and 2 first-layer units."""
    W = net.stages[0].weight.detach().double().numpy()  # (N, 2, 2)
    u, v = W[:, 0], W[:, 1]
    cos = np.abs((u * v).sum(1)) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))
    return np.degrees(np.arccos(np.clip(cos, 0, 1)))


def heatmap(net, P, *, resolution: int) -> dict:
    """:func:`~isotopy.topology.stretch_grid` of one network over [-1.1, 1.1]^2, in units of
    its overall scale over the points ``P`` (the relative stretch ρ of the claims)."""
    from ..topology import stretch_grid
    from ..topology.stretch import stretch_scale

    g = stretch_grid(net, bounds=(-1.1, 1.1), resolution=resolution)
    g["values"] = g["values"] / stretch_scale(net, P)[0]
    g["relative"] = True
    return g


def _first_run(trained, cfg, seed: int):
    """Network 0 of a group as a Run of its own, with the settings it was trained with (plain
    ``fit``: no edge penalty; no held-out split: it is scored on the dense grid)."""
    from ..train import TrainConfig, run_of

    net, hist, X, y = trained
    train = TrainConfig(steps=cfg.steps, lr=cfg.lr, seed=seed, test_size=0.0, edge_penalty=0.0)
    data = {"dataset": "disc_annulus", "params": {}, "n": int(len(X))}
    return run_of(net, hist, X, y, data=data, train=train, index=0)


def stretch_summary(res: dict) -> list[str]:
    """Readable lines of :func:`run_stretch_claims`'s result, before the verdicts."""
    c = res["settings"]
    lines = [
        f"disc_annulus, one hidden layer of tanh units, {c['seeds']} seeds, {c['steps']} "
        f"steps, {c['n']} points; share of a grid of {res['grid_points']} points over the "
        "sets with relative stretch ρ > t (median over seeds), largest ρ and grid accuracy "
        "(medians)"
    ]
    for r in res["rows"]:
        shares = ", ".join(f"{t}: {np.median(v):.4f}" for t, v in r["shares"].items())
        lines.append(
            f"  width {r['width']}, λ = {r['lambda']:<5g}: {shares}; max ρ "
            f"{np.median(r['relative_max']):.3g}; grid accuracy "
            f"{np.median(r['grid_accuracy']):.3f}"
        )
    return lines


_S = StretchSettings  # the stretch claims' defaults, named in the flags' help


@dataclass(frozen=True)
class ContractiveConfig:
    """Settings of :func:`run` (the CLI's defaults; ``quick()`` for the report's quick mode).

    With ``stretch_claims`` the run is :func:`run_stretch_claims` instead, with the settings
    of :class:`StretchSettings` and the values of ``widths``, ``lambdas``, ``seeds``,
    ``steps``, ``n`` and ``lr`` that are given.
    """

    widths: tuple[int, ...] = setting((2, 3), "layer widths to compare")  # cannot / can separate
    lambdas: tuple[float, ...] = setting(
        (0.0, 0.01, 0.1, 1.0),
        f"penalty strengths λ ({','.join(f'{v:g}' for v in _S.lambdas)} with --stretch-claims)",
    )  # none, then three decades of strength
    seeds: int = setting(
        4, f"networks per (width, λ) ({_S.seeds} with --stretch-claims)"
    )  # medians of 4
    steps: int = setting(1500, "optimiser steps")  # width 3 separates within ~1,000
    depth: int = setting(1, "hidden layers")  # one layer: the stretch of that layer's map
    n: int = setting(400, "training points")  # as in the stretch claims
    lr: float = setting(0.02, "Adam's learning rate")  # fit's default, as in the stretch claims
    seed: int = setting(0, "base seed")  # data sample and network 0 (network i: seed + i)
    stretch_claims: bool = setting(
        False,
        "stretch over seeds with verdicts: the share of the sets' area stretched more than t "
        f"times the map's overall scale, at every t from {_S.thresholds[0]:g} to "
        f"{_S.thresholds[-1]:g} ({_S.seeds} seeds, λ "
        f"{', '.join(f'{v:g}' for v in _S.lambdas)} unless given)",
    )  # the claims have their own settings (StretchSettings)

    @classmethod
    def quick(cls) -> ContractiveConfig:
        """Tiny settings (report's quick mode): λ 0 and 0.3, one seed, 60 steps."""
        return cls(lambdas=(0.0, 0.3), seeds=1, steps=60, n=200)


CONFIG = ContractiveConfig
_CLAIM_KEYS = ("widths", "lambdas", "seeds", "steps", "n", "lr")  # what --stretch-claims takes


def run(config: ContractiveConfig | None = None, *, progress=None, **changes) -> dict:
    """Train ``seeds`` networks per (width, λ); measure accuracy and stretch.

    Parameters
    ----------
    config : ContractiveConfig, optional
        The settings (default: ``ContractiveConfig()``).
    progress : callable, optional
        ``progress(done, total)`` over (width, λ) pairs.
    **changes
        Settings changed from ``config``. With ``stretch_claims``,
        :func:`run_stretch_claims` runs instead, taking ``widths``, ``lambdas``, ``seeds``,
        ``steps``, ``n`` and ``lr`` from the changes and from ``config`` where it differs
        from the defaults; ``depth`` does not apply there.

    Returns
    -------
    dict
        ``results``: per width, per λ: sample and grid accuracy (per seed), and the
        stretch of the last hidden layer over the grid (per seed: max, 99th percentile,
        median spectral norm); ``summary`` lines.
    """
    from ..topology import stretch

    cfg = make_config(ContractiveConfig, config, changes)
    if cfg.stretch_claims:
        if cfg.depth != 1:
            raise InputError(
                "the stretch claims are judged with one hidden layer; --depth "
                "does not apply to --stretch-claims"
            )
        given = given_settings(cfg, changes, _CLAIM_KEYS)
        if "lambdas" in given:
            given["lambdas"] = tuple(_lambdas(given["lambdas"]))
        return run_stretch_claims(
            replace(StretchSettings(), **given), seed=cfg.seed, progress=progress
        )
    seeds, steps, depth, n = cfg.seeds, cfg.steps, cfg.depth, cfg.n
    widths = _widths(cfg.widths)
    lams = _lambdas(cfg.lambdas)
    seeds = check_seeds(seeds)
    P, labels = grid_points("disc_annulus", resolution=81)
    total, done = len(widths) * len(lams), 0
    results = []
    for w in widths:
        rows = []
        for lam in lams:
            net, X, y, hist = train_config(
                "disc_annulus", cfg, hidden=(w,) * depth, contractive=lam
            )
            st = [stretch(net, P, index=i) for i in range(seeds)]
            sp = np.stack([s.spectral[-1] for s in st])  # (seeds, m) last hidden stage
            rows.append(
                {
                    "lambda": lam,
                    "sample_accuracy": np.asarray(hist.final_train_accuracy, dtype=float).tolist(),
                    "grid_accuracy": grid_accuracy(net, P, labels).tolist(),
                    "stretch_max": sp.max(1).tolist(),
                    "stretch_p99": np.percentile(sp, 99, axis=1).tolist(),
                    "stretch_median": np.median(sp, axis=1).tolist(),
                }
            )
            done += 1
            tick(progress, done, total)
        results.append({"width": w, "rows": rows})
    lines = [
        f"disc_annulus, {depth} hidden layer(s), {seeds} seeds, {steps} steps, {n} "
        "points; per λ: accuracy on samples / grid (means), stretch ||J||_2 of the last "
        "hidden layer over the grid (median over seeds of max / 99th pct)"
    ]
    for r in results:
        lines.append(f"width {r['width']}:")
        for row in r["rows"]:
            lines.append(
                f"  λ={row['lambda']:<6g} acc {np.mean(row['sample_accuracy']):.3f} / "
                f"{np.mean(row['grid_accuracy']):.3f}  stretch max "
                f"{np.median(row['stretch_max']):8.3g}  p99 "
                f"{np.median(row['stretch_p99']):8.3g}"
            )
    return {
        "experiment": NAME,
        "widths": list(widths),
        "lambdas": lams,
        "seeds": seeds,
        "steps": steps,
        "results": results,
        "summary": lines,
    }
