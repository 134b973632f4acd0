"""Sweeps: grids of tiny networks trained in batches, with resumable results tables.

``run_sweep(SweepGrid(...), out)`` trains every network of the grid (chunks of networks of
one cell train as one batched ``fit``), writes a tidy table (CSV + Parquet) and a plot of
accuracy against width; ``EXECUTORS`` holds the local and the Ray executor.
"""

from .chunk import dense_grid, run_chunk
from .executors import EXECUTORS
from .grid import SweepGrid, grid_cells, grid_chunks
from .run import check_sweep_folder, load_results, run_sweep
from .summary import summarize

__all__ = [
    "SweepGrid",
    "grid_cells",
    "grid_chunks",
    "run_chunk",
    "dense_grid",
    "EXECUTORS",
    "run_sweep",
    "load_results",
    "check_sweep_folder",
    "summarize",
]
