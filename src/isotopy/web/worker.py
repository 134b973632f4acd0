"""One thread per browser tab: it owns the tab's :class:`Session`, applies its messages in
order, trains while playing, and hands finished JSON text to the event loop.

The loop alternates short training slices with the inbox, so a control (pause, a new
learning rate) waits at most one slice plus one view computation. Training slices and views
take a slot of the server's :class:`~.scheduler.FairGate`, so many tabs take turns; a tab
with a message waiting answers it without waiting for a slot. A ``step`` request is worked
off in slices too, so Pause stops it. View updates are capped at ``max_fps`` and never pile
up: at most ``pipeline`` (2) frames are on their way at once (``frame_sent`` and
``frame_dropped`` count them out), so a slow page gets fewer, fresher frames, and a page that
does not read gets none. The inbox holds at most ``inbox_size`` messages and
``inbox_chars`` characters of them; beyond, a message is refused (the flood's answer).

Animations, GIF / MP4 exports and diagnostics run on a frozen copy of the session in the
server's :class:`~.scheduler.JobPool` of their kind; a job is cancelled when the tab leaves
or changes the data or network. Nothing that goes wrong ends the thread: every exception
becomes an ``error`` message to the tab, and the session keeps answering.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable

import torch

from ..errors import InputError
from .registry import registry
from .scheduler import Cancelled, FairGate, Job, JobPool
from .session import Session

__all__ = ["SessionWorker", "make_pools", "LONG_KINDS", "MAX_FRAME_CHARS"]

log = logging.getLogger("isotopy.web")

# More sessions than this working or waiting at the gate: views are coarser and cheaper
# (Session.coarse), so that every tab keeps a few view updates a second.
CROWDED = 8
MAX_FRAME_CHARS = 1_200_000  # a streamed view update above this is refused (a bug if ever)
# messages after which a running long job is computing something the tab no longer shows
_CHANGES = {"set_data", "upload_csv", "set_network", "reset", "add_point", "remove_point"}
LONG_KINDS = {"animate": "animation", "export": "video export", "diagnostics": "diagnostics"}


def make_pools() -> dict[str, JobPool]:
    """One pool per kind of long job, one thread each: a tab's GIF never waits behind
    another tab's diagnostics."""
    return {kind: JobPool(kind) for kind in LONG_KINDS}


def _is_long(msg) -> bool:
    return msg.type in ("animate", "diagnostics") or (
        msg.type == "export" and msg.what in ("gif", "mp4")
    )


