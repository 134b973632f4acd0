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

__all__ = ["create_app", "serve", "bind_socket", "public_names", "access_plan", "reachable_names"]

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


def reachable_names(host: str, bound: str | None = None, *, dual_stack: bool = False) -> set:
    """The loopback names and addresses that reach a socket listening on ``bound`` (the
    address ``host`` resolved to): the address itself, and ``localhost`` for 127.0.0.1 and
    ::1 (browsers try both of its addresses); a wildcard address is reached through
    127.0.0.1 (IPv4, or IPv6 with dual stack) and ::1 (IPv6). Nothing else: a name the server
    does not listen on is not accepted."""
    addr = (bound or host).strip("[]").lower()
    names = {host.strip("[]").lower(), addr} - {"", "0.0.0.0", "::"}
    v4 = addr in ("127.0.0.1", "0.0.0.0") or (addr == "::" and dual_stack)
    v6 = addr in ("::1", "::")
    if v4:
        names.add("127.0.0.1")
    if v6:
        names.add("::1")
    if v4 or v6:
        names.add("localhost")
    return names


def public_names(host: str, *, family: int | None = None) -> tuple[list[str], str]:
    """Names by which other machines may address a server listening on ``host``, and the
    one to print in its URL (for a wildcard address: this machine's outward address).
    ``family`` (``socket.AF_INET`` for 0.0.0.0) keeps only the addresses of that family."""
    names = {host.strip("[]").lower()} - {""}
    shown = host
    if host in _WILDCARD:
        names -= {"0.0.0.0", "::"}
        try:
            hostname = socket.gethostname()
            names |= {hostname.lower(), socket.getfqdn().lower()}
            for info in socket.getaddrinfo(hostname, None):
                if family is None or info[0] == family:
                    names.add(str(info[4][0]).lower())
        except OSError:
            hostname = None
        shown = hostname or ("::1" if family == socket.AF_INET6 else "127.0.0.1")
        v6 = family == socket.AF_INET6
        try:  # the address of the interface that leads outward; no packet is sent
            with socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM) as p:
                p.connect(("2001:db8::1", 1) if v6 else ("10.255.255.255", 1))
                shown = p.getsockname()[0]
                names.add(shown)
        except OSError:
            pass
    return sorted(names), shown


