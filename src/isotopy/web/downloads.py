"""Exports held for download, tab by tab, within quotas; and their copies in the export folder.

Each tab's exports (GIF, MP4, weights, data) are kept in memory under random tokens until
the page fetches them. Quotas (:class:`ExportQuota`) bound what one tab and the whole server
may hold and write:

- **In memory**, per tab: a few files and bytes; a new export drops that tab's oldest ones
  first, never another tab's. Per server: a total in bytes; an export that does not fit
  even after dropping its own tab's older ones is refused with one sentence. Downloads are
  dropped when their tab closes, or ``keep_s`` after they were made.
- **In the export folder** (``isotopy serve --export-dir``), per tab and per server run:
  files and bytes written. Once over, the tab's exports are refused with one sentence before
  any rendering; files already in the folder are never removed or replaced.

Copies are named by the server (date-time, a counter, the server-made file name) and
written by :func:`isotopy.files.atomic_write` with ``exclusive=True``: a random temporary
name created exclusively, never through a symbolic link, then given its final name only if
that name is free.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..files import atomic_write

__all__ = ["ExportQuota", "DownloadStore", "TabDownloads"]

MiB = 2**20
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class ExportQuota:
    """What one tab and the whole server may hold in memory and write to the export folder."""

    # the page fetches each download as soon as it is told of it: a tab needs one or two;
    # eight leave room for a few exports in a row
    tab_files: int = 8
    # one export of any size the explorer allows fits (a GIF of 240 frames at 480 px is
    # 5-15 MB; the render cap of 180 MB of raw frames is ~60 MB as 8-bit GIF before LZW)
    tab_bytes: int = 64 * MiB
    # all tabs' downloads together: four tabs at their full quota
    server_bytes: int = 256 * MiB
    # a download not fetched within ten minutes is dropped (the page fetches at once)
    keep_s: float = 600.0
    # --export-dir copies one tab may write: far more than a lesson's worth of GIFs, far
    # fewer than a script in a loop (876 files in 26 s, as measured)
    folder_tab_files: int = 100
    folder_tab_bytes: int = 512 * MiB
    # copies this server run may write in all (64 tabs cannot fill a disk)
    folder_server_files: int = 1000
    folder_server_bytes: int = 4096 * MiB


@dataclass
class TabDownloads:
    """One tab's part of the store: its tokens (oldest first) and what it has written."""

    id: int
    tokens: OrderedDict = field(default_factory=OrderedDict)  # token -> size in bytes
    bytes: int = 0
    folder_files: int = 0
    folder_bytes: int = 0
    closed: bool = False

    def __repr__(self) -> str:
        return (
            f"TabDownloads({self.id}, {len(self.tokens)} held, {self.bytes / MiB:.1f} MB; "
            f"{self.folder_files} copies, {self.folder_bytes / MiB:.1f} MB)"
        )


def _mb(n: int) -> str:
    if n < MiB:
        return f"{n / 1024:.0f} KB"
    return f"{n / MiB:.0f} MB" if n >= 10 * MiB else f"{n / MiB:.1f} MB"


