"""Writing files and folders whole or not at all, never through a symbolic link.

Every file and folder the project writes (run folders, reports, exports, the explorer's
export copies) goes through the two writers here:

- :func:`atomic_write` writes one file under a temporary name and renames it into place;
- :class:`atomic_dir` builds a folder under a temporary name and renames it into place.

A temporary name is ``.<name>.<16 random hex digits>.tmp`` in the target's own folder (so
that the rename stays on one file system), created with ``O_CREAT | O_EXCL | O_NOFOLLOW``
(a folder: ``mkdir``, which never follows a link either): a name that is already taken, by a
file, a folder or a symbolic link someone planted there, is skipped, never opened. Content
given as bytes or text is written through the descriptor of that new file; a writer that
needs a file name gets the name, and afterwards the name must still be the file created
(same device and inode, not a link), else nothing is renamed. The rename (``os.replace``)
replaces a link at the target by the new file and never writes through it.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import stat
import threading
from collections.abc import Callable
from pathlib import Path

from .errors import InputError

__all__ = ["atomic_write", "atomic_dir"]

_TRIES = 100  # temporary names tried before giving up (each is 64 random bits)


def _token() -> str:
    """The random part of a temporary name (tests replace it to plant links in its way)."""
    return secrets.token_hex(8)


_umask_lock = threading.Lock()


def _umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _umask_lock:  # elsewhere: set and restore (the lock keeps our threads consistent)
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _temp_file(folder: Path, name: str, suffix: str) -> tuple[Path, int]:
    """A new, empty file of a random name in ``folder``, and its open descriptor."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(_TRIES):
        tmp = folder / f".{name}.{_token()}{suffix or '.tmp'}"
        try:
            return tmp, os.open(tmp, flags, 0o666)  # the umask applies, as for any file
        except FileExistsError:
            continue
        except OSError as e:
            raise InputError(f"cannot write {str(folder / name)!r}: {e.strerror}") from None
    raise InputError(f"cannot find a free temporary name for {str(folder / name)!r}")


def _same_file(path: Path, fd: int) -> bool:
    """Whether ``path`` is (still) the regular file open as ``fd``, not a link to it."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    mine = os.fstat(fd)
    return stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _link_new(tmp: Path, path: Path) -> None:
    """Give the finished ``tmp`` the name ``path`` only if that name is free (a link there
    counts as taken); FileExistsError otherwise."""
    try:
        os.link(tmp, path, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.EXDEV):
            raise
        # a file system without hard links: claim the name exclusively, then rename over it
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        os.close(os.open(path, flags, 0o600))
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def atomic_write(
    path,
    write: Callable[[Path], None] | bytes | str,
    *,
    exclusive: bool = False,
    suffix: str = "",
) -> Path:
    """Write the file ``path`` whole or not at all.

    Parameters
    ----------
    path : path
        The file to write; its folder must exist. A symbolic link there is replaced by the
        new file, never written through.
    write : callable(tmp: Path) or bytes or str
        Bytes or text (UTF-8) are written through the descriptor of the new temporary
        file; a callable is called with its name and must write the whole file there.
    exclusive : bool
        Never replace anything: FileExistsError when ``path`` exists (even as a link).
    suffix : str
        End of the temporary name, for writers that read the format from it (``".mp4"``).

    Returns the path. If writing fails, the temporary file is removed and ``path`` is
    untouched.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    tmp, fd = _temp_file(folder, path.name, suffix)
    committed = False
    try:
        if isinstance(write, str):
            write = write.encode("utf-8")
        if isinstance(write, (bytes, bytearray, memoryview)):
            _write_all(fd, bytes(write))
        else:
            write(tmp)
        if not _same_file(tmp, fd):
            raise InputError(
                f"the temporary file for {str(path)!r} was replaced while it was written; "
                f"nothing was written"
            )
        if exclusive:
            _link_new(tmp, path)
        else:
            os.replace(tmp, path)
        committed = True
    finally:
        os.close(fd)
        if not committed:
            try:  # remove our file only: a link or folder put in its place stays untouched
                if stat.S_ISREG(os.lstat(tmp).st_mode):
                    os.unlink(tmp)
            except OSError:
                pass
    return path


def _temp_dir(folder: Path, name: str, kind: str) -> Path:
    """A new, empty, private (0700) folder of a random name in ``folder``."""
    for _ in range(_TRIES):
        tmp = folder / f".{name}.{_token()}.{kind}"
        try:
            os.mkdir(tmp, 0o700)
            return tmp
        except FileExistsError:
            continue
    raise InputError(f"cannot find a free temporary name for {str(folder / name)!r}")


def _open_mode(path: Path, mode: int) -> None:
    """Set the mode of the folder ``path`` through a descriptor (never through a link)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0))
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


class atomic_dir:
    """Context manager: build a folder under a temporary name, move it to ``target`` on success.

    ``target`` may not be an existing file or a symbolic link; an existing folder must be
    empty or satisfy ``replace_if(path)`` (e.g. "is an old run"); it is replaced only once
    the new one is complete. On any error the temporary folder is removed and ``target`` is
    untouched. The folder is built private (mode 0700) and gets the usual mode (0777 less
    the umask) when it is moved into place.
    """

    def __init__(self, target, *, replace_if=None, what: str = "output folder"):
        self.target = Path(target)
        self.replace_if = replace_if
        self.what = what

    def check(self) -> None:
        """Raise InputError now if the target could not be written (call before long work)."""
        t = self.target
        if t.is_symlink():
            raise InputError(
                f"{self.what} {str(t)!r} is a symbolic link; give the folder itself or a new path"
            )
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
        self.parent = t.parent if str(t.parent) else Path(".")
        try:
            self.parent.mkdir(parents=True, exist_ok=True)
            self.tmp = _temp_dir(self.parent, t.name, "tmp")
        except OSError as e:
            raise InputError(f"cannot create {self.what} {str(t)!r}: {e.strerror}") from None
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return False
        try:
            _open_mode(self.tmp, 0o777 & ~_umask())
            old = None
            if os.path.lexists(self.target):
                if self.target.is_symlink() or not self.target.is_dir():
                    raise InputError(
                        f"{self.what} {str(self.target)!r} was replaced by a file or a link "
                        f"while it was written; the new one was not moved there"
                    )
                # the old folder is renamed over an empty folder of a new random name
                old = _temp_dir(self.parent, self.target.name, "old")
                os.replace(self.target, old)
            os.replace(self.tmp, self.target)
        except BaseException:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)  # never follows links (fd-based walk)
        return False
