"""The explorer's server: a FastAPI app with one WebSocket session per browser tab.

Routes
------
``GET /``                  the page (static, no build step)
``GET /static/...``        its script and style sheet
``GET /api/registry``      datasets, activations, optimisers, stage types, limits
``GET /api/health``        number of open sessions
``GET /download/{token}``  an export made by a session, kept in memory under a random token
``WS  /ws``                the session: messages of :mod:`.protocol` in, JSON replies and
                           view updates out

Safety: :class:`~.guard.Guard` lets through only requests addressed to the server by one
of its own names, WebSockets only from its own page, and (beyond loopback) only requests
carrying the secret token; it adds the page's Content-Security-Policy and frame protection
to every response. Every message is validated before it reaches a session; a bad one gets
an ``error`` reply (with its id) and the connection stays open. What waits to be sent to a
tab is bounded (:class:`~.outbox.Outbox`): one view, replies up to a limit; a tab that does
not read for ``stall_s`` seconds, or lets more replies wait, is closed. No request names a
file: the page's CSV arrives as text, exports are held in memory within quotas
(:mod:`.downloads`) and, with an export folder, also written there under new names the
server makes, never over an existing file and never through a link.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
import json
import logging
import os
import re
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles

from ..errors import InputError
from .downloads import DownloadStore, ExportQuota
from .guard import LOCAL_NAMES, Guard
from .outbox import MAX_PENDING_CHARS, Outbox
from .protocol import parse_message
from .scheduler import FairGate
from .session import Session, registry
from .worker import SessionWorker, make_pools

__all__ = ["create_app", "DownloadStore", "ExportQuota", "STALL_S"]

log = logging.getLogger("isotopy.web")

STATIC = Path(str(resources.files("isotopy.web") / "static"))
STALL_S = 60.0  # a tab whose connection takes nothing for this long is closed
_CHUNK = 256 * 1024  # downloads are sent in pieces, each once the last one left
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


def create_app(
    *,
    export_dir=None,
    max_fps: float = 30.0,
    max_sessions: int = 64,
    slice_s: float = 0.01,
    allowed_hosts=LOCAL_NAMES,
    port: int | None = None,
    token: str | None = None,
    slots: int | None = None,
    quota: ExportQuota | None = None,
    stall_s: float = STALL_S,
    max_pending_chars: int = MAX_PENDING_CHARS,
):
    """The explorer as an ASGI app, behind its :class:`~.guard.Guard`.

    Parameters
    ----------
    export_dir : path, optional
        A folder that also receives a copy of every export (created if missing).
    max_fps : float
        Cap on view updates per second per session.
    max_sessions : int
        Tabs served at once; more are told so and closed.
    slice_s : float
        Longest training slice between two looks at a session's inbox.
    allowed_hosts : iterable of str
        Names the Host header may carry (127.0.0.1 and localhost by default).
    port : int, optional
        The port served; when given, Host and Origin must name it.
    token : str, optional
        A secret every request must carry (required when serving beyond loopback).
    slots : int, optional
        Sessions that train or draw at once (default: the number of cores, at most 4).
    quota : ExportQuota, optional
        What a tab and the server may hold for download and write to the export folder.
    stall_s : float
        A tab whose connection has taken nothing for this long is closed.
    max_pending_chars : int
        Characters of replies that may wait for one tab; beyond, it is closed.
    """
    if export_dir is not None:
        export_dir = Path(export_dir)
        try:
            export_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InputError(
                f"cannot create export folder {str(export_dir)!r}: {e.strerror}"
            ) from None
        if not os.access(export_dir, os.W_OK):
            raise InputError(f"export folder {str(export_dir)!r} is not writable")

    app = FastAPI(title="isotopy explorer", docs_url=None, redoc_url=None, openapi_url=None)
    store = DownloadStore(export_dir=export_dir, quota=quota or ExportQuota())
    app.state.store = store
    app.state.workers = set()
    app.state.closed_unread = 0  # tabs closed because they did not read what was sent
    app.state.outboxes = set()
    gate = FairGate(slots or min(os.cpu_count() or 1, 4))
    pools = make_pools()
    app.state.gate, app.state.pools = gate, pools
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", response_class=HTMLResponse)
    def index():
        return HTMLResponse(
            (STATIC / "index.html").read_text(encoding="utf-8"),
            headers={"Cache-Control": "no-store"},
        )

    @app.get("/api/registry")
    def api_registry():
        return JSONResponse(registry())

    @app.get("/api/health")
    def api_health():
        return {
            "sessions": len(app.state.workers),
            "closed_unread": app.state.closed_unread,
            "waiting_chars": sum(o.pending_chars for o in list(app.state.outboxes)),
        }

    @app.get("/download/{token}")
    def download(token: str):
        item = store.get(token)
        if item is None:
            return JSONResponse(
                {"error": "no such download (it may have expired)"}, status_code=404
            )
        data, filename, media, _ = item

        def pieces():  # one piece at a time: a client that does not read holds one piece
            view = memoryview(data)
            for i in range(0, len(view), _CHUNK):
                yield bytes(view[i : i + _CHUNK])

        return StreamingResponse(
            pieces(),
            media_type=media,
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Content-Length": str(len(data)),
                "Cache-Control": "no-store",
            },
        )

    @app.websocket("/ws")
    async def ws_session(ws: WebSocket):
        await ws.accept()
        if len(app.state.workers) >= max_sessions:
            await ws.send_text(
                json.dumps(
                    {
                        "type": "error",
                        "message": f"the server already "
                        f"serves {max_sessions} tabs; close one and reload",
                    }
                )
            )
            await ws.close(code=1013)
            return
        await _session(ws)

    async def _session(ws: WebSocket) -> None:
        loop = asyncio.get_running_loop()
        outbox = Outbox(max_chars=max_pending_chars)
        closing = asyncio.Event()  # set with the reason when the server closes the tab
        why: list[str] = []

        def put(text: str, is_frame: bool) -> None:
            outbox.put(text, is_frame)
            if outbox.overflowing and not closing.is_set():
                why.append(
                    f"more than {max_pending_chars // 2**20} MB of replies waited for the page"
                )
                closing.set()

        def emit(text: str, is_frame: bool) -> None:
            try:
                loop.call_soon_threadsafe(put, text, is_frame)
            except RuntimeError:  # the loop is closing
                pass

        tab = store.tab()
        session = await asyncio.to_thread(Session)
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
        app.state.outboxes.add(outbox)
        app.state.workers.add(worker)
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
            app.state.closed_unread += 1
            log.warning("closing a tab: %s", why[0])
            outbox.close()
            await _drop_connection(ws, why[0])

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
            for t in helpers:
                t.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            outbox.close()
            app.state.outboxes.discard(outbox)
            app.state.workers.discard(worker)
            await asyncio.to_thread(worker.stop)
            store.close(tab)
            await asyncio.to_thread(_trim_memory)

    guard = Guard(app, allowed_hosts=allowed_hosts, port=port, token=token)
    guard.state = app.state
    return guard


async def _drop_connection(ws: WebSocket, reason: str) -> None:
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
