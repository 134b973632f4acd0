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
from ._common import make_config
from .verdicts import Verdict

NAME = "untangle"
SUMMARY = (
    "split links certified by 3-unit networks (a proof per instance) against the diagram "
    "route (spherogram), per family and complexity, with non-split controls"
)
EXAMPLE = " --families threaded,coil,weave --complexities 1,2 --instances 2"


CONFIG = CensusConfig


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
