"""Read back an animated GIF: its size, frame count, length and how long the end is held."""

from __future__ import annotations


def read_gif(path) -> dict:
    """``size`` (w, h), ``frames``, ``seconds`` (one loop), ``last_held_s`` (how much longer
    the last frame stays than the first: the hold the writer added)."""
    from PIL import Image

    with Image.open(path) as im:
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
        size = im.size
    return {
        "size": size,
        "frames": len(durations),
        "seconds": sum(durations) / 1000,
        "last_held_s": (durations[-1] - durations[0]) / 1000,
    }
