"""Throughput of batched training against a per-network PyTorch loop, measured in one run.

Setting (issue 6): 2 inputs, three hidden tanh layers of width 2, 1,000 points of
disc_annulus, full-batch Adam at fit's default rate (0.02). For N = 1, 100, 1,000 and 10,000
networks trained as one program by ``isotopy.fit`` (uncompiled, and with ``compile=True``)
we report network-steps per second and peak memory, next to networks trained one after
another by an ordinary PyTorch loop (``nn.Sequential`` of ``nn.Linear``/``nn.Tanh``,
``torch.optim.Adam``, ``BCEWithLogitsLoss``, one thread: its fastest setting, every op being
tiny).

Every step of both is time-stamped. On a shared machine the speed of the same code changes by
up to a factor of 2 within seconds, so the headline rate of each side is its best sustained
rate over any window of ``--window`` seconds (0.3 s: a few hundred loop steps, a few dozen
batched steps), the same rule for both; the rate over whole runs is printed next to it. The
loop trains networks before and after the batched runs, and then, since the loop alone uses
one core, in ``--threads`` processes at once: their combined whole-run rate is the reference
of the last ratio column. Each measurement runs in its own subprocess, so that its peak
resident memory (VmHWM) is its own; compiling happens once per N before the timed run and
is left out of the rates (its time is the "warm-up" column).

With ``--threads`` T > 1 the sizes in ``--split`` are also measured as T one-thread processes
that share the N networks (N/T each), the way ``isotopy sweep --workers T`` uses T cores:
they warm up first, start their timed runs together, and their time-stamped steps are merged
on one clock for the combined rates. OpenMP threads in one process synchronise a dozen times a
step and run the Python part of each step on one core; separate processes do neither.

    PYTHONPATH=src python benchmarks/batched_training.py --threads 2
    PYTHONPATH=src python benchmarks/batched_training.py --sizes 1000 --threads 2 --compile on
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import subprocess
import sys
import tempfile
import time

N_POINTS = 1000
HIDDEN = (2, 2, 2)


def _mem_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MiB, from /proc/self/status."""
    vals = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                vals[key] = int(value.split()[0]) / 1024
    return vals.get("VmRSS", float("nan")), vals.get("VmHWM", float("nan"))


def _data():
    import torch

    from isotopy import make_dataset

    X, y = make_dataset("disc_annulus", N_POINTS, seed=0)
    return torch.as_tensor(X), torch.as_tensor(y)


def _best_rate(runs: list[tuple[list[float], float]], window: float) -> float:
    """Best rate (work per second) over any stretch of ``window`` seconds or more.

    ``runs`` holds, per process, its time stamps (the start of its first timed step, then the
    end of every step) and the work of one step; ``time.perf_counter`` is the system-wide
    monotonic clock on Linux, so processes run at the same time share one time axis. A
    stretch runs from a stamp to a later stamp, and counts only the steps that both began and
    ended inside it. For each end stamp the shortest stretch of at least ``window`` seconds
    counts; for one process this is the best rate over runs of consecutive steps.
    """
    bounds = sorted(t for stamps, _ in runs for t in stamps)
    best = 0.0
    for e in bounds:
        k = bisect.bisect_right(bounds, e - window) - 1
        if k < 0:
            continue
        s = bounds[k]
        work = 0.0
        for stamps, w in runs:  # steps k with stamps[k-1] >= s and stamps[k] <= e
            first = bisect.bisect_left(stamps, s) + 1
            last = bisect.bisect_right(stamps, e) - 1
            work += w * max(0, last - first + 1)
        best = max(best, work / (e - s))
    if best == 0.0:  # the whole run is shorter than one window
        work = sum(w * (len(stamps) - 1) for stamps, w in runs)
        best = work / max(bounds[-1] - bounds[0], 1e-12)
    return best


