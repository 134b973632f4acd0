"""Writing files whole or not at all."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write"]


def atomic_write(path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a hidden temporary name next to ``path``, then rename it onto
    ``path``. If ``write`` fails, the temporary file is removed and ``path`` is untouched."""
    path = Path(path)
    tmp = path.with_name("." + path.name + ".tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
