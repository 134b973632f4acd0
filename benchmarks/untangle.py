"""Benchmark: ``isotopy untangle`` on tangled unlinks, against the diagram route.

For each instance (default: ``threaded`` seeds 0..4) it times, in one process:

- **certify**: what ``isotopy untangle --family F --seed S --out DIR`` does after start-up:
  the obstructions, the search, the certificate folder with its GIF (the targets: at most
  60 s on 2 cores);
- **verify**: ``isotopy untangle --verify DIR``'s work: the manifest's SHA-256 sums, the
  files read and the verifier rerun (the target: at most 5 s); and the verifier alone;
- **diagram**: the diagram route on the same link (:func:`isotopy.untangle.diagram.
  diagram_route`: a PD code simplified by spherogram), when SnapPy is installed.

It prints one row per instance and the medians, with the ratio certify / diagram. Run by
hand (never as a timed test):

    PYTHONPATH=src python benchmarks/untangle.py [--family threaded] [--seeds 5]
        [--complexity 1] [--no-animation] [--edge-penalty 1.0]

The first search of a process builds (or loads) the fused training kernel; one untimed
warm-up search runs first so that every row pays the same.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


def certify(link, out: Path, animation: bool, edge_penalty: float):
    from isotopy.untangle.certificate import write_certificate
    from isotopy.untangle.obstruct import obstruction
    from isotopy.untangle.search import SearchConfig, search

    t = time.perf_counter()
    reason = obstruction(link)
    t_obstruct = time.perf_counter() - t
    if reason is not None:
        return time.perf_counter() - t, f"not split: {reason}", None
    found = search(link, SearchConfig(edge_penalty=edge_penalty))
    if not found.certified:
        return time.perf_counter() - t, f"unknown after {found.tried} networks", None
    t_search = found.seconds
    log = {"search": {"tried": found.tried}}
    t_write = time.perf_counter()
    write_certificate(out, link, found.network, found.verification, log, animation=animation)
    t_write = time.perf_counter() - t_write
    line = (
        f"depth {found.verification.depth}, {found.tried} networks; obstructions "
        f"{t_obstruct:.2f} s, search {t_search:.2f} s, certificate {t_write:.2f} s"
    )
    return time.perf_counter() - t, line, found


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--family", default="threaded")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--complexity", type=int, default=1)
    ap.add_argument("--no-animation", action="store_true")
    ap.add_argument(
        "--edge-penalty", type=float, default=1.0, help="as isotopy untangle (0: plain search)"
    )
    args = ap.parse_args()

    from isotopy.untangle.certificate import check_certificate
    from isotopy.untangle.diagram import diagram_route, have_snappy
    from isotopy.untangle.families import make_link
    from isotopy.untangle.search import SearchConfig, search
    from isotopy.untangle.verify import verify

    print(
        f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}; snappy: {have_snappy()}"
    )
    search(make_link(args.family, 0, args.complexity), SearchConfig(networks=1, steps=2))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.seeds):
            link = make_link(args.family, seed, args.complexity)
            out = Path(tmp) / f"cert{seed}"
            t_cert, line, found = certify(link, out, not args.no_animation, args.edge_penalty)
            row = {"seed": seed, "certify": t_cert, "line": line}
            if found is not None:
                t = time.perf_counter()
                check = check_certificate(out)
                row["verify"] = time.perf_counter() - t
                assert check.accepted, check.reason
                row["verifier"] = verify(found.network, link).seconds
                row["boxes"] = check.result.boxes
            if have_snappy():
                verdict = diagram_route(link)
                row["diagram"] = verdict.seconds
                row["diagram_line"] = f"{verdict.verdict} ({verdict.crossings} crossings)"
            rows.append(row)
            print(
                f"{args.family} seed {seed}: certify {t_cert:6.2f} s ({line}); "
                + (
                    f"verify {row['verify']:.3f} s (verifier {row['verifier']:.3f} s, "
                    f"{row['boxes']} boxes); "
                    if "verify" in row
                    else ""
                )
                + (
                    f"diagram {row['diagram']:.3f} s, {row['diagram_line']}"
                    if "diagram" in row
                    else ""
                )
            )
    _summary(rows)


def _summary(rows):
    def med(key):
        vals = [r[key] for r in rows if key in r]
        return statistics.median(vals) if vals else None

    certified = sum("verify" in r for r in rows)
    print(f"certified {certified} of {len(rows)}")
    for key in ("certify", "verify", "verifier", "diagram"):
        vals = [r[key] for r in rows if key in r]
        if vals:
            print(f"{key:9s} median {statistics.median(vals):7.3f} s, max {max(vals):7.3f} s")
    if med("certify") and med("diagram"):
        print(f"certify / diagram (medians): {med('certify') / med('diagram'):.1f}")


if __name__ == "__main__":
    main()
