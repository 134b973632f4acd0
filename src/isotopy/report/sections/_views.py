"""Rotatable 3-D views of curves (plotly HTML), shared by the sections that link to them."""

from __future__ import annotations

import numpy as np


def line3d(points, *, color: str, name: str, width: float, closed: bool = False, ends=False):
    """A plotly 3-D polyline through ``points`` (m, 3), closed into a loop if ``closed``;
    ``ends`` marks its vertices (for a segment between two points)."""
    import plotly.graph_objects as go

    p = np.vstack([points, points[:1]]) if closed else np.asarray(points)
    extra = {"mode": "lines+markers", "marker": dict(size=4)} if ends else {"mode": "lines"}
    return go.Scatter3d(
        x=p[:, 0], y=p[:, 1], z=p[:, 2], line=dict(color=color, width=width), name=name, **extra
    )


def write_view(ctx, name: str, title: str, traces) -> str:
    """Write ``traces`` as a rotatable view, figures/<section>_<name>.html, with equal axes;
    return its path relative to the report."""
    import plotly.graph_objects as go

    from ...render.plotly3d import write_html

    fig = go.Figure(list(traces))
    fig.update_layout(title=title, scene=dict(aspectmode="data"), margin=dict(l=0, r=0, t=40, b=0))
    path, rel = ctx.file(f"{name}.html")
    write_html(fig, path, plotlyjs="directory")
    return rel
