"""Benchmark: Betti numbers (β0, β1) of both classes at every stage of a 6-stage network.

Network 2 -> 3 -> 3 -> 3 (tanh), i.e. six stages affine1, tanh1, ..., tanh3, trained on
disc_annulus; 1,000 points per class pushed through it; 12 clouds in all. We time
``isotopy.topology.betti_numbers`` with the Euclidean reading (data-chosen scale, filtration
built only up to it, thinning) and with the robust one (no scale: a tanh stage read in the
chart of atanh, whitened, Delaunay-Rips persistence read by ratios; see
:mod:`isotopy.topology.robust`) and, in the same run on the same clouds, plain ripser without
a threshold (maxdim = 1), whose full diagrams are then read at the Euclidean reading's scale
to check agreement. Every stage of this network is a homeomorphism, so each class's Betti
numbers should stay those of its input cloud: we count, per reading, the clouds that keep
them.

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/bench_betti.py [--skip-plain]
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-plain", action="store_true", help="skip the slow plain ripser")
    ap.add_argument("--steps", type=int, default=1500)
    args = ap.parse_args()

    import torch

    torch.set_num_threads(1)
    from ripser import ripser

    from isotopy import Network, fit, make_dataset
    from isotopy.topology import betti_numbers, stage_diagnostics
    from isotopy.topology.homology import betti_from_diagrams
    from isotopy.topology.robust import RULE

    X, y = make_dataset("disc_annulus", 2000, seed=0)
    net = Network(2, (3, 3, 3), "tanh", seed=0)
    fit(net, X, y, steps=args.steps)
    reps = [(n, Z) for n, Z in net.trace(X) if n not in ("input", "readout")]
    assert len(reps) == 6
    homeo = all(d.homeomorphism for d in stage_diagnostics(net, include_readout=False))
    conds = [f"{d.condition:.3g}" for d in stage_diagnostics(net) if d.condition]
    print(f"every stage a homeomorphism: {homeo}; affine condition numbers: {conds}")
    clouds = [(n, c, Z[y == c]) for n, Z in reps for c in (0, 1)]
    print(
        f"{len(clouds)} clouds of {[len(z) for _, _, z in clouds][0]} points "
        f"(stages: {', '.join(n for n, _ in reps)})"
    )

    betti_numbers(clouds[0][2])  # warm-up: imports and first-call overheads
    t0 = time.perf_counter()
    ours = [betti_numbers(Z, maxdim=1, return_details=True) for _, _, Z in clouds]
    t_ours = time.perf_counter() - t0
    print(f"isotopy betti_numbers, all 12 clouds: {t_ours:.2f} s")
    for (n, c, _), (b, det) in zip(clouds, ours, strict=True):
        print(
            f"  {n:<8} class {c}: β = {tuple(int(v) for v in b)}  ε = {det['scale']:.3g}  "
            f"points used {det['points_used']}"
        )
    acts = {n: getattr(st, "act", None) for n, st in zip(net.names, net.stages, strict=False)}
    betti_numbers(clouds[0][2], reading="robust")  # warm-up
    t0 = time.perf_counter()
    robust = [
        betti_numbers(Z, maxdim=1, reading="robust", activation=acts.get(n), return_details=True)
        for n, _, Z in clouds
    ]
    t_rob = time.perf_counter() - t0
    robust_det, robust = robust, [b for b, _ in robust]
    print(f"isotopy betti_numbers, reading='robust', all 12 clouds: {t_rob:.2f} s")
    print(f"  rule: {RULE}")
    for (n, c, _), (b, det) in zip(clouds, robust_det, strict=True):
        r1 = det["ratios"][1]
        print(
            f"  {n:<8} class {c}: β = {tuple(int(v) for v in b)}  largest death/birth "
            f"{r1[0] if len(r1) else float('nan'):.3g}  chart {det['chart']}"
        )
    for reading, res in [("euclidean", [b for b, _ in ours]), ("robust", robust)]:
        kept = 0
        for c in (0, 1):
            truth = betti_numbers(X[y == c], maxdim=1, reading=reading).tolist()
            kept += sum(
                b.tolist() == truth for (_, cc, _), b in zip(clouds, res, strict=True) if cc == c
            )
        print(
            f"{reading} reading: {kept} of {len(clouds)} clouds keep their class's input "
            f"Betti numbers"
        )
    if args.skip_plain:
        return
    t0 = time.perf_counter()
    dgms = [ripser(Z, maxdim=1)["dgms"] for _, _, Z in clouds]
    t_plain = time.perf_counter() - t0
    agree = sum(
        int((betti_from_diagrams(d, det["scale"]) == b).all())
        for d, (b, det) in zip(dgms, ours, strict=True)
    )
    print(f"plain ripser (no threshold, maxdim 1), same clouds: {t_plain:.2f} s")
    print(
        f"ratio plain / isotopy: {t_plain / t_ours:.1f}x; Betti numbers agree on "
        f"{agree} of {len(clouds)} clouds at the same scale"
    )


if __name__ == "__main__":
    main()
