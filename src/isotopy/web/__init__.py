"""The web explorer: ``isotopy serve`` starts a local page to build, train and watch networks.

The server (:mod:`.app`, FastAPI + uvicorn) gives every browser tab its own
:class:`~isotopy.web.session.Session` running in its own thread (:mod:`.worker`); messages
from the page are validated by :mod:`.protocol`; views are the library's Scenes sent as
plain arrays and drawn by the static page in ``static/`` (plain JavaScript and canvas, no
build step, nothing fetched from the internet).
"""

from __future__ import annotations

import errno
import secrets
import socket
import sys
import threading
import webbrowser

from ..errors import InputError

__all__ = ["create_app", "serve", "bind_socket", "public_names", "access_plan"]

_WILDCARD = ("0.0.0.0", "::", "")


def create_app(**kwargs):
    """See :func:`isotopy.web.app.create_app`."""
    from .app import create_app as _create

    return _create(**kwargs)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port); a port in use is one InputError sentence."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise InputError(f"cannot listen on host {host!r}: no such address") from None
    family, _, _, _, addr = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    if sys.platform != "win32":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise InputError(
                f"port {port} on {host} is already in use; stop what uses it or "
                f"choose another with --port"
            ) from None
        if e.errno in (errno.EACCES, errno.EPERM):
            raise InputError(
                f"no permission to listen on port {port} of {host}; choose a "
                f"port above 1023 with --port"
            ) from None
        raise InputError(f"cannot listen on {host}:{port} ({e.strerror})") from None
    sock.listen(128)
    return sock


def public_names(host: str) -> tuple[list[str], str]:
    """Names by which other machines may address a server listening on ``host``, and the
    one to print in its URL (for a wildcard address: this machine's outward address)."""
    names = {host.strip("[]").lower()} - {""}
    shown = host
    if host in _WILDCARD:
        names -= {"0.0.0.0", "::"}
        try:
            hostname = socket.gethostname()
            names |= {hostname.lower(), socket.getfqdn().lower()}
            for info in socket.getaddrinfo(hostname, None):
                names.add(str(info[4][0]).lower())
        except OSError:
            hostname = None
        shown = hostname or "127.0.0.1"
        try:  # the address of the interface that leads outward; no packet is sent
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.connect(("10.255.255.255", 1))
                shown = probe.getsockname()[0]
                names.add(shown)
        except OSError:
            pass
    return sorted(names), shown


def access_plan(host: str, port: int, *, allow_hosts=(), token: str | None = None) -> dict:
    """Who may use a server on (host, port): {"names": Host names accepted, "token": the
    secret required (None on loopback), "url": the address to print, "warning": a sentence
    to show when the page is reachable from other machines (else None)}."""
    from .guard import LOOPBACK_NAMES, is_loopback

    names = list(LOOPBACK_NAMES) + [h.strip().lower() for h in allow_hosts if h.strip()]
    warning = None
    if is_loopback(host):
        shown, token = host, None
    else:
        more, shown = public_names(host)
        names += more
        token = token or secrets.token_urlsafe(24)
        warning = (
            f"the explorer listens on {host or 'every address'} port {port}: anyone "
            f"who can reach this machine and has the URL below (it holds the access "
            f"token) can drive it and download what it computes; use --host 127.0.0.1 "
            f"to keep it on this machine"
        )
    shown = f"[{shown}]" if ":" in shown else shown
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    return {"names": sorted(set(names)), "token": token, "url": url, "warning": warning}


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    open_browser: bool = False,
    export_dir=None,
    log_level: str = "warning",
    ready=None,
    warn=None,
    allow_hosts=(),
    token: str | None = None,
) -> None:
    """Run the explorer until interrupted.

    On a loopback address (the default) the page answers only this machine's browsers and
    only its own origin. On any other address a secret token is made (unless given), is
    required on every request, and is part of the URL passed to ``ready``; ``warn`` receives
    a sentence saying that the page is reachable from the network.

    Parameters
    ----------
    host, port
        Where to listen; 127.0.0.1 keeps the page on this machine.
    open_browser : bool
        Open the page in the default browser once the server listens.
    export_dir : path, optional
        A folder that also receives a copy of every export.
    ready : callable(url), optional
        Called once the server listens (the CLI prints the address).
    warn : callable(text), optional
        Called once with the warning when serving beyond loopback.
    allow_hosts : iterable of str
        Further names the Host header may carry (a DNS name or proxy in front).
    token : str, optional
        The secret to require beyond loopback (default: a new random one).
    """
    import uvicorn

    sock = bind_socket(host, port)
    # Session threads run Python between torch calls; a short GIL switch interval lets the
    # event loop take a message or send a view within a millisecond instead of five.
    sys.setswitchinterval(0.001)
    port = sock.getsockname()[1]
    plan = access_plan(host, port, allow_hosts=allow_hosts, token=token)
    if plan["warning"] and warn is not None:
        warn(plan["warning"])
    app = create_app(
        export_dir=export_dir, allowed_hosts=plan["names"], port=port, token=plan["token"]
    )
    url = plan["url"]
    # frames above 16 MiB are refused by the WebSocket layer itself (close code 1009); below
    # that, anything over the protocol's limit gets an error reply and the tab stays open
    config = uvicorn.Config(
        app,
        log_level=log_level,
        ws_max_size=16 * 2**20,
        ws_ping_interval=20,
        ws_ping_timeout=60,
        lifespan="off",
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)

    def announce():
        while not server.started and not server.should_exit:
            threading.Event().wait(0.05)
        if server.started:
            if ready is not None:
                ready(url)
            if open_browser:
                webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    server.run(sockets=[sock])
