"""Linking numbers through the layers: the linked tori need a 4th dimension; a 3-unit network
that splits an unlink certifies it.
"""

from __future__ import annotations

import html

import numpy as np

from ._settings import opts as _opts
from ._settings import paragraph as _p

TITLE = "Links: a 4th dimension, and a certificate for an unlink"


def build(ctx) -> str:
    from ...experiments import run_experiment

    return _links(
        ctx,
        run_experiment("linked_tori", **_opts(ctx, "linked_tori")),
        run_experiment("unlink", **_opts(ctx, "unlink"), return_network=True),
    )


# --------------------------------------------------------------------------------- links
def _links(ctx, lt, ul) -> str:
    ctx.say("links")
    lt_opts = _opts(ctx, "linked_tori")
    out = [
        "<h3>Links: a 4th dimension, and a certificate for an unlink</h3>",
        _p(
            "A homeomorphism of R^3 keeps the linking number of two closed curves (up to sign: "
            "an orientation-reversing layer flips it) and a plane cannot split curves whose "
            "linking number is not 0. So a network of 3-unit layers with non-singular W and "
            "tanh cannot separate two linked tori; a 4-unit layer can. We push the tori's core "
            "curves through the best network of each width and compute their Gauss linking "
            "number at every 3-D stage (polylines refined where a layer stretches them)."
        ),
    ]
    from ...topology.linking import linking_labels

    rows = []
    for r in lt["results"]:
        c = r["best"]
        lk = "; ".join(linking_labels(c["linking"]))
        rows.append(
            [
                r["width"],
                float(np.mean(r["sample_accuracy"])),
                max(r["sample_accuracy"]),
                max(r["dense_accuracy"]),
                f"{r['sample_perfect']:.0%}",
                lk,
                str(c["core_misclassified"]),
                f"{min(c['linking']['distance'][:-1]):.2g}",
            ]
        )
        ctx.record(f"linked_tori.w{r['width']}.dense_max", max(r["dense_accuracy"]))
    out.append(
        ctx.table(
            [
                "width",
                "samples mean",
                "samples max",
                "dense max",
                "100% on samples",
                "linking number per stage (n/a = not R^3; carried: exact, through a "
                "homeomorphism from a certified stage; touching / unresolved: no value)",
                "core vertices wrong",
                "closest cores",
            ],
            rows,
        )
    )
    by_w = {r["width"]: r for r in lt["results"]}
    if 3 in by_w and 4 in by_w:
        r3, r4 = by_w[3], by_w[4]
        certified = r3["best"]["linking_3d"]
        n3 = sum(1 for d in r3["best"]["linking"]["dims"] if d == 3)
        kept = bool(certified) and all(abs(v) == lt["linking"] for v in certified)
        ctx.claim(
            "Linked tori cannot be separated with 3-unit layers; a 4th dimension separates them",
            f"width 3: best dense accuracy {max(r3['dense_accuracy']):.4f}, |linking| "
            f"{'kept' if kept else 'not shown kept'} at every certified stage "
            f"({len(certified)} of {n3} 3-D stages certified); width 4: best dense "
            f"accuracy {max(r4['dense_accuracy']):.4f}, {r4['sample_perfect']:.0%} of "
            "seeds at 100% on samples",
            None
            if ctx.quick
            else (
                False
                if max(r3["dense_accuracy"]) >= 1.0
                else (True if max(r4["dense_accuracy"]) >= 1.0 else None)
            ),
            setting=f"linked_tori, depth {lt_opts['depth']}, widths 3 and 4, "
            f"{lt_opts['seeds']} seeds each, {lt_opts['steps']} steps, "
            f"{lt_opts['n']} points; dense check of {lt_opts['dense']} points",
            resolution=f"one network in {lt_opts['seeds']}; one dense point",
            rule="agrees if no width-3 network classifies every dense point of the tori "
            "and some width-4 network does; differs if a width-3 network does; "
            "not resolved otherwise",
        )
        out.append(
            _p(
                "The 3-unit networks reach high accuracy nonetheless: they pinch the two cores "
                "together (the closest distance between the image curves collapses by orders of "
                "magnitude) and stretch the region around the crossing, the essay's easy way out, "
                "while the linking number stays what it was wherever it is certified. A stage is "
                "certified when boxes around the core polygon's segments, carried through the "
                "layers, keep the two curves apart; where they do not, the polygons are refined "
                "(up to 100,000 vertices per curve). A stage still not certified that is a "
                "homeomorphism after a stage with a value carries that value exactly (its sign "
                "flipped where det W < 0), marked 'carried'; any other is shown as touching "
                "(closest approach within a millionth of the curves' size) or unresolved, never "
                "as a number."
            )
        )
    return "".join(out) + _unlink(ctx, ul)


