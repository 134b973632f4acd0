"""Plotly renderer for rotatable 3-D views of Scenes (also works for 2-D scenes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..files import atomic_write
from ..scene import Scene
from .style import GRID_COLOR, SEPARATOR_COLOR, class_color

__all__ = ["scene_figure", "write_html"]


def _nan_joined(polylines: np.ndarray) -> np.ndarray:
    """(L, P, d) polylines -> one (L*(P+1), d) array with NaN rows between lines."""
    L, P, d = polylines.shape
    out = np.full((L, P + 1, d), np.nan)
    out[:, :P] = polylines
    return out.reshape(-1, d)


def scene_figure(scene: Scene, *, point_size: float = 3.0):
    """A plotly Figure of the scene: points by class, the deformed grid, the separator."""
    import plotly.graph_objects as go

    d = scene.dim
    traces = []
    if len(scene.grid):
        g = _nan_joined(scene.grid)
        if d == 3:
            traces.append(
                go.Scatter3d(
                    x=g[:, 0],
                    y=g[:, 1],
                    z=g[:, 2],
                    mode="lines",
                    line=dict(color=GRID_COLOR, width=1),
                    opacity=0.5,
                    name="grid",
                    hoverinfo="skip",
                )
            )
        elif d == 2:
            traces.append(
                go.Scatter(
                    x=g[:, 0],
                    y=g[:, 1],
                    mode="lines",
                    name="grid",
                    line=dict(color=GRID_COLOR, width=0.7),
                    hoverinfo="skip",
                )
            )
    for c in np.unique(scene.labels):
        p = scene.points[scene.labels == c]
        name = f"class {'AB'[c] if c < 2 else c}"
        marker = dict(size=point_size, color=class_color(c))
        if d == 3:
            traces.append(
                go.Scatter3d(
                    x=p[:, 0], y=p[:, 1], z=p[:, 2], mode="markers", marker=marker, name=name
                )
            )
        elif d == 2:
            traces.append(
                go.Scatter(x=p[:, 0], y=p[:, 1], mode="markers", marker=marker, name=name)
            )
        else:
            traces.append(
                go.Scatter(x=p[:, 0], y=np.zeros(len(p)), mode="markers", marker=marker, name=name)
            )
    sep = scene.separator
    if sep is not None and d == 3 and sep.ndim == 2:
        n = len(sep)
        traces.append(
            go.Mesh3d(
                x=sep[:, 0],
                y=sep[:, 1],
                z=sep[:, 2],
                i=[0] * (n - 2),
                j=list(range(1, n - 1)),
                k=list(range(2, n)),
                opacity=0.3,
                color=SEPARATOR_COLOR,
                name="separating plane",
            )
        )
    elif sep is not None and d == 2 and sep.shape == (2, 2):
        traces.append(
            go.Scatter(
                x=sep[:, 0],
                y=sep[:, 1],
                mode="lines",
                name="separating line",
                line=dict(color=SEPARATOR_COLOR, width=3),
            )
        )
    fig = go.Figure(traces)
    b = scene.bounds
    if d == 3:
        fig.update_layout(
            height=650,
            scene_camera=dict(eye=dict(x=1.7, y=1.7, z=1.3)),
            scene=dict(
                aspectmode="data",
                xaxis=dict(range=[b[0, 0], b[1, 0]]),
                yaxis=dict(range=[b[0, 1], b[1, 1]]),
                zaxis=dict(range=[b[0, 2], b[1, 2]]),
            ),
        )
    else:
        fig.update_yaxes(scaleanchor="x", scaleratio=1)
    fig.update_layout(
        title=scene.title, template="plotly_white", margin=dict(l=10, r=10, t=40, b=10)
    )
    return fig


def write_html(fig, path, *, plotlyjs: str | bool = True) -> Path:
    """Write a figure as an HTML file (atomically). ``plotlyjs=True`` embeds plotly.js so the
    file works offline; ``"directory"`` writes one shared plotly.min.js beside it."""
    path = Path(path)
    atomic_write(
        path, lambda tmp: fig.write_html(str(tmp), include_plotlyjs=plotlyjs, full_html=True)
    )
    return path
