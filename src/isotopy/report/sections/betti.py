"""Betti numbers of each class through the layers: tanh against ReLU."""

from __future__ import annotations

import html

import numpy as np

from ._settings import opts as _opts
from ._settings import paragraph as _p

TITLE = "Betti numbers through the layers"


def build(ctx) -> str:
    from ...experiments import run_experiment

    return _betti(ctx, run_experiment("betti_layers", **_opts(ctx, "betti_layers")))


# ----------------------------------------------------------------------------------- betti
def _betti(ctx, res) -> str:
    ctx.say("Betti numbers")
    out = [
        "<h3>Betti numbers through the layers: tanh against ReLU</h3>",
        _p(
            "β0 and β1 of each class at every stage, from persistent homology (ripser) of the "
            "class's points"
            + (
                ", read without a scale (reading: robust; see "
                "<code>isotopy.topology.robust</code>): an activation stage in the chart of its "
                "inverse (atanh for tanh; ReLU has none and is read as it is), every cloud "
                "whitened (centred, each principal axis scaled to unit spread, so that an "
                "invertible affine stage, however badly conditioned, cannot change the reading), "
                "β0 from gaps in the minimum spanning tree at least twice the spacing on both "
                "sides, β1 from classes with death/birth at least 3.5. "
                if res.get("reading", "euclidean") == "robust"
                else ", read at ε = max(0.1 · diameter, 2 · sampling spacing) of the cloud "
                "(reading: euclidean). "
            )
            + "The input disc has (β0, β1) = (1, 0), the annulus (1, 1)."
        ),
    ]
    fracs = {}
    for r in res["results"]:
        b = np.asarray(r["betti"])[0]
        rows = [
            [name] + [f"({b[s, c, 0]}, {b[s, c, 1]})" for c in range(b.shape[1])]
            for s, name in enumerate(r["stages"])
        ]
        fracs[r["activation"]] = r["preserved"]
        ctx.record(f"betti.{r['activation']}.preserved", r["preserved"])
        changed = ", ".join(
            "none"
            if c is None
            else (f"{c} (condition {r['conditions'][i][c]:.0f})" if c in r["conditions"][i] else c)
            for i, c in enumerate(r["changed_at"])
        )
        out.append(
            f"<p><b>{r['activation']}</b> (first network; accuracy "
            f"{r['sample_accuracy'][0]:.3f}; first stage with a change, per network: "
            f"{html.escape(changed)})</p>"
        )
        out.append(ctx.table(["stage", "disc (β0, β1)", "annulus (β0, β1)"], rows))
    out.append(_diagrams(ctx, res))
    t, rl = fracs.get("tanh"), fracs.get("relu")
    if t is not None and rl is not None:
        ok = t == 1.0 and rl < 1.0
        ctx.claim(
            "tanh layers (homeomorphisms) keep each class's topology; ReLU need not",
            f"networks whose Betti numbers (β0, β1) never change through the stages: "
            f"tanh {t:.0%}, relu {rl:.0%} of {res['seeds']} each",
            None if ctx.quick else (True if ok else None),
            setting=f"{res['dataset']}, hidden {res['hidden']}, {res['seeds']} seeds, "
            f"{res['steps']} steps, reading: {res.get('reading', 'euclidean')}",
            resolution=f"one network in {res['seeds']}",
            rule="agrees if every tanh network keeps both classes' Betti numbers at "
            "every stage and some ReLU network changes them; otherwise not "
            "resolved: a change at a stage that is a homeomorphism is a sampling "
            "effect (saturation, conditioning, too few points), which a sample "
            "cannot tell from a change of topology",
        )
    out.append(
        _p(
            "Reading topology from samples has a limit the mathematics does not. A tanh network "
            "is a homeomorphism at every stage, yet its measured numbers can change. The robust "
            "reading removes two causes: a badly conditioned affine stage squashing a hole "
            "thinner than the sample's spacing (whitening), and a tanh stage's own saturation "
            "(its atanh chart). A third remains: the next affine stage carries the saturated "
            "cloud on, crowded into corners and stretched thin between them, and no chart of "
            "that stage undoes it without reading an earlier stage instead; there the sample "
            "can tear. ReLU stages change the numbers for a different reason: they fold "
            "half-spaces flat and can glue or collapse parts of a class. So the measured Betti "
            "numbers do not separate the two activations as cleanly as the theorem does; the "
            "stage diagnostics (det, condition number) are the exact check of the "
            "homeomorphism claim."
        )
    )
    return "".join(out)


def _diagrams(ctx, res) -> str:
    """Persistence diagrams of the annulus class at every stage of one tanh network."""
    from ...datasets import make_dataset
    from ...experiments import train_seeds
    from ...render.topology import plot_persistence_diagram, pyplot
    from ...topology import betti_through_network

    tanh = next((r for r in res["results"] if r["activation"] == "tanh"), None)
    if tanh is None:
        return ""
    opts = _opts(ctx, "betti_layers")
    net, _, _, _ = train_seeds(
        res["dataset"],
        hidden=res["hidden"],
        seeds=1,
        steps=opts["steps"],
        n=opts["n"],
        seed=ctx.seed,
    )
    Xd, yd = make_dataset(res["dataset"], opts["dense"], seed=ctx.seed + 99)
    bt = betti_through_network(
        net,
        Xd,
        yd,
        maxdim=1,
        reading=res.get("reading", "euclidean"),
        max_points=opts.get("max_points", 1000),
    )
    plt = pyplot()
    S = len(bt.names)
    fig, axes = plt.subplots(1, S, figsize=(2.9 * S, 3.0))
    for s, ax in enumerate(np.atleast_1d(axes)):
        plot_persistence_diagram(
            bt.diagrams[s][-1],
            scale=None if bt.reading == "robust" else bt.scales[s, -1],
            ax=ax,
            title=f"{bt.names[s]}: β = {tuple(bt.betti[s, -1].tolist())}",
        )
        ax.set_ylabel("death" if s == 0 else "")
        ax.legend().set_visible(s == 0)
    fig.tight_layout()
    return ctx.figure(
        fig,
        "persistence",
        caption=(
            "Persistence diagrams of the annulus class at every stage of a tanh network (seed "
            f"{ctx.seed}), "
            + (
                "whitened, in the chart of each tanh stage, over the whole Delaunay-Rips "
                "filtration: a class counts if death/birth >= 3.5 (far enough above the "
                "diagonal), the top line marks classes that never die (not counted)."
                if bt.reading == "robust"
                else "built up to the reading scale ε (the shaded region: classes born "
                "before ε and alive after it are counted; the top line means alive beyond ε)."
            )
        ),
    )
