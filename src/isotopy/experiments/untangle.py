"""The untangle census: how many split links 3-unit networks *prove* split, against diagrams.

For every family of :mod:`isotopy.untangle.families` and complexity, a few random
instances; on each, the obstructions, the diagram route (spherogram) and the search for a
3-unit network whose read-out separates the classes on the continuous curves, verified
(:mod:`isotopy.untangle.census`). The non-split controls are searched too: a correct
verifier certifies none of them.

The essay's question ("can all unlinks be classified by a network with only 3 units?")
gets "agrees" only for the instances measured, and only when every split instance got a
certificate; otherwise "not resolved": a search that found no certificate proves nothing.
No finite census can answer it for *all* unlinks.
"""

from __future__ import annotations

from ..untangle.census import CensusConfig, census
from ..untangle.families import FAMILIES
from ._common import make_config
from .verdicts import Verdict

NAME = "untangle"
SUMMARY = (
    "split links certified by 3-unit networks (a proof per instance) against the diagram "
    "route (spherogram), per family and complexity, with non-split controls"
)
EXAMPLE = " --families threaded,coil,weave --complexities 1,2 --instances 2"


CONFIG = CensusConfig

# the essay's three tangled unlinks (the datasets'); a certified instance of another family is
# shown before them
ESSAY_FAMILIES = ("threaded", "figure_eight", "nested")
# λ of the edge penalty of the search behind the shown certificate (SearchConfig.edge_penalty)
SHOWN_EDGE_PENALTY = 1.0


def hardest(rows):
    """The certified row of the hardest kind: a family beyond the essay's three first, then
    the highest complexity, then the most networks trained before one certified (not the
    search's seconds: the choice must not depend on the machine's load), then the family's
    name and the lowest seed; None when nothing was certified."""
    best, key = None, None
    for r in rows:
        if not r.certified:
            continue
        k = (r.family not in ESSAY_FAMILIES, r.complexity, r.networks, r.family, -r.seed)
        if key is None or k > key:
            best, key = r, k
    return best


def shown_certificate(res, *, edge_penalty: float = SHOWN_EDGE_PENALTY) -> dict | None:
    """A certificate to look at: the hardest certified instance of the census ``res``
    (:func:`hardest`), searched again with the edge penalty. The census searches plainly
    (fastest), and its networks end with 55-96% of the curves' points on an edge of the tanh
    cube, where the picture is a flat band; the penalised search keeps them off the edges.

    Returns None when the census certified nothing; else a dict: ``row`` (the census row),
    ``link``, ``network`` and ``verification`` (of the penalised search when it certified,
    else the census's own), ``edge`` (edge fraction of the curves' points after each tanh
    stage), ``census_edge`` (the same for the census's network), ``readable_search``
    (whether the penalised search certified) and, when it did, ``run``: the network as it
    was trained (a :class:`~isotopy.train.Run` on the search's training points, in its
    normalised coordinates, to save and redraw like any run) with ``step``, the step it
    certified at."""
    from ..untangle.certificate import edge_fractions
    from ..untangle.search import SearchConfig, search
    from ..untangle.verify import verify

    row = hardest(res.rows)
    if row is None:
        return None
    cfg = res.config
    link = FAMILIES[row.family](row.seed, row.complexity)
    plain = res.networks[(row.family, row.complexity, row.seed)]
    sc = SearchConfig(
        networks=cfg["networks"],
        per_batch=min(cfg["per_batch"], cfg["networks"]),
        steps=cfg["steps"],
        seed=row.seed,
        edge_penalty=edge_penalty,
    )
    found = search(link, sc)
    net = found.network if found.certified else plain
    run, step = _as_run(found, row) if found.certified else (None, None)
    return {
        "run": run,
        "step": step,
        "row": row,
        "link": link,
        "network": net,
        "verification": found.verification if found.certified else verify(plain, link),
        "edge": edge_fractions(net, link),
        "census_edge": edge_fractions(plain, link),
        "readable_search": found.certified,
        "search_networks": found.tried,
    }


def _as_run(found, row):
    """The certifying network of a search as a Run, with the step it certified at."""
    from dataclasses import asdict, replace

    from ..train import TrainConfig
    from ..train.runs import run_of

    t, cfg = found.trained, found.config
    train = replace(
        TrainConfig(),
        steps=int(t["history"].steps_done),
        lr=cfg["lr"],
        record_every=cfg["steps"],
        test_size=0.0,
        edge_penalty=cfg["edge_penalty"],
        edge_start=0.0,
        edge_ramp=0.0,
    )
    data = {
        "file": f"isotopy untangle's search on {row.family} {row.complexity} seed {row.seed} "
        "(tubes and curves, moved into [-1, 1]^3)",
        "params": {},
        "n": len(t["X"]),
        # what TrainConfig cannot say: the determinant floor, the edge penalty on the curves
        "search": {k: (list(v) if isinstance(v, tuple) else v) for k, v in cfg.items()},
        "census_row": asdict(row),
    }
    return run_of(t["net"], t["history"], t["X"], t["y"], data=data, train=train), t["step"]


def question_verdict(summary: list[dict], certificates_on_controls: int) -> Verdict:
    """The essay's question for the instances of the census: agrees when every split
    instance was certified (and no control was), else not resolved."""
    split = [s for s in summary if s["split"]]
    total = sum(s["instances"] for s in split)
    done = sum(round(s["certified"] * s["instances"]) for s in split)
    rule = (
        "agrees if a verified 3-unit network separates every split instance of the census "
        "(a proof for each) and none of the non-split controls; otherwise not resolved, "
        "since a network the search did not find may still exist"
    )
    ok = total > 0 and done == total and certificates_on_controls == 0
    return Verdict(
        "agrees" if ok else "not resolved",
        rule,
        f"one instance in {total}" if total else "no split instance",
        f"{done} of {total} split instances certified; {certificates_on_controls} "
        "certificates on non-split controls",
    )


def run(config=None, *, progress=None, **changes) -> dict:
    """The census as numbers (:meth:`Census.to_dict`; its summaries per family and
    complexity under ``table``), the verdict on the essay's question and summary lines."""
    cfg = make_config(CensusConfig, config, changes)
    res = census(cfg, progress=progress)
    out = res.to_dict()
    v = question_verdict(out["summary"], out["control_certificates"])
    out["verdict"] = v.to_dict()
    lines = []
    for s in out["summary"]:
        name = s["family"] + (f" {s['complexity']}" if s["complexity"] > 1 else "")
        t = s["median_certify_seconds"]
        lines.append(
            f"{name}: certified {s['certified']:.0%} of {s['instances']}"
            + (f" (median {t:.1f} s)" if t is not None else "")
            + f"; diagram route decided {s['diagram_decided']:.0%}"
            f" (median {s['median_diagram_seconds']:.2f} s)"
        )
    lines.append(f"certificates on non-split controls: {out['control_certificates']}")
    if out["wrong"]:
        lines.append("WRONG: " + "; ".join(out["wrong"]))
    lines.append(f"every split instance certified: {v.verdict} ({v.measured})")
    out["table"], out["summary"] = out["summary"], lines
    return out