class DownloadStore:
    """Exports in memory under random tokens, tab by tab, within an :class:`ExportQuota`.

    Parameters
    ----------
    export_dir : path, optional
        A folder that also receives a copy of every export.
    quota : ExportQuota
    now : callable() -> float
        The clock (seconds); tests give their own.
    """

    def __init__(
        self,
        *,
        export_dir: Path | None = None,
        quota: ExportQuota = ExportQuota(),
        now=time.time,
    ):
        self.export_dir = Path(export_dir) if export_dir is not None else None
        self.quota = quota
        self.now = now
        self.lock = threading.Lock()
        self.items: dict[str, tuple[bytes, str, str, float, TabDownloads]] = {}
        self.total = 0  # bytes held in memory, all tabs
        self.count = 0  # copies claimed in the export folder by this run
        self.folder_files = 0
        self.folder_bytes = 0
        self._tab_ids = 0

    def tab(self) -> TabDownloads:
        """A new tab's part of the store."""
        with self.lock:
            self._tab_ids += 1
            return TabDownloads(self._tab_ids)

    # --------------------------------------------------------------------------- quotas
    def _folder_refusal(self, tab: TabDownloads, size: int = 0) -> str | None:
        if self.export_dir is None:
            return None
        q = self.quota
        tab_full = tab.folder_bytes + size > q.folder_tab_bytes
        if tab.folder_files + 1 > q.folder_tab_files or tab_full:
            return (
                f"this tab has used its export quota: it wrote {tab.folder_files} files "
                f"({_mb(tab.folder_bytes)}) to the export folder, and a tab may write "
                f"{q.folder_tab_files} files or {_mb(q.folder_tab_bytes)}; open the explorer "
                f"in a new tab to export more"
            )
        if self.folder_files + 1 > q.folder_server_files or (
            self.folder_bytes + size > q.folder_server_bytes
        ):
            return (
                f"the server has used its export quota: it wrote {self.folder_files} files "
                f"({_mb(self.folder_bytes)}) to the export folder in this run, and may write "
                f"{q.folder_server_files} files or {_mb(q.folder_server_bytes)}; restart "
                f"'isotopy serve' to export more"
            )
        return None

    def check(self, tab: TabDownloads) -> None:
        """Raise InputError now (before any rendering) if ``tab`` may not export."""
        with self.lock:
            why = self._folder_refusal(tab)
        if why:
            raise InputError(why)

    def _drop(self, token: str) -> None:
        item = self.items.pop(token, None)
        if item is not None:
            tab = item[4]
            tab.bytes -= len(item[0])
            tab.tokens.pop(token, None)
            self.total -= len(item[0])

    def _expire(self) -> None:
        old = self.now() - self.quota.keep_s
        for token in [t for t, v in self.items.items() if v[3] < old]:
            self._drop(token)

    # ---------------------------------------------------------------------------- store
    def put(self, tab: TabDownloads, data: bytes, filename: str, media: str) -> str:
        """Keep ``data`` for ``tab`` (and copy it to the export folder); the URL to fetch it.

        Raises InputError, with one sentence, when a quota refuses it."""
        q, size = self.quota, len(data)
        filename = _SAFE_NAME.sub("_", filename)[:100]
        if size > q.tab_bytes:
            raise InputError(
                f"this export is {_mb(size)}, more than the {_mb(q.tab_bytes)} a tab may "
                f"hold for download; choose fewer frames or a smaller size"
            )
        token = secrets.token_urlsafe(24)
        with self.lock:
            if tab.closed:
                raise InputError("the tab was closed")
            self._expire()
            why = self._folder_refusal(tab, size)
            if why:
                raise InputError(why)
            # this tab's oldest downloads make room first, then the server's limit applies
            while tab.tokens and (
                len(tab.tokens) >= q.tab_files
                or tab.bytes + size > q.tab_bytes
                or self.total + size > q.server_bytes
            ):
                self._drop(next(iter(tab.tokens)))
            if self.total + size > q.server_bytes:
                raise InputError(
                    f"the server already holds {_mb(self.total)} of other tabs' downloads "
                    f"and may hold {_mb(q.server_bytes)}; this export of {_mb(size)} does "
                    f"not fit: try again once they have been fetched (downloads are kept "
                    f"{q.keep_s / 60:.0f} minutes at most)"
                )
            self.items[token] = (data, filename, media, self.now(), tab)
            tab.tokens[token] = size
            tab.bytes += size
            self.total += size
            if self.export_dir is not None:  # reserve the copy under the lock
                self.count += 1
                n = self.count
                tab.folder_files += 1
                tab.folder_bytes += size
                self.folder_files += 1
                self.folder_bytes += size
        if self.export_dir is not None:
            try:
                self._write_copy(data, filename, n)
            except (InputError, OSError) as e:
                with self.lock:
                    self._drop(token)
                    tab.folder_files -= 1
                    tab.folder_bytes -= size
                    self.folder_files -= 1
                    self.folder_bytes -= size
                why = e.strerror if isinstance(e, OSError) else str(e)
                raise InputError(
                    f"the export could not be copied to the export folder: {why}"
                ) from None
        return f"/download/{token}"

    def _copy_name(self, n: int, filename: str, extra: int) -> str:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self.now()))
        return f"{stamp}-{n:04d}{'-' + str(extra) if extra else ''}-{filename}"

    def _write_copy(self, data: bytes, filename: str, n: int) -> Path:
        for extra in range(1000):
            target = self.export_dir / self._copy_name(n, filename, extra)
            try:  # a name already taken (a file, a folder, a link) is never replaced
                return atomic_write(target, data, exclusive=True)
            except FileExistsError:
                continue
        raise InputError(f"no free file name for {filename!r} in the export folder")

    def get(self, token: str):
        """(data, filename, media, time) of a download, or None."""
        if not _TOKEN.match(token):
            return None
        with self.lock:
            self._expire()
            item = self.items.get(token)
        return None if item is None else item[:4]

    def close(self, tab: TabDownloads) -> None:
        """Drop every download of a tab that left."""
        with self.lock:
            tab.closed = True
            for token in list(tab.tokens):
                self._drop(token)

    def __repr__(self) -> str:
        return (
            f"DownloadStore({len(self.items)} held, {_mb(self.total)}; "
            f"{self.folder_files} copies, {_mb(self.folder_bytes)} in "
            f"{self.export_dir or 'no export folder'})"
        )
