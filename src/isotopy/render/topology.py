"""Matplotlib figures for the topology tools: width sweeps and width claims, stretch heatmaps
and stretch curves, persistence diagrams, contractive sweeps. Each takes ``ax=None`` (or draws
its own panels) and returns the figure; the numbers come from :mod:`isotopy.topology` and
:mod:`isotopy.experiments`."""

from __future__ import annotations

import numpy as np

from .style import class_color

__all__ = [
    "plot_width_sweep",
    "plot_width_claims",
    "plot_stretch_heatmap",
    "plot_stretch_curves",
    "plot_persistence_diagram",
    "plot_contractive_sweep",
]

ESSAY_WIDTH2_ACCURACY = 0.8  # the essay's "~80%" for its 2-unit network on disc_annulus


def pyplot():
    """matplotlib.pyplot, with whatever backend the user has (matplotlib itself falls back to
    Agg where there is no display); the library never switches a user's backend."""
    import matplotlib.pyplot as plt

    return plt


def plot_width_sweep(result: dict, *, axes=None):
    """One panel per dimension: accuracy (mean and range over seeds) against layer width.

    ``result`` is what ``experiments.width_sweep.run`` returns; the bound n + 1 is the dashed
    vertical line, the essay's ~80% the dotted horizontal one.
    """
    plt = pyplot()
    res = result["results"]
    if axes is None:
        fig, axes = plt.subplots(1, len(res), figsize=(4.2 * len(res), 3.4), squeeze=False)
        axes = axes[0]
    fig = axes[0].figure
    for ax, r in zip(axes, res, strict=True):
        w = np.array(r["widths"])
        # not the class colours: these lines are two measurements, not two classes
        for key, label, color in [
            ("sample_accuracy", "training sample", "#555555"),
            ("grid_accuracy", "dense grid (balanced)", "#9467bd"),
        ]:
            a = np.array(r[key])  # (seeds, widths)
            ax.plot(w, a.mean(0), "o-", color=color, label=f"{label}, mean")
            ax.fill_between(w, a.min(0), a.max(0), color=color, alpha=0.15)
        ax.axvline(r["bound"] - 0.5, ls="--", color="#444", lw=1)
        ax.text(r["bound"] - 0.45, 0.52, f"bound: {r['bound']} units", fontsize=8)
        if r["dim"] == 2:
            ax.axhline(ESSAY_WIDTH2_ACCURACY, ls=":", color="#777", lw=1)
            ax.text(w[0], ESSAY_WIDTH2_ACCURACY + 0.01, "essay ~80%", fontsize=8, color="#555")
        ax.set_xticks(w)
        ax.set_ylim(0.5, 1.02)
        ax.set_xlabel("units per hidden layer")
        ax.set_title(f"ball in a shell, R^{r['dim']}")
    axes[0].set_ylabel(f"accuracy ({len(res[0]['sample_accuracy'])} seeds; band = range)")
    # one legend under the panels: inside, it covered the data or the "bound" label
    handles, labels = axes[-1].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=len(labels), frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


WIDTH_COLORS = ("#b2182b", "#2166ac")  # n units (below the bound), n + 1 units: not classes
_SUPERSCRIPT = {1: "¹", 2: "²", 3: "³"}


def plot_width_claims(result: dict, *, step: int = 1):
    """One panel per dimension: each network's grid accuracy, per depth and width.

    ``result`` is what ``experiments.width_sweep.run_width_claims`` returns; ``step`` 0 or 1
    picks the snapshot at L or at 2L. Each dot is one network (seed), jittered sideways;
    above each group, how many seeds reach 100% on the grid.
    """
    plt = pyplot()
    res = result["results"]
    fig, axes = plt.subplots(1, len(res), figsize=(3.3 * len(res), 3.4), squeeze=False)
    rng = np.random.default_rng(0)  # the jitter only; the same picture every build
    for ax, r in zip(axes[0], res, strict=True):
        d, depths = r["dim"], r["depths"]
        lows = []
        for run in r["runs"]:
            a = run["at"][step]
            acc = np.asarray(a["grid_accuracy"])
            lows.append(acc.min())
            side = 0 if run["width"] == d else 1
            x0 = depths.index(run["depth"]) + (side - 0.5) * 0.4
            ax.scatter(
                x0 + rng.uniform(-0.08, 0.08, len(acc)),
                acc,
                s=12,
                color=WIDTH_COLORS[side],
                alpha=0.7,
                lw=0,
                label=f"{run['width']} unit{'s' if run['width'] > 1 else ''} per layer"
                if run["depth"] == depths[0]
                else None,
            )
            ax.text(
                x0,
                1.012,
                f"{a['grid_perfect']}/{len(acc)}",
                ha="center",
                fontsize=7.5,
                color=WIDTH_COLORS[side],
            )
        ax.axhline(1.0, color="#999", lw=0.8, ls=":")
        ax.set_xticks(range(len(depths)), [str(k) for k in depths])
        ax.set_xlim(-0.6, len(depths) - 0.4)
        ax.set_ylim(min(0.6, min(lows) - 0.02), 1.04)
        ax.set_xlabel("hidden layers (depth)")
        ax.set_title(f"ball in a shell, R{_SUPERSCRIPT.get(d, f'^{d}')}", fontsize=10)
        ax.legend(fontsize=7.5, loc="lower left", frameon=True, framealpha=0.9)
    axes[0][0].set_ylabel("accuracy on the dense grid (balanced)")
    fig.tight_layout()
    return fig


