"""Speed and load of the web explorer, on a real server on 127.0.0.1 (run by hand).

    OMP_NUM_THREADS=1 python benchmarks/web_load.py                # 30 tabs x 30 s
    OMP_NUM_THREADS=1 python benchmarks/web_load.py --sessions 5 --seconds 10
    OMP_NUM_THREADS=1 python benchmarks/web_load.py --unit-views-only   # the unit views alone

Prints: view updates per second streamed to one tab training a 2-2-2-2 tanh network on 500
points (target >= 20), the time a control takes to answer while training (target <= 100
ms), then N tabs training at once while a fuzzer sends bad messages: updates per second per
tab, errors, and the server's memory before, after, and after a second wave; then the
control-change latency of one more tab while the N tabs train, with a tab that never reads
and a tab that exports in a loop (data and weights, 20 a second) in the mix (target: median
<= 250 ms, every training tab >= 3 updates/s; the export loop is refused once over its
quota of 100 files in the export folder), and the server's peak memory through a wave of N
tabs of which a third also export GIFs (target < 1.5 GB).

The unit views (the network drawn unit by unit, issue 26): the CPU time of one unit-views
message of a 2-6-6-1 tanh network at 32 x 32 against that of the stage view in a view update
(target: at most as much), then one tab and N tabs training 2-6-6-1 networks with the unit
views live (target: every tab >= 3 view updates/s, each followed by its unit views).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _webload import (  # noqa: E402
    control_latency,
    export_client,
    export_loop,
    stalled_client,
    training_client,
    unit_views_client,
    wave,
)
from _webserver import ServerProcess  # noqa: E402


def view_cost(n: int = 200) -> str:
    """CPU time of one view update alone (in this process, no server): the training tab's
    setup (2-2-2-2 tanh, 500 points, the read-out's input in view), full and coarse."""
    import torch

    from isotopy.web.protocol import parse_message
    from isotopy.web.session import Session

    torch.set_num_threads(1)
    out = []
    for coarse in (False, True):
        s = Session()
        for m in (
            {"type": "set_data", "dataset": "disc_annulus", "n": 500},
            {"type": "set_network", "hidden": [2, 2, 2]},
            {"type": "view", "stage": 6},
            {"type": "play"},
        ):
            s.handle(parse_message(json.dumps(m)))
        s.coarse = coarse
        step = frame = 0.0
        for i in range(n + 20):
            t0 = time.thread_time()
            s.train(0.002)
            t1 = time.thread_time()
            s.frame()
            if i >= 20:  # after a warm-up
                step, frame = step + t1 - t0, frame + time.thread_time() - t1
        out.append(
            f"{'coarse' if coarse else 'full'} view {1e3 * frame / n:.2f} ms "
            f"(training slice {1e3 * step / n:.2f} ms)"
        )
    return "CPU per view update alone: " + "; ".join(out)


def unit_view_cost(n: int = 200, resolution: int = 32) -> str:
    """CPU time of the unit views of a 2-6-6-1 tanh network on 500 points (the message built,
    and its JSON text) against the stage view's share of a view update: the same update with
    the last hidden layer in view, less the update without a stage view (2-D data)."""
    import torch

    from isotopy.web.protocol import parse_message
    from isotopy.web.session import Session

    torch.set_num_threads(1)
    s = Session()
    for m in (
        {"type": "set_data", "dataset": "disc_annulus", "n": 500},
        {"type": "set_network", "hidden": [6, 6]},
        {"type": "unit_views", "resolution": resolution, "live": True},
        {"type": "play"},
    ):
        s.handle(parse_message(json.dumps(m)))
    frame_ms = {}
    units = 0.0
    for stage in (4, 0, 4, 0):
        s.handle(parse_message(json.dumps({"type": "view", "stage": stage})))
        frame = 0.0
        for i in range(n + 20):
            s.train(0.002)
            t0 = time.thread_time()
            s.frame()
            t1 = time.thread_time()
            if i >= 20:
                frame += t1 - t0
                if stage == 4:
                    json.dumps(s.live_unit_views())
                    units += time.thread_time() - t1
        frame_ms.setdefault(stage, []).append(1e3 * frame / n)
    with_stage, without = min(frame_ms[4]), min(frame_ms[0])
    unit_ms = 1e3 * units / (2 * n)
    size = len(json.dumps(s.live_unit_views())) / 1024
    return (
        f"2-6-6-1 on 500 points: a view update {with_stage:.2f} ms with the stage view, "
        f"{without:.2f} ms without (the stage view {with_stage - without:.2f} ms); the unit "
        f"views at {resolution}x{resolution} {unit_ms:.2f} ms with their JSON, {size:.1f} KiB "
        f"({unit_ms / with_stage:.2f} of the view update with the stage view)"
    )


def unit_views_case(srv, sessions: int, seconds: float, single_seconds: float) -> None:
    """One tab, then ``sessions`` tabs, training 2-6-6-1 networks with the unit views live."""
    one = asyncio.run(unit_views_client(srv.ws_url, single_seconds))
    print(
        f"one tab, 2-6-6-1 with the unit views live: {one['fps']:.1f} view updates/s, "
        f"{one['ups']:.1f} unit views/s ({one['unit_bytes'] / max(one['units'], 1) / 1024:.1f} "
        f"KiB each), errors {len(one['errors'])}"
    )
    print(f"before the unit-views wave: {load()}")
    t0, cpu0 = time.perf_counter(), cpu_seconds(srv.server_pid)
    res = asyncio.run(_gather(unit_views_client(srv.ws_url, seconds) for _ in range(sessions)))
    wall, cpu = time.perf_counter() - t0, cpu_seconds(srv.server_pid) - cpu0
    fps, ups = [r["fps"] for r in res], [r["ups"] for r in res]
    print(
        f"{sessions} tabs x {seconds:.0f} s, 2-6-6-1 with the unit views live: view updates/s "
        f"per tab min {min(fps):.1f} median {statistics.median(fps):.1f} (target >= 3); unit "
        f"views/s per tab min {min(ups):.1f} median {statistics.median(ups):.1f}; total "
        f"{sum(fps):.0f} + {sum(ups):.0f}/s; errors {sum(len(r['errors']) for r in res)}; "
        f"server CPU {cpu / wall:.2f} cores; after: {load()}"
    )


async def _gather(coros):
    return await asyncio.gather(*coros)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--single-seconds", type=float, default=10.0)
    ap.add_argument(
        "--unit-views-only",
        action="store_true",
        help="measure only the unit views (their cost, one tab, N tabs)",
    )
    args = ap.parse_args()
    print(f"start: {load()}")
    if not args.unit_views_only:
        print(view_cost())
    print(unit_view_cost())
    with tempfile.TemporaryDirectory() as tmp:
        srv = ServerProcess(
            Path(tmp) / "exports", max_seconds=int(5 * args.seconds + 300), strict_policy=True
        )
        try:
            if args.unit_views_only:
                unit_views_case(srv, args.sessions, args.seconds, args.single_seconds)
                return 0
            rss0 = srv.rss_mb()
            one = asyncio.run(training_client(srv.ws_url, args.single_seconds))
            print(
                f"one tab, 2-2-2-2 tanh on 500 points: {one['fps']:.1f} view updates/s "
                f"(target >= 20), {one['steps'] / args.single_seconds:.0f} steps/s, "
                f"{one['bytes'] / max(one['frames'], 1) / 1024:.1f} KiB per update, "
                f"errors {len(one['errors'])}"
            )
            lat = asyncio.run(control_latency(srv.ws_url))
            print(
                f"control answered while training: median {statistics.median(lat):.1f} ms, "
                f"max {max(lat):.1f} ms over {len(lat)} controls (target <= 100 ms)"
            )
            time.sleep(1)
            rss1 = srv.rss_mb()
            print(f"before the wave: {load()}")
            t0, cpu0 = time.perf_counter(), cpu_seconds(srv.server_pid)
            res = asyncio.run(wave(srv.ws_url, args.sessions, args.seconds))
            wall, cpu = time.perf_counter() - t0, cpu_seconds(srv.server_pid) - cpu0
            trainers, fuzz = res[:-1], res[-1]
            fps = [r["fps"] for r in trainers]
            errs = sum(len(r["errors"]) for r in trainers)
            time.sleep(2)
            rss2 = srv.rss_mb()
            res2 = asyncio.run(wave(srv.ws_url, args.sessions, args.seconds / 3, fuzz=False))
            time.sleep(2)
            rss3 = srv.rss_mb()
            print(
                f"{args.sessions} tabs x {args.seconds:.0f} s (wall {wall:.1f} s): view "
                f"updates/s per tab min {min(fps):.1f} median {statistics.median(fps):.1f} "
                f"max {max(fps):.1f}; total {sum(fps):.0f}/s; steps per tab median "
                f"{statistics.median(r['steps'] for r in trainers):.0f}; errors {errs}"
            )
            print(
                f"server CPU during the wave: {cpu:.1f} s in {wall:.1f} s ({cpu / wall:.2f} "
                f"cores); {sum(r['frames'] for r in trainers) / cpu:.0f} view updates per "
                f"server CPU second; after the wave: {load()}"
            )
            print(
                f"fuzzer: {fuzz['sent']} bad messages, {fuzz['errors']} error replies, "
                f"session alive afterwards: {fuzz['alive']}"
            )
            print(
                f"server memory: start {rss0:.0f} MB, after one tab {rss1:.0f} MB, after "
                f"the wave {rss2:.0f} MB, after a second wave {rss3:.0f} MB "
                f"(growth {rss3 - rss2:+.1f} MB); second-wave errors "
                f"{sum(len(r['errors']) for r in res2)}; server alive: {srv.alive()}"
            )
            print(f"before the crowded run: {load()}")
            crowd = asyncio.run(crowded(srv, args.sessions, args.seconds))
            lat = crowd["latency"]
            fps = [r["fps"] for r in crowd["trainers"]]
            print(
                f"{args.sessions} tabs training + 1 probing + 1 not reading + 1 exporting in "
                f"a loop: control answered median {statistics.median(lat):.0f} ms, max "
                f"{max(lat):.0f} ms over {len(lat)} (target median <= 250 ms); updates/s per "
                f"tab min {min(fps):.1f} median {statistics.median(fps):.1f} (target >= 3); "
                f"errors {sum(len(r['errors']) for r in crowd['trainers'])}"
            )
            st, ex = crowd["stalled"], crowd["exports_loop"]
            print(
                f"  the tab not reading: sent {st['sent']} controls, closed by the server: "
                f"{st['closed'] or 'no'} (it is closed after 60 s without reading); the "
                f"export loop: {ex['downloads']} downloads ({ex['bytes'] / 2**20:.1f} MB), "
                f"{ex['refused']} refused; first refusal: {ex['first_refusal']!r}"
            )
            print(
                f"{args.sessions} tabs, {crowd['exporters']} of them exporting GIFs: "
                f"exports {crowd['exports']}, server memory peak {crowd['peak_mb']:.0f} MB "
                f"(target < 1500), after {srv.rss_mb():.0f} MB; server alive: {srv.alive()}"
            )
            unit_views_case(srv, args.sessions, args.seconds, args.single_seconds)
            print(f"at the end: {load()}")
        finally:
            srv.stop()
    return 0


async def crowded(srv, sessions: int, seconds: float) -> dict:
    """N tabs training while one more tab times its controls, one tab never reads and one
    exports in a loop; then N tabs again, a third of them exporting 120-frame 480 px GIFs,
    sampling the server's memory every 0.2 s."""
    trainers = [training_client(srv.ws_url, seconds) for _ in range(sessions)]

    async def probe():
        await asyncio.sleep(min(5.0, seconds / 3))
        return await control_latency(srv.ws_url, tries=20)

    *tr, lat, stalled, exports = await asyncio.gather(
        *trainers, probe(), stalled_client(srv.ws_url, seconds), export_loop(srv.ws_url, seconds)
    )
    peak = [srv.rss_mb()]
    stop = asyncio.Event()

    async def sample():
        while not stop.is_set():
            peak.append(srv.rss_mb())
            await asyncio.sleep(0.2)

    sampler = asyncio.create_task(sample())
    exporters = max(1, sessions // 3)
    jobs = [export_client(srv.ws_url, frames=120, size=480, timeout=600) for _ in range(exporters)]
    jobs += [training_client(srv.ws_url, seconds / 2) for _ in range(sessions - exporters)]
    res = await asyncio.gather(*jobs)
    stop.set()
    await sampler
    kinds = [r["type"] for r in res[:exporters]]
    return {
        "latency": lat,
        "trainers": tr,
        "stalled": stalled,
        "exports_loop": exports,
        "exporters": exporters,
        "peak_mb": max(peak),
        "exports": {k: kinds.count(k) for k in set(kinds)},
    }


if __name__ == "__main__":
    sys.exit(main())