class SessionWorker:
    """Run ``session`` in its own thread.

    Parameters
    ----------
    session : Session
    emit : callable(text: str, is_frame: bool)
        Thread-safe: queue one JSON message for the socket.
    store_download : callable(data: bytes, filename: str, media: str) -> str
        Keep an export in memory and return the URL the page fetches it from; an InputError
        from it (a quota) is sent to the tab as the export's error.
    gate : FairGate, optional
        Shared slots for training slices and views (a private one when not given).
    pools : dict of JobPool, optional
        Shared pools for long jobs, by message type (private ones when not given).
    max_fps : float
        Cap on streamed view updates per second.
    slice_s : float
        Longest training slice.
    check_download : callable(), optional
        Raises InputError when this tab may not export now (its quota); called before a
        GIF / MP4 is rendered.
    inbox_size, inbox_chars : int
        Messages, and characters of their text, that may wait in the inbox.
    """

    def __init__(
        self,
        session: Session,
        emit: Callable[[str, bool], None],
        store_download: Callable[[bytes, str, str], str],
        *,
        gate: FairGate | None = None,
        pools: dict[str, JobPool] | None = None,
        max_fps: float = 30.0,
        slice_s: float = 0.01,
        inbox_size: int = 256,
        inbox_chars: int = 8_000_000,
        pipeline: int = 2,
        check_download: Callable[[], None] | None = None,
    ):
        self.session = session
        self.emit = emit
        self.store_download = store_download
        self.gate = gate or FairGate(1)
        self.pools = pools or make_pools()
        self.min_interval = 1.0 / max_fps
        self.slice_s = slice_s
        self.pipeline = pipeline  # frames that may be on their way at once
        self.inbox: queue.Queue = queue.Queue(maxsize=inbox_size)
        self.inbox_chars, self._queued_chars = inbox_chars, 0
        self.check_download = check_download
        self._stop = threading.Event()
        self._in_flight = 0
        self._lock = threading.Lock()
        self.frames_sent = 0
        self.generation = 0  # bumped when the data or network changes: stale jobs are dropped
        self.jobs: dict[str, Job] = {}
        self._waiter = self.gate.waiter()
        self._dirty, self._last_frame = True, 0.0
        self.thread = threading.Thread(target=self._run, name="isotopy-session", daemon=True)

    # ------------------------------------------------------------------ event-loop side
    def start(self) -> SessionWorker:
        self.thread.start()
        return self

    def submit(self, msg, size: int = 0) -> bool:
        """Queue a validated message of ``size`` characters; False when the inbox is full
        (the page floods)."""
        with self._lock:
            if self._queued_chars + size > self.inbox_chars and self._queued_chars:
                return False
            self._queued_chars += size
        try:
            self.inbox.put_nowait((msg, size))
        except queue.Full:
            with self._lock:
                self._queued_chars -= size
            return False
        self.gate.poke(self._waiter)
        return True

    def frame_sent(self) -> None:
        """A view update was handed to the connection."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            self.frames_sent += 1

    def frame_dropped(self) -> None:
        """A view update waiting to be sent was replaced by a newer one."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.cancel_jobs()
        try:
            self.inbox.put_nowait(None)
        except queue.Full:
            pass
        self.gate.poke(self._waiter)
        if self.thread.is_alive() and threading.current_thread() is not self.thread:
            self.thread.join(timeout)

    def cancel_jobs(self) -> None:
        for pool in self.pools.values():
            pool.cancel(self)

    # ---------------------------------------------------------------------- thread side
    def _send(self, obj: dict, is_frame: bool = False, stream: str | None = None) -> None:
        """Encode and queue one message; anything that cannot be sent becomes an error.
        ``is_frame``: a view update (counted in flight); ``stream``: a streamed message of
        that kind (the live unit views), of which only the newest waits to be sent."""
        try:
            if obj.get("type") == "download":
                obj = dict(obj)
                data = obj.pop("bytes")
                try:
                    obj["url"] = self.store_download(data, obj["filename"], obj["media"])
                    obj["size"] = len(data)
                except InputError as e:  # a quota: the export's error, with its id
                    obj = {
                        "type": "error",
                        "message": str(e),
                        "id": obj.get("id"),
                        "request": "export",
                    }
            text = json.dumps(obj, allow_nan=False, default=_json_default)
        except (TypeError, ValueError, OverflowError) as e:
            log.exception("cannot encode a %s message", obj.get("type"))
            text = json.dumps(
                {
                    "type": "error",
                    "id": obj.get("id"),
                    "request": obj.get("request"),
                    "message": f"the server could not send its {obj.get('type')} "
                    f"reply ({e}); nothing was changed",
                }
            )
            is_frame, stream = False, None
        if is_frame and len(text) > MAX_FRAME_CHARS:
            log.error("view update of %d characters refused", len(text))
            text = json.dumps(
                {
                    "type": "error",
                    "message": f"the view is too large to send "
                    f"({len(text) / 1e6:.1f} MB); choose a smaller network or "
                    f"fewer points",
                }
            )
            is_frame = False
        if is_frame:
            with self._lock:
                self._in_flight += 1
        self.emit(text, stream or is_frame)

    def _report(self, e: BaseException, msg=None) -> None:
        """Tell the tab about an exception that is not bad input (a bug), and carry on."""
        log.error("session error on %s", getattr(msg, "type", "update"), exc_info=e)
        self._send(
            {
                "type": "error",
                "id": getattr(msg, "id", None),
                "request": getattr(msg, "type", None),
                "message": f"internal error ({type(e).__name__}): {e}; the session keeps running",
            }
        )

    def _apply(self, msg) -> None:
        if _is_long(msg):
            return self._apply_long(msg)
        if self._reply(self.session, msg) and msg.type in _CHANGES:
            self.generation += 1
            self.cancel_jobs()

    def _apply_long(self, msg) -> None:
        """Queue an animation, a GIF / MP4 or diagnostics on a frozen copy in the pool of
        its kind; this session keeps training and answering controls meanwhile."""
        if msg.type == "export":
            from .animation import check_export_size

            check_export_size(msg.frames, msg.size)  # refused before any work
            if self.check_download is not None:
                self.check_download()  # this tab's or the server's export quota
        pool = self.pools[msg.type]
        pool.cancel(self)  # a new request of the same kind replaces the old one
        frozen = self.session.freeze()
        generation = self.generation

        def run(job: Job):
            frozen.progress = job.check
            return frozen.handle(msg)

        def done(result, error):
            if self._stop.is_set():
                return
            if isinstance(error, Cancelled) or (error is None and generation != self.generation):
                self._send(
                    {
                        "type": "cancelled",
                        "id": msg.id,
                        "request": msg.type,
                        "message": f"the {LONG_KINDS[msg.type]} was cancelled: the data "
                        f"or network changed",
                    }
                )
            elif isinstance(error, InputError):
                self._send(
                    {"type": "error", "message": str(error), "id": msg.id, "request": msg.type}
                )
            elif error is not None:
                self._report(error, msg)
            else:
                for r in result:
                    self._send(r)

        job = pool.submit(Job(self, msg.type, run, done))
        ahead = pool.position(job)
        if ahead:
            self._send({"type": "queued", "id": msg.id, "request": msg.type, "ahead": ahead})

    def _reply(self, session, msg) -> bool:
        """Apply ``msg`` and send its replies; False when it was refused."""
        ok = True
        try:
            replies = session.handle(msg)
        except InputError as e:
            replies = [
                {"type": "error", "message": str(e), "id": msg.id, "request": msg.type},
                self.session.status(),
            ]
            ok = False
        if self._stop.is_set():
            return ok
        for r in replies:
            self._send(r)
        return ok

    def _run(self) -> None:
        torch.set_num_threads(1)
        s = self.session
        try:
            self._send({"type": "registry", **registry()})
            for m in (s.data_message(), s.network_message(), s.status()):
                self._send(m)
        except Exception:  # pragma: no cover - the socket went away at once
            log.exception("session start failed")
            return
        while not self._stop.is_set():
            msg = None
            try:
                msg = self._next_message()
                if msg is None and self._stop.is_set():
                    break
                if msg is not None:
                    self._apply(msg)
                    self._dirty = True
                    if not self.inbox.empty():
                        continue
                self._work()
            except InputError as e:  # refused before any work (e.g. an export too large)
                self._send(
                    {
                        "type": "error",
                        "message": str(e),
                        "id": getattr(msg, "id", None),
                        "request": getattr(msg, "type", None),
                    }
                )
            except Exception as e:  # a bug: report it to the tab and keep serving
                s.playing, s.steps_left = False, 0
                self._dirty = False
                self._report(e, msg)
                try:
                    self._send(s.status())
                except Exception:  # pragma: no cover
                    log.exception("status after an error")

    def _next_message(self):
        s = self.session
        due = self._last_frame + self.min_interval - time.perf_counter()
        if s.busy:
            timeout = 0.0
        elif self._dirty:
            timeout = max(due, 0.0) + 0.001
        else:
            timeout = 0.5
        try:
            item = self.inbox.get(timeout=timeout) if timeout > 0 else self.inbox.get_nowait()
        except queue.Empty:
            return None
        if item is None:  # stop() wakes the thread
            return None
        msg, size = item
        with self._lock:
            self._queued_chars -= size
        return msg

    def _frame_due(self) -> bool:
        with self._lock:
            free = self._in_flight < self.pipeline
        return self._dirty and free and time.perf_counter() - self._last_frame >= self.min_interval

    def _work(self) -> None:
        """Under a slot of the gate: a training slice (when busy) and a view (when due)."""
        s = self.session
        if not (s.busy or self._frame_due()):
            return
        waiting = self.inbox.qsize
        if not self.gate.acquire(self._waiter, interrupt=lambda: waiting() > 0):
            return  # a message arrived (or a long wait): answer it first
        try:
            if s.busy:
                due = self._last_frame + self.min_interval - time.perf_counter()
                budget = min(self.gate.share(self.slice_s), max(due, 0.002))
                try:
                    replies = s.advance(budget, interrupt=lambda: waiting() > 0)
                except InputError as e:
                    replies = [{"type": "error", "message": str(e), "request": "train"}, s.status()]
                for r in replies:
                    self._send(r)
                self._dirty = True
            if self._frame_due():
                started = time.perf_counter()
                s.coarse = self.gate.demand() > CROWDED
                try:
                    frame = s.frame()
                finally:
                    self._dirty = False
                self._send(frame, True)
                self._last_frame = started
                units = s.live_unit_views()  # while the page streams the unit views
                if units is not None:
                    self._send(units, stream="unit_views")
        finally:
            self.gate.release()


def _json_default(o):
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"cannot send {type(o).__name__} to the page")
