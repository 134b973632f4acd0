"""The edge fraction of every network a report's figures show, at the step each figure shows.

    python tools/figure_edges.py REPORT_DIR

For each entry of ``REPORT_DIR/metrics.json``'s figure index that ships runs, it loads each
run folder, takes the network at the figure's step (:func:`isotopy.train.readable.state_at`)
and prints the share of the run's points with any bounded unit within 0.05 of its bound, per
bounded layer and the largest (at most 0.2 counts as readable, docs/readable.md). Figures
without a run (data only, or charts of many networks) are listed as such. Charts of
accuracy, stretch or Betti numbers ship the networks they measure, trained as their claims
need (plainly where the claim is about plain training): their numbers say how those
networks sit in the square, not how a picture looks.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    from isotopy.errors import InputError
    from isotopy.train import load_run
    from isotopy.train.readable import state_at

    if len(argv) != 1:
        print("usage: python tools/figure_edges.py REPORT_DIR", file=sys.stderr)
        return 2
    report = Path(argv[0])
    try:
        figures = json.loads((report / "metrics.json").read_text())["figures"]
    except (OSError, ValueError, KeyError) as e:
        print(f"{report} is not a report folder with a figure index ({e})", file=sys.stderr)
        return 2
    for f in figures:
        print(f"{f['id']}: {f['shows']}")
        if not f.get("runs"):
            print("    no network shipped")
        for r in f.get("runs", []):
            try:
                run = load_run(report / r["run"])
            except InputError as e:
                print(f"    {r['run']}: {e}")
                continue
            if run.net.d_in > 3:
                print(f"    {r['run']}: an image classifier, not drawn layer by layer")
                continue
            st = state_at(run.net, run.history, run.X_train, run.y_train, r["step"], X_edge=run.X)
            layers = ", ".join(f"{k} {v:.2f}" for k, v in st.edge.items()) or "none bounded"
            print(f"    {r['run']} at step {r['step']}: largest {st.max_edge:.2f} ({layers})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
