"""Speed and load of the web explorer, on a real server on 127.0.0.1 (run by hand).

    OMP_NUM_THREADS=1 python benchmarks/web_load.py                # 20 tabs x 30 s
    OMP_NUM_THREADS=1 python benchmarks/web_load.py --sessions 5 --seconds 10

Prints: view updates per second streamed to one tab training a 2-2-2-2 tanh network on 500
points (target >= 20), the time a control takes to answer while training (target <= 100
ms), then N tabs training at once while a fuzzer sends bad messages: updates per second per
tab, errors, and the server's memory before, after, and after a second wave.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _webload import control_latency, training_client, wave  # noqa: E402
from _webserver import ServerProcess  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--single-seconds", type=float, default=10.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        srv = ServerProcess(Path(tmp) / "exports", max_seconds=int(4 * args.seconds + 300))
        try:
            rss0 = srv.rss_mb()
            one = asyncio.run(training_client(srv.ws_url, args.single_seconds))
            print(f"one tab, 2-2-2-2 tanh on 500 points: {one['fps']:.1f} view updates/s "
                  f"(target >= 20), {one['steps'] / args.single_seconds:.0f} steps/s, "
                  f"{one['bytes'] / max(one['frames'], 1) / 1024:.1f} KiB per update, "
                  f"errors {len(one['errors'])}")
            lat = asyncio.run(control_latency(srv.ws_url))
            print(f"control answered while training: median {statistics.median(lat):.1f} ms, "
                  f"max {max(lat):.1f} ms over {len(lat)} controls (target <= 100 ms)")
            time.sleep(1)
            rss1 = srv.rss_mb()
            t0 = time.perf_counter()
            res = asyncio.run(wave(srv.ws_url, args.sessions, args.seconds))
            wall = time.perf_counter() - t0
            trainers, fuzz = res[:-1], res[-1]
            fps = [r["fps"] for r in trainers]
            errs = sum(len(r["errors"]) for r in trainers)
            time.sleep(2)
            rss2 = srv.rss_mb()
            res2 = asyncio.run(wave(srv.ws_url, args.sessions, args.seconds / 3, fuzz=False))
            time.sleep(2)
            rss3 = srv.rss_mb()
            print(f"{args.sessions} tabs x {args.seconds:.0f} s (wall {wall:.1f} s): view "
                  f"updates/s per tab min {min(fps):.1f} median {statistics.median(fps):.1f} "
                  f"max {max(fps):.1f}; total {sum(fps):.0f}/s; steps per tab median "
                  f"{statistics.median(r['steps'] for r in trainers):.0f}; errors {errs}")
            print(f"fuzzer: {fuzz['sent']} bad messages, {fuzz['errors']} error replies, "
                  f"session alive afterwards: {fuzz['alive']}")
            print(f"server memory: start {rss0:.0f} MB, after one tab {rss1:.0f} MB, after "
                  f"the wave {rss2:.0f} MB, after a second wave {rss3:.0f} MB "
                  f"(growth {rss3 - rss2:+.1f} MB); second-wave errors "
                  f"{sum(len(r['errors']) for r in res2)}; server alive: {srv.alive()}")
        finally:
            srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
