"""How the explorer sends views: arrays as base64 and the size of streamed grids.

Shared by the session and the animation jobs (neither imports the other for these).
"""

from __future__ import annotations

import base64

import numpy as np

__all__ = ["GRID_SAMPLES", "MAX_GRID_VERTICES", "encode", "grid_plan"]

GRID_SAMPLES = 40  # vertices per grid line in streamed views (enough to show the bending)
MAX_GRID_VERTICES = 20_000  # per view, any dimension: keeps a view update well under 1 MB


def encode(arr, dtype=np.float32) -> dict:
    """An array as {"shape", "dtype", "b64"} (little-endian), decoded by the page into a typed
    array without parsing numbers one by one."""
    a = np.ascontiguousarray(np.asarray(arr, dtype=dtype))
    return {
        "shape": list(a.shape),
        "dtype": np.dtype(dtype).name,
        "b64": base64.b64encode(a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()).decode(
            "ascii"
        ),
    }


def grid_plan(
    d: int, samples: int = GRID_SAMPLES, max_vertices: int = MAX_GRID_VERTICES
) -> tuple[int, int]:
    """Grid lines per axis and vertices per line for a d-dimensional input box, such that
    the grid (d · lines^(d-1) polylines of ``samples`` vertices) has at most ``max_vertices``
    vertices: 17 lines in 2-D, 5 in 3-D and 4-D, fewer above (down to the box's edges, 2),
    then fewer vertices per line (at least 2)."""
    lines = {1: 1, 2: 17}.get(d, 5)

    def n_lines(k: int) -> int:
        return 1 if d == 1 else d * k ** (d - 1)

    while lines > 2 and n_lines(lines) * samples > max_vertices:
        lines -= 1
    samples = max(2, min(samples, max_vertices // n_lines(lines)))
    return lines, samples
