"""Report section: the essay's open question about unlinks and 3-unit layers."""

from __future__ import annotations

TITLE = "Can layers of 3 units untangle every unlink? (the essay's open question)"


def build(ctx) -> str:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np

    from ...experiments.open_question import (
        _cores,
        open_question,
        random_links,
        separation_by_linking,
    )

    if ctx.quick:
        insts = random_links(1, linking=(1,), seed=ctx.seed)
        insts = [i for i in insts if i.kind != "unlink"]
        opts = dict(seeds=4, steps=250, n=240, dense=1500, core=400)
    else:
        insts = random_links(2, linking=(1, 2), seed=ctx.seed)
        opts = dict(seeds=16, steps=1200, n=600, dense=6000, core=1500)
    ctx.say(f"{len(insts)} instances x {opts['seeds']} networks")
    table = open_question(insts, width=3, depth=3, progress=lambda d, t: ctx.say(f"{d}/{t}"),
                          **opts)
    summary = separation_by_linking(table)
    lk_table = table.groupby("instance")[["linking", "measured_linking"]].first()
    lk_ok = bool(np.all(np.abs(np.abs(lk_table["measured_linking"]) - lk_table["linking"])
                        < 0.05))
    linked = table[table["linking"] != 0]
    unlinks = table[table["linking"] == 0]
    n_linked_sep = int(linked["separated"].sum())
    n_linked_train = int((linked["train_accuracy"] == 1.0).sum())
    inst_sep = unlinks.groupby("instance")["separated"].any()
    for _, r in summary.iterrows():
        key = f"lk{r['linking']}_{r['kind']}"
        ctx.record(f"{key}.fraction_separated", float(r["separated"]))
        ctx.record(f"{key}.instances_separated", float(r["instances_separated"]))
        ctx.record(f"{key}.best_dense_accuracy", float(r["best_dense"]))
    ctx.record("linked_networks", int(len(linked)))
    ctx.record("linked_separated", n_linked_sep)
    ctx.record("linked_train_perfect", n_linked_train)
    ctx.claim("No network with 3-unit layers separates two linked tori (the link needs a "
              "4th dimension)",
              f"{n_linked_sep} of {len(linked)} 3-unit tanh networks separated a link with "
              f"lk != 0 on the dense check ({n_linked_train} were perfect on their training "
              f"points)", n_linked_sep == 0)
    ctx.claim("A network with 3-unit layers that classifies a link shows it is an unlink "
              "(open question: can every unlink be classified so?)",
              f"{int(inst_sep.sum())} of {len(inst_sep)} random unlinks were separated by at "
              f"least one of {opts['seeds']} networks",
              None if not len(inst_sep) else bool(inst_sep.all()))

    fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.8))
    order = summary.sort_values(["linking", "kind"])
    labels = [f"lk={r.linking}\n{r.kind}" for r in order.itertuples()]
    x = np.arange(len(order))
    axes[0].bar(x - 0.2, order["separated"], 0.4, label="networks separating (dense check)")
    axes[0].bar(x + 0.2, order["train_perfect"], 0.4, label="networks perfect on training set",
                alpha=0.6)
    axes[0].set_xticks(x, labels)
    axes[0].set_ylim(0, 1.05)
    axes[0].set_ylabel("fraction of networks")
    axes[0].legend(fontsize=8)
    axes[0].set_title("3-unit tanh layers (depth 3)", fontsize=10)
    for kind, marker, shift in [("unlink", "o", -0.2), ("apart", "s", 0.2), ("torus", "^", 0)]:
        part = table[table["kind"] == kind]
        jitter = np.random.default_rng(0).uniform(-0.12, 0.12, len(part)) + shift
        axes[1].scatter(part["linking"] + jitter, part["dense_accuracy"], s=10, alpha=0.5,
                        marker=marker, label=kind)
    axes[1].axhline(1.0, color="0.5", lw=0.8, ls=":")
    axes[1].set_xlabel("linking number of the instance")
    axes[1].set_ylabel("dense-check accuracy")
    axes[1].set_xticks(sorted(table["linking"].unique()))
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig_html = ctx.figure(fig, "separation", caption=(
        "Left: fraction of networks that classify every dense point of both solid tori and "
        "of both core curves correctly, per linking number and kind of instance. Right: "
        "dense-check accuracy of every network."))

    from ...render.style import CLASS_COLORS

    inst = next((i for i in insts if i.kind == "unlink"), insts[0])
    # three views of the same pair of closed curves: large enough to see how they pass
    fig3 = plt.figure(figsize=(13, 4.6))
    cores = [np.vstack([c, c[:1]]) for c in _cores(inst, 600)]
    for j, (elev, azim) in enumerate(((25, -60), (80, -90), (5, 0))):
        ax3 = fig3.add_subplot(1, 3, j + 1, projection="3d")
        for c, color in zip(cores, CLASS_COLORS[:2], strict=True):
            ax3.plot(c[:, 0], c[:, 1], c[:, 2], color=color, lw=2.5)
        ax3.view_init(elev=elev, azim=azim)
        allc = np.concatenate(cores)
        ax3.set_box_aspect(tuple(np.ptp(allc, axis=0) + 1e-3))
        ax3.set_xticks([])
        ax3.set_yticks([])
        ax3.set_zticks([])
        ax3.set_title(f"elevation {elev}°, azimuth {azim}°", fontsize=9)
    fig3.tight_layout()
    fig3_html = ctx.figure(fig3, "instance", caption=(
        f"The core curves of one random instance of kind '{inst.kind}' (linking number "
        f"{inst.linking}), seen from three directions (red: class A, blue: class B)."))
    ctx.index("A relatively simple unlink", shows=f"a random '{inst.kind}' instance, three "
              "views")

    rows = [[int(r.linking), r.kind, int(r.instances), int(r.networks), float(r.separated),
             float(r.instances_separated), float(r.best_dense), float(r.train_perfect)]
            for r in order.itertuples()]
    table_html = ctx.table(["linking number", "kind", "instances", "networks",
                            "fraction separated", "instances with a separating network",
                            "best dense accuracy", "fraction perfect on training set"], rows)
    return (
        "<p>The essay asks whether every unlink can be classified by a network whose layers "
        "have only 3 units. Each instance below is a link dataset moved by a random smooth "
        "orientation-preserving diffeomorphism of R³ (so its linking number is known): "
        "<em>unlink</em> is a ring with an ellipse threaded through it that can be pulled "
        "free, <em>apart</em> the same curves already pulled apart, <em>torus</em> the torus "
        f"link T(2, 2k) with linking number k. On each we train {opts['seeds']} networks "
        f"with three hidden tanh layers of 3 units ({opts['steps']} steps of full-batch "
        "Adam) and count a network as separating only if it classifies a dense sample of "
        "both solid tori and of both core curves without a single error. Layers of 3 units "
        "with an injective activation can never separate a link with lk ≠ 0, so those rows "
        f"must be 0. Linking numbers measured from the moved core curves with the Gauss "
        f"integral match the construction: {'yes' if lk_ok else 'NO'}.</p>"
        + table_html + fig_html + fig3_html)
