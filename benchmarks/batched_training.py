"""Throughput of batched training against a per-network PyTorch loop, measured in one run.

Setting (issue 6): 2 inputs, three hidden tanh layers of width 2, 1,000 points of
disc_annulus, full-batch Adam (lr 0.02). For N = 1, 100, 1,000 and 10,000 networks trained
as one program by ``isotopy.fit`` we report network-steps per second and peak memory, next
to the same networks trained one after another by an ordinary PyTorch loop
(``nn.Sequential`` of ``nn.Linear``/``nn.Tanh``, ``torch.optim.Adam``, ``BCEWithLogitsLoss``).
Each measurement runs in its own subprocess so that its peak resident memory (VmHWM) is its
own.

    PYTHONPATH=src python benchmarks/batched_training.py
    PYTHONPATH=src python benchmarks/batched_training.py --sizes 1,100,1000 --threads 2

The loop runs with one thread (its fastest setting: every op is tiny); the batched trainer
with ``--threads`` (default 1: on a machine shared with other work, a second OpenMP thread
waits for a busy core and slows every op down). Numbers on a shared machine are
pessimistic; the ratio is what matters, and both sides are measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
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


def measure_batched(n_networks: int, seconds: float) -> dict:
    import torch

    from isotopy import Network, fit

    X, y = _data()
    net = Network(2, HIDDEN, "tanh", 2, n_networks=n_networks, seed=0)
    fit(net, X, y, steps=2, record_every=2)  # warm-up: allocator, first-call costs
    base, _ = _mem_mb()
    t0 = time.perf_counter()
    fit(net, X, y, steps=2, record_every=2)
    per_step = (time.perf_counter() - t0) / 2
    steps = int(max(3, min(2000, seconds / max(per_step, 1e-6))))
    t0 = time.perf_counter()
    fit(net, X, y, steps=steps, record_every=steps)
    dt = time.perf_counter() - t0
    _, peak = _mem_mb()
    return {"n": n_networks, "steps": steps, "seconds": dt, "rate": n_networks * steps / dt,
            "peak_mb": peak, "rss_before_mb": base, "threads": torch.get_num_threads()}


def measure_loop(n_networks: int, steps: int) -> dict:
    import torch
    from torch import nn

    torch.set_num_threads(1)
    X, y = _data()
    yf = y.float()
    t0 = time.perf_counter()
    for i in range(n_networks):
        torch.manual_seed(i)
        layers, d = [], 2
        for w in HIDDEN:
            layers += [nn.Linear(d, w), nn.Tanh()]
            d = w
        model = nn.Sequential(*layers, nn.Linear(d, 1))
        opt = torch.optim.Adam(model.parameters(), lr=0.02)
        loss_fn = nn.BCEWithLogitsLoss()
        for _ in range(steps):
            opt.zero_grad()
            loss = loss_fn(model(X)[:, 0], yf)
            loss.backward()
            opt.step()
    dt = time.perf_counter() - t0
    _, peak = _mem_mb()
    return {"n": n_networks, "steps": steps, "seconds": dt, "rate": n_networks * steps / dt,
            "peak_mb": peak, "threads": 1}


def _child(kind: str, n: int, arg: float, threads: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    code = (f"import json, torch; torch.set_num_threads({threads}); "
            f"import benchmarks_batched as b; "
            f"print(json.dumps(b.measure_{kind}({n}, {arg})))")
    here = os.path.dirname(os.path.abspath(__file__))
    env["PYTHONPATH"] = os.pathsep.join([here, env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-c", code.replace("benchmarks_batched",
                                                              "batched_training")],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1,100,1000,10000", help="numbers of networks N")
    p.add_argument("--threads", type=int, default=1,
                   help="threads of the batched trainer (1 is fastest on a loaded machine)")
    p.add_argument("--seconds", type=float, default=8.0, help="target time per measurement")
    p.add_argument("--loop-networks", type=int, default=5, help="networks the loop trains")
    p.add_argument("--loop-steps", type=int, default=300, help="steps per network in the loop")
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    # The loop is measured before and after the batched runs and the faster of the two is
    # used for the ratios: on a shared machine the load changes during the run, and this
    # choice can only understate the batched trainer's advantage.
    loops = [_child("loop", args.loop_networks, args.loop_steps, 1)]
    rows = [_child("batched", n, args.seconds, args.threads) for n in sizes]
    loops.append(_child("loop", args.loop_networks, args.loop_steps, 1))
    loop = max(loops, key=lambda r: r["rate"])
    load = os.getloadavg()
    rates = ", ".join(f"{r['rate']:.0f}" for r in loops)
    print(f"per-network PyTorch loop: {loop['rate']:.0f} network-steps/s (best of "
          f"{rates}; {loop['n']} networks x "
          f"{loop['steps']} steps, 1 thread, peak RSS {loop['peak_mb']:.0f} MiB)")
    print(f"batched isotopy.fit, {args.threads} thread(s); load average {load[0]:.1f} on "
          f"{os.cpu_count()} cores")
    print(f"{'N':>7} {'steps':>6} {'net-steps/s':>12} {'x loop':>8} {'peak RSS MiB':>13} "
          f"{'(+ over start)':>15}")
    for r in rows:
        print(f"{r['n']:>7} {r['steps']:>6} {r['rate']:>12.0f} {r['rate'] / loop['rate']:>8.1f} "
              f"{r['peak_mb']:>13.0f} {r['peak_mb'] - r['rss_before_mb']:>15.0f}")

if __name__ == "__main__":
    main()
