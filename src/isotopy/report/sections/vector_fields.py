"""The essay's vector-field layer: 2-D fields alone against the same after a 3-D embedding.

Formats :func:`isotopy.experiments.vector_fields.vector_field_experiment` on disc_annulus
and spirals and shows the learnt field of a 2-D network with the grid it deforms.
"""

from __future__ import annotations

from ._settings import config

TITLE = "Better layers for manipulating manifolds: a learnt vector field"
EXPERIMENTS = ("vector_fields",)


def build(ctx) -> str:
    import numpy as np
    from matplotlib.figure import Figure

    from ...experiments.vector_fields import SETTINGS, VectorFieldConfig, vector_field_experiment
    from ...nn import VectorField
    from ...render.vector_field import plot_deformed_grid, plot_vector_field

    ctx.say("training vector-field networks")
    res = vector_field_experiment(config(ctx, VectorFieldConfig))
    rows, parts = [], []
    for r in res["rows"]:
        key = f"{r['dataset']}.{r['setting']}"
        for what in ("train_accuracy", "test_accuracy", "dense_accuracy"):
            if r[what] is not None:
                ctx.record(f"{key}.{what}", r[what])
        dense = (
            "—"
            if r["dense_accuracy"] is None
            else f"{np.mean(r['dense_accuracy']):.3f} (min {np.min(r['dense_accuracy']):.3f})"
        )
        rows.append(
            [
                r["dataset"],
                SETTINGS[r["setting"]],
                f"{np.mean(r['train_accuracy']):.3f}",
                f"{np.mean(r['test_accuracy']):.3f}",
                dense,
                "yes" if r["homeomorphism"] else "not certified",
            ]
        )
    parts.append(
        ctx.table(
            [
                "dataset",
                "network",
                "train accuracy",
                "test accuracy",
                "accuracy on the continuous sets",
                "every stage a homeomorphism",
            ],
            rows,
        )
    )
    ctx.judged(
        "2-D vector fields (homeomorphisms of the plane) cannot separate a disc from "
        "the annulus around it; after embedding in 3-D they can",
        res["verdicts"]["disc_annulus"],
        setting=f"stacks of vector-field stages, {res['n_networks']} networks per "
        f"setting, {res['steps']} Adam steps; dense grid of the two sets",
    )
    # the field of the first stage of a 2-D disc_annulus network, and what it does
    by = {(r["dataset"], r["setting"]): r for r in res["rows"]}
    run = by["disc_annulus", "2d"]["run"]
    X, y = run.X, run.y
    stage = next(s for s in run.net.stages if isinstance(s, VectorField))
    fig = Figure(figsize=(10, 3.4))
    axes = fig.subplots(1, 3)
    plot_vector_field(stage, kind="arrows", points=X, labels=y, ax=axes[0])
    plot_vector_field(stage, kind="streamlines", points=X, labels=y, ax=axes[1])
    plot_deformed_grid(stage, points=X, labels=y, ax=axes[2])
    fig.tight_layout()
    parts.append(
        ctx.figure(
            fig,
            "disc_field",
            caption=(
                "First vector-field stage of a 2-D network on disc_annulus: the field as arrows "
                "and as streamlines (crosses: anchors, the k-means centres of the training "
                "points), and the grid and points after x -> x + v(x). The field's Lipschitz "
                "bound is kept at 0.9, so the stage is a homeomorphism."
            ),
            run=run,
        )
    )
    ctx.index(
        "A learnt vector field, and space deformed along it",
        shows="arrows and streamlines of the field with a colour bar of |v|, and the deformed grid",
    )
    note = (
        "<p>Each network is a stack of vector-field stages x -> x + Σ v_i exp(-|x - c_i|²"
        " / 2σ²) (16 anchors each, Lipschitz bound ≤ 0.9) and a linear read-out; "
        f"{res['n_networks']} networks per row, {res['steps']} full-batch Adam steps. "
        "Accuracy on the continuous sets is measured on a dense grid of the disc and the "
        "annulus: with finitely many training points a homeomorphism can thread the "
        "line's crossings of the annulus between samples, which the grid exposes.</p>"
    )
    return note + "".join(parts)
