"""Drawing a sweep: accuracy against width with its spread over seeds.

One panel per dataset (with its parameters) and depth. In each panel, for every activation
and contractive weight: the median accuracy over seeds (line), the band between the 25th and
75th percentiles, the range (thin bars), every seed (faint dots) and, on the right axis, the
fraction of seeds that separate the classes perfectly (dashed). Where the essay's argument
gives the smallest width that can separate the classes (``separation_width``; the
argument holds for injective activations such as tanh), widths below it are shaded.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_accuracy_vs_width"]


def _cell_label(dataset, params: dict) -> str:
    shown = ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
    )
    return f"{dataset} ({shown})" if shown else dataset


def plot_accuracy_vs_width(table, *, ax=None, score: str | None = None):
    """Accuracy against hidden width, one panel per dataset cell and depth.

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep's results table (``run_sweep`` / ``load_results``).
    ax : matplotlib Axes, optional
        Draw a single panel here (the table must then hold one dataset cell and one depth).
    score : str, optional
        Accuracy column; default dense-grid accuracy where every row has it, else training
        accuracy.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from ..sweep.summary import score_column, separation_width, summarize

    params = [c for c in table.columns if c.startswith("param_")]
    cells = table[["dataset", *params]].drop_duplicates().to_dict("records")
    depths = sorted(table["depth"].unique())
    fig, axes = _panels(ax, len(cells), len(depths))
    summary = summarize(table, score=score)
    groups = table[["activation", "contractive"]].drop_duplicates().to_dict("records")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    rng = np.random.default_rng(0)
    for r, cell in enumerate(cells):
        part, spart = _cell_rows(table, cell), _cell_rows(summary, cell)
        col = score or score_column(part)
        cparams = {
            k[len("param_") :]: v for k, v in cell.items() if k.startswith("param_") and v == v
        }
        bound = separation_width(cell["dataset"], cparams)
        for c, depth in enumerate(depths):
            a = axes[r, c]
            right = a.twinx()
            right.set_ylim(-0.03, 1.03)
            widths = sorted(part["width"].unique())
            if bound is not None and widths and min(widths) < bound:
                _shade_below(a, min(widths), bound)
            for g, grp in enumerate(groups):
                off = 0.08 * (g - (len(groups) - 1) / 2)
                _draw_group(
                    a, right, part, spart, depth, grp, off, colors[g % len(colors)], col, rng
                )
            a.set_xticks(widths)
            a.set_ylim(min(0.45, float(part[col].min()) - 0.02), 1.02)
            a.set_title(f"{_cell_label(cell['dataset'], cparams)}, depth {depth}", fontsize=10)
            a.set_xlabel("hidden width (units per layer)")
            if c == 0:
                a.set_ylabel(col.replace("_", " "))
            if c == len(depths) - 1:
                right.set_ylabel("fraction of seeds with accuracy 1 (dashed)", fontsize=8)
            else:
                right.set_yticklabels([])
            if r == 0 and c == 0:
                h1, l1 = a.get_legend_handles_labels()
                h2, l2 = right.get_legend_handles_labels()
                a.legend(h1 + h2, l1 + l2, fontsize=7, loc="lower right")
    n = len(table)
    fig.suptitle(
        f"accuracy against width over {n} networks ({table['seed'].nunique()} seeds a cell)",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


def _panels(ax, rows: int, columns: int):
    """The figure and its (rows, columns) axes: ``ax`` itself when given (one panel only)."""
    import matplotlib.pyplot as plt

    if ax is not None:
        if rows != 1 or columns != 1:
            from ..errors import InputError

            raise InputError(
                "a single axes can show one dataset cell and one depth; "
                "pass ax=None for the full grid of panels"
            )
        return ax.figure, np.array([[ax]])
    return plt.subplots(
        rows,
        columns,
        squeeze=False,
        sharey=True,
        figsize=(4.2 * columns + 0.6, 3.3 * rows + 0.4),
    )


def _cell_rows(frame, cell: dict):
    """The rows of ``frame`` in one dataset cell (a missing parameter matches NaN)."""
    mask = np.ones(len(frame), dtype=bool)
    for k, v in cell.items():
        mask &= (frame[k] == v).to_numpy() | (frame[k].isna().to_numpy() & (v != v))
    return frame[mask]


def _shade_below(a, smallest: int, bound: int) -> None:
    """Shade the widths below the smallest that can separate the classes, and say so."""
    a.axvspan(smallest - 0.5, bound - 0.5, color="0.92", zorder=0)
    a.axvline(bound - 0.5, color="0.4", lw=1, ls=":")
    a.text(
        smallest - 0.45,
        0.97,
        f"below {bound} units: no injective σ separates",
        transform=a.get_xaxis_transform(),
        fontsize=8,
        color="0.3",
        va="top",
    )


def _draw_group(a, right, part, spart, depth, grp: dict, off: float, color, col, rng) -> None:
    """One activation and contractive weight at one depth: median line, quartile band,
    range bars, every seed (jittered by ``rng``) and, on ``right``, the fraction perfect."""
    sel = (
        (part["depth"] == depth)
        & (part["activation"] == grp["activation"])
        & (part["contractive"] == grp["contractive"])
    )
    rows = part[sel]
    if rows.empty:
        return
    s = spart[
        (spart["depth"] == depth)
        & (spart["activation"] == grp["activation"])
        & (spart["contractive"] == grp["contractive"])
    ].sort_values("width")
    x = s["width"].to_numpy(dtype=float) + off
    label = grp["activation"] + (f", λ={grp['contractive']:g}" if grp["contractive"] else "")
    a.fill_between(x, s["q25"], s["q75"], color=color, alpha=0.25, lw=0)
    a.vlines(x, s["min"], s["max"], color=color, lw=0.8, alpha=0.7)
    a.plot(x, s["median"], "o-", color=color, lw=1.6, ms=4, label=f"{label} median")
    jitter = rng.uniform(-0.12, 0.12, len(rows))
    a.scatter(rows["width"].to_numpy() + off + jitter, rows[col], s=4, color=color, alpha=0.2, lw=0)
    right.plot(
        x,
        s["perfect"],
        "s--",
        color=color,
        lw=1,
        ms=3,
        alpha=0.8,
        label=f"{label}: fraction perfect",
    )
