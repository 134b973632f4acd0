"""Topology of deep networks (Naitzat, Zhitnikov & Lim, JMLR 2020), judged under their own
reading: the report's formatting of :mod:`isotopy.experiments.naitzat`, which defines the
data, trains and reads the networks and gives the verdicts."""

from __future__ import annotations

import html

import numpy as np

from ._settings import config

TITLE = "Topology of deep networks: Betti numbers through well-trained networks"
EXPERIMENTS = ("naitzat",)

COLORS = {"tanh": "#1f77b4", "relu": "#d62728", "leaky_relu": "#2ca02c"}


def build(ctx) -> str:
    from dataclasses import asdict

    from ...experiments.naitzat import NaitzatConfig, run_with_networks

    cfg = config(ctx, NaitzatConfig)
    res, runs = run_with_networks(cfg, progress=ctx.ticker("groups trained or read"))
    s = res["settings"]
    recorded = ("settings", "inputs", "misread", "sensitivity", "seconds", "networks", "control")
    for key in (*recorded, "verdicts"):
        ctx.record(key, res[key])
    setting = (
        f"rings_discs (2-D) and hopf_pairs (3-D), {s['n_train']} training points each; width "
        f"{s['width']}, {s['depth']} hidden layers, {s['seeds']} networks per data set and "
        f"activation ({2 * s['seeds']} per activation); Adam {s['steps']} steps at lr "
        f"{s['lr']:g} (tanh {s['tanh_steps']} at {s['tanh_lr']:g}); Naitzat et al.'s reading "
        f"(Rips at {s['scale']:g} hops of the {s['k']}-nearest-neighbour graph) on "
        f"{s['n_test'] // 2} fresh points per class"
    )
    _claims(ctx, res, setting)
    parts = [_intro(s), _figure(ctx, res), _table(ctx, res), _control_text(ctx, res)]
    if res["digits"] is not None:
        parts.append(
            _digits(
                ctx, res["digits"], runs.get("digits"), asdict(cfg), res["verdicts"]["knn_deeper"]
            )
        )
    secs = ", ".join(f"{k} {v:.0f} s" for k, v in res["seconds"].items())
    parts.append(f"<p class='meta'>time: {secs}</p>")
    return "".join(parts)


def _intro(s) -> str:
    return (
        "<p>Naitzat, Zhitnikov &amp; Lim trained networks of width 10-15 and depth 8-10 to 100% "
        "training accuracy on two classes with complicated, entangled topology and followed "
        "each class's Betti numbers through the layers: they fall to those of a point "
        "(β0 = 1, β1 = 0) nearly always, and faster with ReLU than with tanh. Their Betti "
        "numbers come from one reading, so their claims are judged with it here: the "
        f"Vietoris–Rips complex at {s['scale']:g} hops of the unweighted "
        f"{s['k']}-nearest-neighbour graph of each class's points (duplicates merged; their "
        "code, github.com/topnn/topnn_framework; <code>isotopy.topology.geodesic</code>). It is "
        "a metric reading at a stated scale: it says what a class looks like at two hops of "
        "its neighbour graph, not whether a layer changed the topology (a tanh layer cannot). "
        "Data of their kind (<code>isotopy.experiments.naitzat</code>): <b>rings_discs</b>, "
        "four annuli (β = (4, 4)) around four discs (β = (4, 0)) in the plane, and "
        "<b>hopf_pairs</b>, four Hopf-linked pairs of solid tori in R³, one torus of each "
        "pair per class (β = (4, 4) each). The excess of a layer is Σ over classes of "
        "(β0 − 1) + β1, 0 for two points; each curve below divides it by the input's.</p>"
    )


