"""Betti numbers of each class through the layers: tanh keeps them (a theorem, checked by the
topological reading and the exact diagnostics), ReLU need not (a metric reading against
homeomorphic controls). Formats :mod:`isotopy.experiments.betti_layers`."""

from __future__ import annotations

import numpy as np

from ._settings import config
from ._settings import paragraph as _p

TITLE = "Betti numbers through the layers"
EXPERIMENTS = ("betti_layers",)


def build(ctx) -> str:
    from ...experiments.betti_layers import BettiLayersConfig, run_with_networks

    res, runs = run_with_networks(
        config(ctx, BettiLayersConfig), progress=ctx.ticker("activations trained and read")
    )
    s = res["settings"]
    for act, r in res["results"].items():
        ctx.record(f"{act}.certified", sum(n["certified"] for n in r["networks"]))
        ctx.record(f"{act}.metric_changes", r["metric_changes"])
        ctx.record(f"{act}.kept", [n["kept"] for n in r["networks"]])
        ctx.record(f"{act}.accuracy", [n["accuracy"] for n in r["networks"]])
    ctx.record("verdicts", res["verdicts"])
    ctx.record("settings", s)
    setting = (
        f"{res['dataset']}, hidden {','.join(map(str, res['hidden']))}, {res['seeds']} "
        f"networks per activation (controls: {', '.join(s['controls'])}), {s['steps']} "
        f"steps, {s['dense']} fresh points; metric reading: {s['metric']}"
    )
    _claims(ctx, res, setting)
    return "".join(
        [
            "<h3>Betti numbers through the layers: tanh against ReLU</h3>",
            _intro(res),
            _table(ctx, res),
            _layer_table(ctx, res),
            _figure(ctx, res, runs),
        ]
    )


def _intro(res) -> str:
    tanh = res["results"].get("tanh", {}).get("networks", [])
    changes = res["results"].get("tanh", {}).get("metric_changes", 0)
    return _p(
        "Two readings answer two questions. <b>Did a stage change a class's topology?</b> "
        "Where a stage is a homeomorphism onto its image (an affine map with det W ≠ 0, "
        "tanh, leaky ReLU) it cannot: the <i>topological reading</i> carries the numbers "
        "through such a stage and reads the points again only after one that is not (ReLU). "
        "<b>What do the points look like?</b> A <i>metric reading</i> (here the robust one: "
        "each activation stage in the chart of its inverse, whitened, persistence classes "
        "counted by death/birth ratio, numbers the sample cannot back marked not resolved; "
        "<code>isotopy.topology.robust</code>) reads every stage's points. On the "
        f"{len(tanh)} tanh networks the metric reading changes some class's numbers at an "
        f"activation layer in {changes}, at stages the diagnostics certify as "
        "homeomorphisms (the issue counted 12 of 36 such readings on three networks): those "
        "changes are the sample's, and the topological reading, exact there, settles the "
        "tanh question. For ReLU, where no theorem applies, a change the metric reading "
        "reports counts only at a layer where the control, homeomorphic networks of the "
        "same shape trained the same way and read the same way, keeps the numbers. The "
        "input disc has (β0, β1) = (1, 0), the annulus (1, 1)."
    )


def _claims(ctx, res, setting) -> None:

    words = {
        "tanh": "tanh layers (homeomorphisms) keep each class's topology",
        "relu": "ReLU layers need not keep it: they can change a class's Betti numbers",
    }
    for act, d in res["verdicts"].items():
        ctx.judged(words[act], d, setting=setting)


