"""``isotopy topology RUN_DIR``: what every stage of a trained network does to topology."""

from __future__ import annotations

import json

from ..topology.homology import METRIC_READINGS, READINGS
from . import add_command

COND_FLAG = 10.0  # measured: condition 31-38 already took the annulus's hole (bench_betti)
SATURATION_FLAG = 0.25  # share of a class's points in the corners of the activation's image


def register(sub) -> None:
    p = add_command(
        sub,
        "topology",
        help="stage diagnostics, width bound, Betti and linking numbers of a run",
        example="isotopy topology runs/da3 --betti --stretch",
        description="For every stage of a trained network: whether it is a homeomorphism onto "
        "its image, det, singular values, condition number and a near-singular "
        "flag; the dataset's width bound checked against the network; optionally "
        "the Betti numbers of each class at every stage (persistent homology, "
        "ripser), the linking number of a link dataset's cores at every stage, and "
        "the Jacobian stretch.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run folder written by 'isotopy train'")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.add_argument(
        "--betti", action="store_true", help="Betti numbers of each class at every stage"
    )
    p.add_argument(
        "--maxdim", type=int, default=1, help="highest Betti number with --betti (0, 1 or 2)"
    )
    p.add_argument(
        "--reading",
        choices=sorted(READINGS),
        default="topological",
        help="how Betti numbers are read: 'topological' (default) carries them unchanged "
        "through every stage that is a homeomorphism onto its image (the diagnostics' "
        "'homeo' column: they cannot change there) and reads the points with --metric only "
        "at the input and after a stage that is not one; a metric reading reads every "
        "stage's points: 'robust' (no scale: activation chart, whitened, persistence "
        "classes counted by death/birth ratio), 'geodesic' (Naitzat et al.: Rips at 2.5 "
        "hops of the 14-nearest-neighbour graph) or 'euclidean' (the points as they are at "
        "one scale)",
    )
    p.add_argument(
        "--metric",
        choices=sorted(METRIC_READINGS),
        default="robust",
        help="the reading of the points where --reading topological must read them "
        "(default robust)",
    )
    p.add_argument(
        "--rel-scale",
        type=float,
        default=None,
        help="euclidean reading: read Betti numbers at this fraction of each cloud's "
        "diameter (default 0.1; the scale never drops below 2 sampling spacings); the "
        "robust reading has no scale",
    )
    p.add_argument(
        "--linking",
        action="store_true",
        help="linking number of the two cores at every stage (link datasets; done anyway for them)",
    )
    p.add_argument(
        "--stretch",
        action="store_true",
        help="Jacobian norms of input -> each stage over the run's points",
    )
    p.add_argument(
        "--rtol",
        type=float,
        default=None,
        help="flag affine stages with s_min/s_max below this (default 0.01)",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from ..datasets import DATASETS
    from ..errors import InputError
    from ..topology import (
        MAX_DIM,
        betti_through_network,
        check_width,
        diagnostics_to_json,
        format_diagnostics,
        linking_through_network,
        stage_diagnostics,
        stretch,
    )
    from ..topology.diagnostics import NEAR_SINGULAR_RTOL
    from ..topology.homology import REL_SCALE
    from ..train import load_run

    if not 0 <= args.maxdim <= MAX_DIM:
        raise InputError(
            f"Betti numbers are supported up to dimension {MAX_DIM}, got --maxdim {args.maxdim}"
        )
    run_ = load_run(args.run_dir)
    net = run_.net
    dataset = run_.data.get("dataset")
    params = run_.data.get("params", {})
    is_link = dataset in DATASETS and DATASETS[dataset].is_link
    if args.linking and not is_link:
        links = ", ".join(k for k, v in DATASETS.items() if v.is_link)
        what = f"dataset {dataset!r}" if dataset else "data from a file"
        raise InputError(
            f"the run was trained on {what}, which is not a link dataset; "
            f"linking numbers need one of: {links}"
        )
    rtol = NEAR_SINGULAR_RTOL if args.rtol is None else args.rtol
    diags = stage_diagnostics(net, rtol=rtol)
    out: dict = {
        "run": str(args.run_dir),
        "network": repr(net),
        "dataset": dataset,
        "stages": diagnostics_to_json(diags),
    }
    if dataset in DATASETS:
        out["width"] = check_width(net, dataset, **params)
    if args.betti:
        rel = REL_SCALE if args.rel_scale is None else args.rel_scale
        if args.rel_scale is not None and "euclidean" not in (args.reading, args.metric):
            raise InputError("--rel-scale applies only to the euclidean reading")
        bt = betti_through_network(
            net,
            run_.X,
            run_.y,
            maxdim=args.maxdim,
            rel_scale=rel,
            reading=args.reading,
            metric=args.metric,
        )
        out["betti"] = bt.to_dict()
        out["betti"]["rule"] = betti_rule(args.reading, rel, args.metric)
        out["betti"]["sampling_flags"] = sampling_flags(bt, diags, net, run_.X, run_.y)
    if is_link:
        out["linking"] = linking_through_network(net, dataset, **params).to_dict()
    if args.stretch:
        if len(net.stages) == 1:
            raise InputError(
                "--stretch needs a network with a hidden layer; this run has only a read-out"
            )
        out["stretch"] = stretch(net, run_.X).summary()
    if args.json:
        print(json.dumps(out, indent=2, default=float))
        return 0
    print(out["network"])
    print(format_diagnostics(diags))
    flagged = [d.name for d in diags if d.near_singular]
    if flagged:
        print(f"near-singular (s_min/s_max < {rtol:g}): {', '.join(flagged)}")
    if "width" in out:
        w = out["width"]
        print(f"\nwidth bound ({dataset}): {w['bound']['statement']}")
        print(f"this network: {w['verdict']}")
        for src in w["bound"]["sources"]:
            print(f"  source: {src}")
    if args.betti:
        print(
            f"\nBetti numbers (β0..β{args.maxdim}) of each class at every stage "
            f"({_reading_words(args.reading, args.metric)}):"
        )
        print(f"  rule: {out['betti']['rule']}")
        print(bt.table())
        for f in out["betti"]["sampling_flags"]:
            print(f"  note: {f['message']}")
    if "linking" in out:
        lk = linking_through_network(net, dataset, **params)
        print("\nlinking number of the two core curves at every stage:")
        print(lk.table())
    if args.stretch:
        print("\nstretch ||J||_2 of input -> stage over the run's points (max, 99th pct):")
        for name, s in out["stretch"].items():
            print(f"  {name:<12} max {s['max']:9.3g}  p99 {s['p99']:9.3g}")
    return 0


def _reading_words(reading: str, metric: str) -> str:
    if reading == "topological":
        return (
            f"topological reading: carried through homeomorphisms, read with the {metric} "
            "reading at the input and after each stage that is not one"
        )
    return f"{reading} reading of every stage's points"


def betti_rule(reading: str, rel_scale: float, metric: str = "robust") -> str:
    """One line stating how the Betti numbers were read: scale or thresholds."""
    if reading == "topological":
        return (
            "a stage that is a homeomorphism onto its image keeps every Betti number "
            "(carried); elsewhere: " + betti_rule(metric, rel_scale)
        )
    if reading == "robust":
        from ..topology.robust import RESOLUTION, RULE

        return f"{RULE}; {RESOLUTION}"
    if reading == "geodesic":
        from ..topology.geodesic import rule_text

        return rule_text()
    from ..topology.homology import DENSITY_FACTOR

    return (
        f"Rips complex at ε = max({rel_scale:g} · diameter, {DENSITY_FACTOR:g} · 90th "
        "percentile of the 10th-neighbour distance) of each cloud"
    )


def sampling_flags(bt, diags, net, X, y) -> list[dict]:
    """Betti changes at stages the diagnostics call homeomorphisms, with their likely cause.

    A homeomorphism cannot change Betti numbers, so such a change is an effect of reading a
    finite sample: a badly conditioned affine map squeezing a hole below the sample's
    resolution, saturation crowding points into the corners of the activation's image, or
    too few points. Returns one dict per flagged stage: ``stage``, ``classes``, ``cause``,
    ``message``.
    """
    import numpy as np

    by_name = {d.name: d for d in diags}
    y = np.asarray(y)
    try:
        from ..topology.saturation import saturation_by_stage

        sat = {c: saturation_by_stage(net, np.asarray(X)[y == c]) for c in bt.classes}
    except Exception:  # saturation numbers are an aid to the message, never a failure
        sat = {}
    counts = {int(c): int(np.sum(y == c)) for c in bt.classes}
    flags = []
    for s in range(1, len(bt.names)):
        name, d = bt.names[s], by_name.get(bt.names[s])
        changed = [
            c for i, c in enumerate(bt.classes) if (bt.betti[s, i] != bt.betti[s - 1, i]).any()
        ]
        if not changed or d is None or not d.homeomorphism:
            continue
        fracs = [sat[c][name] for c in changed if name in sat.get(c, {})]
        frac = max(fracs) if fracs else None
        whitened = bt.metric == "robust"  # blind to affine maps
        # the robust reading undoes a stage's own activation (its chart) but not the
        # saturation an earlier activation left in the cloud that this stage maps on
        earlier = [
            (n, max(sat[c][n] for c in changed if n in sat.get(c, {})))
            for n in bt.names[1:s]
            if any(n in sat.get(c, {}) for c in changed)
        ]
        prev = max(earlier, key=lambda t: t[1]) if earlier else None
        if not whitened and d.condition is not None and d.condition > COND_FLAG:
            cause = f"large condition number ({d.condition:.3g}) of the affine map"
        elif frac is not None and float(frac) >= SATURATION_FLAG and not whitened:
            cause = f"saturation ({100 * float(frac):.0f}% of the class's points in the corners)"
        elif whitened and prev is not None and float(prev[1]) >= SATURATION_FLAG:
            cause = (
                f"saturation carried from {prev[0]} ({100 * float(prev[1]):.0f}% of the "
                "class's points in the corners there), which the robust reading undoes only "
                "at the activation stage itself"
            )
        elif whitened and frac is not None and float(frac) >= SATURATION_FLAG:
            cause = (
                f"saturation ({100 * float(frac):.0f}% of the class's points in the corners; "
                "float32 rounds them onto the faces, where the chart cannot separate them)"
            )
        else:
            n = min(counts[c] for c in changed)
            cause = f"too few points ({n} in the smallest changed class)"
            if whitened and prev is not None:
                cause += (
                    f" for the squashing carried from {prev[0]} "
                    f"({100 * float(prev[1]):.0f}% of the class's points in its corners)"
                )
        cls = ", ".join(str(c) for c in changed)
        flags.append(
            {
                "stage": name,
                "classes": changed,
                "cause": cause,
                "message": f"{name} is a homeomorphism, yet the Betti numbers of class "
                f"{cls} change there: a sampling effect, not a change of "
                f"topology; likely cause: {cause}",
            }
        )
    return flags