def plot_stretch_heatmap(
    grid: dict,
    *,
    X=None,
    y=None,
    ax=None,
    vmin: float | None = None,
    vmax: float | None = None,
    colorbar: bool = True,
):
    """log10 of the Jacobian norm of input -> one stage over a 2-D input grid.

    ``grid`` comes from :func:`isotopy.topology.stretch_grid`; with ``grid["relative"]``
    true its values are the relative stretch ρ (the norm over the map's overall scale).
    Points X (with labels y) are drawn on top when given; ``vmin`` / ``vmax`` (in the
    values' units) fix the colour scale, so that several heatmaps can share one.
    """
    plt = pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.2, 3.6))
    fig = ax.figure
    vals = np.log10(np.maximum(grid["values"], 1e-12))
    xs, ys = grid["xs"], grid["ys"]
    im = ax.imshow(
        vals,
        origin="lower",
        extent=(xs[0], xs[-1], ys[0], ys[-1]),
        cmap="magma",
        vmin=max(min(vals.min(), 0.0), -3.0) if vmin is None else np.log10(vmin),
        vmax=None if vmax is None else np.log10(vmax),
        aspect="equal",
    )
    if grid.get("relative"):
        label = "log10 ρ (stretch / the map's overall scale)"
    else:
        label = f"log10 ||J||_{'2' if grid['norm'] == 'spectral' else 'F'}"
    if colorbar:
        fig.colorbar(im, ax=ax, label=label)
    if X is not None:  # white rims keep the class colours readable on dark and light tints
        for c in np.unique(y):
            m = y == c
            ax.scatter(X[m, 0], X[m, 1], s=8, color=class_color(int(c)), edgecolors="white", lw=0.3)
    ax.set_title(f"stretch of input → {grid['stage']}")
    return fig


def _band(ax, x, curves, color, label, ls="-"):
    """Median of ``curves`` (seeds, len(x)) as a line, the middle half of seeds as a band."""
    c = np.asarray(curves, dtype=float)
    q1, med, q3 = np.percentile(c, [25, 50, 75], axis=0)
    ax.plot(x, med, color=color, ls=ls, lw=1.6, label=label)
    ax.fill_between(x, q1, q3, color=color, alpha=0.18, lw=0)


