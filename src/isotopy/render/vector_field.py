"""Pictures of a vector-field stage: the field (arrows or streamlines) and the grid it bends.

Drawing only: the arrays come from :func:`isotopy.nn.vector_field.field_on_grid` and
:func:`isotopy.nn.vector_field.deformed_grid`. Every function takes ``ax=None`` (a new
figure) and returns the figure.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .mpl import _colors, _new_axes
from .style import GRID_COLOR

__all__ = ["plot_vector_field", "plot_deformed_grid"]


def _axes(ax):
    return _new_axes(ax, 2, (4.5, 4.5))


def _scatter(ax, points, labels, s=10):
    """Data points in the package's class colours (black without labels), white-rimmed and
    drawn above the field so that arrows never hide them."""
    if points is None:
        return
    P = np.asarray(points)
    c = "k" if labels is None else _colors(np.asarray(labels).astype(int))
    ax.scatter(P[:, 0], P[:, 1], s=s, c=c, edgecolors="white", linewidths=0.4, zorder=3)


def _label(ax, xlabel: str, ylabel: str, title: str) -> None:
    """Equal axes, their labels and the title, in the small type of these panels."""
    ax.set_aspect("equal")
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.set_title(title, fontsize=9)


def plot_vector_field(
    stage,
    *,
    network: int = 0,
    kind: str = "arrows",
    points=None,
    labels=None,
    domain=None,
    resolution: int = 21,
    show_anchors: bool = True,
    ax=None,
):
    """The field v(x) of a 2-D vector-field stage as arrows or streamlines.

    Parameters
    ----------
    stage : VectorField
    network : int
        Which of the stage's N networks.
    kind : {"arrows", "streamlines"}
    points, labels : arrays (n, 2), (n,), optional
        Data drawn on top (their box also sets the domain when ``domain`` is None).
    domain : (xmin, xmax, ymin, ymax), optional
    resolution : int
        Grid samples per side.
    show_anchors : bool
        Mark the anchors c_i.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Figure
    """
    from ..nn.vector_field import field_on_grid

    if kind not in ("arrows", "streamlines"):
        raise InputError(f"unknown field view {kind!r}; choose one of: arrows, streamlines")
    X, Y, U, V = field_on_grid(
        stage, network=network, domain=domain, points=points, resolution=resolution
    )
    fig, ax = _axes(ax)
    speed = np.hypot(U, V)
    if kind == "arrows":
        mappable = ax.quiver(
            X,
            Y,
            U,
            V,
            speed,
            cmap="viridis",
            angles="xy",
            scale_units="xy",
            scale=1,
            width=0.004,
            alpha=0.7,  # the points, drawn above, stay visible through the arrows
            zorder=1,
        )
    else:
        mappable = ax.streamplot(
            X, Y, U, V, color=speed, cmap="viridis", density=1.1, linewidth=0.8
        ).lines
    fig.colorbar(mappable, ax=ax, label="|v(x)|", shrink=0.8)
    _scatter(ax, points, labels)
    if show_anchors:
        a = stage.anchors[network].detach().numpy()
        ax.scatter(a[:, 0], a[:, 1], marker="x", c="k", s=25, lw=1, zorder=4, label="anchors")
    ax.set_xlim(X.min(), X.max())
    ax.set_ylim(Y.min(), Y.max())
    _label(ax, "x1", "x2", f"field v(x), |v| up to {speed.max():.2f}")
    return fig


def plot_deformed_grid(
    stage,
    *,
    network: int = 0,
    t: float = 1.0,
    points=None,
    labels=None,
    domain=None,
    n_lines: int = 15,
    ax=None,
):
    """The grid and the data after the stage's path at time t (1 = the full stage).

    Same options as :func:`plot_vector_field`; returns the figure.
    """
    import torch

    from ..nn.vector_field import deformed_grid

    lines = deformed_grid(
        stage, network=network, t=t, domain=domain, points=points, n_lines=n_lines
    )
    fig, ax = _axes(ax)
    for line in lines:
        ax.plot(line[:, 0], line[:, 1], color=GRID_COLOR, lw=0.6)
    if points is not None:
        P = torch.as_tensor(np.asarray(points), dtype=stage.vectors.dtype)
        moved = stage.path(P.unsqueeze(0).expand(stage.n_networks, -1, -1), t)[network]
        _scatter(ax, moved.detach().numpy(), labels)
    _label(ax, "x1 + v1(x)", "x2 + v2(x)", f"space moved by the field, t = {t:g}")
    return fig
