"""Clients for load tests of the explorer: training sessions, a fuzzer, a latency probe.

Used by tests/test_web_load.py (short) and benchmarks/web_load.py (the full 30 s run).
"""

from __future__ import annotations

import asyncio
import json
import time

import websockets

OPEN = ["registry", "data", "network", "status"]


def origin_of(url: str) -> str:
    """The page's own origin for a server's WebSocket URL (the server refuses any other)."""
    return "http://" + url.split("://", 1)[1].split("/", 1)[0]


def connect(url: str):
    return websockets.connect(url, max_size=2**25, open_timeout=30, origin=origin_of(url))


async def _recv(ws, timeout=20.0):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def _play_and_count(url: str, seconds: float, setup: list[dict]) -> dict:
    """Open a tab, send ``setup`` (ending in play), and count for ``seconds``: the view
    updates while playing (frames, bytes, steps) and the unit views after the first one."""
    async with connect(url) as ws:
        for _ in OPEN:
            await _recv(ws)
        for m in setup:
            await ws.send(json.dumps(m))
        c = {"frames": 0, "bytes": 0, "units": 0, "unit_bytes": 0, "errors": []}
        first_step, last_step, t_first = None, 0, None
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            raw = await asyncio.wait_for(ws.recv(), 20)
            m = json.loads(raw)
            if m["type"] == "frame" and m["playing"]:
                c["frames"] += 1
                c["bytes"] += len(raw)
                if t_first is None:
                    t_first, first_step = time.perf_counter(), m["step"]
                last_step = m["step"]
            elif m["type"] == "unit_views" and t_first is not None:
                c["units"] += 1
                c["unit_bytes"] += len(raw)
            elif m["type"] == "error":
                c["errors"].append(m["message"])
        elapsed = max(time.perf_counter() - (t_first or t0), 1e-9)
        await ws.send(json.dumps({"type": "pause"}))
    c["steps"] = last_step - (first_step or 0)
    c["fps"], c["ups"] = c["frames"] / elapsed, c["units"] / elapsed
    return c


def _training_setup(hidden, n: int) -> list[dict]:
    return [
        {"type": "set_data", "dataset": "disc_annulus", "n": n},
        {"type": "set_network", "hidden": list(hidden)},
        {"type": "view", "stage": 2 * len(hidden)},
    ]


async def training_client(url: str, seconds: float, hidden=(2, 2, 2), n: int = 500) -> dict:
    """One tab: a dataset of n points, a tanh network, play for ``seconds``; counts frames."""
    c = await _play_and_count(url, seconds, [*_training_setup(hidden, n), {"type": "play"}])
    return {k: c[k] for k in ("frames", "fps", "errors", "steps", "bytes")}


async def unit_views_client(
    url: str, seconds: float, hidden=(6, 6), n: int = 500, resolution: int = 32
) -> dict:
    """One tab with the network drawn unit by unit: a 2-D dataset of n points, a tanh network
    (2-6-6-1 by default), the unit views live at ``resolution``, the last hidden layer in
    the stage view, play for ``seconds``; counts view updates and unit views."""
    live = {"type": "unit_views", "resolution": resolution, "live": True}
    c = await _play_and_count(url, seconds, [*_training_setup(hidden, n), live, {"type": "play"}])
    return {k: c[k] for k in ("frames", "fps", "units", "ups", "unit_bytes", "errors", "steps")}


BAD_MESSAGES = [
    "not json at all",
    '{"type": 5}',
    '{"type": "set_network", "hidden": "wide"}',
    '{"type": "set_network", "hidden": [1000000]}',
    '{"type": "step", "steps": -3}',
    '{"type": "play", "unknown_field": 1}',
    json.dumps({"type": "add_point", "x": [0.5] * 200_000, "label": 0}),
    json.dumps(
        {"type": "set_data", "dataset": "spirals", "params": {f"p{i}": 1 for i in range(100)}}
    ),
    json.dumps({"type": "upload_csv", "text": "1,2,0\n" * 10}),  # a single class
    json.dumps({"type": "view", "stage": 17}),
    '{"type": "export", "what": "../../../etc/passwd"}',
    "[" * 10000 + "]" * 10000,
    json.dumps({"type": "upload_csv", "text": "0.5,0.5,1\n" * 500_000}),  # 5 MB: too large
]