def plot_stretch_curves(result: dict):
    """The stretch claims' exceedance curves and accuracies, from ``run_stretch_claims``.

    Four panels: width 2 against width 3 without penalty; each width under every λ; the grid
    accuracy of every network against λ. Curves are the median over seeds of the share of
    the grid with relative stretch ρ > t, bands the middle half of the seeds; the shaded
    range of t is the one the verdicts judge.
    """
    plt = pyplot()
    rows = result["rows"]
    x = np.asarray(result["curve_x"])
    ts = result["settings"]["thresholds"]
    widths = sorted({r["width"] for r in rows})
    lams = sorted({r["lambda"] for r in rows})
    by = {(r["width"], r["lambda"]): r for r in rows}
    lam_colors = ["#222222", "#e08214", "#8073ac", "#1b7837"]  # by λ, dark to light
    fig, axes = plt.subplots(2, 2, figsize=(9.0, 6.6))
    curve_axes = [axes[0, 0], axes[0, 1], axes[1, 0]]
    for i, w in enumerate(widths):
        _band(axes[0, 0], x, by[w, lams[0]]["curve"], WIDTH_COLORS[i % 2], f"width {w}")
    axes[0, 0].set_title(f"width against width, λ = {lams[0]:g}", fontsize=10)
    for ax, w in zip(curve_axes[1:], widths, strict=False):
        for j, lam in enumerate(lams):
            _band(ax, x, by[w, lam]["curve"], lam_colors[j % 4], f"λ = {lam:g}")
        ax.set_title(f"width {w} under the contractive penalty", fontsize=10)
    for ax in curve_axes:
        ax.axvspan(min(ts), max(ts), color="#dddddd", alpha=0.5, lw=0, zorder=0)
        ax.set_xscale("log")
        ax.set_xticks([1, 2, 3, 5, 10], ["1", "2", "3", "5", "10"])
        ax.set_xlabel("threshold t on the relative stretch ρ")
        ax.set_ylabel("share of the grid with ρ > t")
        ax.set_ylim(0, None)
        ax.legend(fontsize=7.5, loc="upper right", frameon=True, framealpha=0.9)
    ax = axes[1, 1]
    rng = np.random.default_rng(0)  # sideways jitter only
    for i, w in enumerate(widths):
        for j, lam in enumerate(lams):
            acc = np.asarray(by[w, lam]["grid_accuracy"])
            xs = j + (i - 0.5) * 0.3 + rng.uniform(-0.06, 0.06, len(acc))
            ax.scatter(
                xs,
                acc,
                s=10,
                color=WIDTH_COLORS[i % 2],
                alpha=0.7,
                lw=0,
                label=f"width {w}" if j == 0 else None,
            )
    ax.set_xticks(range(len(lams)), [f"{lam:g}" for lam in lams])
    ax.set_xlabel("contractive penalty λ")
    ax.set_ylabel("accuracy on the dense grid")
    ax.set_title("what the penalty costs", fontsize=10)
    lo = min(min(r["grid_accuracy"]) for r in rows)
    ax.set_ylim(lo - 0.25 * (1.0 - lo) - 0.005, 1.0 + 0.08 * (1.0 - lo) + 0.005)
    # below every dot: the accuracies cluster at the top (separated) and near 0.84 (a band)
    ax.legend(fontsize=7.5, loc="lower right", frameon=True, framealpha=0.9, ncol=2)
    fig.tight_layout()
    return fig


def plot_persistence_diagram(diagrams, *, scale: float | None = None, ax=None, title=""):
    """Persistence diagram (birth, death) of each dimension; ∞ drawn at the top edge.

    ``scale``, the reading scale ε, is drawn as the region birth <= ε < death.
    """
    plt = pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=(3.6, 3.6))
    fig = ax.figure
    finite = np.concatenate([d[np.isfinite(d[:, 1])] for d in diagrams] + [np.zeros((1, 2))])
    top = max(float(finite.max()), scale or 0.0) * 1.15 + 1e-9
    for k, d in enumerate(diagrams):
        death = np.where(np.isfinite(d[:, 1]), d[:, 1], top)
        ax.scatter(d[:, 0], death, s=12, label=f"H{k} ({len(d)})", alpha=0.8)
    ax.plot([0, top], [0, top], color="#999", lw=0.8)
    ax.axhline(top, color="#bbb", lw=0.8, ls=":")
    if scale is not None:
        ax.fill_between([0, scale], scale, top, color="#2ca02c", alpha=0.08)
        ax.axvline(scale, color="#2ca02c", lw=0.8)
        ax.text(scale, 0.02 * top, " ε", color="#2ca02c")
    ax.set_xlim(-0.02 * top, top * 1.02)
    ax.set_ylim(-0.02 * top, top * 1.05)
    ax.set_xlabel("birth")
    ax.set_ylabel("death (top line: alive at ε or beyond)")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(title)
    return fig


def plot_contractive_sweep(result: dict):
    """Accuracy (grid) and stretch (max ||J||_2, last hidden layer) against λ, per width."""
    plt = pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8.4, 3.4))
    lams = np.array(result["lambdas"], dtype=float)
    x = np.where(lams > 0, lams, np.nan)
    zero_pos = np.nanmin(x) / 10 if np.isfinite(np.nanmin(x)) else 1e-3
    xplot = np.where(lams > 0, lams, zero_pos)
    for r in result["results"]:
        acc = [np.mean(row["grid_accuracy"]) for row in r["rows"]]
        st = [np.median(row["stretch_max"]) for row in r["rows"]]
        a1.plot(xplot, acc, "o-", label=f"width {r['width']}")
        a2.plot(xplot, st, "o-", label=f"width {r['width']}")
    for ax in (a1, a2):
        ax.set_xscale("log")
        ax.set_xlabel(f"λ (leftmost point: λ = 0, drawn at {zero_pos:g})")
        ax.legend(fontsize=8)
    a2.set_yscale("log")
    a1.set_ylabel("accuracy on the dense grid")
    a2.set_ylabel("max ||J||_2, input → last hidden")
    fig.tight_layout()
    return fig
