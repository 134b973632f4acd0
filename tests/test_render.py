"""Renderers: figures are non-empty, of the requested size, with equal aspect."""

import io
import re

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from isotopy import Network, make_dataset, train_run  # noqa: E402
from isotopy.render import (  # noqa: E402
    draw_scene,
    plot_decision_regions,
    plot_layer_strip,
    plot_training_curves,
)
from isotopy.render.plotly3d import scene_figure, write_html  # noqa: E402
from isotopy.scene import stage_scene  # noqa: E402


def png(fig, dpi=100):
    buf = io.BytesIO()
    fig.savefig(buf, dpi=dpi)
    matplotlib.pyplot.close(fig)
    img = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    return img


def test_layer_strip_size_and_content():
    run = train_run("disc_annulus", n=150, hidden=(3,), steps=200, seed=0)
    fig = plot_layer_strip(run.net, run.X, run.y, panel_size=3.0)
    # input 3 in, the 3-D panel 1.3 times as wide (its depth seen), the 1-D output 0.8 times
    assert fig.get_size_inches()[0] == pytest.approx(3.0 * (1 + 1.3 + 0.8))
    img = png(fig)
    assert img.shape[1] == 930 and img.shape[0] == 390  # one row of 3.9 in, no title room
    assert img.std() > 20  # something is drawn
    axes = fig.axes
    assert [a.get_xlabel() for a in axes] == ["x1", "unit 1", "logit"]
    assert axes[1].get_zlabel() == "unit 3" and axes[1]._focal_length == np.inf  # orthographic
    # at most 10 in wide: a six-panel network wraps into rows
    deep = train_run("spirals", n=80, hidden=(2, 2, 2, 2), steps=20, seed=0)
    fig = plot_layer_strip(deep.net, deep.X, deep.y, state="t")
    assert fig.get_size_inches()[0] <= 10.0 and fig.get_size_inches()[1] > 6
    # red and blue points are both there
    red = ((img[..., 0] > 180) & (img[..., 1] < 80) & (img[..., 2] < 80)).sum()
    blue = ((img[..., 2] > 150) & (img[..., 0] < 80)).sum()
    assert red > 50 and blue > 50


@pytest.mark.parametrize(
    "dataset, hidden", [("interval", (2,)), ("two_curves", (2,)), ("unlink", (3,))]
)
def test_every_dimension_draws(dataset, hidden):
    X, y = make_dataset(dataset, 120, seed=0)
    net = Network(X.shape[1], hidden, seed=0)
    fig = plot_decision_regions(net, X, y, figsize=(4, 4))
    assert png(fig).shape[:2] == (400, 400)
    sc = stage_scene(net, X, y, 2)
    fig = draw_scene(sc, figsize=(4, 4))
    if sc.dim == 2:
        ax = fig.axes[0]
        assert ax.get_aspect() == 1.0  # equal scale on both axes
    assert png(fig).std() > 10


def test_training_curves_and_plotly(tmp_path):
    run = train_run("two_curves", n=80, hidden=(2,), steps=50, seed=0)
    assert png(plot_training_curves(run.history)).std() > 10
    X, y = make_dataset("linked_tori", 200, seed=0)
    sc = stage_scene(Network(3, (3,), seed=0), X, y, 2)
    path = write_html(scene_figure(sc), tmp_path / "v.html")
    text = path.read_text()
    assert '"type":"scatter3d"' in text.replace(" ", "")
    external = re.findall(r"<script[^>]*\ssrc=", text)
    assert not external  # self-contained: plotly.js is embedded, no script is fetched


def test_a_3d_panels_title_is_moved_above_labels_that_rise_into_it():
    import matplotlib.pyplot as plt

    from isotopy.render.mpl import titles_above_3d

    def panel():
        fig = plt.figure(figsize=(4.2, 4.2))
        ax = fig.add_subplot(projection="3d")
        ax.view_init(-45, 52, -110)  # the camera of a layer seen along its separating plane
        for set_label, name in zip(
            (ax.set_xlabel, ax.set_ylabel, ax.set_zlabel), ("unit 1", "unit 2", "unit 3")
        ):
            set_label(name, fontsize=8)
        ax.set_title("hidden layer 3, tanh", fontsize=10)
        return fig, ax

    def overlap(fig, ax) -> float:
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        title = ax.title.get_window_extent(r)
        ax.title.set_visible(False)
        rest = ax.get_tightbbox(r)
        ax.title.set_visible(True)
        return rest.y1 - title.y0  # > 0: the drawing reaches into the title

    fig, ax = panel()
    assert overlap(fig, ax) > 0  # matplotlib's own place for a 3-D title is on the labels
    titles_above_3d(fig)
    assert overlap(fig, ax) <= 0
    plt.close(fig)
    fig, ax = panel()
    ax.view_init(20, -60)  # a camera with room above the box: the title stays
    fig.canvas.draw()
    before = ax.title.get_window_extent(fig.canvas.get_renderer()).y0
    titles_above_3d(fig)
    fig.canvas.draw()
    assert ax.title.get_window_extent(fig.canvas.get_renderer()).y0 == before
    plt.close("all")
