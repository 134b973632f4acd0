"""Running a sweep into a folder, resumably.

Folder layout (every file written under a temporary name and renamed into place):

    sweep.json               the grid (what decides the table) and the chunk list
    chunks/<id>.parquet      one finished chunk: one row per network
    results.csv, results.parquet   the tidy table, one row per network, in grid order
    accuracy_vs_width.png    accuracy against width with the spread over seeds

A chunk file exists only once its chunk has finished, so after a crash or Ctrl-C rerunning
the same sweep skips the finished chunks and ends with the same table. A folder holding a
different grid is refused before anything is written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from ..errors import InputError, lookup
from ..files import atomic_write
from ..train import resolve_device
from ..train.config import DEVICE
from .executors import EXECUTORS
from .grid import SweepGrid, grid_chunks

__all__ = ["run_sweep", "load_results", "check_sweep_folder", "MANIFEST"]

MANIFEST = "sweep.json"
FORMAT = 1


def check_sweep_folder(out, grid: SweepGrid) -> bool:
    """Whether ``out`` holds this grid's earlier (maybe partial) sweep; raise InputError if it
    cannot be used. Returns False for a new or empty folder."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"output folder {str(out)!r} exists and is a file")
    if not out.is_dir() or not any(out.iterdir()):
        for parent in [out.parent, *out.parent.parents]:
            if parent.exists():
                if not parent.is_dir() or not os.access(parent, os.W_OK):
                    raise InputError(
                        f"cannot create output folder {str(out)!r}: "
                        f"{str(parent)!r} is not a writable folder"
                    )
                break
        return False
    manifest = out / MANIFEST
    if not manifest.is_file():
        raise InputError(
            f"output folder {str(out)!r} is not empty and holds no sweep; choose a new folder"
        )
    try:
        old = json.loads(manifest.read_text())["grid"]
    except (OSError, ValueError, KeyError, TypeError):
        raise InputError(f"{str(manifest)!r} is damaged; choose a new folder") from None
    if old != grid.to_dict():
        diff = sorted(
            k for k in set(old) | set(grid.to_dict()) if old.get(k) != grid.to_dict().get(k)
        )
        raise InputError(
            f"output folder {str(out)!r} holds results of a different sweep grid "
            f"(it differs in {', '.join(diff)}); choose a new folder or rerun "
            "the same grid to resume"
        )
    if not os.access(out, os.W_OK):
        raise InputError(f"output folder {str(out)!r} is not writable")
    return True


def run_sweep(
    grid: SweepGrid,
    out,
    *,
    executor: str = "local",
    workers: int = 1,
    ray_address: str | None = None,
    plot: bool = True,
    progress: Callable[[int, int], None] | None = None,
    compile: bool | None = None,
    device=DEVICE,
):
    """Train every network of ``grid`` and write the results table into ``out``.

    Parameters
    ----------
    grid : SweepGrid
    out : path
        Output folder (created; an earlier run of the same grid there is resumed).
    executor : {"local", "ray"}
    workers : int
        Processes of the local executor.
    ray_address : str, optional
        ``"auto"`` or ``"HOST:PORT"`` of a Ray cluster (the ray executor); None starts a
        local Ray instance (or uses the one this process started).
    plot : bool
        Also write accuracy_vs_width.png.
    progress : callable, optional
        ``progress(networks_done, networks_total)``, also for skipped chunks.
    compile : bool or None
        Passed to :func:`isotopy.fit` for every chunk (``compile=True``: compiled training,
        worth it for large chunks; None: fit's own rule). Not part of the grid: a sweep may
        be resumed with another setting (its chunks then differ at float level, see
        ``docs/sweeps.md``).
    device : str or torch.device
        Where every chunk trains: "cpu" (default), "cuda", "cuda:N", "mps" or "auto"; a
        device this machine does not have is refused (InputError) before anything is
        written. Not part of the grid either: results agree across devices to float
        tolerance, not bit for bit.

    Returns
    -------
    pandas.DataFrame
        The results table, one row per network, in grid order.
    """
    import pandas as pd

    run = lookup(EXECUTORS, executor, "executor")
    device = str(resolve_device(device))  # refused before anything is written
    out = Path(out)
    resuming = check_sweep_folder(out, grid)
    if executor == "ray" and ray_address not in (None, "auto"):
        from .executors import check_reachable

        check_reachable(ray_address)  # before anything is written
    created = not out.exists()
    chunks = grid_chunks(grid)
    total = sum(len(c["seeds"]) for c in chunks)
    chunk_dir = out / "chunks"
    chunk_dir.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format": FORMAT,
        "grid": grid.to_dict(),
        "chunks": [c["id"] for c in chunks],
        "networks": total,
    }
    atomic_write(
        out / MANIFEST,
        lambda p: p.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n"),
    )
    todo = [
        {**c, "compile": compile, "device": device}
        for c in chunks
        if not (chunk_dir / f"{c['id']}.parquet").is_file()
    ]
    state = {"done": total - sum(len(c["seeds"]) for c in todo)}
    if progress is not None:
        progress(state["done"], total)

    def on_result(spec, rows):
        frame = pd.DataFrame(rows)
        atomic_write(
            chunk_dir / f"{spec['id']}.parquet", lambda p: frame.to_parquet(p, index=False)
        )
        state["done"] += len(rows)
        if progress is not None:
            progress(state["done"], total)

    if todo:
        opts = {"workers": workers} if executor == "local" else {"address": ray_address}
        try:
            run(todo, on_result, **opts)
        except InputError:
            if not resuming and state["done"] == 0:  # nothing finished: leave no trace
                (out / MANIFEST).unlink(missing_ok=True)
                _rmdir_quiet(chunk_dir)
                if created:
                    _rmdir_quiet(out)
            raise
    table = load_results(out, _chunks=chunks)
    atomic_write(out / "results.csv", lambda p: table.to_csv(p, index=False))
    atomic_write(out / "results.parquet", lambda p: table.to_parquet(p, index=False))
    if plot:
        from ..render.sweep import plot_accuracy_vs_width

        fig = plot_accuracy_vs_width(table)
        atomic_write(out / "accuracy_vs_width.png", lambda p: fig.savefig(p, dpi=110, format="png"))
        import matplotlib.pyplot as plt

        plt.close(fig)
    return table


def _rmdir_quiet(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass


def load_results(out, *, _chunks=None):
    """The results table of a sweep folder, from its chunk files, in grid order.

    Raises InputError when the folder is not a sweep or a chunk is missing (unfinished).
    """
    import pandas as pd

    out = Path(out)
    if not (out / MANIFEST).is_file():
        raise InputError(f"{str(out)!r} is not a sweep folder (no {MANIFEST})")
    ids = (
        [c["id"] for c in _chunks]
        if _chunks is not None
        else json.loads((out / MANIFEST).read_text())["chunks"]
    )
    missing = [i for i in ids if not (out / "chunks" / f"{i}.parquet").is_file()]
    if missing:
        raise InputError(
            f"sweep in {str(out)!r} is unfinished: {len(missing)} of {len(ids)} "
            "chunks missing; rerun the same command to finish it"
        )
    frames = [pd.read_parquet(out / "chunks" / f"{i}.parquet") for i in ids]
    table = pd.concat(frames, ignore_index=True)
    params = sorted(c for c in table.columns if c.startswith("param_"))
    front = ["dataset", *params]
    return table[front + [c for c in table.columns if c not in front]]