def _claims(ctx, res, setting) -> None:
    from ...experiments.verdicts import Verdict

    v = {k: Verdict(**d) for k, d in res["verdicts"].items()}
    sens = res["sensitivity"]
    ctrl = "; ".join(
        f"untrained {a} networks (homeomorphisms) keep the constructed numbers in "
        f"{x['last']:.0%} of last-layer class readings"
        for a, x in sens.items()
    )
    words = {
        "point": "Naitzat et al.: in well-trained networks each class's topology simplifies to "
        "that of a point (β0 = 1, β_k = 0) by the last layers ({act})",
        "training": "Control: the simplification comes from training, not from depth alone "
        "(trained {act} networks read simpler at the last layer than untrained ones of the "
        "same shape, under the same reading)",
    }
    for key, verdict in v.items():
        kind, _, act = key.partition(".")
        if kind == "knn_deeper":
            continue
        if kind == "faster":
            text = (
                "Naitzat et al.: ReLU networks simplify the topology faster (in fewer layers) "
                "than tanh networks"
            )
        else:
            text = words[kind].format(act="ReLU" if act == "relu" else act)
        measured = verdict.measured
        last = res["well_last_median"].get(act) if kind == "point" else None
        if last is not None:
            measured += f"; the last layer's excess is a median {last:.2f} of the input's"
        measured += f"; {ctrl}" if kind != "training" and ctrl else ""
        ctx.judged(text, verdict, measured=measured, setting=setting)


