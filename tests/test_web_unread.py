"""A tab that does not read: what waits for it is bounded (one view, replies up to a limit),
it is closed after the stated time or once too much waits, and the server's memory comes
back when it leaves."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request

import pytest

pytest.importorskip("fastapi")

from isotopy.web.outbox import Outbox  # noqa: E402


# ------------------------------------------------------------------------------ the outbox
def test_only_the_newest_view_waits_and_replies_go_first():
    async def go():
        dropped = []
        box = Outbox(max_chars=1000, on_frame_dropped=lambda: dropped.append(1))
        box.put("view 1", True)
        box.put("reply a", False)
        box.put("view 2", True)  # replaces view 1, which was never sent
        box.put("reply b", False)
        got = [await box.get() for _ in range(3)]
        return got, dropped, box

    got, dropped, box = asyncio.run(go())
    assert got == [("reply a", False), ("reply b", False), ("view 2", True)]
    assert dropped == [1] and box.frames_dropped == 1 and box.pending_chars == 0


def test_replies_past_the_limit_mark_the_outbox_overflowing():
    async def go():
        box = Outbox(max_chars=100)
        for _ in range(9):
            box.put("x" * 10, False)
        before = box.overflowing
        box.put("x" * 20, False)
        return before, box

    before, box = asyncio.run(go())
    assert not before and box.overflowing and box.reply_chars == 110
    box.close()  # everything waiting is dropped, later messages are ignored
    box.put("y", False)
    assert box.pending_chars == 0 and not box.replies


def test_a_send_that_waits_is_measured():
    now = [100.0]
    box = Outbox(clock=lambda: now[0])
    assert box.stalled_for() == 0.0
    box.sending()
    now[0] += 7.5
    assert box.stalled_for() == 7.5
    box.sent()
    assert box.stalled_for() == 0.0


def test_the_inbox_is_bounded_in_characters():
    from isotopy.web.protocol import parse_message
    from isotopy.web.session import Session
    from isotopy.web.worker import SessionWorker

    w = SessionWorker(Session(), lambda *a: None, lambda *a: "", inbox_chars=1000)
    ping = parse_message('{"type": "ping"}')
    assert w.submit(ping, 600)
    assert not w.submit(ping, 600)  # 1200 characters would wait: refused
    assert w.submit(ping, 300)
    assert w._next_message() is ping and w._queued_chars == 300
    assert w.submit(ping, 600)
    # one message larger than the whole allowance still passes when nothing waits
    w2 = SessionWorker(Session(), lambda *a: None, lambda *a: "", inbox_chars=10)
    assert w2.submit(ping, 5000)


# ----------------------------------------------------------------------------- a server
def _health(url: str) -> dict:
    with urllib.request.urlopen(url + "api/health", timeout=10) as r:
        return json.loads(r.read())


def _wait_for(pred, timeout: float) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


async def _sleeper(url: str, seconds: float) -> str | None:
    """A tab that asks for a stream of views, then never reads; how its sends end."""
    import websockets

    from _webload import origin_of

    async with websockets.connect(url, max_queue=1, origin=origin_of(url), max_size=None) as ws:
        for m in (
            {"type": "set_data", "dataset": "nested_spheres", "n": 5000, "params": {"dim": 8}},
            {"type": "set_network", "hidden": [16, 16, 16]},
            {"type": "play"},
        ):
            await ws.send(json.dumps(m))
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            await asyncio.sleep(0.5)
            try:
                await asyncio.wait_for(ws.send(json.dumps({"type": "ping"})), 2)
            except (websockets.exceptions.ConnectionClosed, OSError) as e:
                return type(e).__name__
            except asyncio.TimeoutError:
                pass
    return None


@pytest.fixture
def stalling_server():
    pytest.importorskip("websockets")
    from _webserver import ThreadServer

    srv = ThreadServer(stall_s=2.0)
    yield srv
    srv.stop()


@pytest.mark.slow
def test_a_tab_that_does_not_read_is_closed_after_the_stated_time(stalling_server):
    srv = stalling_server
    t0 = time.perf_counter()
    ended = asyncio.run(_sleeper(srv.ws_url, 40))
    took = time.perf_counter() - t0
    assert ended == "ConnectionClosedError", ended
    assert _wait_for(lambda: _health(srv.url)["sessions"] == 0, 10)
    h = _health(srv.url)
    assert h["closed_unread"] == 1 and h["waiting_chars"] == 0
    # its sends filled the socket's buffers first (a few MB), then 2 s without progress
    assert took < 30, took


def test_a_tab_that_lets_replies_pile_up_is_closed():
    pytest.importorskip("websockets")
    from _webload import unread_client
    from _webserver import ThreadServer

    srv = ThreadServer(max_pending_chars=2**20)  # 1 MB of replies may wait
    try:
        r = asyncio.run(unread_client(srv.ws_url, 30))
        assert r["closed"] is not None and r["seconds"] < 30, r
        assert _wait_for(lambda: _health(srv.url)["sessions"] == 0, 10)
        assert _health(srv.url)["closed_unread"] == 1
    finally:
        srv.stop()


@pytest.mark.slow
def test_memory_of_a_tab_that_sends_for_20_s_without_reading(tmp_path):
    """The issue's bound: the server grows by less than 400 MB while a tab sends for 20 s and
    reads nothing, and comes back within 50 MB of the start once it has left (the start:
    after one tab has used the same features, so that imports and caches are warm)."""
    pytest.importorskip("websockets")
    from _webload import unread_client, warm_client
    from _webserver import ServerProcess

    srv = ServerProcess(tmp_path / "exports", max_seconds=300)
    try:
        asyncio.run(warm_client(srv.ws_url))
        assert _wait_for(lambda: _health(srv.url)["sessions"] == 0, 20)
        time.sleep(1)
        start = srv.rss_mb()
        peak = [start]
        r = asyncio.run(unread_client(srv.ws_url, 20, sample=lambda: peak.append(srv.rss_mb())))
        assert r["sent"] > 1000, r
        assert _wait_for(lambda: _health(srv.url)["sessions"] == 0, 20)
        time.sleep(1)
        after = srv.rss_mb()
        print(
            f"unread tab: {r['sent']} messages, {r['chars'] / 1e6:.0f} MB sent in "
            f"{r['seconds']:.1f} s ({r['closed'] or 'not closed'}); server memory start "
            f"{start:.0f} MB, peak {max(peak):.0f} MB (+{max(peak) - start:.0f}), after "
            f"{after:.0f} MB ({after - start:+.0f})"
        )
        assert max(peak) - start < 400, (start, max(peak))
        assert abs(after - start) < 50, (start, after)
        assert srv.alive()
    finally:
        srv.stop()
