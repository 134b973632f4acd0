"""Summaries of a sweep's results table: accuracy per grid cell with its spread over seeds.

``separation_width(dataset, params)`` gives the smallest width at which the essay's argument
allows networks whose layers have that many units to separate the classes perfectly (None
where it says nothing): a ball inside a shell in R^n needs n + 1 units (disc_annulus: 3,
interval: 2); two linked solid tori in R^3 need 4.
"""

from __future__ import annotations

import numpy as np

__all__ = ["summarize", "separation_width", "score_column", "PERFECT"]

PERFECT = 1.0 - 1e-9  # an accuracy counts as perfect above this


def separation_width(dataset: str, params: dict | None = None) -> int | None:
    params = params or {}
    if dataset == "disc_annulus":
        return 3
    if dataset == "interval":
        return 2
    if dataset == "nested_spheres":
        dim = params.get("dim", 2)
        return None if dim != dim else int(dim) + 1  # NaN-safe
    if dataset == "linked_tori":
        return 4
    return None


def score_column(table) -> str:
    """ "dense_accuracy" where the table has it for every row, else "train_accuracy"."""
    if "dense_accuracy" in table and table["dense_accuracy"].notna().all():
        return "dense_accuracy"
    return "train_accuracy"


def summarize(table, *, score: str | None = None):
    """One row per grid cell: networks, accuracy quantiles over seeds, fraction perfect.

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep's results table.
    score : str, optional
        Column to summarise (default: :func:`score_column`, per dataset).

    Returns
    -------
    pandas.DataFrame
        Columns: the cell columns, ``score``, ``networks``, ``mean``, ``min``, ``q25``,
        ``median``, ``q75``, ``max``, ``perfect`` (fraction of seeds with accuracy 1),
        ``test_mean``.
    """
    import pandas as pd

    params = [c for c in table.columns if c.startswith("param_")]
    cell = ["dataset", *params, "depth", "width", "activation", "contractive"]
    out = []
    for _, part in table.groupby("dataset", sort=False):
        col = score or score_column(part)
        g = part.groupby(cell, sort=True, dropna=False)
        acc = g[col]
        frame = pd.DataFrame(
            {
                "score": col,
                "networks": acc.size(),
                "mean": acc.mean(),
                "min": acc.min(),
                "q25": acc.quantile(0.25),
                "median": acc.median(),
                "q75": acc.quantile(0.75),
                "max": acc.max(),
                "perfect": acc.apply(lambda a: float(np.mean(a >= PERFECT))),
                "test_mean": g["test_accuracy"].mean(),
            }
        ).reset_index()
        out.append(frame)
    return pd.concat(out, ignore_index=True)
