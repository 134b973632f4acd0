"""Progress bars for the CLI layer only (the library takes a ``progress`` callback)."""

from __future__ import annotations

import contextlib
import sys


@contextlib.contextmanager
def progress_bar(total: int, desc: str, *, unit: str = "step"):
    """Yield a ``progress(done, total)`` callback drawing a tqdm bar on stderr."""
    from tqdm import tqdm

    bar = tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        leave=False,
        dynamic_ncols=True,
        mininterval=0.2,
    )
    state = {"done": 0}

    def update(done, total_=None):
        if total_ is not None and total_ != bar.total:
            bar.total = total_
        bar.update(done - state["done"])
        state["done"] = done

    try:
        yield update
    finally:
        bar.close()
