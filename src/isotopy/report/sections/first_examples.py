"""The essay's first examples: two curves, a disc inside an annulus, an interval on the line.

Formats :mod:`isotopy.experiments.first_examples`: every layer's representation of each
showcase network with the deformed grid and the read-out's separating line or plane, drawn
at the run's *readable state* and shipped with its figure, and the essay's claims next to
the measured accuracies of the final state.
"""

from __future__ import annotations

import numpy as np

from ._settings import config

TITLE = "A simple example, and topology in the way"
EXPERIMENTS = ("first_examples",)

# the essay's pictures these runs stand for (None: the report's own addition)
ESSAY_FIGURES = {
    "curves_raw": "Two curves on a plane classified by a network without a hidden layer: a line",
    "curves_h2": "Two curves: the hidden layer's representation, where a line separates them",
    "disc_h2": "Disc inside an annulus, 2 hidden units: the annulus still surrounds the disc",
    "disc_h3": "Disc inside an annulus, 3 hidden units: the disc lifted, a plane separates",
    "interval_h1": None,
    "interval_h2": "An interval inside its complement: two units bend the line into a curve",
}

CLAIMS = {
    "curves_raw": "A network with only an input and an output layer can only divide the two "
    "curves with a line, and no line separates them",
    "curves_h2": "With one hidden layer the representation becomes linearly separable",
}

INTRO = (
    "<p>Every network here is trained as <code>isotopy train</code> trains it: 3,000 Adam "
    "steps with the edge penalty (λ = 1 on the part of each tanh pre-activation beyond "
    "±1.5), which keeps the hidden points off the edges of the tanh square without "
    "changing what the networks can separate (docs/readable.md). The penalty joins halfway "
    "and rises to full strength at the last step, except for the 2-unit disc and interval "
    "networks, which take it at full strength from the first step so that their training, "
    "animated below, stays off the edges too (they separate as well, or as badly, either "
    "way). Each is drawn at its "
    "<em>readable state</em>: of the recorded steps whose training accuracy is within 0.02 "
    "of the best the run reaches (and, when that best is 100%, whose every training point "
    "has a logit margin of at least 0.4), the one with the smallest edge fraction, the "
    "share of points with any tanh unit within 0.05 of ±1. "
    "Each row of pictures shows one network: the input space with the decision "
    "regions, every hidden representation with the image of a regular grid of the "
    "input, and the output logit. In the last hidden representation the black line "
    "(or grey plane, seen edge-on from a camera chosen to show it between the classes) is "
    "where the read-out switches class. Class A is red, class B blue. Each figure's "
    "network ships with the report (runs/&lt;figure id&gt;/): "
    "<code>isotopy plot report/runs/first_examples_disc_h3 --at STEP</code> redraws it.</p>"
)


def build(ctx) -> str:
    from ...experiments.first_examples import FirstExamplesConfig, run_with_networks

    res, nets = run_with_networks(
        config(ctx, FirstExamplesConfig), progress=ctx.ticker("showcase networks and claims")
    )
    parts = []
    for key, m in res["showcase"].items():
        ctx.record(f"{key}.train_accuracy", m["train_accuracy"])
        ctx.record(f"{key}.test_accuracy", m["test_accuracy"])
        ctx.record(f"{key}.state", m["state"])
        parts.append(_figures(ctx, key, m, nets["runs"][key], nets["states"][key]))
    _claims(ctx, res["claims"])
    rows = [
        [
            key,
            m["dataset"],
            "-".join(map(str, m["hidden"])) or "none",
            m["train_accuracy"],
            m["test_accuracy"],
            m["final_loss"],
        ]
        for key, m in res["showcase"].items()
    ]
    table = ctx.table(["run", "dataset", "hidden", "train acc", "test acc", "final loss"], rows)
    return INTRO + table + "".join(parts)


def _figures(ctx, key, m, run, state) -> str:
    """The showcase network's layer strip (and, for the disc, its training curves and a
    rotatable view of the 3-unit representation)."""
    from ...render import plot_layer_strip, plot_training_curves
    from ...render.plotly3d import scene_figure, write_html
    from ...scene import stage_scene

    arch = "-".join(map(str, (run.net.d_in, *m["hidden"], 1)))
    edge = (
        f" Edge fraction (points with any tanh unit within 0.05 of ±1) "
        f"{state.max_edge:.2f} here, {m['final_edge']:.2f} at the final step."
        if state.edge
        else ""
    )
    cap = (
        f"{m['dataset']}, network {arch}: {m['note']}. Shown at the {state.describe()}; final "
        f"state: train accuracy {m['train_accuracy']:.3f}, test accuracy "
        f"{m['test_accuracy']:.3f}.{edge} The run folder ships with the figure: "
        f"runs/first_examples_{key}/."
    )
    fig = plot_layer_strip(state.net, run.X, run.y, state=state.describe())
    parts = [ctx.figure(fig, key, caption=cap, run=run, step=state.step)]
    ctx.index(ESSAY_FIGURES.get(key), shows=f"{state.label()}, edge fraction {state.max_edge:.2f}")
    if key == "disc_h2":
        parts.append(
            ctx.figure(
                plot_training_curves(run.history, mark=state),
                f"{key}_training",
                caption="disc_annulus with 2 hidden units: training stalls below 100% "
                f"(the dashed line marks the {state.label()} drawn above).",
                run=run,
                step=state.step,
            )
        )
        ctx.index(
            "The 2-unit network struggles and is pulled into a local minimum near 80%",
            shows="loss and accuracy against step: the plateau below 100%",
        )
    if key == "disc_h3" and not ctx.quick:
        path, rel = ctx.file(f"{key}_hidden.html")
        write_html(
            scene_figure(stage_scene(state.net, run.X, run.y, "tanh1", state=state.label())),
            path,
            plotlyjs="directory",
        )
        parts.append(
            f'<p><a href="{rel}">Rotate the 3-unit hidden representation '
            f"(interactive 3-D view)</a>.</p>"
        )
    return "".join(parts)


def _claims(ctx, claims) -> None:
    """The two-curves claims over seeds (the width claims are the widths section's)."""

    for key, c in claims.items():
        v = c["verdict"]
        acc = np.asarray(c["accuracies"])
        ctx.record(f"{key}.accuracies", c["accuracies"])
        ctx.judged(
            CLAIMS[key],
            v,
            measured=f"{v['measured']}; accuracy median {np.median(acc):.3f} [min "
            f"{acc.min():.3f}, max {acc.max():.3f}]",
            setting=f"two_curves, {c['n']} points, hidden {tuple(c['hidden']) or 'none'} "
            f"(tanh), {c['seeds']} seeds, {c['steps']} Adam steps",
        )