def _table(ctx, res) -> str:
    rows = []
    for act, r in res["results"].items():
        nets = r["networks"]
        acc = [n["accuracy"] for n in nets]
        top_kept = sum(
            all(b == n["topological"]["betti"][0] for b in n["topological"]["betti"]) for n in nets
        )
        rows.append(
            [
                act,
                len(nets),
                f"{np.mean(acc):.3f} ({min(acc):.2f}-{max(acc):.2f})",
                f"{sum(n['certified'] for n in nets)}",
                f"{top_kept}",
                f"{r['metric_changes']}",
                f"{sum(any(n['unresolved']) for n in nets)}",
            ]
        )
    return ctx.table(
        [
            "activation",
            "networks",
            "training accuracy (mean, range)",
            "every stage a homeomorphism",
            "topological reading keeps the input's numbers",
            "metric reading changes a class",
            "some number not resolved",
        ],
        rows,
    )


def _layer_table(ctx, res) -> str:
    """Per activation and hidden activation layer: the share of networks whose metric
    reading keeps every class's numbers there."""
    rows = []
    n_layers = 0
    for act, r in res["results"].items():
        kept = np.array([n["kept"] for n in r["networks"]], dtype=float)
        n_layers = kept.shape[1]
        rows.append([act] + [f"{v:.0%}" for v in kept.mean(0)])
    trust = res["settings"]["trust"]
    return _p(
        "Share of networks whose metric reading keeps every class's resolved numbers at each "
        f"hidden activation layer; a layer is trusted when the controls keep them in at "
        f"least {trust:.0%} of their networks."
    ) + ctx.table(["activation"] + [f"layer {j + 1}" for j in range(n_layers)], rows)


def _figure(ctx, res, runs) -> str:
    from matplotlib.figure import Figure

    from ...topology.robust import CYCLE_RATIO, NOISE_CEILING

    shown = res["shown"]
    acts = [a for a in ("tanh", "relu") if a in shown]
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(acts), sharey=True))
    for ax, act in zip(axes, acts, strict=True):
        net = res["results"][act]["networks"][shown[act]]
        labels = ["input", *net["layers"]]
        for x, per_class in enumerate(net["ratios"]):
            for c, (marker, color) in enumerate([("s", "#1f77b4"), ("o", "#d62728")]):
                r = per_class[c] if c < len(per_class) else []
                ax.scatter([x + (c - 0.5) * 0.18] * len(r), r, marker=marker, color=color, s=22,
                           label=("disc" if c == 0 else "annulus") if x == 0 else None)  # fmt: skip
        ax.axhspan(NOISE_CEILING[0], CYCLE_RATIO[0], color="#bbbbbb", alpha=0.35, lw=0)
        ax.axhline(CYCLE_RATIO[0], color="k", lw=1)
        ax.set_yscale("log")
        ax.set_xticks(range(len(labels)), labels)
        ax.set_xlabel("stage")
        ax.set_title(
            f"{act} network (seed {res['settings']['seed'] + shown[act]}): loops' "
            "death/birth", fontsize=10,
        )  # fmt: skip
        ax.grid(alpha=0.3, axis="y")
    axes[0].set_ylabel("death / birth of each H1 class (log)")
    handles, labels = axes[0].get_legend_handles_labels()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles += [
        Patch(color="#bbbbbb", alpha=0.6, label="grey zone: not resolved"),
        Line2D([], [], color="k", lw=1, label=f"counted as a loop above {CYCLE_RATIO[0]:g}"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8, frameon=False)
    tag = ctx.figure(
        fig,
        "ratios",
        caption=f"The robust reading of one tanh and one ReLU network ({res['settings']['steps']} "
        "training steps, the state shown), stage by stage: each "
        "point is a loop class of the disc (squares) or the annulus (circles), placed at its "
        f"death/birth ratio. Above the black line ({CYCLE_RATIO[0]:g}) it counts as a loop; "
        f"in the grey zone ({NOISE_CEILING[0]:g} up to the line) the number is not resolved. "
        "The annulus keeps its loop through the tanh network; the ReLU network folds it "
        "away.",
        run={a: runs[a] for a in acts if a in runs} or None,
    )
    ctx.index(None, shows="each class's loops, read stage by stage, in a tanh and a ReLU network")
    return tag
