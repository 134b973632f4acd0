"""One tab on its WebSocket: messages in, replies and views out, within bounds.

:func:`serve_tab` gives the tab a :class:`~.session.Session` in its own thread
(:class:`~.worker.SessionWorker`), validates every message before it reaches the session
(a refusal is an ``error`` reply with the request's type and id), and sends what the session
produces through an :class:`~.outbox.Outbox`: replies in order, only the newest view, at
most ``max_pending_chars`` characters waiting. A tab whose connection has taken nothing for
``stall_s`` seconds, or that lets more wait, is closed at once (:func:`drop_connection`),
and everything it held (session, outbox, downloads) is freed.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
import json
import logging
import re

from fastapi import WebSocket, WebSocketDisconnect

from ..errors import InputError
from .outbox import Outbox
from .protocol import parse_message
from .session import Session
from .worker import SessionWorker

__all__ = ["serve_tab", "drop_connection"]

log = logging.getLogger("isotopy.web")

_HEAD = re.compile(r'^\s*\{\s*"type"\s*:\s*"([A-Za-z_]{1,40})"')
_TAIL = re.compile(r'"id"\s*:\s*(\d{1,16})\s*\}\s*$')


def _request_of(text: str | None) -> dict:
    """The type and id of a refused message, when they can be read, for the error reply.

    A long text is not parsed again: its type is read where the page writes it (first) and
    its id where the page writes it (last)."""
    if not text:
        return {}
    out = {}
    if len(text) > 100_000:
        head, tail = _HEAD.match(text[:200]), _TAIL.search(text[-100:])
        if head:
            out["request"] = head.group(1)
        if tail and int(tail.group(1)) <= 2**53:
            out["id"] = int(tail.group(1))
        return out
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return {}
    if not isinstance(obj, dict):
        return {}
    if isinstance(obj.get("type"), str):
        out["request"] = obj["type"][:40]
    if isinstance(obj.get("id"), int) and 0 <= obj["id"] <= 2**53:
        out["id"] = obj["id"]
    return out


@functools.cache
def _libc():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:  # pragma: no cover - no C library to load
        return None


def _trim_memory() -> None:
    """Hand freed heap memory back to the system (glibc keeps some of it otherwise)."""
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


async def serve_tab(
    ws: WebSocket,
    state,
    *,
    max_fps: float,
    slice_s: float,
    stall_s: float,
    max_pending_chars: int,
    new_session=None,
) -> None:
    """Serve one tab on an accepted WebSocket until it leaves or is closed.

    ``state`` is the app's state: ``store`` (:class:`~.downloads.DownloadStore`), ``gate``,
    ``pools``, and the sets ``workers`` and ``outboxes`` and counter ``closed_unread`` that
    ``/api/health`` reports.
    """
    store, gate, pools = state.store, state.gate, state.pools
    loop = asyncio.get_running_loop()
    outbox = Outbox(max_chars=max_pending_chars)
    closing = asyncio.Event()  # set with the reason when the server closes the tab
    why: list[str] = []

    def put(text: str, is_frame: bool) -> None:
        outbox.put(text, is_frame)
        if outbox.overflowing and not closing.is_set():
            why.append(f"more than {max_pending_chars // 2**20} MB of replies waited for the page")
            closing.set()

    def emit(text: str, is_frame: bool) -> None:
        try:
            loop.call_soon_threadsafe(put, text, is_frame)
        except RuntimeError:  # the loop is closing
            pass

    tab = store.tab()
    session = await asyncio.to_thread(new_session or Session)
    worker = SessionWorker(
        session,
        emit,
        lambda data, filename, media: store.put(tab, data, filename, media),
        gate=gate,
        pools=pools,
        max_fps=max_fps,
        slice_s=slice_s,
        check_download=lambda: store.check(tab),
    )
    outbox.on_frame_dropped = worker.frame_dropped
    state.outboxes.add(outbox)
    state.workers.add(worker)
    worker.start()

    async def sender():
        while True:
            text, is_frame = await outbox.get()
            outbox.sending()
            await ws.send_text(text)
            outbox.sent()
            if is_frame:
                worker.frame_sent()

    async def watchdog():
        while not closing.is_set():
            await asyncio.sleep(min(1.0, stall_s / 4))
            if outbox.stalled_for() > stall_s:
                why.append(f"the page read nothing for {stall_s:g} s")
                closing.set()

    async def closer():
        await closing.wait()
        state.closed_unread += 1
        log.warning("closing a tab: %s", why[0])
        outbox.close()
        await drop_connection(ws, why[0])

    def reply_error(message: str, text: str | None = None, **known) -> None:
        out = {"type": "error", "message": message}
        out.update(_request_of(text))  # the page restores the fields of that request
        out.update({k: v for k, v in known.items() if v is not None})
        put(json.dumps(out), False)

    helpers = [asyncio.create_task(f()) for f in (sender, watchdog, closer)]
    try:
        while True:
            raw = await ws.receive()
            if raw["type"] == "websocket.disconnect":
                break
            text = raw.get("text")
            if text is None:
                reply_error("messages must be JSON text, not binary")
                continue
            try:
                if len(text) > 20000:  # big uploads are parsed off the event loop
                    msg = await asyncio.to_thread(parse_message, text)
                else:
                    msg = parse_message(text)
            except InputError as e:
                reply_error(str(e), text)
                continue
            if not worker.submit(msg, len(text)):
                reply_error(
                    "too many messages at once; this one was dropped",
                    id=msg.id,
                    request=msg.type,
                )
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        # first what needs no waiting: this also runs when the task is cancelled (a server
        # shutting down), where every further await would raise at once
        for t in helpers:
            t.cancel()
        outbox.close()
        store.close(tab)  # its downloads go now; one made later is refused
        worker.stop(timeout=0)  # the thread ends at its next look at the inbox
        state.outboxes.discard(outbox)
        state.workers.discard(worker)
        await asyncio.gather(*helpers, return_exceptions=True)
        await asyncio.to_thread(worker.thread.join, 10)
        await asyncio.to_thread(_trim_memory)


async def drop_connection(ws: WebSocket, reason: str) -> None:
    """Close a tab the server gives up on. A connection that takes nothing cannot take a
    close frame either: where the server offers it (``isotopy serve``), the connection is
    dropped at once; otherwise a close frame is tried for a second."""
    abort = (ws.scope.get("extensions") or {}).get("isotopy.abort")
    if abort is not None:
        abort["abort"]()
        return
    try:
        await asyncio.wait_for(ws.close(code=1008, reason=reason[:120]), 1.0)
    except Exception:  # noqa: BLE001 - the connection is gone either way
        pass