def _figure(ctx, res) -> str:
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from ...experiments.naitzat import DATA

    s = res["settings"]
    depth = s["depth"]
    fig = Figure(figsize=(10, 4.3), layout="constrained")
    axes = fig.subplots(1, len(DATA), sharey=True)
    x = np.arange(depth + 1)
    for ax, dname in zip(np.atleast_1d(axes), DATA, strict=True):
        for g in res["groups"]:
            if g["data"] != dname or g["curve_quartiles"] is None:
                continue
            act = g["activation"]
            lo, mid, hi = g["curve_quartiles"]
            if g["trained"]:
                ax.fill_between(x, lo, hi, color=COLORS[act], alpha=0.18, lw=0)
                ax.plot(x, mid, "-o", color=COLORS[act], ms=3, lw=2)
            else:
                ax.plot(x, mid, ":" if act == "leaky_relu" else "--", color=COLORS[act], lw=1.6)
        ax.set_title(f"{dname}: excess Betti number through the layers", fontsize=10)
        ax.set_xlabel("layer (0 = input, then each hidden activation)")
        ax.set_xticks(x)
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("excess / the input's excess")
    handles = [
        Line2D([], [], color=COLORS[a], lw=2, marker="o", ms=3, label=f"trained {a}: median")
        for a in s["activations"]
    ] + [
        Line2D(
            [],
            [],
            color=COLORS[a],
            lw=1.6,
            ls=":" if a == "leaky_relu" else "--",
            label=f"untrained {a}: median",
        )  # fmt: skip
        for a in s["controls"]
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    tag = ctx.figure(
        fig,
        "betti",
        caption="Excess Betti number (Σ over classes of β0 − 1 + β1) of each layer divided by "
        "the input's, under Naitzat et al.'s reading; solid: median over the networks at 100% "
        "training accuracy, band: their middle half; dashed and dotted: median over untrained "
        "networks of the same shape. 0 means both classes read as points.",
    )
    ctx.index(None, shows="each class's Betti numbers through trained and untrained layers")
    return tag


def _table(ctx, res) -> str:
    from ...experiments.naitzat import DATA

    rows = [
        [
            g["data"],
            f"{'trained' if g['trained'] else 'untrained'} {g['activation']}",
            f"{g['well']} of {g['networks']}" if g["trained"] else "-",
            _med(g["test_median"]) if g["trained"] else "-",
            f"{g['points']}",
            _med(g["last_median"]),
            _med(g["area_median"]),
        ]
        for g in res["groups"]
    ]
    inputs = "; ".join(f"{d}: " + " | ".join(str(tuple(b)) for b in res["inputs"][d]) for d in DATA)
    return (
        ctx.table(
            [
                "data",
                "networks",
                "100% training",
                "test acc (median)",
                "last layer a point",
                "last / input (median)",
                "area (median)",
            ],
            rows,
        )
        + f"<p>The input read by the same reading (class 0 | class 1): {html.escape(inputs)}"
        + (
            f"; misread: {', '.join(res['misread'])}.</p>"
            if res["misread"]
            else "; as constructed.</p>"
        )
    )


def _med(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def _control_text(ctx, res) -> str:
    sens = res["sensitivity"]
    parts = [
        f"untrained {a}: {x['first']:.0%} of class readings at the first hidden layer and "
        f"{x['last']:.0%} at the last keep the constructed numbers, {x['points']} of "
        f"{x['networks']} networks read as points at the last layer"
        for a, x in sens.items()
    ]
    return (
        "<p><b>What the reading does without training.</b> Untrained tanh and leaky ReLU "
        "networks are homeomorphisms onto their image at every layer, so no class changes its "
        "topology there; whatever the reading reports as a change in them is the reading's "
        "(a layer that stretches space unevenly changes who is whose 14th neighbour). "
        + "; ".join(parts)
        + ". The control rows compare trained networks with these at the last layer. So "
        "read the verdicts as statements about this reading: where trained networks do not "
        "read exactly as points, their last layers mostly read one or two features away from "
        "one (the table's medians), and the same reading adds or loses features in most "
        "last-layer readings of networks that cannot change any topology.</p>"
    )


# ------------------------------------------------------------------------- real-data case
def _digits(ctx, d, run, settings, verdict) -> str:
    from ...inspection import Inspection

    res = Inspection.from_dict(d["inspection"])
    name = d["data"]
    ctx.record("digits", {k: d[k] for k in d if k != "inspection"})
    ctx.record("digits.inspection", d["inspection"])
    ctx.judged(
        "Papernot & McDaniel: k-NN in a trained network's deeper representations classifies "
        "better than k-NN on the raw input",
        verdict,
        setting=f"{name}, conv net (channels {tuple(d['channels'])}, hidden {d['hidden']}), "
        f"{d['steps']} Adam steps; leave-one-out {d['k']}-NN on {d['images']} training "
        f"images ({settings['digits_subsample']} per class)",
    )
    rows = []
    for li, layer in enumerate(res.layers):
        b = res.betti[li]
        rows.append(
            [
                layer,
                res.dims[li],
                f"{res.knn_all[li]:.3f}",
                f"{res.probe_all[li]:.3f}",
                f"{res.twonn_all[li]:.1f}",
                f"{np.median(b[:, 0]):.0f} ({b[:, 0].min()}-{b[:, 0].max()})",
                f"{int((~res.betti_resolved[li, :, 1]).sum())} of {len(res.classes)}",
                f"{np.nanmedian(res.stretch[li]):.3g}",
            ]
        )
    fig = res.plot(keys=["knn", "probe", "twonn", "stretch"], ncols=2)
    fig.set_size_inches(10, 6.4)
    tag = ctx.figure(
        fig,
        "digits",
        caption=f"The conv net on {name} ({d['steps']} steps, test accuracy "
        f"{d['test_accuracy']:.3f}), layer by layer: leave-one-out k-NN and linear-probe "
        "accuracy, TwoNN dimension and median stretch, one line per class, dashed black for "
        "all classes together.",
        run=run,
    )
    ctx.index(None, shows="k-NN, probe, intrinsic dimension and stretch of a conv net per layer")
    return (
        f"<h3>A real-data case: the conv net on {name}</h3><p>The k-NN experiment's conv net "
        f"(channels {tuple(d['channels'])}, hidden {d['hidden']}), trained {d['steps']} "
        f"steps, test accuracy {d['test_accuracy']:.3f}, inspected with "
        f"<code>isotopy.inspect</code> on {settings['digits_subsample']} training images per "
        "class: leave-one-out k-NN and linear-probe accuracy over all classes, TwoNN intrinsic "
        "dimension, β0 per class (median and range over the classes; robust reading) and how "
        "many classes' β1 the sample does not resolve (a loop needs more than "
        f"{settings['digits_subsample']} points: <code>isotopy.topology.robust</code>, "
        "'Resolution'), and the median Jacobian norm of input → layer.</p>"
        + ctx.table(
            ["layer", "width", "k-NN", "probe", "TwoNN", "β0", "β1 not resolved", "stretch"],
            rows,
        )
        + tag
    )
