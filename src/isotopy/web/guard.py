"""Who may talk to the explorer: the Host, Origin and token checks in front of every route.

The explorer runs code on behalf of whoever drives it (training, renders, downloads of the
network's weights), so it answers only its own page:

- **Host.** Every HTTP request and WebSocket must name, in its ``Host`` header, an address
  the server serves with the port it listens on: only names that reach its socket (for the
  default 127.0.0.1, ``127.0.0.1`` and ``localhost``; see
  :func:`isotopy.web.reachable_names`). A page of another site that has re-pointed its own
  domain name at 127.0.0.1 (DNS rebinding) sends its own name and is refused.
- **Origin.** A WebSocket must come from the explorer's own page: its ``Origin`` header
  must be ``http://`` + an allowed name and the served port. Browsers always send it, so a
  page of any other origin (``http://evil.example``, a file, ``null``, another local port)
  cannot open a session. HTTP requests that carry a foreign ``Origin`` are refused too.
- **Token.** When the server listens beyond loopback, a secret token is required on every
  request and WebSocket: as ``?token=...`` (the URL that ``isotopy serve`` prints, which
  then sets a same-site cookie and redirects to the bare page) or as that cookie. A token in
  the query string of a request coming from another origin is never accepted.
- **Frames and scripts.** Every response says that only the explorer's own pages may frame
  it (``Content-Security-Policy: frame-ancestors 'self'`` and ``X-Frame-Options:
  SAMEORIGIN``), so a page of another origin cannot put it in a frame (to click through it,
  or to open sessions through it). The same policy lets the page run only its own script
  and style sheet from ``/static/`` (no inline script or style, no ``eval``), talk only to
  its own server, and load nothing from elsewhere; other sites may neither read its
  resources (``Cross-Origin-Resource-Policy``) nor keep a handle on its window
  (``Cross-Origin-Opener-Policy``).

The checks are one pure ASGI middleware, :class:`Guard`, wrapped around the FastAPI app.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "Guard",
    "LOOPBACK_NAMES",
    "LOCAL_NAMES",
    "SECURITY_HEADERS",
    "content_security_policy",
    "is_loopback",
    "split_host",
]

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")  # names only this machine can reach
LOCAL_NAMES = ("127.0.0.1", "localhost")  # what a server on 127.0.0.1 (the default) answers

# Sent with every HTTP response (the Content-Security-Policy is added per request: it names
# the server's own WebSocket address).
SECURITY_HEADERS = (
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
# Where the page's scripts and styles may come from: its own ES modules under /static/ (the
# entry /static/app.js and the modules it imports) and style.css, nothing inline, no eval
# (the scripts set element styles through the DOM, which is allowed).
SCRIPT_SOURCES = ("'self'",)
STYLE_SOURCES = ("'self'",)
_PLAIN_HOST = re.compile(r"^[a-z0-9.\-]+(:[0-9]+)?$|^\[[0-9a-f:.]+\](:[0-9]+)?$")


def content_security_policy(host: str | None) -> str:
    """The page's policy: its own script, style sheet and server only, framed only by
    itself. ``host`` (an accepted Host header) names its WebSocket address explicitly for
    browsers whose ``'self'`` does not cover ``ws:``."""
    socket = ""
    if host and _PLAIN_HOST.match(host.lower()):
        socket = f" ws://{host.lower()} wss://{host.lower()}"
    return (
        f"default-src 'none'; script-src {' '.join(SCRIPT_SOURCES)}; "
        f"style-src {' '.join(STYLE_SOURCES)}; "
        "img-src 'self' data: blob:; "
        f"connect-src 'self'{socket}; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'self'"
    )


def is_loopback(host: str) -> bool:
    """True for names and addresses that only this machine can reach."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_host(value: str) -> tuple[str, int | None] | None:
    """``"name:port"`` / ``"[v6]:port"`` / ``"name"`` -> (lower-case name, port or None);
    None when it cannot be read."""
    value = value.strip().lower()
    if not value or any(c in value for c in "/@ \t\\"):
        return None
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, rest = value[1:end], value[end + 1 :]
        if rest and not rest.startswith(":"):
            return None
        port = rest[1:] if rest else None
    elif value.count(":") == 1:
        name, port = value.split(":")
    elif ":" in value:  # a bare IPv6 address
        name, port = value, None
    else:
        name, port = value, None
    if port is not None:
        if not port.isdigit() or not 0 < int(port) < 65536:
            return None
        port = int(port)
    return name.rstrip("."), port


