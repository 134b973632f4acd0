"""Rasterising frames fast: one matplotlib figure, reused, its artists' data replaced.

Redrawing a figure from scratch per frame (what a naive ``FuncAnimation`` callback that
calls ``draw_scene`` does) rebuilds every artist, tick and text each time. Here the figure,
its axes (drawn without ticks, as in the essay's pictures) and its artists are made once;
each frame only swaps data (``set_offsets``, ``set_segments``, ``set_data``, ``set_xy``)
and view limits, then the Agg canvas is drawn and read back with ``buffer_rgba``.

3-D frames are drawn through a fixed orthographic camera (elevation, azimuth) as 2-D
artists, points sorted back to front, with the view box's edges for depth cues; this is
what mplot3d would show, at a fraction of its cost.
"""

from __future__ import annotations

import numpy as np

from ..render.style import CLASS_COLORS, GRID_COLOR, SEPARATOR_COLOR
from ..scene.camera import camera, camera_showing
from .frames import Frames

__all__ = ["FrameRenderer", "render_frames", "camera", "camera_showing"]  # cameras: scene.camera

FLAG_COLOR = "#b00020"


def _box_edges(b):
    """The 12 edges of the box b (2, 3) as (12, 2, 3)."""
    import itertools

    corners = np.array(list(itertools.product(*[b[:, j] for j in range(3)])))
    edges = [
        (i, j)
        for i, j in itertools.combinations(range(8), 2)
        if np.count_nonzero(corners[i] != corners[j]) == 1
    ]
    return np.stack([[corners[i], corners[j]] for i, j in edges])