def measure_batched(
    n_networks: int, seconds: float, window: float, compiled: bool, wait: bool = False
) -> dict:
    """Trains ``n_networks`` networks with ``fit`` for about ``seconds``, timing every step.

    With ``wait``, prints "ready STEPS" (its own choice of steps) after the warm-up and starts
    the timed run only when a line arrives on stdin, holding the number of steps to run: so
    that several processes run the same number of steps, starting together.
    """
    import torch

    from isotopy import Network, fit

    X, y = _data()
    net = Network(2, HIDDEN, "tanh", 2, n_networks=n_networks, seed=0)
    t0 = time.perf_counter()
    # warm-up: allocator, first-call costs and, with compile=True, the compilation
    fit(net, X, y, steps=2, record_every=2, compile=compiled)
    warmup = time.perf_counter() - t0
    base, _ = _mem_mb()
    t0 = time.perf_counter()
    fit(net, X, y, steps=2, record_every=2, compile=compiled)
    per_step = (time.perf_counter() - t0) / 2
    steps = int(max(3, min(5000, seconds / max(per_step, 1e-6))))
    if wait:
        print(f"ready {steps}", flush=True)
        steps = int(sys.stdin.readline())
    stamps = [time.perf_counter()]
    fit(
        net,
        X,
        y,
        steps=steps,
        record_every=steps,
        compile=compiled,
        progress=lambda step, total: stamps.append(time.perf_counter()),
    )
    total = time.perf_counter() - stamps[0]
    _, peak = _mem_mb()
    return {
        "n": n_networks,
        "steps": steps,
        "rate": _best_rate([(stamps, n_networks)], window),
        "mean_rate": n_networks * steps / total,
        "peak_mb": peak,
        "rss_before_mb": base,
        "threads": torch.get_num_threads(),
        "compiled": compiled,
        "warmup_s": warmup,
        "stamps": stamps,
        "end": stamps[0] + total,
    }


def measure_loop(n_networks: int, steps: int, window: float) -> dict:
    """Trains ``n_networks`` networks one after another, timing every step."""
    import torch
    from torch import nn

    from isotopy.train import ENGINE

    torch.set_num_threads(1)
    X, y = _data()
    yf = y.float()
    best, t_all = 0.0, None
    for i in range(-1, n_networks):  # network -1 is a warm-up (first-call costs), not timed
        if i == 0:
            t_all = time.perf_counter()
        torch.manual_seed(i)
        layers, d = [], 2
        for w in HIDDEN:
            layers += [nn.Linear(d, w), nn.Tanh()]
            d = w
        model = nn.Sequential(*layers, nn.Linear(d, 1))
        opt = torch.optim.Adam(model.parameters(), lr=ENGINE.lr)  # fit's default rate
        loss_fn = nn.BCEWithLogitsLoss()
        stamps = [time.perf_counter()]
        for _ in range(steps if i >= 0 else 50):
            opt.zero_grad()
            loss = loss_fn(model(X)[:, 0], yf)
            loss.backward()
            opt.step()
            stamps.append(time.perf_counter())
        if i >= 0:
            best = max(best, _best_rate([(stamps, 1)], window))
    total = time.perf_counter() - t_all
    _, peak = _mem_mb()
    return {
        "n": n_networks,
        "steps": steps,
        "rate": best,
        "mean_rate": n_networks * steps / total,
        "peak_mb": peak,
        "threads": 1,
    }


def _start(kind: str, threads: int, *args, stdin=None, stderr=subprocess.PIPE) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    here = os.path.dirname(os.path.abspath(__file__))
    env["PYTHONPATH"] = os.pathsep.join([here, env.get("PYTHONPATH", "")])
    code = (
        f"import json, torch; torch.set_num_threads({threads}); "
        f"import batched_training as b; "
        f"print(json.dumps(b.measure_{kind}({', '.join(map(repr, args))})))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr,
        stdin=stdin,
        text=True,
    )


def _result(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"a measurement failed:\n{err}")
    return json.loads(out.strip().splitlines()[-1])


def _child(kind: str, threads: int, *args) -> dict:
    return _result(_start(kind, threads, *args))


