"""One thread per browser tab: it owns the tab's :class:`Session`, applies its messages in
order, trains while playing, and hands finished JSON text to the event loop.

The loop alternates short training slices (about 10 ms) with the inbox, so a control (pause,
a new learning rate) waits at most one slice plus one view computation. View updates are
capped at ``max_fps`` and never pile up: at most ``pipeline`` (2) frames are on their way at
once (``frame_sent`` counts them out), so a slow page gets fewer, fresher frames.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import torch

from ..errors import InputError
from .session import Session, registry

__all__ = ["SessionWorker"]

log = logging.getLogger("isotopy.web")


class SessionWorker:
    """Run ``session`` in its own thread.

    Parameters
    ----------
    session : Session
    emit : callable(text: str, is_frame: bool)
        Thread-safe: queue one JSON message for the socket.
    store_download : callable(data: bytes, filename: str, media: str) -> str
        Keep an export in memory and return the URL the page fetches it from.
    max_fps : float
        Cap on streamed view updates per second.
    slice_s : float
        Length of one training slice.
    """

    def __init__(self, session: Session, emit: Callable[[str, bool], None],
                 store_download: Callable[[bytes, str, str], str], *, max_fps: float = 30.0,
                 slice_s: float = 0.01, inbox_size: int = 256, pipeline: int = 2):
        self.session = session
        self.emit = emit
        self.store_download = store_download
        self.min_interval = 1.0 / max_fps
        self.slice_s = slice_s
        self.pipeline = pipeline  # frames that may be on their way at once
        self.inbox: queue.Queue = queue.Queue(maxsize=inbox_size)
        self._stop = threading.Event()
        self._in_flight = 0
        self._lock = threading.Lock()
        self.frames_sent = 0
        self._long_job = None
        self._long_kind = "request"  # what the running long job is, for the busy error
        self.thread = threading.Thread(target=self._run, name="isotopy-session", daemon=True)

    # ------------------------------------------------------------------ event-loop side
    def start(self) -> SessionWorker:
        self.thread.start()
        return self

    def submit(self, msg) -> bool:
        """Queue a validated message; False when the inbox is full (the page floods)."""
        try:
            self.inbox.put_nowait(msg)
            return True
        except queue.Full:
            return False

    def frame_sent(self) -> None:
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            self.frames_sent += 1

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        try:
            self.inbox.put_nowait(None)
        except queue.Full:
            pass
        if self.thread.is_alive() and threading.current_thread() is not self.thread:
            self.thread.join(timeout)

    # ---------------------------------------------------------------------- thread side
    def _send(self, obj: dict, is_frame: bool = False) -> None:
        if obj.get("type") == "download":
            obj = dict(obj)
            data = obj.pop("bytes")
            obj["url"] = self.store_download(data, obj["filename"], obj["media"])
            obj["size"] = len(data)
        self.emit(json.dumps(obj, allow_nan=False, default=_json_default), is_frame)

    def _apply(self, msg) -> None:
        if _is_long(msg):
            return self._apply_long(msg)
        self._reply(self.session, msg)

    def _apply_long(self, msg) -> None:
        """Animations, GIF / MP4 and diagnostics (Betti numbers) run on a frozen copy in the
        shared pool, so that this session keeps training and answering controls meanwhile
        (one such job at a time)."""
        if self._long_job is not None and not self._long_job.done():
            self._send({"type": "error", "id": msg.id, "request": msg.type,
                        "message": f"still working on the previous {self._long_kind}; try "
                                   "again when it is done"})
            return
        frozen = self.session.freeze()
        self._long_kind = {"animate": "animation", "export": "video export"}.get(msg.type,
                                                                                 msg.type)
        self._long_job = _POOL.submit(self._reply, frozen, msg)

    def _reply(self, session, msg) -> None:
        try:
            replies = session.handle(msg)
        except InputError as e:
            replies = [{"type": "error", "message": str(e), "id": msg.id,
                        "request": msg.type}, self.session.status()]
            if session is not self.session:
                replies.pop()
        except Exception as e:  # a bug: say so, keep the session alive
            log.exception("session error on %s", msg.type)
            replies = [{"type": "error", "message": f"internal error ({type(e).__name__}): "
                        f"{e}", "id": msg.id, "request": msg.type}]
        if self._stop.is_set():
            return
        for r in replies:
            self._send(r)

    def _run(self) -> None:
        torch.set_num_threads(1)
        s = self.session
        try:
            self._send({"type": "registry", **registry()})
            for m in (s.data_message(), s.network_message(), s.status()):
                self._send(m)
        except Exception:  # pragma: no cover - the socket went away at once
            return
        dirty, last_frame = True, 0.0
        while not self._stop.is_set():
            now = time.perf_counter()
            due = last_frame + self.min_interval - now
            if s.playing:
                timeout = 0.0
            elif dirty:
                timeout = max(due, 0.0) + 0.001
            else:
                timeout = 0.5
            try:
                msg = self.inbox.get(timeout=timeout) if timeout > 0 else self.inbox.get_nowait()
            except queue.Empty:
                msg = None
            if msg is None and self._stop.is_set():
                break
            if msg is not None:
                self._apply(msg)
                dirty = True
                if not self.inbox.empty():
                    continue
            if s.playing:
                # train until the next view is due (at most one slice), so views keep pace
                due = last_frame + self.min_interval - time.perf_counter()
                try:
                    s.train(min(self.slice_s, max(due, 0.002)),
                            interrupt=lambda: not self.inbox.empty())
                except InputError as e:
                    self._send({"type": "error", "message": str(e), "request": "train"})
                    self._send(s.status())
                dirty = True
            with self._lock:
                free = self._in_flight < self.pipeline
            if dirty and free and time.perf_counter() - last_frame >= self.min_interval:
                started = time.perf_counter()
                try:
                    frame = s.frame()
                except Exception as e:  # pragma: no cover - a bug in a view; keep going
                    log.exception("frame error")
                    self._send({"type": "error", "message": f"internal error drawing the view "
                                f"({type(e).__name__}): {e}"})
                    dirty = False
                    continue
                with self._lock:
                    self._in_flight += 1
                self._send(frame, True)
                last_frame, dirty = started, False
            elif s.playing and not free:
                time.sleep(0.0)  # let the sender run; training continues next pass


# Long jobs of all sessions share two threads: two cores, and a GIF render is mostly Python.
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="isotopy-render")


def _is_long(msg) -> bool:
    return msg.type in ("animate", "diagnostics") or (
        msg.type == "export" and msg.what in ("gif", "mp4"))


def _json_default(o):
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"cannot send {type(o).__name__} to the page")
