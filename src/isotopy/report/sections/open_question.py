"""Report section: the essay's open question about unlinks and 3-unit layers.

Formats two experiments. Links with linking number k ≠ 0 (:mod:`isotopy.experiments.
open_question` with ``kinds=("torus",)``: torus links T(2, 2k) moved by random
diffeomorphisms of R^3): no network of 3-unit layers with an injective activation can
separate them, and none of ours does. Tangled unlinks (:mod:`isotopy.experiments.
tangled_unlinks`: three kinds, each instance checked to have linking number 0 and no
separating plane, so no translation pulls it apart): how many instances some network of
3-unit layers separates, per kind. Failing to find a separating network proves nothing, so
the essay's question gets "agrees" only if every instance is separated and "not resolved"
otherwise.
"""

from __future__ import annotations

import html
from dataclasses import replace

import numpy as np

from ._settings import config
from ._views import line3d, write_view

TITLE = "Can layers of 3 units untangle every unlink? (the essay's open question)"
EXPERIMENTS = ("open_question", "tangled_unlinks")

# the full report: 2 random instances of each linking number 1, 2 with 8 networks each, and
# 10 instances of each tangled kind with 3 networks each (1,200 full-batch steps)
LINKS = {"seeds": 8, "steps": 1200, "n": 600}
TANGLED = {"per_kind": 10, "seeds": 3, "steps": 1200, "n": 600}


def _unlink_figure(ctx):
    from matplotlib.figure import Figure

    from ...datasets.links import UNLINK_KINDS, unlink_cores
    from ...render.style import CLASS_COLORS

    kinds = list(UNLINK_KINDS)
    views = ((25, -60), (75, -90))
    # one row per kind, its two views side by side: 3-D panels 5 in (550 px) wide
    fig = Figure(figsize=(10.0, 4.4 * len(kinds)))
    for i, kind in enumerate(kinds):
        cores = [np.vstack([c, c[:1]]) for c in unlink_cores(kind, ctx.seed, samples=600)]
        allc = np.concatenate(cores)
        for j, (elev, azim) in enumerate(views):
            ax = fig.add_subplot(len(kinds), len(views), i * len(views) + j + 1, projection="3d")
            for c, color in zip(cores, CLASS_COLORS[:2], strict=True):
                ax.plot(c[:, 0], c[:, 1], c[:, 2], color=color, lw=2.8)
            ax.view_init(elev=elev, azim=azim)
            ax.set_box_aspect(tuple(np.ptp(allc, axis=0) + 1e-3))
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_zticks([])
            for setter, name in zip((ax.set_xlabel, ax.set_ylabel, ax.set_zlabel), "xyz"):
                setter(name, fontsize=8, labelpad=-8)
            ax.set_title(
                f"{kind}: {UNLINK_KINDS[kind][1]}\nseen from elevation {elev}°, azimuth {azim}°",
                fontsize=9,
            )
    fig.tight_layout()
    tag = ctx.figure(
        fig,
        "unlinks",
        caption=(
            "One random instance of each kind of tangled unlink, from two directions (red: "
            "class A, blue: class B). Each has linking number 0 and no plane between its two "
            "curves, so no translation separates them; yet each can be pulled apart by a "
            "continuous deformation."
        ),
    )
    ctx.index(
        "A relatively simple unlink",
        shows="one instance of each of three kinds of "
        "tangled unlink, two views each; rotatable views linked below",
    )
    if ctx.quick:
        return tag
    links = []
    for kind in kinds:
        traces = [
            line3d(c, color=color, name=name, width=8, closed=True)
            for c, color, name in zip(
                unlink_cores(kind, ctx.seed, samples=600),
                CLASS_COLORS[:2],
                ("class A", "class B"),
                strict=True,
            )
        ]
        title = f"tangled unlink '{kind}' (seed {ctx.seed})"
        rel = write_view(ctx, f"unlink_{kind}", title, traces)
        links.append(f'<a href="{rel}">{html.escape(kind)}</a>')
    return tag + "<p>Rotatable views: " + ", ".join(links) + ".</p>"


def build(ctx) -> str:
    from ...experiments import open_question, tangled_unlinks

    # links only (torus links), in quick mode too
    links = replace(config(ctx, open_question.OpenQuestionConfig, **LINKS), kinds=("torus",))
    lq = open_question.run(links, progress=ctx.ticker("links"))
    ctx.record("linked_networks", lq["networks"])
    ctx.record("linked_separated", lq["separated"])
    ctx.record("linked_train_perfect", lq["train_perfect"])
    setting = (
        f"{lq['instances']} random torus links (lk {lq['linking_numbers']}), "
        f"{links.seeds} networks each, 3 layers of 3 tanh units, {links.steps} steps"
    )
    # (the claim itself, with widths 3 and 4, is the linking section's row; here the links
    # are random embeddings, which no 3-unit network may separate either)
    tangled = config(ctx, tangled_unlinks.TangledUnlinkConfig, **TANGLED)
    tu = tangled_unlinks.run(tangled, progress=ctx.ticker("unlink"))
    rows = []
    for kind, r in tu["per_kind"].items():
        rows.append(
            [
                kind,
                r["instances"],
                f"{r['separated']:.0%}",
                f"{r['networks_separated']:.0%}",
                f"{r['best_dense']:.4f}",
            ]
        )
        ctx.record(f"tangled.{kind}.separated", r["separated"])
        ctx.record(f"tangled.{kind}.best_dense", r["best_dense"])
    st = tu["setting"]
    ctx.judged(
        "Can all unlinks be classified by a network with only 3 units? (the essay's question)",
        tu["verdict"],
        measured=" ; ".join(
            f"{k}: {r['separated']:.0%} of {r['instances']}" for k, r in tu["per_kind"].items()
        ),
        setting=f"{st['depth']} layers of {st['width']} {st['activation']} units, "
        f"{st['seeds']} networks per instance, {st['steps']} steps, "
        f"{st['n']} training points; dense check {st['dense']} points",
    )
    table_html = ctx.table(
        [
            "kind",
            "instances",
            "instances separated",
            "networks separated",
            "best dense accuracy (mean)",
        ],
        rows,
    )
    return (
        "<p>The essay asks whether every unlink can be classified by a network whose layers "
        "have only 3 units. First, links that are not unlinks: torus links T(2, 2k) moved by "
        "random smooth orientation-preserving diffeomorphisms of R³, whose linking number k "
        "no such network can change, so none may separate them: "
        f"{lq['separated']} of {lq['networks']} networks did ({html.escape(setting)}; linking "
        "numbers measured from the moved core curves match the construction: "
        f"{'yes' if lq['linking_as_constructed'] else 'NO'}).</p>"
        "<p>Then unlinks worth the name: three kinds of pairs of curves with linking number "
        "0 that no plane separates (checked by a linear programme on every instance), "
        f"{tangled.per_kind} random instances of each. An instance counts as separated when "
        "one of its networks classifies a fresh dense sample of both solid tori and every "
        f"vertex of both core curves correctly ({html.escape(tu['summary'][0])}).</p>"
        + table_html
        + _unlink_figure(ctx)
    )