def measure_split(
    n_networks: int, parts: int, seconds: float, window: float, compiled: bool
) -> dict:
    """``n_networks`` networks as ``parts`` one-thread processes of n_networks/parts each.

    This is how ``isotopy sweep --workers P`` uses P cores: each worker trains its chunk
    with one thread. The processes warm up (and compile) first, then run the same number of
    steps, starting together; their steps are merged on one clock for the combined rates.
    """
    sizes = [n_networks // parts + (i < n_networks % parts) for i in range(parts)]
    logs = [tempfile.TemporaryFile("w+") for _ in sizes]
    procs = [
        _start("batched", 1, n, seconds, window, compiled, True, stdin=subprocess.PIPE, stderr=log)
        for n, log in zip(sizes, logs, strict=True)
    ]
    try:
        steps = []
        for p, log in zip(procs, logs, strict=True):  # every process has warmed up
            word, _, count = p.stdout.readline().partition(" ")
            if word != "ready":
                p.wait()
                log.seek(0)
                raise RuntimeError(f"a measurement failed:\n{log.read()}")
            steps.append(int(count))
        for p in procs:
            p.stdin.write(f"{min(steps)}\n")
            p.stdin.flush()
        rs = []
        for p, log in zip(procs, logs, strict=True):
            out, _ = p.communicate()
            if p.returncode:
                log.seek(0)
                raise RuntimeError(f"a measurement failed:\n{log.read()}")
            rs.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for log in logs:
            log.close()
    starts = [r["stamps"][0] for r in rs]
    work = sum(r["n"] * r["steps"] for r in rs)
    return {
        "n": n_networks,
        "steps": rs[0]["steps"],
        "rate": _best_rate([(r["stamps"], r["n"]) for r in rs], window),
        "mean_rate": work / (max(r["end"] for r in rs) - min(starts)),
        "peak_mb": max(r["peak_mb"] for r in rs),
        "rss_before_mb": max(r["rss_before_mb"] for r in rs),
        "threads": 1,
        "compiled": compiled,
        "warmup_s": max(r["warmup_s"] for r in rs),
        "parts": parts,
    }


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1,100,1000,10000", help="numbers of networks N")
    p.add_argument("--threads", type=int, default=1, help="threads of the batched trainer")
    p.add_argument(
        "--compile",
        choices=("off", "on", "both"),
        default="both",
        help="fit(compile=...) rows: uncompiled, compiled, or both",
    )
    p.add_argument(
        "--seconds", type=float, default=6.0, help="target length of each batched measurement"
    )
    p.add_argument(
        "--window",
        type=float,
        default=0.3,
        help="length in seconds of the windows whose best rate counts",
    )
    p.add_argument(
        "--loop-networks",
        type=int,
        default=4,
        help="networks the loop trains, before and after the batched runs each",
    )
    p.add_argument("--loop-steps", type=int, default=800, help="steps per network in the loop")
    p.add_argument(
        "--split",
        default="1000",
        help="sizes N also measured as --threads one-thread processes of N/threads "
        "networks each, started together (as isotopy sweep --workers uses the "
        "cores); empty for none",
    )
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    modes = {"off": [False], "on": [True], "both": [False, True]}[args.compile]

    loops = [_child("loop", 1, args.loop_networks, args.loop_steps, args.window)]
    rows = [
        _child("batched", args.threads, n, args.seconds, args.window, c)
        for n in sizes
        for c in modes
    ]
    split = [int(s) for s in args.split.split(",") if s.strip()] if args.threads > 1 else []
    rows += [
        measure_split(n, args.threads, args.seconds, args.window, c)
        for n in split
        if n >= args.threads
        for c in modes
    ]
    loops.append(_child("loop", 1, args.loop_networks, args.loop_steps, args.window))
    # the loop on every core the batched trainer uses: that many loop processes at once
    procs = [
        _start("loop", 1, args.loop_networks, args.loop_steps, args.window)
        for _ in range(args.threads)
    ]
    parallel = sum(_result(p)["mean_rate"] for p in procs)
    loop = max(loops, key=lambda r: r["rate"])
    loop_mean = sum(r["mean_rate"] for r in loops) / len(loops)
    load = os.getloadavg()
    print(
        f"per-network PyTorch loop, 1 thread: best {args.window:g} s window "
        f"{loop['rate']:.0f} network-steps/s, whole runs {loop_mean:.0f} "
        f"({2 * args.loop_networks} networks x {args.loop_steps} steps, before and after "
        f"the batched runs; peak RSS {loop['peak_mb']:.0f} MiB)"
    )
    if args.threads > 1:
        print(
            f"the same loop in {args.threads} processes at once: {parallel:.0f} "
            f"network-steps/s together, whole runs ('x {args.threads} loops' below)"
        )
    print(
        f"batched isotopy.fit on {args.threads} core(s): one process with {args.threads} "
        f'thread(s), or ("{args.threads} procs") {args.threads} one-thread processes sharing '
        f"the N networks; load average {load[0]:.1f} on {os.cpu_count()} cores"
    )
    print(
        f"{'N':>7} {'cores as':>10} {'compile':>8} {'steps':>6} {'net-steps/s':>12} "
        f"{'x loop':>7} {'whole run':>10} {'x loop':>7} {f'x {args.threads} loops':>10} "
        f"{'peak RSS MiB':>13} {'(+ over start)':>15} {'warm-up s':>10}"
    )
    for r in rows:
        layout = (
            f"{r['parts']} procs"
            if r.get("parts")
            else f"{r['threads']} thread" + "s" * (r["threads"] > 1)
        )
        print(
            f"{r['n']:>7} {layout:>10} {'yes' if r['compiled'] else 'no':>8} {r['steps']:>6} "
            f"{r['rate']:>12.0f} {r['rate'] / loop['rate']:>7.1f} {r['mean_rate']:>10.0f} "
            f"{r['mean_rate'] / loop_mean:>7.1f} {r['mean_rate'] / parallel:>10.1f} "
            f"{r['peak_mb']:>13.0f} "
            f"{r['peak_mb'] - r['rss_before_mb']:>15.0f} {r['warmup_s']:>10.1f}"
        )


if __name__ == "__main__":
    main()
