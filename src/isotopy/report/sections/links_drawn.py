"""Report section: two linked tori pushed through a network, drawn.

The essay's linked tori cannot be pulled apart by any homeomorphism of R^3, so a network of
3-unit layers with invertible weights can only press them together: it moves them closer
and closer where they must pass each other. A 4th unit gives the room to lift one torus past
the other. The figure follows the two core circles (the tori's centre lines) through every
representation of a 3-3 network and of a 4-4 network; at each stage the closest approach
of the two cores (relative to the representation's size) is marked with a black segment.
Rotatable views of every representation are written as plotly HTML, and the 3-unit network
is animated stage by stage.
"""

from __future__ import annotations

import html

import numpy as np

TITLE = "Linked tori, drawn"


def _settings(quick: bool) -> dict:
    if quick:
        return {"n": 200, "steps": 80, "nets": 2, "frames": 8, "size": 256, "samples": 150}
    # 1,200 points and 2,000 full-batch steps: width 4 separates the tori (sample accuracy
    # 1.0) in most initialisations; 4 initialisations per width, the best one is shown.
    return {"n": 1200, "steps": 2000, "nets": 4, "frames": 96, "size": 640, "samples": 500}


def closest_approach(a: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Smallest distance between two point sets (n, d), (m, d) and the two closest points."""
    from scipy.spatial import cKDTree

    d, j = cKDTree(b).query(a)
    i = int(np.argmin(d))
    return float(d[i]), a[i], b[int(j[i])]


def _size(Z: np.ndarray) -> float:
    return float(np.linalg.norm(Z.max(0) - Z.min(0))) + 1e-12


def core_trace(net, cores) -> list[dict]:
    """For each representation of ``net``: the two pushed cores, their closest approach
    (absolute and relative to the representation's diameter) and the closest points."""
    import torch

    from ...datasets.links import separating_plane

    rows = []
    with torch.no_grad():
        traces = [net.trace(torch.as_tensor(c, dtype=torch.float32)) for c in cores]
    for k, ((name, za), (_, zb)) in enumerate(zip(*traces, strict=True)):
        if name == "readout":
            continue
        za, zb = np.asarray(za, np.float64), np.asarray(zb, np.float64)
        d, pa, pb = closest_approach(za, zb)
        rows.append(
            {
                "k": k,
                "name": name,
                "a": za,
                "b": zb,
                "distance": d,
                "relative": d / _size(np.concatenate([za, zb])),
                "pa": pa,
                "pb": pb,
                "plane": (plane := separating_plane(za, zb)),
                "separable": plane is not None,
            }
        )
    return rows


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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [r for r in rows if r["k"] == 0 and with_input]
    shown += [r for r in rows if r["k"] > 0 and getattr(net.stages[r["k"] - 1], "act", None)]
    n = len(shown) + 1
    nrows = (n + 1) // 2
    fig = plt.figure(figsize=(10.0, 4.8 * nrows))
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
    import plotly.graph_objects as go

    from ...render.plotly3d import write_html
    from ...render.style import CLASS_COLORS
    from ...scene.build import stage_words

    links = []
    for r in rows:
        B, mean, _ = _projection(r)

        def _to3(Z, B=B, mean=mean):
            return (Z - mean) @ B

        fig = go.Figure()
        for c, z, lab in (
            (CLASS_COLORS[0], r["a"], "core of torus A"),
            (CLASS_COLORS[1], r["b"], "core of torus B"),
        ):
            z3 = _to3(np.vstack([z, z[:1]]))
            fig.add_trace(
                go.Scatter3d(
                    x=z3[:, 0],
                    y=z3[:, 1],
                    z=z3[:, 2],
                    mode="lines",
                    line=dict(color=c, width=7),
                    name=lab,
                )
            )
        p = _to3(np.stack([r["pa"], r["pb"]]))
        fig.add_trace(
            go.Scatter3d(
                x=p[:, 0],
                y=p[:, 1],
                z=p[:, 2],
                mode="lines+markers",
                line=dict(color="black", width=6),
                marker=dict(size=4),
                name=f"closest approach {r['distance']:.2g}",
            )
        )
        fig.update_layout(
            title=f"{stage_words(net, r['k'])}: closest approach "
            f"{r['relative']:.1e} of the representation's size",
            scene=dict(aspectmode="data"),
            margin=dict(l=0, r=0, t=40, b=0),
        )
        path, rel = ctx.file(f"{name}_{r['k']}.html")
        write_html(fig, path, plotlyjs="directory")
        links.append(f'<a href="{rel}">{html.escape(stage_words(net, r["k"]))}</a>')
    return links


def _train(ctx, s, X, y) -> tuple[dict, dict]:
    """The best of ``s["nets"]`` 3-3 and 4-4 tanh networks (edge penalty, as runs train):
    {hidden: (network, accuracy, all accuracies)} and {hidden: its Run, to ship}."""
    from ...nn import Network
    from ...train import TrainConfig, fit, run_of

    nets, runs = {}, {}
    train = TrainConfig(steps=s["steps"], lr=0.02, seed=ctx.seed)
    data = {"dataset": "linked_tori", "params": {}, "n": int(len(X))}
    for hidden in ((3, 3), (4, 4)):
        ctx.say(f"training {hidden} on linked tori")
        net = Network(3, hidden, "tanh", n_networks=s["nets"], seed=ctx.seed * 100)
        hist = fit(
            net,
            X,
            y,
            steps=train.steps,
            lr=train.lr,
            seed=train.seed,
            record_every=max(s["steps"] // 100, 1),
            edge_penalty=train.edge_penalty,
            edge_bound=train.edge_bound,
            edge_start=train.edge_start,
        )
        acc = hist.final_train_accuracy
        i = int(np.argmax(acc))
        nets[hidden] = (net.select(i), float(acc[i]), [float(a) for a in acc])
        runs[hidden] = run_of(net, hist, X, y, index=i, data=data, train=train)
    return nets, runs


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
    import torch

    from ...animate import Animation, morph_frames
    from ...datasets import make_dataset
    from ...datasets.links import link_cores
    from ...scene.camera import broad_camera

    torch.set_num_threads(1)
    s = _settings(ctx.quick)
    X, y = make_dataset("linked_tori", s["n"], seed=ctx.seed)
    cores = link_cores("linked_tori", samples=s["samples"])
    nets, runs = _train(ctx, s, X, y)
    from ...paths import orient_network
    from ...topology.saturation import saturation_by_stage

    # in the coordinates the animations use (units swapped where det W < 0)
    rows3 = core_trace(orient_network(nets[(3, 3)][0])[0], cores)
    rows4 = core_trace(orient_network(nets[(4, 4)][0])[0], cores)
    edges = {}
    for key, hidden, rows in (("w3", (3, 3), rows3), ("w4", (4, 4), rows4)):
        ctx.record(f"{key}.closest_relative", [r["relative"] for r in rows])
        ctx.record(f"{key}.train_accuracy", nets[hidden][1])
        ctx.record(f"{key}.separable", [r["separable"] for r in rows])
        edges[key] = max(saturation_by_stage(nets[hidden][0], X).values())
        ctx.record(f"{key}.edge_fraction", edges[key])
    parts = []
    for key, hidden, rows, words in (
        (
            "w3",
            (3, 3),
            rows3,
            "a network of two 3-unit tanh layers can only press the tori together; the black "
            "segment marks where the cores come closest, seen broadside",
        ),
        (
            "w4",
            (4, 4),
            rows4,
            "two layers of 4 units lift one torus past the other until a hyperplane separates "
            "the cores; where one does, the 4-D representation is drawn through that "
            "hyperplane's normal and the top principal axes orthogonal to it, from a camera "
            "looking along the separating plane (grey), so the separation is seen",
        ),
    ):
        label = f"{hidden[0]}-{hidden[1]} network"
        fig = _figure(rows, nets[hidden][0], label, with_input=key == "w3")
        parts.append(
            ctx.figure(
                fig,
                f"cores_{key}",
                caption=(
                    f"The core circles of two linked tori (red: torus A, blue: torus B) "
                    f"through the tanh layers of the best of {s['nets']} {label}s (train "
                    f"accuracy {nets[hidden][1]:.3f}, edge fraction {edges[key]:.2f}, trained "
                    f"with the edge penalty): {words}. Each title gives the closest approach "
                    "relative to the representation's size and whether a plane separates the "
                    "cores (a linear programme on the core vertices); the last panel follows "
                    "the closest approach through every representation."
                ),
                run=runs[hidden],
            )
        )
        ctx.index(
            "Two linked tori A and B (they need a 4th dimension to be separated)"
            if key == "w3"
            else None,
            shows=f"the cores through the {label}, closest approach marked",
        )
    if not ctx.quick:
        links3 = _plotly(ctx, rows3, nets[(3, 3)][0], "w3")
        links4 = _plotly(ctx, rows4, nets[(4, 4)][0], "w4")
        parts.append(
            "<p>Rotatable views (plotly): 3-3 network: "
            + ", ".join(links3)
            + "; 4-4 network: "
            + ", ".join(links4)
            + ".</p>"
        )
    ctx.say("animating the 3-3 network on the cores")
    pts = np.concatenate(cores)
    lab = np.repeat([0, 1], [len(c) for c in cores])
    fr = morph_frames(nets[(3, 3)][0], pts, lab, frames=s["frames"], lines=5, samples=60)
    # one camera, square to where the cores end up closest (no plane separates them here)
    end = rows3[-1]
    fr.meta.pop("cameras", None)
    fr.meta["camera"] = broad_camera([end["a"], end["b"]], across=end["pb"] - end["pa"])
    path, rel = ctx.file("w3_morph.gif")
    Animation(fr, fps=16, size=s["size"], hold=1.5).save(path)
    parts.append(
        ctx.embed(
            rel,
            caption=(
                "The 3-3 network applied to the two core circles stage by stage, each along its "
                "continuous path (GL+(3), translation, tanh): the cores are squeezed against each "
                "other but never pass through each other. The camera looks square to the "
                "segment where they end up closest."
            ),
            run=runs[(3, 3)],
        )
    )
    ctx.index(None, shows="the 3-3 network's stages applied gradually to the two cores")
    return _intro_table(ctx, rows3, rows4) + "".join(parts)
