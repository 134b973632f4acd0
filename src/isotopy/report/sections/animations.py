"""Report section: layers as continuous deformations, and networks while they train.

Formats :mod:`isotopy.experiments.animations` (the essay's "Continuous Visualization of
Layers" and the training pictures of "Topology of tanh Layers"): one tanh layer applied
gradually; four 2-unit hidden layers untangling slightly entangled spirals, and the same
architecture failing on more entangled ones; a 2-unit network training on the disc inside
an annulus and one on the interval; a 2-D -> 3-D layer separating the disc and annulus with
a plane. The experiment gives the networks and their frames; this section encodes them as
GIFs, ships each network with its animation and states the claims.
"""

from __future__ import annotations

import html

import numpy as np

from ._settings import ENCODING, config

TITLE = "Layers as continuous deformations (animations)"
EXPERIMENTS = ("animations",)

INTRO = (
    "<p>Every animation applies the network's stages one after another along "
    "continuous paths: an affine map moves along a path in GL+(n) (polar "
    "decomposition W = QS, Q along the rotation geodesic, S along (1 − t)I + tS), "
    "then translates; an activation moves along (1 − t)·x + t·σ(x). Where det W &lt; "
    "0, two hidden units are swapped together with the next layer's inputs, which "
    "leaves the network's function unchanged; paths that are not homeomorphisms "
    "are flagged in red. Frames are spaced evenly in the amount of deformation. "
    "The disc, interval and two-curves networks are the first section's networks, "
    "shown at their readable state; each animation's network ships with the report "
    "(runs/&lt;figure id&gt;/). Regenerate any of them with "
    "<code>isotopy animate RUN_DIR</code>.</p>"
)


def build(ctx) -> str:
    from ...experiments.animations import AnimationsConfig, run_with_networks

    cfg = config(ctx, AnimationsConfig)
    res, objects = run_with_networks(cfg, progress=ctx.ticker("animated networks"))
    nums = res["animations"]
    enc = ENCODING[ctx.quick]

    def gif(name, caption, *, state_in_titles=True):
        o = objects[name]
        fr = o["frames"]
        if state_in_titles:
            fr.titles = [f"{t} ({o['state'].label()})" for t in fr.titles]
        return _save(ctx, fr, name, caption, enc, run=o["run"], step=o["state"].step)

    parts = [
        _tanh_layer(ctx, res, objects, gif),
        _spirals(ctx, res, objects, gif, cfg),
        _training(ctx, nums, objects, gif),
        _lift(ctx, nums, objects, gif),
    ]
    about = _describe(cfg, enc, res["showcase_steps"])
    return INTRO + "".join(parts) + f"<p class='meta'>{html.escape(about)}</p>"


def _describe(cfg, enc: dict, showcase_steps: int) -> str:
    return (
        "Settings: the disc, interval and two-curves networks are the first section's "
        f"({showcase_steps} Adam steps; the two curves {cfg.curves_steps}); spirals: "
        f"{cfg.spiral_n} points, {cfg.spiral_steps} Adam steps, {cfg.spiral_nets} "
        "initialisations; every network trained with the edge penalty (λ = 1, bound 1.5). "
        f"Animations of {cfg.frames} frames at {enc['fps']} per second "
        f"({cfg.frames / enc['fps']:.1f} s), the last frame held {enc['hold']} s, "
        f"{enc['size']} px wide, with a scale bar (the view box follows the points)."
    )


def _save(ctx, frames, name, caption, enc, run=None, step=None):
    from ...animate import Animation

    path, rel = ctx.file(f"{name}.gif")
    Animation(frames, fps=enc["fps"], size=enc["size"], hold=enc["hold"]).save(path)
    return ctx.embed(rel, caption=caption, run=run, step=step)


def _tanh_layer(ctx, res, objects, gif) -> str:
    """The two-curves showcase network's one tanh layer, applied gradually."""

    t = res["animations"]["tanh_layer"]
    state = objects["tanh_layer"]["state"]
    tag = gif(
        "tanh_layer",
        "One tanh layer tanh(Wx + b) applied gradually to two curves: W along a path in "
        "GL+(2), then the translation b, then (1 − t)·x + t·tanh(x). The grid is the input "
        "square, carried along; the read-out's line appears at the end. The network is the "
        f"first section's two-curves network at its {state.describe()}.",
    )
    ctx.index(
        "A tanh layer applied gradually: W, then b, then tanh",
        shows=f"one 2-unit layer on two curves along its path in GL+(2); edge fraction "
        f"{state.max_edge:.2f} at the end",
    )
    for key, value in t.items():
        ctx.record(f"tanh_layer.{key}", value)
    ctx.judged(
        "A tanh layer is a continuous deformation of the plane: W, then b, then tanh, "
        "each applied gradually (the linear part stays invertible all along)",
        res["verdicts"]["tanh_layer"],
        setting=f"the first section's two-curves network (one 2-unit tanh layer), {state.label()}",
        quick=True,  # a check of the path itself, at any size
    )
    return "<h3>One layer, applied gradually</h3>" + tag