async def fuzz_client(url: str, rounds: int = 3, pause_s: float = 0.2) -> dict:
    """Send every bad message ``rounds`` times; count the error replies, then check a ping."""
    async with connect(url) as ws:
        for _ in OPEN:
            await _recv(ws)
        sent, errors = 0, 0
        for _ in range(rounds):
            for text in BAD_MESSAGES:
                await ws.send(text)
                sent += 1
                while True:
                    m = await _recv(ws)
                    if m["type"] == "error":
                        errors += 1
                        break
                await asyncio.sleep(pause_s / len(BAD_MESSAGES))
        await ws.send(json.dumps({"type": "ping", "id": 5}))
        while (m := await _recv(ws))["type"] != "pong":
            pass
    return {"sent": sent, "errors": errors, "alive": m.get("id") == 5}


async def control_latency(url: str, tries: int = 20, hidden=(2, 2, 2)) -> list[float]:
    """While training, time from sending a control to receiving its status reply (ms)."""
    out = []
    async with connect(url) as ws:
        for _ in OPEN:
            await _recv(ws)
        await ws.send(json.dumps({"type": "set_network", "hidden": list(hidden)}))
        await ws.send(json.dumps({"type": "view", "stage": 2 * len(hidden)}))
        await ws.send(json.dumps({"type": "play"}))
        await asyncio.sleep(1.0)
        for i in range(tries):
            lr = 0.01 + 0.001 * i
            t0 = time.perf_counter()
            await ws.send(json.dumps({"type": "set_train", "lr": lr, "id": 1000 + i}))
            while True:
                m = await _recv(ws)
                if m["type"] == "status" and m.get("id") == 1000 + i:
                    break
            out.append(1000 * (time.perf_counter() - t0))
            await asyncio.sleep(0.05)
        t0 = time.perf_counter()
        await ws.send(json.dumps({"type": "pause", "id": 1}))
        while True:
            m = await _recv(ws)
            if m["type"] == "status" and m.get("id") == 1:
                break
        out.append(1000 * (time.perf_counter() - t0))
    return out


async def wave(url: str, sessions: int, seconds: float, *, fuzz: bool = True):
    tasks = [training_client(url, seconds) for _ in range(sessions)]
    if fuzz:
        tasks.append(fuzz_client(url))
    return await asyncio.gather(*tasks)


async def export_client(
    url: str, what: str = "gif", frames: int = 120, size: int = 480, timeout: float = 120.0
) -> dict:
    """One tab that trains a little, then asks for a GIF / MP4 and waits for its download."""
    async with connect(url) as ws:
        for _ in OPEN:
            await _recv(ws)
        await ws.send(json.dumps({"type": "step", "steps": 50, "id": 1}))
        t0 = time.perf_counter()
        await ws.send(
            json.dumps({"type": "export", "what": what, "frames": frames, "size": size, "id": 2})
        )
        while True:
            m = await _recv(ws, timeout)
            if m.get("id") == 2 and m["type"] in ("download", "error", "cancelled"):
                return {
                    "type": m["type"],
                    "seconds": time.perf_counter() - t0,
                    "size": m.get("size"),
                    "message": m.get("message"),
                }


async def control_probe(
    url: str, start: asyncio.Event, tries: int = 10, gap_s: float = 0.3
) -> list[float]:
    """A training tab that, once ``start`` is set, times ``tries`` learning-rate changes (ms)
    from sending each to its status reply."""
    out = []
    async with connect(url) as ws:
        for _ in OPEN:
            await _recv(ws)
        await ws.send(json.dumps({"type": "play"}))
        await start.wait()
        for i in range(tries):
            t0 = time.perf_counter()
            await ws.send(json.dumps({"type": "set_train", "lr": 0.02 + 0.001 * i, "id": 500 + i}))
            while True:
                m = await _recv(ws)
                if m["type"] == "status" and m.get("id") == 500 + i:
                    break
            out.append(1000 * (time.perf_counter() - t0))
            await asyncio.sleep(gap_s)
        await ws.send(json.dumps({"type": "pause"}))
    return out


async def exports_and_controls(
    url: str, exporters: int = 2, frames: int = 120, size: int = 480, tries: int = 10
) -> dict:
    """``exporters`` tabs render GIFs while another tab changes a control now and then."""
    start = asyncio.Event()

    async def exports():
        tasks = [
            asyncio.create_task(export_client(url, frames=frames, size=size))
            for _ in range(exporters)
        ]
        await asyncio.sleep(1.0)  # the renders are under way
        start.set()
        return await asyncio.gather(*tasks)

    lat, done = await asyncio.gather(control_probe(url, start, tries), exports())
    return {"latency_ms": lat, "exports": done}


