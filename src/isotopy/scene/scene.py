"""Scenes: what a view shows, as plain arrays, with no plotting library involved.

A :class:`Scene` is one picture of one representation: the data points with their labels,
the image of a regular grid of the input domain as polylines, optionally the read-out's
separating line (2-D) / plane (3-D) / threshold (1-D), and optionally a scalar field drawn
behind (decision regions). Renderers (matplotlib, plotly, the web explorer, animations) draw
scenes; they never recompute them.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _field

import numpy as np

__all__ = ["Scene", "Field"]


@dataclass
class Field:
    """A scalar field sampled on a regular lattice of a box (for decision regions).

    ``values`` has shape (res,) in 1-D and (res_y, res_x) in 2-D (row i is y = ys[i]); it
    holds the probability of class 1 for two classes, or the predicted class for more.
    """

    values: np.ndarray
    bounds: np.ndarray  # (2, d): lower and upper corner of the box
    kind: str = "probability"  # or "class"

    def __repr__(self) -> str:
        return f"Field({self.kind}, shape={self.values.shape})"


@dataclass
class Scene:
    """One representation of the data, ready to draw.

    Attributes
    ----------
    points : ndarray (n, d), d in {1, 2, 3}
    labels : ndarray (n,) int
    grid : ndarray (L, P, d)
        L polylines of P vertices: the image of the input domain's regular grid.
    bounds : ndarray (2, d)
        Lower and upper corners that contain points and grid.
    separator : ndarray or None
        1-D: (1,) the threshold; 2-D: (2, 2) endpoints of the separating line clipped to
        ``bounds``; 3-D: (4, 3) corners of the separating plane clipped to ``bounds``.
    field : Field or None
        A background field (decision regions) over ``bounds``.
    title : str
    meta : dict
        Anything a renderer may state: stage name and index, projection used, flags.
    """

    points: np.ndarray
    labels: np.ndarray
    grid: np.ndarray
    bounds: np.ndarray
    separator: np.ndarray | None = None
    field: Field | None = None
    title: str = ""
    meta: dict = _field(default_factory=dict)

    @property
    def dim(self) -> int:
        return int(self.points.shape[1])

    def __repr__(self) -> str:
        sep = "none" if self.separator is None else f"{self.separator.shape}"
        return (
            f"Scene({self.title!r}, dim={self.dim}, points={len(self.points)}, "
            f"grid={tuple(self.grid.shape)}, separator={sep})"
        )
