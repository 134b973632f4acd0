"""Report section: two linked tori pushed through a network, drawn.

Formats :mod:`isotopy.experiments.links_drawn`. The essay's linked tori cannot be pulled
apart by any homeomorphism of R^3, so a network of 3-unit layers with invertible weights
can only press them together; a 4th unit gives the room to lift one torus past the other.
The figure follows the two core circles through every representation of the experiment's
3-3 and 4-4 networks; at each stage the closest approach of the two cores (relative to the
representation's size) is marked with a black segment. Rotatable views of every
representation are written as plotly HTML, and the 3-unit network is animated stage by
stage.
"""

from __future__ import annotations

import html

import numpy as np

from ._settings import ENCODING, config
from ._views import line3d, write_view

TITLE = "Linked tori, drawn"
EXPERIMENTS = ("links_drawn",)


def _projection(r):
    """Coordinates of representation ``r`` to draw in 3-D, and their words: the
    representation itself in 3-D; in wider ones the unit normal of a separating hyperplane
    (when one separates the cores, so the picture shows what the title says) and the top
    principal axes orthogonal to it."""
    a, b = r["a"], r["b"]
    d = a.shape[1]
    if d <= 3:
        return np.eye(d), np.zeros(d), ""
    P = np.concatenate([a, b])
    mean = P.mean(0)
    axes = []
    if r["plane"] is not None:
        axes.append(r["plane"][0])
    rest = P - mean
    for v in axes:
        rest = rest - np.outer(rest @ v, v)
    _, _, vt = np.linalg.svd(rest, full_matrices=False)
    B = np.stack(axes + list(vt[: 3 - len(axes)]), 1)  # (d, 3)
    words = (
        "\naxis 1: the separating normal; 2, 3: principal axes"
        if r["plane"] is not None
        else "\nthe top 3 principal axes"
    )
    return B, mean, words


def _panel(fig, spec, r, net, label):
    """One 3-D panel: the two cores, their closest approach, the separating plane where
    there is one, from a camera that shows it (or the closest approach broadside)."""
    from ...render.style import CLASS_COLORS, SEPARATOR_COLOR
    from ...scene.build import separator_geometry, stage_words
    from ...scene.camera import broad_camera, separating_camera

    ax = fig.add_subplot(spec, projection="3d")
    B, mean, proj = _projection(r)
    a, b = (r["a"] - mean) @ B, (r["b"] - mean) @ B
    pa, pb = (r["pa"] - mean) @ B, (r["pb"] - mean) @ B
    lo, hi = np.minimum(a.min(0), b.min(0)), np.maximum(a.max(0), b.max(0))
    pad = 0.05 * (hi - lo).max()
    box = np.stack([lo - pad, hi + pad])
    poly, cam = None, None
    if r["plane"] is not None:
        w, c = r["plane"]
        w3, c3 = B.T @ w, c - w @ mean  # the plane in the drawn coordinates
        poly = separator_geometry(w3, -c3, box)
        pts = np.concatenate([a, b])
        lab = np.repeat([0, 1], [len(a), len(b)])
        cam = None if poly is None else separating_camera(pts, lab, poly, w3)
    if cam is None:
        cam = broad_camera([a, b], across=pb - pa)
    for col, z in ((CLASS_COLORS[0], a), (CLASS_COLORS[1], b)):
        zc = np.vstack([z, z[:1]])
        ax.plot(zc[:, 0], zc[:, 1], zc[:, 2], color=col, lw=2.2)
    ax.plot(*np.stack([pa, pb]).T, color="black", lw=2.5)
    ax.scatter(*np.stack([pa, pb]).T, color="black", s=18, depthshade=False)
    if poly is not None:
        from mpl_toolkits.mplot3d.art3d import Poly3DCollection

        ax.computed_zorder = False
        ax.add_collection3d(
            Poly3DCollection(
                [poly],
                facecolor=(0.27, 0.27, 0.27, 0.2),
                edgecolor=SEPARATOR_COLOR,
                linewidths=1.5,
                zorder=5,
            )
        )
    for setter, l_, h_ in zip((ax.set_xlim, ax.set_ylim, ax.set_zlim), *box, strict=True):
        setter(l_, h_)
    ax.set_box_aspect(tuple(np.maximum(box[1] - box[0], 1e-3 * (box[1] - box[0]).max())))
    ax.view_init(*cam)
    ax.set_proj_type("ortho")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_zticks([])
    names = (
        ("axis 1", "axis 2", "axis 3") if r["a"].shape[1] > 3 else ("unit 1", "unit 2", "unit 3")
    )
    if r["k"] == 0:
        names = ("x1", "x2", "x3")
    for setter, name in zip((ax.set_xlabel, ax.set_ylabel, ax.set_zlabel), names, strict=True):
        setter(name, fontsize=8, labelpad=-8)
    sep = "a plane separates them" if r["separable"] else "no plane separates them"
    ax.set_title(
        f"{label}: {stage_words(net, r['k'])}{proj}\ncores {r['relative']:.1e} of the size "
        f"apart; {sep}",
        fontsize=9,
    )


