"""The figures of one run, written to a folder; shared by ``isotopy plot`` and the report."""

from __future__ import annotations

from pathlib import Path


def write_run_figures(
    run, folder, *, size: int = 500, html: bool = True, at="readable"
) -> tuple[list[str], object]:
    """Write strip.png, training.png, one PNG per representation, HTML for 3-D ones.

    ``at`` picks the training state shown ("readable", "final" or a step; see
    :mod:`isotopy.train.readable`); every picture's title names it.

    Returns the written file names in order and the :class:`~isotopy.train.readable.State`.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..render import draw_scene, plot_layer_strip, plot_training_curves
    from ..render.plotly3d import scene_figure, write_html
    from ..scene import layer_scenes
    from ..train.readable import state_at

    folder = Path(folder)
    dpi = 100
    written = []
    state = state_at(run.net, run.history, run.X_train, run.y_train, at, X_edge=run.X)
    net = state.net
    scenes = layer_scenes(net, run.X, run.y, state=state.label())
    for i, sc in enumerate(scenes):
        fig = draw_scene(sc, figsize=(size / dpi, size / dpi), point_size=8)
        name = f"{i:02d}_{sc.meta['stage']}.png"
        fig.savefig(folder / name, dpi=dpi)
        plt.close(fig)
        written.append(name)
        if html and sc.dim == 3:
            name = f"{i:02d}_{sc.meta['stage']}.html"
            write_html(scene_figure(sc), folder / name)
            written.append(name)
    fig = plot_layer_strip(  # one row: a strip of its own, not a page's column
        net, run.X, run.y, panel_size=size / dpi, state=state.describe(), max_width=float("inf")
    )
    fig.savefig(folder / "strip.png", dpi=dpi)
    plt.close(fig)
    fig = plot_training_curves(run.history, mark=state)
    fig.savefig(folder / "training.png", dpi=dpi)
    plt.close(fig)
    return written + ["strip.png", "training.png"], state
