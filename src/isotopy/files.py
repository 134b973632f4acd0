"""Writing files and folders whole or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import InputError

__all__ = ["atomic_write", "atomic_dir"]


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


class atomic_dir:
    """Context manager: build a folder under a temporary name, move it to ``target`` on success.

    ``target`` may not be an existing file; an existing folder must be empty or satisfy
    ``replace_if(path)`` (e.g. "is an old run"); it is replaced only once the new one is
    complete. On any error the temporary folder is removed and ``target`` is untouched.
    """

    def __init__(self, target, *, replace_if=None, what: str = "output folder"):
        self.target = Path(target)
        self.replace_if = replace_if
        self.what = what

    def check(self) -> None:
        """Raise InputError now if the target could not be written (call before long work)."""
        t = self.target
        if t.exists() and not t.is_dir():
            raise InputError(f"{self.what} {str(t)!r} exists and is a file, not a folder")
        if t.is_dir() and any(t.iterdir()) and not (self.replace_if and self.replace_if(t)):
            raise InputError(
                f"{self.what} {str(t)!r} exists and is not empty; choose a new path or remove it"
            )
        for parent in [t.parent, *t.parent.parents]:
            if parent.exists():
                if not parent.is_dir():
                    raise InputError(
                        f"cannot create {self.what} {str(t)!r}: {str(parent)!r} is a file"
                    )
                if not os.access(parent, os.W_OK):
                    raise InputError(
                        f"cannot create {self.what} {str(t)!r}: {str(parent)!r} is not writable"
                    )
                break

    def __enter__(self) -> Path:
        self.check()
        t = self.target
        parent = t.parent if str(t.parent) else Path(".")
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{t.name}.tmp-", dir=parent))
        except OSError as e:
            raise InputError(f"cannot create {self.what} {str(t)!r}: {e.strerror}") from None
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return False
        old = None
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}")
            os.replace(self.target, old)
        os.replace(self.tmp, self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return False