def _unlink(ctx, ul) -> str:
    """The unlink's certificate: its numbers, its network drawn and shipped, its claim."""
    from ...topology.linking import linking_labels

    out = []
    cert = ul["certificate"]
    lk = "; ".join(linking_labels(cert["linking"]))
    dets = ", ".join(f"{k}: {v:.3g}" for k, v in cert["determinants"].items())
    out.append(
        _p(
            f"Unlink, {ul['depth']} hidden layers of 3 tanh units, best of {ul['seeds']} seeds "
            f"(seed {ul['best_seed']}): dense accuracy {max(ul['dense_accuracy']):.4f}; "
            f"determinants {html.escape(dets)}; linking number per stage {lk}; core vertices on "
            f"the wrong side {cert['core_misclassified']} of {cert['core_vertices']}. "
            + (
                "Every stage is a homeomorphism and the read-out plane splits the two core "
                "curves: the network is a certificate that the tori form an unlink (its layers, "
                "each deformed continuously from the identity, give the ambient isotopy)."
                if ul["separated"]
                else "With these settings no network produced the certificate."
            )
        )
    )
    ctx.record("unlink.separated", ul["separated"])
    from ...render import plot_layer_strip

    X, y = ul["data"]
    from ...topology.saturation import saturation_by_stage
    from ...train import TrainConfig, run_of

    edge = max(saturation_by_stage(ul["network"], X).values())
    ctx.record("unlink.edge_fraction", edge)
    fig = plot_layer_strip(
        ul["network"],
        X,
        y,
        point_size=3,
        state=f"final state, step {ul['steps']}: edge fraction {edge:.2f}",
    )
    run = run_of(
        ul["network"],
        ul["history"],
        X,
        y,
        data={"dataset": "unlink", "params": {}, "n": int(len(X))},
        train=TrainConfig(steps=ul["steps"], lr=ul["lr"], seed=ul["best_seed"]),
    )
    out.append(
        ctx.figure(
            fig,
            "unlink_layers",
            caption=(
                "The certifying network's representation after every stage (3-unit tanh layers "
                "on the unlink, trained with the edge penalty), ending with the read-out's "
                "separating plane, seen from a camera that looks along it: one torus above, "
                f"the other below. Edge fraction {edge:.2f}."
            ),
            run=run,
        )
    )
    ctx.index(
        "A relatively simple unlink, separated by 3-unit layers (the essay's claim that such "
        "a network proves it is an unlink)",
        shows="every layer of the certifying network, the read-out's plane between the tori",
    )
    ctx.claim(
        "A network with 3-unit layers that separates two tori shows they are an unlink",
        f"separated: {ul['separated']}; dense accuracy {max(ul['dense_accuracy']):.4f}; "
        f"linking 0 at every certified stage: "
        f"{bool(cert['linking_3d']) and all(v == 0 for v in cert['linking_3d'])} "
        f"({len(cert['linking_3d'])} certified)",
        None if ctx.quick else (True if ul["separated"] else None),
        setting=f"unlink, {ul['depth']} layers of 3 tanh units, {ul['seeds']} seeds",
        resolution="exact: determinants and certified linking numbers of every stage",
        rule="agrees if the best network is a certificate (every stage a homeomorphism, "
        "the read-out plane splits both core curves, every linking number "
        "certified 0); not resolved if no network is (training may have missed one)",
    )
    return "".join(out)
