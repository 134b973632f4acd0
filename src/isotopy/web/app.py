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

import json
import os
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, WebSocket
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles

from ..errors import InputError
from .downloads import DownloadStore, ExportQuota
from .guard import LOCAL_NAMES, Guard
from .outbox import MAX_PENDING_CHARS
from .registry import registry
from .scheduler import FairGate
from .tab import serve_tab
from .worker import make_pools

__all__ = ["create_app", "DownloadStore", "ExportQuota", "STALL_S"]

STATIC = Path(str(resources.files("isotopy.web") / "static"))
STALL_S = 60.0  # a tab whose connection takes nothing for this long is closed
_CHUNK = 256 * 1024  # downloads are sent in pieces, each once the last one left


def _export_folder(export_dir) -> Path | None:
    """The export folder, created if missing; one sentence when it cannot be used."""
    if export_dir is None:
        return None
    export_dir = Path(export_dir)
    try:
        export_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create export folder {str(export_dir)!r}: {e.strerror}") from None
    if not os.access(export_dir, os.W_OK):
        raise InputError(f"export folder {str(export_dir)!r} is not writable")
    return export_dir


def _download(item) -> JSONResponse | StreamingResponse:
    """A held export as an attachment, sent in pieces (a client that does not read holds one
    piece), or 404."""
    if item is None:
        return JSONResponse({"error": "no such download (it may have expired)"}, status_code=404)
    data, filename, media, _ = item

    def pieces():
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
    new_session=None,
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
    new_session : callable, optional
        Makes each tab's :class:`~.session.Session` (default: the page's defaults; e.g.
        ``functools.partial(Session.from_run, run)`` opens every tab on a saved run).
    """
    export_dir = _export_folder(export_dir)
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
        return _download(store.get(token))

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
        await serve_tab(
            ws,
            app.state,
            max_fps=max_fps,
            slice_s=slice_s,
            stall_s=stall_s,
            max_pending_chars=max_pending_chars,
            new_session=new_session,
        )

    guard = Guard(app, allowed_hosts=allowed_hosts, port=port, token=token)
    guard.state = app.state
    return guard
