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


def _to3(Z, basis):
    return Z if Z.shape[1] <= 3 else (Z - basis[0]) @ basis[1]


def core_trace(net, cores) -> list[dict]:
    """For each representation of ``net``: the two pushed cores, their closest approach
    (absolute and relative to the representation's diameter) and the closest points."""
    import torch

    from ...datasets.links import plane_separable

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
                "separable": plane_separable(za, zb),
            }
        )
    return rows


def _basis(rows):
    wide = [np.concatenate([r["a"], r["b"]]) for r in rows if r["a"].shape[1] > 3]
    if not wide:
        return None
    allp = np.concatenate(wide)
    mean = allp.mean(0)
    _, _, vt = np.linalg.svd(allp - mean, full_matrices=False)
    return mean, vt[:3].T


def _figure(rows_by_net, labels):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ...render.style import CLASS_COLORS
    from ...scene.build import stage_words

    ncol = max(len(r) for r, _ in rows_by_net)
    fig = plt.figure(figsize=(3.4 * ncol, 3.7 * len(rows_by_net)))
    for i, ((rows, net), label) in enumerate(zip(rows_by_net, labels, strict=True)):
        basis = _basis(rows)
        for j, r in enumerate(rows):
            ax = fig.add_subplot(len(rows_by_net), ncol, i * ncol + j + 1, projection="3d")
            a, b = _to3(r["a"], basis), _to3(r["b"], basis)
            for c, z in ((CLASS_COLORS[0], a), (CLASS_COLORS[1], b)):
                zc = np.vstack([z, z[:1]])
                ax.plot(zc[:, 0], zc[:, 1], zc[:, 2], color=c, lw=2.2)
            pa, pb = _to3(r["pa"][None], basis)[0], _to3(r["pb"][None], basis)[0]
            ax.plot(*np.stack([pa, pb]).T, color="black", lw=2.5)
            ax.scatter(*np.stack([pa, pb]).T, color="black", s=18, depthshade=False)
            lo = np.minimum(a.min(0), b.min(0))
            hi = np.maximum(a.max(0), b.max(0))
            for setter, l_, h_ in zip((ax.set_xlim, ax.set_ylim, ax.set_zlim), lo, hi, strict=True):
                pad = 0.05 * (h_ - l_ + 1e-9)
                setter(l_ - pad, h_ + pad)
            ax.set_box_aspect(tuple(np.maximum(hi - lo, 1e-3 * (hi - lo).max())))
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_zticks([])
            words = stage_words(net, r["k"])
            proj = " (top 3 principal axes)" if r["a"].shape[1] > 3 else ""
            head = f"{label}\n" if j == 0 else "\n"
            sep = "a plane separates them" if r["separable"] else "no plane separates them"
            ax.set_title(
                f"{head}{words}{proj}\nclosest approach {r['relative']:.1e} of size; {sep}",
                fontsize=8,
            )
    fig.tight_layout()
    return fig


def _plotly(ctx, rows, net, name):
    import plotly.graph_objects as go

    from ...render.plotly3d import write_html
    from ...render.style import CLASS_COLORS
    from ...scene.build import stage_words

    links = []
    basis = _basis(rows)
    for r in rows:
        fig = go.Figure()
        for c, z, lab in (
            (CLASS_COLORS[0], r["a"], "core of torus A"),
            (CLASS_COLORS[1], r["b"], "core of torus B"),
        ):
            z3 = _to3(np.vstack([z, z[:1]]), basis)
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
        p = _to3(np.stack([r["pa"], r["pb"]]), basis)
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


def build(ctx) -> str:
    import torch

    from ...animate import Animation, morph_frames
    from ...datasets import make_dataset
    from ...datasets.links import link_cores
    from ...nn import Network
    from ...train import fit

    torch.set_num_threads(1)
    s = _settings(ctx.quick)
    X, y = make_dataset("linked_tori", s["n"], seed=ctx.seed)
    cores = link_cores("linked_tori", samples=s["samples"])
    nets = {}
    for hidden in ((3, 3), (4, 4)):
        ctx.say(f"training {hidden} on linked tori")
        net = Network(3, hidden, "tanh", n_networks=s["nets"], seed=ctx.seed * 100)
        hist = fit(
            net,
            X,
            y,
            steps=s["steps"],
            lr=0.02,
            seed=ctx.seed,
            record_every=max(s["steps"] // 100, 1),
        )
        acc = hist.final_train_accuracy
        i = int(np.argmax(acc))
        nets[hidden] = (net.select(i), float(acc[i]), [float(a) for a in acc])
    from ...paths import orient_network

    # in the coordinates the animations use (units swapped where det W < 0)
    rows3 = core_trace(orient_network(nets[(3, 3)][0])[0], cores)
    rows4 = core_trace(orient_network(nets[(4, 4)][0])[0], cores)
    for key, rows in (("w3", rows3), ("w4", rows4)):
        ctx.record(f"{key}.closest_relative", [r["relative"] for r in rows])
    ctx.record("w3.train_accuracy", nets[(3, 3)][1])
    ctx.record("w4.train_accuracy", nets[(4, 4)][1])
    ctx.record("w3.separable", [r["separable"] for r in rows3])
    ctx.record("w4.separable", [r["separable"] for r in rows4])
    a3, a4 = nets[(3, 3)][1], nets[(4, 4)][1]
    fig = _figure(
        [(rows3, nets[(3, 3)][0]), (rows4, nets[(4, 4)][0])],
        [
            f"3-3 tanh network (train accuracy {a3:.3f})",
            f"4-4 tanh network (train accuracy {a4:.3f})",
        ],
    )
    parts = [
        ctx.figure(
            fig,
            "cores",
            caption=(
                "The core circles of two linked tori (red: torus A, blue: torus B) through every "
                "representation. Top: a network of two 3-unit tanh layers, the best of "
                f"{s['nets']} initialisations; it can only press the tori together, and the black "
                "segment marks where the cores come closest (distance relative to the "
                "representation's diameter in each title). Bottom: two layers of 4 units, drawn "
                "through their top three principal axes, lift one torus past the other until a "
                "hyperplane separates the cores (each title says whether one does: a linear "
                "programme on the core vertices)."
            ),
        )
    ]
    ctx.index(
        "Two linked tori A and B (they need a 4th dimension to be separated)",
        shows="the cores through a 3-3 and a 4-4 network, closest approach marked",
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
    path, rel = ctx.file("w3_morph.gif")
    Animation(fr, fps=16, size=s["size"], hold=1.5).save(path)
    parts.append(
        ctx.embed(
            rel,
            caption=(
                "The 3-3 network applied to the two core circles stage by stage, each along its "
                "continuous path (GL+(3), translation, tanh): the cores are squeezed against each "
                "other but never pass through each other."
            ),
        )
    )
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
    return intro + ctx.table(header, rows) + "".join(parts)