def access_plan(
    host: str,
    port: int,
    *,
    allow_hosts=(),
    token: str | None = None,
    bound: str | None = None,
    dual_stack: bool = False,
) -> dict:
    """Who may use a server on (host, port): {"names": Host names accepted, "token": the
    secret required (None on loopback), "url": the address to print, "warning": a sentence
    to show when the page is reachable from other machines (else None)}.

    ``bound`` is the address the socket listens on (``host`` resolved; default ``host``)
    and ``dual_stack`` whether an IPv6 wildcard socket also takes IPv4: only names that
    reach that socket are accepted, and the printed URL is always one of them."""
    from .guard import is_loopback

    names = [h.strip().lower() for h in allow_hosts if h.strip()]
    names += reachable_names(host, bound, dual_stack=dual_stack)
    warning = None
    if is_loopback(host):
        shown, token = host, None
    else:
        addr = bound or host
        family = {"0.0.0.0": socket.AF_INET, "::": None if dual_stack else socket.AF_INET6}
        family = family.get(addr)
        more, shown = public_names(host, family=family)
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
    new_session=None,
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
    new_session : callable, optional
        Makes each tab's session (see :func:`~.app.create_app`), e.g. one opened on a run.
    """
    _tune_malloc()  # the server's process only: memory a tab held goes back when it leaves
    server, url = make_server(
        host,
        port,
        export_dir=export_dir,
        log_level=log_level,
        warn=warn,
        allow_hosts=allow_hosts,
        token=token,
        new_session=new_session,
    )
    # Session threads run Python between torch calls; a short GIL switch interval lets the
    # event loop take a message or send a view within a millisecond instead of five.
    sys.setswitchinterval(0.001)

    def announce():
        while not server.started and not server.should_exit:
            threading.Event().wait(0.05)
        if server.started:
            if ready is not None:
                ready(url)
            if open_browser:
                webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    server.run(sockets=server.isotopy_sockets)


def make_server(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    export_dir=None,
    log_level: str = "warning",
    warn=None,
    allow_hosts=(),
    token: str | None = None,
    **app_options,
):
    """The explorer's uvicorn server on a bound socket, and the URL to print: what
    :func:`serve` runs (``server.run(sockets=server.isotopy_sockets)``); tests run it in a
    thread with their own ``app_options`` for :func:`create_app`."""
    import uvicorn

    from .protocol import LIMITS

    sock = bind_socket(host, port)
    bound, port = sock.getsockname()[:2]
    dual = False
    if sock.family == socket.AF_INET6:
        try:
            dual = not sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY)
        except (OSError, AttributeError):  # pragma: no cover
            dual = False
    plan = access_plan(
        host, port, allow_hosts=allow_hosts, token=token, bound=bound, dual_stack=dual
    )
    if plan["warning"] and warn is not None:
        warn(plan["warning"])
    app = create_app(
        export_dir=export_dir,
        allowed_hosts=plan["names"],
        port=port,
        token=plan["token"],
        **app_options,
    )
    # A frame above max_message_bytes is refused by the WebSocket layer itself (close code
    # 1009); the page never sends one (it checks first). Below that, anything over the
    # protocol's limits gets an error reply with its id, and the tab stays open.
    config = uvicorn.Config(
        app,
        log_level=log_level,
        ws=_websocket_protocol(),
        ws_max_size=LIMITS["max_message_bytes"],
        ws_ping_interval=20,
        ws_ping_timeout=60,
        lifespan="off",
        timeout_graceful_shutdown=3,
        limit_concurrency=_MAX_CONNECTIONS,
    )
    server = uvicorn.Server(config)
    server.isotopy_sockets = [sock]
    return server, plan["url"]


def _tune_malloc(threshold: int = 64 * 1024) -> None:
    """Serve every allocation of ``threshold`` bytes or more from its own memory map (glibc).

    By default glibc raises that threshold each time such a block is freed, up to 32 MB, and
    serves later large blocks (view updates of 200 KB, uploads, arrays) from its heaps,
    where they leave holes it cannot give back: after a tab that did not read had left,
    30-180 MB stayed with the server (measured); with a fixed 64 KB threshold, 19 MB."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "mallopt"):
            libc.mallopt(-3, int(threshold))  # M_MMAP_THRESHOLD
    except OSError:  # pragma: no cover - not glibc
        pass


# Connections served at once (64 tabs, their page loads and downloads); more get 503.
_MAX_CONNECTIONS = 256


def _websocket_protocol():
    """uvicorn's WebSocket protocol, giving the app a way to drop a connection at once
    (``scope["extensions"]["isotopy.abort"]["abort"]()``): a tab that reads nothing cannot
    take a close frame either, and its unsent data would stay in memory until it left."""
    from uvicorn.protocols.websockets.auto import AutoWebSocketsProtocol

    if AutoWebSocketsProtocol is None or not hasattr(AutoWebSocketsProtocol, "run_asgi"):
        return "auto"  # pragma: no cover - the app then closes with a close frame

    class Protocol(AutoWebSocketsProtocol):
        async def run_asgi(self):
            scope = getattr(self, "scope", None)
            if isinstance(scope, dict):
                ext = scope.get("extensions") or {}
                ext["isotopy.abort"] = {"abort": self._isotopy_abort}
                scope["extensions"] = ext
            return await super().run_asgi()

        def _isotopy_abort(self):
            transport = getattr(self, "transport", None)
            if transport is not None:
                transport.abort()

    return Protocol