def _unread_messages(csv_text: str) -> list[str]:
    """What a tab that never reads sends in a loop: requests with large replies (8-D data of
    5000 points, animations of 240 frames, uploads), exports, and small ones."""
    return [
        json.dumps(
            {"type": "set_data", "dataset": "nested_spheres", "n": 5000, "params": {"dim": 8}}
        ),
        json.dumps({"type": "animate", "kind": "isotopy", "frames": 240, "id": 1}),
        json.dumps({"type": "upload_csv", "text": csv_text, "id": 2}),
        json.dumps({"type": "export", "what": "data", "id": 3}),
        json.dumps({"type": "ping", "id": 4}),
        json.dumps({"type": "play"}),
        json.dumps({"type": "set_train", "lr": 0.02, "id": 5}),
    ]


async def unread_client(url: str, seconds: float, sample=None) -> dict:
    """A tab that sends for ``seconds`` and never reads: it stops when the server closes it.
    ``sample()`` is called about every 0.2 s (a memory probe). Returns what it sent and how
    the connection ended."""
    rows = "".join(f"{i % 97 / 97:.4f},{i % 89 / 89:.4f},{i % 2}\n" for i in range(4900))
    messages = _unread_messages(rows)
    sent = chars = 0
    closed = None
    # max_queue=1: the client's library stops reading the socket after one message, so the
    # server's replies back up to it (what a page that does not read does)
    async with websockets.connect(
        url, max_size=None, max_queue=1, open_timeout=30, origin=origin_of(url)
    ) as ws:
        t0 = last = time.perf_counter()
        try:
            while time.perf_counter() - t0 < seconds:
                text = messages[sent % len(messages)]
                await asyncio.wait_for(ws.send(text), 5)
                sent += 1
                chars += len(text)
                if sample is not None and time.perf_counter() - last > 0.2:
                    sample()
                    last = time.perf_counter()
                await asyncio.sleep(0)
        except (websockets.exceptions.ConnectionClosed, asyncio.TimeoutError, OSError) as e:
            closed = f"{type(e).__name__}: {e}"
        elapsed = time.perf_counter() - t0
    return {"sent": sent, "chars": chars, "seconds": elapsed, "closed": closed}


async def warm_client(url: str) -> None:
    """A tab that reads and uses what :func:`unread_client` sends, once (imports and caches
    of the server are warm afterwards), until its last animation arrives."""
    rows = "".join(f"{i % 97 / 97:.4f},{i % 89 / 89:.4f},{i % 2}\n" for i in range(4900))
    async with connect(url) as ws:
        for m in _unread_messages(rows):
            await ws.send(m)
        await ws.send(json.dumps({"type": "pause"}))
        await ws.send(json.dumps({"type": "animate", "kind": "isotopy", "frames": 240, "id": 99}))
        while True:
            m = await _recv(ws, 120)
            if m.get("id") == 99 and m["type"] not in ("queued", "status"):
                return


async def stalled_client(url: str, seconds: float, every_s: float = 0.5) -> dict:
    """A tab that trains and never reads (a frozen page): it asks for views, then sends a
    control every ``every_s`` seconds; how many it sent and whether the server closed it."""
    sent, closed = 0, None
    async with websockets.connect(url, max_queue=1, origin=origin_of(url), max_size=None) as ws:
        await ws.send(json.dumps({"type": "play"}))
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            await asyncio.sleep(every_s)
            try:
                await asyncio.wait_for(ws.send(json.dumps({"type": "set_train", "lr": 0.02})), 2)
                sent += 1
            except (websockets.exceptions.ConnectionClosed, OSError) as e:
                closed = type(e).__name__
                break
            except asyncio.TimeoutError:
                pass
    return {"sent": sent, "closed": closed}


async def export_loop(
    url: str, seconds: float, kinds=("data", "weights"), rate: float = 20.0
) -> dict:
    """A tab that exports in a loop for ``seconds`` (data and weights in turn, at most
    ``rate`` a second, each once the last one is answered: the measured attack wrote 34 a
    second); counts the downloads and the refusals (quotas), and keeps the first refusal."""
    out = {"downloads": 0, "refused": 0, "first_refusal": None, "bytes": 0}
    async with connect(url) as ws:
        for _ in OPEN:
            await _recv(ws)
        await ws.send(json.dumps({"type": "step", "steps": 20}))
        t0, i = time.perf_counter(), 0
        while time.perf_counter() - t0 < seconds:
            what = kinds[i % len(kinds)]
            i += 1
            await ws.send(json.dumps({"type": "export", "what": what, "id": i}))
            while True:
                m = await _recv(ws, 120)
                if m.get("id") == i and m["type"] in ("download", "error", "cancelled"):
                    break
            if m["type"] == "download":
                out["downloads"] += 1
                out["bytes"] += m["size"]
            else:
                out["refused"] += 1
                out["first_refusal"] = out["first_refusal"] or m.get("message")
            await asyncio.sleep(1.0 / rate)
    return out
