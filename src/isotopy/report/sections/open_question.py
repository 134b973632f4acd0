"""Report section: the essay's open question about unlinks and 3-unit layers.

Two parts. Links with linking number k ≠ 0 (torus links T(2, 2k) moved by random
diffeomorphisms of R^3): no network of 3-unit layers with an injective activation can
separate them, and none of ours does. Tangled unlinks (three kinds from
``isotopy.datasets.links.UNLINK_KINDS``, each instance checked to have linking number 0 and
no separating plane, so no translation pulls it apart): how many instances some network of
3-unit layers separates, per kind. Failing to find a separating network proves nothing, so
the essay's question gets "agrees" only if every instance is separated and "not resolved"
otherwise.
"""

from __future__ import annotations

import html

TITLE = "Can layers of 3 units untangle every unlink? (the essay's open question)"


def _settings(quick: bool):
    """(links, tangled unlinks): the config's quick() in quick mode; else 2 random instances
    of each linking number 1, 2 with 8 networks each, and 10 instances of each tangled kind
    with 3 networks each (1,200 full-batch steps)."""
    from ...experiments.open_question import OpenQuestionConfig
    from ...experiments.unlink import TangledUnlinkConfig

    if quick:
        return OpenQuestionConfig.quick(), TangledUnlinkConfig.quick()
    return (
        OpenQuestionConfig(seeds=8, steps=1200, n=600),
        TangledUnlinkConfig(per_kind=10, seeds=3, steps=1200, n=600),
    )


def _unlink_figure(ctx, plt, np):
    from ...datasets.links import UNLINK_KINDS, unlink_cores
    from ...render.style import CLASS_COLORS

    kinds = list(UNLINK_KINDS)
    views = ((25, -60), (75, -90))
    # one row per kind, its two views side by side: 3-D panels 5 in (550 px) wide
    fig = plt.figure(figsize=(10.0, 4.4 * len(kinds)))
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
    import plotly.graph_objects as go

    from ...render.plotly3d import write_html

    links = []
    for kind in kinds:
        g = go.Figure()
        for c, color, name in zip(
            unlink_cores(kind, ctx.seed, samples=600),
            CLASS_COLORS[:2],
            ("class A", "class B"),
            strict=True,
        ):
            c = np.vstack([c, c[:1]])
            g.add_trace(
                go.Scatter3d(
                    x=c[:, 0],
                    y=c[:, 1],
                    z=c[:, 2],
                    mode="lines",
                    line=dict(color=color, width=8),
                    name=name,
                )
            )
        g.update_layout(
            title=f"tangled unlink '{kind}' (seed {ctx.seed})",
            scene=dict(aspectmode="data"),
            margin=dict(l=0, r=0, t=40, b=0),
        )
        path, rel = ctx.file(f"unlink_{kind}.html")
        write_html(g, path, plotlyjs="directory")
        links.append(f'<a href="{rel}">{html.escape(kind)}</a>')
    return tag + "<p>Rotatable views: " + ", ".join(links) + ".</p>"


def build(ctx) -> str:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np

    from ...experiments.open_question import open_question, random_links
    from ...experiments.unlink import tangled_unlinks
    from ...experiments.verdicts import Verdict

    links, tangled = _settings(ctx.quick)
    # ---------------------------------------------------------------- links (lk != 0)
    insts = [
        i
        for i in random_links(links.per_kind, linking=links.linking, seed=ctx.seed)
        if i.kind == "torus"
    ]
    ctx.say(f"{len(insts)} links x {links.seeds} networks")
    table = open_question(insts, links, progress=lambda d, t: ctx.say(f"{d}/{t}"))
    n_sep = int(table["separated"].sum())
    n_train = int((table["train_accuracy"] == 1.0).sum())
    lk_table = table.groupby("instance")[["linking", "measured_linking"]].first()
    lk_ok = bool(np.all(np.abs(np.abs(lk_table["measured_linking"]) - lk_table["linking"]) < 0.05))
    ctx.record("linked_networks", int(len(table)))
    ctx.record("linked_separated", n_sep)
    ctx.record("linked_train_perfect", n_train)
    setting = (
        f"{len(insts)} random torus links (lk {sorted(set(table['linking']))}), "
        f"{links.seeds} networks each, 3 layers of 3 tanh units, "
        f"{links.steps} steps"
    )
    # (the claim itself, with widths 3 and 4, is the topology section's row; here the links
    # are random embeddings, which no 3-unit network may separate either)

    # ---------------------------------------------------------------- tangled unlinks
    ctx.say("tangled unlinks")
    tu = tangled_unlinks(tangled, seed=ctx.seed, progress=lambda d, t: ctx.say(f"unlink {d}/{t}"))
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
    total = sum(r["instances"] for r in tu["per_kind"].values())
    done = sum(round(r["separated"] * r["instances"]) for r in tu["per_kind"].values())
    st = tu["setting"]
    verdict = Verdict(
        "agrees" if done == total else "not resolved",
        "agrees if some network of 3-unit layers separates every instance (dense points and "
        "core vertices all right); otherwise not resolved, since a separating network that "
        "training did not find may still exist (it can never be 'differs' without a proof)",
        f"{st['seeds']} networks per instance",
        f"{done} of {total} instances separated",
    )
    ctx.claim(
        "Can all unlinks be classified by a network with only 3 units? (the essay's question)",
        " ; ".join(
            f"{k}: {r['separated']:.0%} of {r['instances']}" for k, r in tu["per_kind"].items()
        ),
        None if ctx.quick else verdict.agrees,
        verdict=verdict,
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
    fig_html = _unlink_figure(ctx, plt, np)
    return (
        "<p>The essay asks whether every unlink can be classified by a network whose layers "
        "have only 3 units. First, links that are not unlinks: torus links T(2, 2k) moved by "
        "random smooth orientation-preserving diffeomorphisms of R³, whose linking number k "
        "no such network can change, so none may separate them: "
        f"{n_sep} of {len(table)} networks did ({html.escape(setting)}; linking numbers "
        f"measured from the moved core curves match the construction: "
        f"{'yes' if lk_ok else 'NO'}).</p>"
        "<p>Then unlinks worth the name: three kinds of pairs of curves with linking number "
        "0 that no plane separates (checked by a linear programme on every instance), "
        f"{tangled.per_kind} random instances of each. An instance counts as separated when "
        "one of its networks classifies a fresh dense sample of both solid tori and every "
        f"vertex of both core curves correctly ({html.escape(tu['summary'][0])}).</p>"
        + table_html
        + fig_html
    )