def _spirals(ctx, res, objects, gif, cfg) -> str:
    """Four 2-unit layers on slightly and on more entangled spirals, with the claims."""
    from ...experiments.animations import SPIRALS

    rows, tags = [], []
    for key, turns, label in SPIRALS:
        name = f"spirals_{key}"
        s, state = res["animations"][name], objects[name]["state"]
        acc = s["accuracies"]
        ctx.record(f"{name}.state", s["state"])
        ctx.record(f"{name}.turns", turns)
        ctx.record(f"{name}.accuracies", acc)
        rows.append([f"{turns} ({label})", max(acc), float(np.median(acc)), s["separating"]])
        separates = acc[s["shown"]] >= 0.99
        tags.append(
            gif(
                name,
                f"Four 2-unit tanh layers on spirals with {turns} turns ({label}); of "
                f"{len(acc)} initialisations (best final train accuracy {max(acc):.3f}), "
                + (
                    "the one shown separates with the least saturated readable state"
                    if separates
                    else "none separates; the best one is shown"
                )
                + f": {state.describe()}. All eight stages are applied one after another, each "
                "for a time in proportion to how far it moves the points.",
            )
        )
        ctx.index(
            "Four 2-unit hidden layers untangle slightly entangled spirals"
            if turns < 1
            else "The same architecture fails on more entangled spirals",
            shows=f"{state.label()}, edge fraction {state.max_edge:.2f}",
        )
        ctx.judged(
            "A network of four 2-unit hidden layers untangles slightly entangled "
            "spirals until a line separates them"
            if turns < 1
            else "The same architecture fails on more entangled spirals",
            res["verdicts"][name],
            setting=f"spirals, {turns} turns, {cfg.spiral_n} points, hidden 2,2,2,2 (tanh, "
            f"edge penalty), {len(acc)} initialisations, {cfg.spiral_steps} Adam steps",
        )
    for r in rows:
        r[3] = f"{r[3]} of {cfg.spiral_nets}"
    return (
        "<h3>Four 2-unit hidden layers on spirals</h3>"
        + ctx.table(["turns", "best train acc.", "median", "≥ 0.99"], rows)
        + "".join(tags)
    )


def _training(ctx, nums, objects, gif) -> str:
    """The first section's 2-unit disc and interval networks, watched while they train."""
    words = {
        "disc_annulus_2_training": (
            "The hidden representation of a 2-unit tanh network during training on a disc "
            "inside an annulus, with the read-out's line: a homeomorphism keeps the disc "
            "surrounded, so no line can separate it (final accuracy {a:.3f}).",
            "A 2-unit hidden representation while the network trains on the disc in an "
            "annulus, with the classification line: it struggles and stalls",
        ),
        "interval_2_training": (
            "The 1-D interval inside its complement: a 2-unit layer lifts the line into the "
            "plane, where a line separates the classes (final accuracy {a:.3f}).",
            None,
        ),
    }
    tags = []
    for name, (caption, essay) in words.items():
        m, state = nums[name], objects[name]["state"]
        ctx.record(f"{name}.state", m["state"])
        ctx.record(f"{name}.train_accuracy", m["train_accuracy"])
        ctx.record(f"{name}.edge_peak", m["edge_peak"])
        caption = caption.format(a=m["train_accuracy"]) + (
            f" Shown from the start to step {m['shown_to']} of {m['steps']} "
            f"(readable state: {state.describe()}). " + _edge_words(m)
        )
        tags.append(gif(name, caption, state_in_titles=False))
        during = (
            f", up to {m['edge_peak']:.2f} in frames before the edge penalty"
            if m["edge_frames_over"]
            else ""
        )
        ctx.index(
            essay,
            shows=f"training up to the {state.label()}; edge fraction {state.max_edge:.2f} "
            f"at the end{during}",
        )
    return "<h3>Training, watched in the hidden layer</h3>" + "".join(tags)


def _edge_words(m) -> str:
    """What the training frames' titles say about the edges of the tanh square, in words."""
    if m["edge_frames_over"] == 0:
        how = (
            " (the run takes the edge penalty at full strength from its first step)"
            if m["edge_from"] == 0 and m["edge_full"] == 0
            else ""
        )
        return f"At most {m['edge_peak']:.0%} of the points lie on an edge in any frame{how}."
    when = (
        f"the run trains plainly until step {m['edge_from']}, and the edge penalty then eases "
        "them back"
        if m["edge_from"]
        else "the run trains without the edge penalty"
    )
    return (
        f"In {m['edge_frames_over']} of {m['frames']} frames more than 20% of the points lie "
        f"on an edge of the tanh square (up to {m['edge_peak']:.0%}, at step "
        f"{m['edge_peak_step']}; each frame's title gives its share): {when}."
    )


def _lift(ctx, nums, objects, gif) -> str:
    """The 3-unit disc network: the plane embedded in R^3 and lifted, camera on the plane."""
    name = "disc_annulus_3_morph"
    m, state = nums[name], objects[name]["state"]
    tag = gif(
        name,
        "A 2-D → 3-D tanh layer: the plane is embedded in R^3 (zero padding), moved along a "
        "path in GL+(3), translated and squashed by tanh; the read-out's plane then "
        f"separates the disc. Shown at the {state.describe()} (final train accuracy "
        f"{m['train_accuracy']:.3f}). The camera looks along the "
        "separating plane (it appears as the grey band or line), so the disc is seen lifted "
        "above the annulus on one side of it.",
    )
    for key in ("camera", "camera_shows_separation", "train_accuracy", "state"):
        ctx.record(f"disc_annulus_3.{key}", m[key])
    ctx.index(
        "Disc inside an annulus with a third hidden unit: the representation a plane separates",
        shows=f"the layer applied gradually, {state.label()}; the camera shows the plane "
        "between the lifted disc and the annulus",
    )
    return "<h3>Into three dimensions</h3>" + tag
