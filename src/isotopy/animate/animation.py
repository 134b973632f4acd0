"""An animation object: frames + how to draw them, with export and notebook display."""

from __future__ import annotations

import numpy as np

from .export import html_player, save_frames
from .frames import Frames, morph_frames
from .render import FrameRenderer
from .training import training_frames

__all__ = ["Animation", "animate_layers", "animate_training"]


class Animation:
    """Frames to show, rendered lazily (once) and exported on demand.

    ``Animation(frames).save("morph.gif")``; in a notebook the object displays itself as a
    player with a slider and play/pause (``_repr_html_``).

    Parameters
    ----------
    frames : Frames
    fps : float
        Playback speed of exports.
    hold : float
        Seconds the last frame stays on screen in exports (GIF, MP4, HTML).
    size : int
        Image width in pixels (rounded down to a multiple of 16).
    **render_kw
        Passed to :class:`FrameRenderer` (point_size, elev, azim).
    """

    def __init__(
        self, frames: Frames, *, fps: float = 20, size: int = 480, hold: float = 1.0, **render_kw
    ):
        self.frames = frames
        self.fps = float(fps)
        import math

        from ..errors import InputError

        if not (math.isfinite(float(hold)) and float(hold) >= 0):
            raise InputError(f"the hold time must be a number >= 0 seconds, got {hold}")
        self.hold = float(hold)  # seconds the last frame stays: the end state is what counts
        self.size = int(size)
        self.render_kw = render_kw
        self._images: list[np.ndarray] | None = None

    def render(self, *, progress=None) -> list[np.ndarray]:
        """RGB frames (H, W, 3) uint8, rendered on first use."""
        if self._images is None:
            for _ in self._stream(progress):  # draws every frame and keeps them
                pass
        return self._images

    def save(self, path, format: str | None = None, *, fps: float | None = None, progress=None):
        """Write GIF / MP4 / HTML / a PNG folder (format from the extension by default)."""
        from ..errors import InputError
        from .export import FORMATS, check_output

        fmt = format or (str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else "png")
        if fmt not in FORMATS:
            raise InputError(
                f"unknown animation format {fmt!r}; choose one of: {', '.join(FORMATS)}"
            )
        check_output(path, fmt)
        fps = fps or self.fps
        if fmt == "mp4" and self._images is None:
            # stream: ffmpeg encodes frame i while frame i + 1 is drawn
            from .export import write_mp4

            def held():
                last = None
                for last in self._stream(progress):
                    yield last
                for _ in range(int(round(self.hold * fps))):
                    yield last

            return write_mp4(held(), path, fps=fps)
        images = self.render(progress=progress)
        return save_frames(images, path, fmt, fps=fps, title=self.caption, hold=self.hold)

    def _stream(self, progress):
        r = FrameRenderer(self.frames, size=self.size, **self.render_kw)
        images = []
        for i in range(len(self.frames)):
            images.append(r.draw(i))
            if progress is not None:
                progress(i + 1, len(self.frames))
            yield images[-1]
        self._images = images

    @property
    def caption(self) -> str:
        m = self.frames.meta
        if m.get("kind") == "layers":
            return f"isotopy: stages {m['stages'][0]}..{m['stages'][-1]} applied gradually"
        return f"isotopy: {m.get('words', 'a representation')} during training"

    def _repr_html_(self) -> str:
        return html_player(self.render(), fps=self.fps)

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        state = "rendered" if self._images is not None else "not rendered"
        return f"Animation({self.frames!r}, fps={self.fps:g}, size={self.size}, {state})"


def animate_layers(net, X, y, *, fps: float = 20, size: int = 480, **frame_kw) -> Animation:
    """:func:`morph_frames` wrapped in an :class:`Animation`."""
    return Animation(morph_frames(net, X, y, **frame_kw), fps=fps, size=size)


def animate_training(
    net, history, X, y, *, fps: float = 20, size: int = 480, **frame_kw
) -> Animation:
    """:func:`training_frames` wrapped in an :class:`Animation`."""
    return Animation(training_frames(net, history, X, y, **frame_kw), fps=fps, size=size)
