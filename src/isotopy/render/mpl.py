"""Matplotlib renderers: draw Scenes. Every function takes ``ax=None`` and returns the figure.

Geometry is never distorted: 2-D and 3-D axes use equal scale on every axis.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..scene import Scene, layer_scenes, stage_scene
from .style import GRID_COLOR, REGION_COLORS, SEPARATOR_COLOR, class_color

__all__ = [
    "draw_scene",
    "plot_scene",
    "plot_decision_regions",
    "plot_layer_strip",
    "plot_training_curves",
]


def _mpl():
    # the user's backend as it is (matplotlib falls back to Agg where there is no display)
    import matplotlib.pyplot as plt

    return plt


def _new_axes(ax, dim, figsize):
    plt = _mpl()
    if ax is not None:
        if dim == 3 and getattr(ax, "name", "") != "3d":
            raise InputError("a 3-D scene needs axes made with projection='3d'")
        return ax.figure, ax
    fig = plt.figure(figsize=figsize)
    ax = fig.add_subplot(111, projection="3d" if dim == 3 else None)
    return fig, ax


def _colors(labels):
    return [class_color(c) for c in labels]


def _region_cmap(kind):
    from matplotlib.colors import LinearSegmentedColormap, ListedColormap

    if kind == "probability":
        return LinearSegmentedColormap.from_list("isotopy_regions", REGION_COLORS)
    from .style import CLASS_COLORS

    return ListedColormap(CLASS_COLORS)


def _draw_2d(scene: Scene, ax, point_size, show_grid):
    from matplotlib.collections import LineCollection

    b = scene.bounds
    if scene.field is not None:
        f = scene.field
        fb = f.bounds
        ax.imshow(
            f.values,
            origin="lower",
            extent=(fb[0, 0], fb[1, 0], fb[0, 1], fb[1, 1]),
            cmap=_region_cmap(f.kind),
            vmin=0,
            vmax=1 if f.kind == "probability" else 9,
            alpha=0.85 if f.kind == "probability" else 0.25,
            interpolation="bilinear",
            aspect="auto",
            zorder=0,
        )
    if show_grid and len(scene.grid):
        ax.add_collection(
            LineCollection(scene.grid, colors=GRID_COLOR, linewidths=0.6, alpha=0.8, zorder=1)
        )
    ax.scatter(
        scene.points[:, 0],
        scene.points[:, 1],
        c=_colors(scene.labels),
        s=point_size,
        edgecolors="white",
        linewidths=0.3,
        zorder=3,
    )
    if scene.separator is not None and scene.separator.shape == (2, 2):
        s = scene.separator
        ax.plot(s[:, 0], s[:, 1], color=SEPARATOR_COLOR, lw=2, zorder=4)
    ax.set_xlim(b[0, 0], b[1, 0])
    ax.set_ylim(b[0, 1], b[1, 1])
    ax.set_aspect("equal", adjustable="box")


def _label_axes(scene: Scene, ax, fontsize: float = 8) -> None:
    """Name the axes in words (``scene.meta["axes"]``): x1, x2 / unit 1, unit 2 / logit."""
    names = scene.meta.get("axes")
    if not names:
        return
    setters = (ax.set_xlabel, ax.set_ylabel, getattr(ax, "set_zlabel", None))
    for setter, name in zip(setters, names, strict=False):
        if setter is not None:
            setter(name, fontsize=fontsize, labelpad=1 if scene.dim == 3 else 2)


def _draw_1d(scene: Scene, ax, point_size, show_grid):
    b = scene.bounds
    if scene.field is not None and scene.field.values.ndim == 1:
        f = scene.field
        ax.imshow(
            f.values[None, :],
            extent=(f.bounds[0, 0], f.bounds[1, 0], -0.25, 0.25),
            cmap=_region_cmap(f.kind),
            vmin=0,
            vmax=1,
            aspect="auto",
            alpha=0.85,
            zorder=0,
        )
    ax.axhline(0, color=GRID_COLOR, lw=0.8, zorder=1)
    # Each class in its own band, points spread vertically at random (a fixed seed) so that
    # points the layer pushed onto one spot stay visible as a column instead of one dot.
    labels = np.asarray(scene.labels)
    jitter = np.random.default_rng(0).uniform(-0.07, 0.07, len(labels))
    offsets = np.where(labels == labels.min(), 0.12, -0.12) + jitter
    ax.scatter(
        scene.points[:, 0],
        offsets,
        c=_colors(labels),
        s=point_size,
        edgecolors="white",
        linewidths=0.3,
        zorder=3,
    )
    if scene.separator is not None and scene.separator.shape == (1,):
        ax.axvline(scene.separator[0], color=SEPARATOR_COLOR, lw=2, zorder=4)
    ax.set_xlim(b[0, 0], b[1, 0])
    ax.set_ylim(-0.5, 0.5)
    # the vertical position only keeps the classes apart: name the two bands, no scale
    classes = np.unique(labels)
    if len(classes) == 2:
        ax.set_yticks([0.12, -0.12], [f"class {_class_name(c)}" for c in classes], fontsize=7)
        ax.tick_params(axis="y", length=0)
    else:
        ax.set_yticks([])


def _class_name(c) -> str:
    return "ABCDEFGHIJ"[int(c)] if 0 <= int(c) < 10 else str(int(c))


def _draw_3d(scene: Scene, ax, point_size, show_grid):
    from mpl_toolkits.mplot3d.art3d import Line3DCollection, Poly3DCollection

    if show_grid and len(scene.grid):
        ax.add_collection3d(
            Line3DCollection(scene.grid, colors=GRID_COLOR, linewidths=0.5, alpha=0.6)
        )
    p = scene.points
    ax.scatter(p[:, 0], p[:, 1], p[:, 2], c=_colors(scene.labels), s=point_size, depthshade=False)
    if scene.separator is not None and scene.separator.ndim == 2 and scene.separator.shape[1] == 3:
        # drawn last and on top: seen (nearly) edge-on from the camera that shows the
        # separation, the plane is a band or a line between the classes, which depth sorting
        # would otherwise hide behind the points
        ax.computed_zorder = False
        poly = Poly3DCollection(
            [scene.separator],
            alpha=0.3,
            facecolor="#444444",
            edgecolor=SEPARATOR_COLOR,
            linewidths=1.5,
            zorder=5,
        )
        ax.add_collection3d(poly)
    b = scene.bounds
    ax.set_xlim(b[0, 0], b[1, 0])
    ax.set_ylim(b[0, 1], b[1, 1])
    ax.set_zlim(b[0, 2], b[1, 2])
    ax.set_box_aspect(tuple(b[1] - b[0]))
    # the camera the scene chose (one that shows the separating plane between the classes),
    # orthographic as in the animations, so the picture is the projection that was checked
    cam = scene.meta.get("camera")
    if cam is not None:
        ax.view_init(*cam)  # (elevation, azimuth, roll)
    ax.set_proj_type("ortho")
    from matplotlib.ticker import MaxNLocator

    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):  # few, small ticks: no overlapping labels
        axis.set_major_locator(MaxNLocator(3))
    ax.tick_params(labelsize=7, pad=0)


def draw_scene(
    scene: Scene,
    ax=None,
    *,
    point_size: float = 10,
    show_grid: bool = True,
    title: bool = True,
    figsize=(5, 5),
):
    """Draw one scene on ``ax`` (a new figure if None); 3-D scenes need 3-D axes.

    Returns
    -------
    matplotlib.figure.Figure
    """
    own_figure = ax is None
    fig, ax = _new_axes(ax, scene.dim, figsize)
    {1: _draw_1d, 2: _draw_2d, 3: _draw_3d}[scene.dim](scene, ax, point_size, show_grid)
    _label_axes(scene, ax)
    if scene.dim < 3:
        ax.tick_params(labelsize=7)
    if title:
        ax.set_title(scene.title, fontsize=10)
        if scene.dim == 3 and own_figure:
            titles_above_3d(fig)
    return fig


def titles_above_3d(fig, pad_px: float = 4.0) -> None:
    """Move a 3-D panel's title up where the panel's drawing reaches into it: seen from some
    cameras the projected box's tick labels and axis names rise above the axes' rectangle,
    where the title would sit on them. Draws the figure once (3-D labels are placed while
    drawing); titles with room below them stay where they are."""
    panels = [ax for ax in fig.axes if ax.name == "3d" and ax.get_title()]
    if not panels:
        return
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in panels:
        bottom = ax.title.get_window_extent(renderer).y0
        ax.title.set_visible(False)
        box = ax.get_tightbbox(renderer)
        ax.title.set_visible(True)
        if box is None or box.y1 + pad_px <= bottom:
            continue
        y = ax.transAxes.inverted().transform((0.0, box.y1 + pad_px))[1]
        ax.set_title(ax.get_title(), fontsize=ax.title.get_fontsize(), y=y, pad=0, va="bottom")
        ax.title.set_y(y)  # Axes3D.set_title scales a given y by 0.92


def plot_scene(net, X, y, stage=0, ax=None, **kwargs):
    """Build and draw the scene of one representation (see :func:`isotopy.scene.stage_scene`)."""
    draw_kw = {k: kwargs.pop(k) for k in ("point_size", "show_grid", "figsize") if k in kwargs}
    return draw_scene(stage_scene(net, X, y, stage, **kwargs), ax, **draw_kw)


def plot_decision_regions(net, X, y, ax=None, **kwargs):
    """The input space: decision regions of the whole network, the data and the grid."""
    return plot_scene(net, X, y, 0, ax, **kwargs)


def plot_layer_strip(
    net,
    X,
    y,
    *,
    panel_size: float = 3.2,
    point_size: float = 6,
    state: str | None = None,
    max_width: float = 10.0,
    **kwargs,
):
    """One panel per representation: input, every hidden layer, output.

    Panels are laid out left to right in rows at most ``max_width`` inches wide (10 in at
    110 dpi is the report's 1,100 px column); a 3-D panel is 1.3 times as wide as a 2-D one
    so that it shows its depth, a 1-D one (the output logit) 0.8 times. ``state`` (e.g.
    ``State.describe()``) is written above the panels: which training state and step they
    show.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _mpl()
    scenes = layer_scenes(net, X, y, **kwargs)
    widths = [panel_size * {1: 0.8, 2: 1.0, 3: 1.3}[sc.dim] for sc in scenes]
    rows, row = [], []
    for i, w in enumerate(widths):
        if row and sum(widths[j] for j in row) + w > max_width + 1e-9:
            rows.append(row)
            row = []
        row.append(i)
    rows.append(row)
    fig_w = max(sum(widths[j] for j in r) for r in rows)
    head = 0.35 if state else 0.0
    fig_h = head + sum(
        (panel_size * 1.3 if any(scenes[j].dim == 3 for j in r) else panel_size) for r in rows
    )
    fig = plt.figure(figsize=(fig_w, fig_h))
    top = fig_h - head
    for r in rows:
        row_h = panel_size * 1.3 if any(scenes[j].dim == 3 for j in r) else panel_size
        left = (fig_w - sum(widths[j] for j in r)) / 2
        for j in r:
            sc = scenes[j]
            # margins inside each cell for the title, tick labels and axis names
            pad_l, pad_r, pad_b, pad_t = (
                (0.15, 0.15, 0.2, 0.45) if sc.dim == 3 else (0.55, 0.15, 0.5, 0.45)
            )
            rect = (
                (left + pad_l) / fig_w,
                (top - row_h + pad_b) / fig_h,
                (widths[j] - pad_l - pad_r) / fig_w,
                (row_h - pad_b - pad_t) / fig_h,
            )
            ax = fig.add_axes(rect, projection="3d" if sc.dim == 3 else None)
            draw_scene(sc, ax, point_size=point_size)
            left += widths[j]
        top -= row_h
    titles_above_3d(fig)
    if state:
        fig.suptitle(state, fontsize=10, color="#444444", y=1 - 0.12 / fig_h)
    return fig


def plot_training_curves(history, ax=None, *, index: int = 0, mark=None):
    """Loss and accuracy against step (training every step, test at recorded steps).

    ``mark``: a :class:`~isotopy.train.readable.State` whose step gets a dashed line.
    """
    plt = _mpl()
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.5))
    fig = ax.figure
    steps = np.arange(1, history.loss.shape[1] + 1)
    ax.plot(steps, history.loss[index], color="#444", lw=1, label="train loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax2 = ax.twinx()
    ax2.plot(
        steps,
        history.train_accuracy[index],
        color="#2ca02c",
        lw=1,
        alpha=0.7,
        label="train accuracy",
    )
    if history.test_accuracy is not None:
        ax2.plot(
            history.record_steps,
            history.test_accuracy[index],
            color="#9467bd",
            lw=1.5,
            label="test accuracy",
        )
    ax2.set_ylim(0, 1.02)
    ax2.set_ylabel("accuracy")
    if mark is not None:
        ax.axvline(mark.step, color="#777777", ls="--", lw=1, label=mark.label())
    lines = ax.get_lines() + ax2.get_lines()
    # below the axes: a legend inside would cover the curves
    ax.legend(
        lines,
        [ln.get_label() for ln in lines],
        loc="upper center",
        fontsize=8,
        bbox_to_anchor=(0.5, -0.2),
        ncol=2,
        frameon=False,
    )
    fig.tight_layout()
    return fig