class FrameRenderer:
    """Draw frames of one :class:`Frames` into RGB arrays (H, W, 3) uint8.

    Parameters
    ----------
    frames : Frames
    size : int
        Width of the image in pixels; the height adds room for the title and the note.
        Even sizes divisible by 16 suit MP4 encoders.
    point_size : float, optional
        Marker area in points^2 (default from the number of points).
    elev, azim : float, optional
        Camera of 3-D frames (default: the one the frames chose, ``frames.meta["camera"]``,
        e.g. one showing the read-out's plane between the classes; else 22°, -58°).
    """

    def __init__(
        self,
        frames: Frames,
        *,
        size: int = 480,
        point_size: float | None = None,
        elev: float | None = None,
        azim: float | None = None,
        dpi: int = 100,
    ):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.collections import LineCollection
        from matplotlib.figure import Figure
        from matplotlib.patches import Polygon

        self.frames = frames
        self.dim = frames.dim
        size = max(int(size) // 16 * 16, 160)
        head = 64 if size >= 400 else 48
        self.shape = (size + head, size)
        fig = Figure(figsize=(size / dpi, size / dpi), dpi=dpi)
        self.canvas = FigureCanvasAgg(fig)
        self.fig = fig
        self.ax = ax = fig.add_axes((0.015, 0.015, 0.97, 0.97))
        ax.set_xticks([])
        ax.set_yticks([])
        for s in ax.spines.values():
            s.set_color("#dddddd")
        self.box_px = (0.97 * size, 0.97 * size)
        # the header (title, note, progress bar) is a figure of its own, rendered once per
        # distinct text and cached: text layout is the costliest part of a frame
        hfig = Figure(figsize=(size / dpi, (head - 6) / dpi), dpi=dpi)
        self.hcanvas = FigureCanvasAgg(hfig)
        fs = 9.5 if size >= 400 else 8.0
        self.title = hfig.text(0.5, 0.78, "", ha="center", va="center", fontsize=fs)
        self.note = hfig.text(
            0.5,
            0.34,
            "",
            ha="center",
            va="center",
            fontsize=fs - 2,
            color="#555555",
            linespacing=1.1,
        )
        self.wrap = int(size / 480 * 92) if size >= 400 else int(size / 400 * 76)
        self._head_cache = {}
        self.head = head
        n = frames.points.shape[1]
        if point_size is None:
            point_size = float(np.clip(6000 / max(n, 1), 4, 30)) * (size / 480) ** 2
        colors = np.array([_rgba(CLASS_COLORS[int(c) % len(CLASS_COLORS)]) for c in frames.labels])
        self.colors = colors
        chosen = tuple(frames.meta.get("camera") or (22.0, -58.0, 0.0))
        if elev is not None or azim is not None:  # a camera given here: no roll
            chosen = (chosen[0] if elev is None else elev, chosen[1] if azim is None else azim)
        self.cam = camera(*chosen) if self.dim == 3 else None
        # a camera per frame where the frames turn the view (e.g. towards the read-out's plane)
        self.cams = frames.meta.get("cameras") if elev is None and azim is None else None
        self.box_lines = LineCollection([], colors="#c8c8c8", linewidths=0.8, zorder=0)
        ax.add_collection(self.box_lines)
        # the grid is one polyline with NaN breaks: a single path per frame instead of one
        # Path object per grid line
        (self.grid,) = ax.plot([], [], color=GRID_COLOR, lw=0.6, alpha=0.75, zorder=1)
        self.plane = Polygon(
            np.zeros((3, 2)),
            closed=True,
            facecolor=(0.27, 0.27, 0.27, 0.18),  # a translucent face, an opaque outline: seen
            edgecolor=SEPARATOR_COLOR,  # edge-on the plane is only its outline, a line
            lw=1.6,
            zorder=4,
            visible=False,
        )
        ax.add_patch(self.plane)
        # 1-D and 2-D: one marker line per class (Agg stamps a cached marker: much faster
        # than a scatter); 3-D: a scatter, so points can be sorted back to front across classes
        self.scatter = ax.scatter(
            np.zeros(0), np.zeros(0), s=point_size, linewidths=0, zorder=3, visible=self.dim == 3
        )
        self.classes = (
            []
            if self.dim == 3
            else [
                (
                    frames.labels == c,
                    ax.plot(
                        [],
                        [],
                        "o",
                        ms=np.sqrt(point_size),
                        mew=0,
                        ls="none",
                        mfc=CLASS_COLORS[int(c) % len(CLASS_COLORS)],
                        zorder=3,
                    )[0],
                )
                for c in np.unique(frames.labels)
            ]
        )
        (self.sep,) = ax.plot([], [], color=SEPARATOR_COLOR, lw=2, zorder=4)
        # a scale bar in the lower left corner: the frames have no axes, and the view box
        # changes size as the layer stretches or squeezes space
        (self.bar,) = ax.plot([], [], color="#333333", lw=2, solid_capstyle="butt", zorder=6)
        self.bar_text = ax.text(
            0, 0, "", fontsize=8 if size >= 400 else 7, color="#333333", zorder=6
        )
        if self.dim == 1:
            self.offsets = np.where(frames.labels == frames.labels.min(), 0.04, -0.04)

    # -------------------------------------------------------------------------- geometry
    def _limits(self, lo, hi):
        """Expand the box [lo, hi] (2-D screen coords) to the axes' aspect: equal scale."""
        w, h = self.box_px
        c = (lo + hi) / 2
        half = (hi - lo) / 2
        scale = max(half[0] / w, half[1] / h, 1e-12)
        self.ax.set_xlim(c[0] - scale * w, c[0] + scale * w)
        self.ax.set_ylim(c[1] - scale * h, c[1] + scale * h)
        self._scale_bar(c - scale * np.array([w, h]), 2 * scale * w)

    def _scale_bar(self, corner, width):
        """A bar of a round length (1, 2 or 5 times a power of ten, at most a fifth of the
        view's width) at the view's lower left, labelled with its length."""
        target = width / 5
        power = 10.0 ** np.floor(np.log10(target))
        length = max(m * power for m in (1, 2, 5) if m * power <= target)
        x0, y0 = corner + width * np.array([0.03, 0.03])
        self.bar.set_data([x0, x0 + length], [y0, y0])
        self.bar_text.set_position((x0, y0 + width * 0.012))
        self.bar_text.set_text(f"{length:g}")

    def _screen(self, x):
        return x @ self.cam[:2].T

    def draw(self, i: int) -> np.ndarray:
        """Frame i as an RGB array (H, W, 3) uint8."""
        F = self.frames
        pts, grid, b, sep = F.points[i], F.grid[i], F.bounds[i], F.separators[i]
        self.plane.set_visible(False)
        self.sep.set_data([], [])
        if self.dim == 3:
            if self.cams is not None:
                self.cam = self.cams[i]
            depth = pts @ self.cam[2]
            order = np.argsort(depth)
            self.scatter.set_offsets(self._screen(pts[order]))
            self.scatter.set_facecolors(self.colors[order])
            self._set_grid(self._screen(grid))
            edges = self._screen(_box_edges(b))
            self.box_lines.set_segments(edges)
            e = edges.reshape(-1, 2)
            self._limits(e.min(0), e.max(0))
            if sep is not None and sep.ndim == 2 and len(sep) >= 3:
                self.plane.set_xy(self._screen(sep))
                self.plane.set_visible(True)
        elif self.dim == 2:
            for mask, line in self.classes:
                line.set_data(pts[mask, 0], pts[mask, 1])
            self._set_grid(grid)
            self._limits(b[0], b[1])
            if sep is not None and sep.shape == (2, 2):
                self.sep.set_data(sep[:, 0], sep[:, 1])
        else:
            for mask, line in self.classes:
                line.set_data(pts[mask, 0], self.offsets[mask])
            self._set_grid(np.stack([grid[..., 0], np.zeros(grid.shape[:2])], -1))
            lo = np.array([b[0, 0], -0.1 * (b[1, 0] - b[0, 0])])
            self._limits(lo, np.array([b[1, 0], -lo[1]]))
            if sep is not None and sep.shape == (1,):
                h = 0.08 * (b[1, 0] - b[0, 0])
                self.sep.set_data([sep[0], sep[0]], [-h, h])
        self.canvas.draw()
        body = np.asarray(self.canvas.buffer_rgba())[..., :3]
        out = np.empty((*self.shape, 3), dtype=np.uint8)
        out[: self.head - 6] = self._header(F.titles[i], F.notes[i], bool(F.flagged[i]))
        out[self.head - 6 : self.head] = 255
        self._progress_bar(out, i)
        out[self.head :] = body
        return out

    def _set_grid(self, grid):
        """grid (L, P, 2) -> one NaN-separated polyline."""
        L, P, _ = grid.shape
        joined = np.full((L, P + 1, 2), np.nan)
        joined[:, :P] = grid
        joined = joined.reshape(-1, 2)
        self.grid.set_data(joined[:, 0], joined[:, 1])

    def _header(self, title, note, flagged):
        key = (title, note, flagged)
        img = self._head_cache.get(key)
        if img is None:
            import textwrap

            self.title.set_text(textwrap.shorten(title, self.wrap * 0.8, placeholder="…"))
            lines = textwrap.wrap(note, self.wrap)
            if len(lines) > 2:
                lines = [
                    lines[0],
                    textwrap.shorten(" ".join(lines[1:]), self.wrap, placeholder="…"),
                ]
            self.note.set_text("\n".join(lines))
            self.note.set_color(FLAG_COLOR if flagged else "#555555")
            self.hcanvas.draw()
            img = np.asarray(self.hcanvas.buffer_rgba())[..., :3].copy()
            if len(self._head_cache) > 256:
                self._head_cache.clear()
            self._head_cache[key] = img
        return img

    def _progress_bar(self, out, i):
        """A thin bar under the header: one segment per stage (or the training run), filled
        up to this frame's position."""
        F = self.frames
        prog = F.meta.get("progress")
        if prog is None:
            return
        W = self.shape[1]
        y0 = self.head - 5
        bar = out[y0 : y0 + 3]
        bar[:] = (232, 232, 232)
        filled = int(round(float(prog[i]) * (W - 16)))
        bar[:, 8 : 8 + filled] = (120, 120, 120)
        for cut in F.meta.get("segments", []):
            x = 8 + int(round(cut * (W - 16)))
            bar[:, max(x - 1, 0) : x + 1] = 255

    def __repr__(self) -> str:
        return f"FrameRenderer({len(self.frames)} frames, {self.shape[1]}×{self.shape[0]} px)"


def _rgba(hex_color):
    h = hex_color.lstrip("#")
    return [int(h[k : k + 2], 16) / 255 for k in (0, 2, 4)] + [1.0]


def render_frames(frames: Frames, *, progress=None, **kwargs) -> list[np.ndarray]:
    """All frames as RGB arrays; ``progress(done, total)`` after each (renderer kwargs pass on)."""
    r = FrameRenderer(frames, **kwargs)
    out = []
    for i in range(len(frames)):
        out.append(r.draw(i))
        if progress is not None:
            progress(i + 1, len(frames))
    return out