def _figure(rows, net, label, *, with_input: bool):
    """The cores through the layers of one network, two 3-D panels a row (each 5 in: 550 px
    in the page), and the closest approach at every representation on a log scale."""
    from matplotlib.figure import Figure

    shown = [r for r in rows if r["k"] == 0 and with_input]
    shown += [r for r in rows if r["k"] > 0 and getattr(net.stages[r["k"] - 1], "act", None)]
    n = len(shown) + 1
    nrows = (n + 1) // 2
    fig = Figure(figsize=(10.0, 4.8 * nrows))
    gs = fig.add_gridspec(nrows, 2)
    for i, r in enumerate(shown):
        _panel(fig, gs[i // 2, i % 2], r, net, label)
    ax = fig.add_subplot(gs[len(shown) // 2, len(shown) % 2])
    ax.semilogy([r["k"] for r in rows], [r["relative"] for r in rows], "o-", color="black")
    ax.set_xticks([r["k"] for r in rows], [r["name"] for r in rows], fontsize=8, rotation=30)
    ax.set_xlabel("representation", fontsize=9)
    ax.set_ylabel("closest approach / size", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.set_title(f"{label}: how close the two cores come", fontsize=9)
    fig.tight_layout()
    return fig


def _plotly(ctx, rows, net, name):
    """A rotatable view of the two cores at every representation; the links to them."""
    from ...render.style import CLASS_COLORS
    from ...scene.build import stage_words

    links = []
    for r in rows:
        B, mean, _ = _projection(r)
        traces = [
            line3d((z - mean) @ B, color=c, name=lab, width=7, closed=True)
            for c, z, lab in (
                (CLASS_COLORS[0], r["a"], "core of torus A"),
                (CLASS_COLORS[1], r["b"], "core of torus B"),
            )
        ]
        traces.append(
            line3d(
                (np.stack([r["pa"], r["pb"]]) - mean) @ B,
                color="black",
                name=f"closest approach {r['distance']:.2g}",
                width=6,
                ends=True,
            )
        )
        title = (
            f"{stage_words(net, r['k'])}: closest approach {r['relative']:.1e} of the "
            "representation's size"
        )
        rel = write_view(ctx, f"{name}_{r['k']}", title, traces)
        links.append(f'<a href="{rel}">{html.escape(stage_words(net, r["k"]))}</a>')
    return links


def _intro_table(ctx, rows3, rows4) -> str:
    """The section's opening words and the closest approach per representation."""
    rows = [
        [r["name"], "3-3", f"{r['relative']:.2e}", "yes" if r["separable"] else "no"] for r in rows3
    ] + [
        [r["name"], "4-4", f"{r['relative']:.2e}", "yes" if r["separable"] else "no"] for r in rows4
    ]
    intro = (
        "<p>Two solid tori whose core circles form a Hopf link (linking number 1). "
        "Their linking number cannot change under a homeomorphism of R^3, so layers of "
        "3 units with invertible weights keep them linked; a fourth dimension lets them "
        "part. The table gives the cores' closest approach at each representation, as "
        "a fraction of its diameter.</p>"
    )
    header = [
        "representation",
        "network",
        "closest approach / size",
        "a hyperplane separates the cores",
    ]
    return intro + ctx.table(header, rows)


def build(ctx) -> str:
    from ...experiments.links_drawn import WIDTHS, LinksDrawnConfig, run_with_networks

    cfg = config(ctx, LinksDrawnConfig)
    res, objects = run_with_networks(cfg, progress=ctx.ticker("linked tori networks"))
    nets, runs, rows = objects["nets"], objects["runs"], objects["rows"]
    for key, m in res["networks"].items():
        for what in ("closest_relative", "train_accuracy", "separable", "edge_fraction"):
            ctx.record(f"{key}.{what}", m[what])
    parts = []
    for key, words in WORDS.items():
        m = res["networks"][key]
        label = "-".join(map(str, WIDTHS[key])) + " network"
        fig = _figure(rows[key], nets[key], label, with_input=key == "w3")
        parts.append(
            ctx.figure(
                fig,
                f"cores_{key}",
                caption=(
                    f"The core circles of two linked tori (red: torus A, blue: torus B) "
                    f"through the tanh layers of the best of {cfg.nets} {label}s (train "
                    f"accuracy {m['train_accuracy']:.3f}, edge fraction {m['edge_fraction']:.2f}, "
                    f"trained with the edge penalty): {words}. Each title gives the closest "
                    "approach relative to the representation's size and whether a plane "
                    "separates the cores (a linear programme on the core vertices); the last "
                    "panel follows the closest approach through every representation."
                ),
                run=runs[key],
            )
        )
        ctx.index(
            "Two linked tori A and B (they need a 4th dimension to be separated)"
            if key == "w3"
            else None,
            shows=f"the cores through the {label}, closest approach marked",
        )
    if not ctx.quick:
        links = {key: _plotly(ctx, rows[key], nets[key], key) for key in WIDTHS}
        parts.append(
            "<p>Rotatable views (plotly): 3-3 network: "
            + ", ".join(links["w3"])
            + "; 4-4 network: "
            + ", ".join(links["w4"])
            + ".</p>"
        )
    parts.append(_morph(ctx, objects, cfg, runs["w3"]))
    return _intro_table(ctx, rows["w3"], rows["w4"]) + "".join(parts)


WORDS = {
    "w3": "a network of two 3-unit tanh layers can only press the tori together; the black "
    "segment marks where the cores come closest, seen broadside",
    "w4": "two layers of 4 units lift one torus past the other until a hyperplane separates "
    "the cores; where one does, the 4-D representation is drawn through that hyperplane's "
    "normal and the top principal axes orthogonal to it, from a camera looking along the "
    "separating plane (grey), so the separation is seen",
}


def _morph(ctx, objects, cfg, run) -> str:
    """The 3-3 network applied gradually to the two cores, seen square to where they end up
    closest (no plane separates them there)."""
    from ...animate import Animation
    from ...scene.camera import broad_camera

    ctx.say("animating the 3-3 network on the cores")
    fr = objects["frames"]
    end = objects["rows"]["w3"][-1]
    fr.meta.pop("cameras", None)
    fr.meta["camera"] = broad_camera([end["a"], end["b"]], across=end["pb"] - end["pa"])
    path, rel = ctx.file("w3_morph.gif")
    Animation(fr, **ENCODING[ctx.quick]).save(path)
    tag = ctx.embed(
        rel,
        caption=(
            "The 3-3 network applied to the two core circles stage by stage, each along its "
            "continuous path (GL+(3), translation, tanh): the cores are squeezed against each "
            "other but never pass through each other. The camera looks square to the "
            "segment where they end up closest."
        ),
        run=run,
    )
    ctx.index(None, shows="the 3-3 network's stages applied gradually to the two cores")
    return tag