class Guard:
    """ASGI middleware: refuse requests whose Host, Origin or token is not the server's own.

    Parameters
    ----------
    app : ASGI app
    allowed_hosts : iterable of str
        Names (without port) the Host header may carry; by default those of a server on
        127.0.0.1 (``127.0.0.1``, ``localhost``).
    port : int, optional
        The port the server listens on; when given, the Host (and Origin) must name it.
    token : str, optional
        When given, every request and WebSocket must present it (query or cookie).
    """

    def __init__(
        self,
        app,
        *,
        allowed_hosts: Iterable[str] = LOCAL_NAMES,
        port: int | None = None,
        token: str | None = None,
    ):
        self.app = app
        self.allowed = {h.strip("[]").lower().rstrip(".") for h in allowed_hosts}
        self.port = port
        self.token = token
        self.cookie = f"isotopy_token_{port or 0}"

    # ------------------------------------------------------------------------- checks
    def _host_ok(self, value: str | None) -> bool:
        parsed = split_host(value or "")
        if parsed is None:
            return False
        name, port = parsed
        if name not in self.allowed:
            return False
        if self.port is None:
            return True
        return port == self.port or (port is None and self.port == 80)

    def _origin_ok(self, value: str | None) -> bool:
        if not value:
            return False
        parts = urlsplit(value)
        return parts.scheme == "http" and not parts.path.strip("/") and self._host_ok(parts.netloc)

    def _token_from(self, headers: dict, query: str, *, query_allowed: bool) -> bool:
        if self.token is None:
            return True
        for part in headers.get("cookie", "").split(";"):
            key, _, val = part.strip().partition("=")
            if key == self.cookie and secrets.compare_digest(val.encode(), self.token.encode()):
                return True
        if query_allowed:
            for val in parse_qs(query).get("token", []):
                if secrets.compare_digest(val.encode(), self.token.encode()):
                    return True
        return False

    def check(self, scope) -> str | None:
        """Why ``scope`` is refused (one sentence), or None when it may pass."""
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])
        }
        if not self._host_ok(headers.get("host")):
            return (
                "this explorer answers only requests addressed to it by one of its own "
                "names (the Host header named another one)"
            )
        origin = headers.get("origin")
        foreign = origin is not None and not self._origin_ok(origin)
        if scope["type"] == "websocket" and (origin is None or foreign):
            return "this explorer accepts WebSocket sessions only from its own page"
        if foreign:
            return "this explorer does not answer requests made by pages of other sites"
        site = headers.get("sec-fetch-site", "none")
        query = scope.get("query_string", b"").decode("latin-1")
        if not self._token_from(headers, query, query_allowed=site in ("none", "same-origin")):
            return (
                "this explorer needs its access token: open the address that 'isotopy "
                "serve' printed (it ends in ?token=...)"
            )
        return None

    # ---------------------------------------------------------------------------- ASGI
    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        if scope["type"] == "http":
            send = self._with_headers(scope, send)
        why = self.check(scope)
        if why is not None:
            if scope["type"] == "websocket":
                # closing before accepting makes the server answer the handshake with 403
                await send({"type": "websocket.close", "code": 1008, "reason": why[:120]})
                return
            return await self._plain(send, 403, why)
        if (
            self.token is not None
            and scope["type"] == "http"
            and scope.get("method") == "GET"
            and scope.get("path") == "/"
            and "token" in parse_qs(scope.get("query_string", b"").decode("latin-1"))
        ):
            # the printed URL: keep the token in a cookie and show the bare address
            cookie = f"{self.cookie}={self.token}; Path=/; HttpOnly; SameSite=Strict"
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [
                        (b"location", b"/"),
                        (b"set-cookie", cookie.encode("latin-1")),
                        (b"cache-control", b"no-store"),
                        (b"content-length", b"0"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        return await self.app(scope, receive, send)

    @staticmethod
    def _with_headers(scope, send):
        """``send`` that adds the security headers to the response's start."""
        host = None
        for k, v in scope.get("headers", []):
            if k.lower() == b"host":
                host = v.decode("latin-1")
        csp = content_security_policy(host).encode()
        extra = [*SECURITY_HEADERS, (b"content-security-policy", csp)]

        async def sending(message):
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers += [(k, v) for k, v in extra if k not in have]
                message = {**message, "headers": headers}
            await send(message)

        return sending

    @staticmethod
    async def _plain(send, status: int, text: str) -> None:
        body = (text + "\n").encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
