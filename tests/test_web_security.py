"""Who may talk to the explorer: Host, Origin and token checks (in-process and on a real
server on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import urllib.error
import urllib.request

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from isotopy.web import access_plan, create_app  # noqa: E402
from isotopy.web.guard import is_loopback, split_host  # noqa: E402

PORT = 8765
OWN = f"http://127.0.0.1:{PORT}"
TOKEN = "s3cret-token-for-tests-0123456789"


@pytest.fixture(scope="module")
def loopback():
    with TestClient(create_app(port=PORT), base_url=OWN) as c:
        yield c


@pytest.fixture
def tokened():
    app = create_app(port=PORT, token=TOKEN, allowed_hosts=["127.0.0.1", "192.0.2.10"])
    with TestClient(app, base_url=f"http://192.0.2.10:{PORT}") as c:
        yield c


def ws_opens(client, url, **headers) -> bool:
    """Whether a WebSocket handshake with these headers gets a session (its first message)."""
    try:
        with client.websocket_connect(url, headers=headers) as ws:
            return json.loads(ws.receive_text())["type"] == "registry"
    except WebSocketDisconnect:
        return False


def test_host_names_are_parsed_strictly():
    assert split_host("127.0.0.1:8000") == ("127.0.0.1", 8000)
    assert split_host("[::1]:80") == ("::1", 80)
    assert split_host("LocalHost") == ("localhost", None)
    for bad in ["", "a b", "x:99999", "x:y", "[::1", "user@host", "a/b"]:
        assert split_host(bad) is None, bad
    assert is_loopback("127.0.0.2") and is_loopback("[::1]") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")


@pytest.mark.parametrize(
    "host, ok",
    [
        (f"127.0.0.1:{PORT}", True),
        (f"localhost:{PORT}", True),
        (f"[::1]:{PORT}", False),  # a server on 127.0.0.1 does not listen there
        ("evil.example", False),
        (f"evil.example:{PORT}", False),
        ("127.0.0.1:9999", False),
        ("127.0.0.1", False),
        (f"attacker.127.0.0.1.nip.io:{PORT}", False),
        ("", False),
    ],
)
def test_foreign_host_is_refused_over_http(loopback, host, ok):
    r = loopback.get("/api/registry", headers={"host": host})
    assert (r.status_code == 200) == ok, (host, r.status_code)
    if not ok:
        assert r.status_code == 403 and "Host" in r.text


@pytest.mark.parametrize(
    "origin, ok",
    [
        (OWN, True),
        (f"http://localhost:{PORT}", True),
        ("http://evil.example", False),
        ("null", False),
        ("http://localhost:8799", False),
        (f"https://127.0.0.1:{PORT}", False),
        (f"file://{PORT}", False),
        (None, False),
    ],
)
def test_websocket_needs_the_pages_own_origin(loopback, origin, ok):
    headers = {} if origin is None else {"origin": origin}
    assert ws_opens(loopback, f"ws://127.0.0.1:{PORT}/ws", **headers) == ok


def test_foreign_host_is_refused_over_websocket(loopback):
    assert not ws_opens(
        loopback, f"ws://evil.example:{PORT}/ws", origin=f"http://evil.example:{PORT}"
    )
    # rebinding: the attacker's page has its own name as Host and Origin
    assert not ws_opens(
        loopback, f"ws://rebind.example:{PORT}/ws", origin=f"http://rebind.example:{PORT}"
    )


def test_cross_origin_http_requests_are_refused(loopback):
    r = loopback.get("/api/registry", headers={"origin": "http://evil.example"})
    assert r.status_code == 403
    assert loopback.get("/api/registry", headers={"origin": OWN}).status_code == 200


def test_loopback_needs_no_token(loopback):
    assert loopback.get("/").status_code == 200
    assert ws_opens(loopback, f"ws://127.0.0.1:{PORT}/ws", origin=OWN)


def test_token_is_required_and_checked_beyond_loopback(tokened):
    own = f"http://192.0.2.10:{PORT}"
    for path in ["/", "/api/registry", "/static/app.js", "/api/health"]:
        r = tokened.get(path)
        assert r.status_code == 403 and "token" in r.text, path
        assert tokened.get(path + "?token=wrong-token").status_code == 403
    assert not ws_opens(tokened, f"ws://192.0.2.10:{PORT}/ws", origin=own)
    assert not ws_opens(tokened, f"ws://192.0.2.10:{PORT}/ws?token=nope", origin=own)
    # the printed URL: the token moves into a same-site cookie and the address loses it
    r = tokened.get(f"/?token={TOKEN}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert TOKEN in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    name = cookie.split("=", 1)[0]
    jar = {"cookie": f"{name}={TOKEN}"}
    assert tokened.get("/", headers=jar).status_code == 200
    assert tokened.get("/api/registry", headers=jar).status_code == 200
    assert tokened.get("/", headers={"cookie": f"{name}=wrong"}).status_code == 403
    assert ws_opens(tokened, f"ws://192.0.2.10:{PORT}/ws", origin=own, **jar)
    assert ws_opens(tokened, f"ws://192.0.2.10:{PORT}/ws?token={TOKEN}", origin=own)
    # the token does not replace the Host check
    assert tokened.get("/", headers={**jar, "host": "evil.example"}).status_code == 403


def test_no_token_is_accepted_from_another_origin(tokened):
    evil = "http://evil.example"
    assert not ws_opens(tokened, f"ws://192.0.2.10:{PORT}/ws?token={TOKEN}", origin=evil)
    assert not ws_opens(tokened, f"ws://192.0.2.10:{PORT}/ws?token={TOKEN}", origin="null")
    r = tokened.get(f"/api/registry?token={TOKEN}", headers={"origin": evil})
    assert r.status_code == 403
    # a link or form on another site: the browser marks it cross-site
    for site in ["cross-site", "same-site"]:
        r = tokened.get(
            f"/?token={TOKEN}", headers={"sec-fetch-site": site}, follow_redirects=False
        )
        assert r.status_code == 403, site


def test_serving_beyond_loopback_makes_a_token_a_warning_and_a_working_url():
    plan = access_plan("0.0.0.0", 8123)
    assert plan["token"] and len(plan["token"]) >= 30
    assert plan["url"].endswith(f":8123/?token={plan['token']}")
    assert "0.0.0.0:" not in plan["url"] and "[::]" not in plan["url"]
    assert "token" in plan["warning"] and "127.0.0.1" in plan["warning"]
    assert "0.0.0.0" not in plan["names"]
    assert access_plan("0.0.0.0", 8123)["token"] != plan["token"]  # a new secret each run
    local = access_plan("127.0.0.1", 8123)
    assert local == {
        "names": ["127.0.0.1", "localhost"],
        "token": None,
        "url": "http://127.0.0.1:8123/",
        "warning": None,
    }
    extra = access_plan("192.0.2.7", 80, allow_hosts=["Explorer.Example"], token="t" * 32)
    assert {"192.0.2.7", "explorer.example"} <= set(extra["names"])
    assert extra["url"] == "http://192.0.2.7:80/?token=" + "t" * 32


# ---------------------------------------------------------------- a real server, loopback
@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pytest.importorskip("websockets")
    from _webserver import ServerProcess

    srv = ServerProcess(tmp_path_factory.mktemp("exports"), max_seconds=120, strict_policy=True)
    yield srv
    srv.stop()


def _status(url, **headers):
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_real_server_refuses_foreign_host_and_origin(server):
    import websockets

    assert _status(server.url) == 200
    assert _status(server.url, Host="evil.example") == 403
    port = server.url.rsplit(":", 1)[1].strip("/")

    async def attempt(origin):
        try:
            async with websockets.connect(server.ws_url, origin=origin, open_timeout=20) as ws:
                return json.loads(await asyncio.wait_for(ws.recv(), 20))["type"]
        except websockets.exceptions.InvalidStatus as e:
            return e.response.status_code

    assert asyncio.run(attempt(f"http://127.0.0.1:{port}")) == "registry"
    assert asyncio.run(attempt("http://evil.example")) == 403
    assert asyncio.run(attempt("http://localhost:8799")) == 403
    # a rebinding page: its own name in Host and Origin, on the server's address and port
    with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as sock:
        sock.sendall(
            (
                f"GET /ws HTTP/1.1\r\nHost: evil.example:{port}\r\n"
                f"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                f"Sec-WebSocket-Version: 13\r\nOrigin: http://evil.example:{port}\r\n"
                f"\r\n"
            ).encode()
        )
        assert sock.recv(200).split(b"\r\n")[0].split()[1] == b"403"


# ------------------------------------------------------------ names the server listens on
@pytest.mark.parametrize(
    "host, bound, dual, names, url",
    [
        ("127.0.0.1", None, False, ["127.0.0.1", "localhost"], "http://127.0.0.1:8123/"),
        ("127.0.0.2", None, False, ["127.0.0.2"], "http://127.0.0.2:8123/"),
        ("::1", None, False, ["::1", "localhost"], "http://[::1]:8123/"),
        ("localhost", "127.0.0.1", False, ["127.0.0.1", "localhost"], "http://localhost:8123/"),
        ("localhost", "::1", False, ["::1", "localhost"], "http://localhost:8123/"),
    ],
)
def test_accepted_names_are_those_the_socket_listens_on(host, bound, dual, names, url):
    plan = access_plan(host, 8123, bound=bound, dual_stack=dual)
    assert plan["names"] == names and plan["url"] == url and plan["token"] is None
    # the printed URL's own Host is accepted
    assert split_host(url.split("/")[2])[0] in plan["names"]


def test_wildcards_accept_loopback_only_where_they_listen():
    v4 = access_plan("0.0.0.0", 8123, bound="0.0.0.0")["names"]
    assert "127.0.0.1" in v4 and "localhost" in v4 and "::1" not in v4
    assert not any(":" in n for n in v4)  # an IPv4 socket is not reached at an IPv6 address
    v6 = access_plan("::", 8123, bound="::", dual_stack=False)["names"]
    assert "::1" in v6 and not any(re.fullmatch(r"[0-9.]+", n) for n in v6)
    both = access_plan("::", 8123, bound="::", dual_stack=True)["names"]
    assert {"::1", "127.0.0.1", "localhost"} <= set(both)
    lan = access_plan("192.0.2.7", 8123)["names"]
    assert lan == ["192.0.2.7"]  # a LAN address only: loopback does not reach it


# --------------------------------------------------------------------- frames and scripts
def test_every_response_carries_frame_protection_and_the_policy(loopback):
    for path, status in [
        ("/", 200),
        ("/static/app.js", 200),
        ("/api/registry", 200),
        ("/download/" + "x" * 32, 404),
    ]:
        r = loopback.get(path)
        assert r.status_code == status, path
        assert r.headers["x-frame-options"] == "SAMEORIGIN", path
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'self'" in csp, path
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cross-origin-resource-policy"] == "same-origin"
    refused = loopback.get("/", headers={"host": "evil.example"})
    assert refused.status_code == 403 and refused.headers["x-frame-options"] == "SAMEORIGIN"
    # the page's own script and style sheet only: no inline code, no eval, nothing from
    # elsewhere; its WebSocket is its own server's
    csp = dict(
        (d.split()[0], d.split()[1:])
        for d in loopback.get("/").headers["content-security-policy"].split("; ")
    )
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'", f"ws://127.0.0.1:{PORT}", f"wss://127.0.0.1:{PORT}"]
    assert csp["base-uri"] == ["'none'"] and csp["form-action"] == ["'none'"]


def test_the_page_needs_nothing_the_policy_forbids():
    """No inline script or style and no handler attributes in the page; no eval in any of
    its scripts (the entry module and the modules it imports; the browser tests then run
    the page under the policy)."""
    from isotopy.web.app import STATIC

    html = (STATIC / "index.html").read_text()
    assert re.findall(r"<script[^>]*>", html) == ['<script type="module" src="/static/app.js">']
    assert "<style" not in html and not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    scripts = sorted(STATIC.glob("*.js"))
    assert STATIC / "app.js" in scripts
    for path in scripts:
        js = path.read_text()
        assert not re.search(r"\beval\(|new Function|setTimeout\(\s*[\"'`]", js), path.name
        templates = "".join(re.findall(r"`[^`]*`", js))
        assert not re.search(r"style=|\son[a-z]+=", templates), path.name


def test_real_server_sends_the_policy_and_refuses_names_it_does_not_listen_on(server):
    with urllib.request.urlopen(server.url, timeout=10) as r:
        assert "frame-ancestors 'self'" in r.headers["content-security-policy"]
        assert "script-src 'self';" in r.headers["content-security-policy"]
        assert r.headers["x-frame-options"] == "SAMEORIGIN"
    port = server.url.rsplit(":", 1)[1].strip("/")
    # the server listens on 127.0.0.1 only: [::1] does not reach it and is not accepted
    assert _status(server.url, Host=f"[::1]:{port}") == 403
    assert _status(server.url, Host=f"localhost:{port}") == 200


def test_the_printed_url_works_for_another_loopback_address(tmp_path):
    pytest.importorskip("websockets")
    from _webserver import ServerProcess

    try:
        socket.create_server(("127.0.0.2", 0)).close()
    except OSError:
        pytest.skip("127.0.0.2 cannot be bound on this machine")
    srv = ServerProcess(tmp_path / "exports", max_seconds=60, host="127.0.0.2", strict_policy=True)
    try:
        assert srv.url.startswith("http://127.0.0.2:")
        assert _status(srv.url) == 200
        assert _status(srv.url + "api/registry") == 200
    finally:
        srv.stop()
