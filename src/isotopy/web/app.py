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
carrying the secret token. Every message is validated before it reaches a session; a bad
one gets an ``error`` reply and the connection stays open. No request names a file: the
page's CSV arrives as text, exports are held in memory (and, when the server was started
with an export folder, also written there under new names the server makes, never over an
existing file).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from ..errors import InputError
from ..files import atomic_write
from .guard import LOOPBACK_NAMES, Guard
from .protocol import parse_message
from .scheduler import FairGate
from .session import Session, registry
from .worker import SessionWorker, make_pools

__all__ = ["create_app", "DownloadStore"]

STATIC = Path(str(resources.files("isotopy.web") / "static"))
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


class DownloadStore:
    """Exports kept in memory under random tokens, oldest dropped beyond ``max_bytes``.

    When ``export_dir`` is given every export is also written there, under a name made from
    the date and time, a counter and the server-made file name (never a name from the page);
    a name already taken (by this run or an earlier one) is never reused.
    """

    def __init__(self, *, max_bytes: int = 192 * 2**20, export_dir: Path | None = None):
        self.max_bytes = max_bytes
        self.items: OrderedDict[str, tuple[bytes, str, str, float]] = OrderedDict()
        self.lock = threading.Lock()
        self.export_dir = Path(export_dir) if export_dir is not None else None
        self.count = 0

    def put(self, data: bytes, filename: str, media: str) -> str:
        token = secrets.token_urlsafe(24)
        filename = _SAFE_NAME.sub("_", filename)[:100]
        with self.lock:
            self.items[token] = (data, filename, media, time.time())
            total = sum(len(v[0]) for v in self.items.values())
            while total > self.max_bytes and len(self.items) > 1:
                _, old = self.items.popitem(last=False)
                total -= len(old[0])
            self.count += 1
            n = self.count
        if self.export_dir is not None:
            self._write_copy(data, filename, n)
        return f"/download/{token}"

    def _write_copy(self, data: bytes, filename: str, n: int) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for extra in range(1000):
            name = f"{stamp}-{n:04d}{'-' + str(extra) if extra else ''}-{filename}"
            target = self.export_dir / name
            try:  # claim the name first: an existing file is never replaced
                fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                continue
            os.close(fd)
            atomic_write(target, lambda tmp: tmp.write_bytes(data))
            return target
        raise InputError(f"no free file name for {filename!r} in the export folder")

    def get(self, token: str):
        if not _TOKEN.match(token):
            return None
        with self.lock:
            return self.items.get(token)

    def drop(self, tokens) -> None:
        with self.lock:
            for t in tokens:
                self.items.pop(t, None)


def _request_of(text: str | None) -> dict:
    """The type and id of a refused message, when they can be read, for the error reply."""
    if not text or len(text) > 100_000:
        return {}
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return {}
    if not isinstance(obj, dict):
        return {}
    out = {}
    if isinstance(obj.get("type"), str):
        out["request"] = obj["type"][:40]
    if isinstance(obj.get("id"), int) and 0 <= obj["id"] <= 2**53:
        out["id"] = obj["id"]
    return out


def create_app(
    *,
    export_dir=None,
    max_fps: float = 30.0,
    max_sessions: int = 64,
    slice_s: float = 0.01,
    allowed_hosts=LOOPBACK_NAMES,
    port: int | None = None,
    token: str | None = None,
    slots: int | None = None,
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
        Names the Host header may carry (loopback names by default).
    port : int, optional
        The port served; when given, Host and Origin must name it.
    token : str, optional
        A secret every request must carry (required when serving beyond loopback).
    slots : int, optional
        Sessions that train or draw at once (default: the number of cores, at most 4).
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
    store = DownloadStore(export_dir=export_dir)
    app.state.store = store
    app.state.workers = set()
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
        return {"sessions": len(app.state.workers)}

    @app.get("/download/{token}")
    def download(token: str):
        item = store.get(token)
        if item is None:
            return JSONResponse(
                {"error": "no such download (it may have expired)"}, status_code=404
            )
        data, filename, media, _ = item
        return Response(
            data,
            media_type=media,
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
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
        loop = asyncio.get_running_loop()
        # replies overtake view updates waiting to be sent: a control is answered at once
        outq: asyncio.PriorityQueue = asyncio.PriorityQueue()
        order = itertools.count()
        tokens: list[str] = []

        def put(text: str, is_frame: bool) -> None:
            outq.put_nowait((int(is_frame), next(order), text, is_frame))

        def emit(text: str, is_frame: bool) -> None:
            try:
                loop.call_soon_threadsafe(put, text, is_frame)
            except RuntimeError:  # the loop is closing
                pass

        def keep(data: bytes, filename: str, media: str) -> str:
            url = store.put(data, filename, media)
            tokens.append(url.rsplit("/", 1)[1])
            return url

        session = await asyncio.to_thread(Session)
        worker = SessionWorker(
            session, emit, keep, gate=gate, pools=pools, max_fps=max_fps, slice_s=slice_s
        )
        app.state.workers.add(worker)
        worker.start()

        async def sender():
            while True:
                _, _, text, is_frame = await outq.get()
                await ws.send_text(text)
                if is_frame:
                    worker.frame_sent()

        send_task = asyncio.create_task(sender())

        def reply_error(message: str, text: str | None = None) -> None:
            out = {"type": "error", "message": message}
            out.update(_request_of(text))  # the page restores the fields of that request
            put(json.dumps(out), False)

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
                if not worker.submit(msg):
                    reply_error("too many messages at once; this one was dropped")
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            send_task.cancel()
            app.state.workers.discard(worker)
            await asyncio.to_thread(worker.stop)
            store.drop(tokens)

    guard = Guard(app, allowed_hosts=allowed_hosts, port=port, token=token)
    guard.state = app.state
    return guard
