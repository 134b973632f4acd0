"""Animations: morph and training frames, rendering, export, the ``animate`` command."""

from __future__ import annotations

import json
import os
import re

import imageio.v2 as imageio
import imageio.v3 as iio
import numpy as np
import pytest
import torch

from isotopy.animate import (
    Animation,
    even_spacing,
    morph_frames,
    render_frames,
    save_frames,
    training_frames,
    view_boxes,
)
from isotopy.datasets import make_dataset
from isotopy.errors import InputError
from isotopy.nn import Network
from isotopy.nn.stages import Affine
from isotopy.paths import orient_network
from isotopy.train import fit, save_run, train_run


@pytest.fixture(scope="module")
def data():
    return make_dataset("disc_annulus", 200, seed=0)


def _last_hidden(net, X):
    return net.trace(X)[-2][1]


@pytest.mark.parametrize("hidden", [(2,), (2, 2), (3,), (2, 3, 2)])
def test_morph_first_frame_is_input_last_is_trace(data, hidden):
    X, y = data
    for seed in range(3):
        net = Network(2, hidden, "tanh", seed=seed)
        fr = morph_frames(net, X, y, frames=25, lines=7, samples=20)
        assert len(fr) == 25 and fr.points.shape == (25, len(X), max(2, *hidden))
        np.testing.assert_allclose(fr.points[0][:, :2], X, atol=1e-6)
        assert np.abs(fr.points[0][:, 2:]).max(initial=0) == 0
        oriented, swaps = orient_network(net)
        assert fr.meta["swaps"] == swaps
        last = _last_hidden(oriented, X)
        np.testing.assert_allclose(fr.points[-1][:, : last.shape[1]], last, atol=1e-5)
        # the oriented network computes the same function as the original
        np.testing.assert_allclose(oriented.trace(X)[-1][1], net.trace(X)[-1][1], atol=1e-5)
        projections = {
            k + 1
            for k, st in enumerate(net.stages[:-1])
            if isinstance(st, Affine) and st.d_out < st.d_in
        }
        assert set(fr.meta["stage_of_frame"][fr.flagged]) == projections
        assert fr.separators[-1] is not None  # the read-out's line/plane at the end
        if swaps:
            k = next(iter(swaps))
            stage_of = fr.meta["stage_of_frame"]
            assert any(
                "swapped" in n for n, s in zip(fr.notes, stage_of, strict=True) if s == k + 1
            )


def test_morph_without_orientation_is_the_plain_trace(data):
    X, y = data
    net = Network(2, (2,), "tanh", seed=0)
    fr = morph_frames(net, X, y, frames=10, orient=False, lines=5, samples=10)
    np.testing.assert_allclose(fr.points[-1], _last_hidden(net, X), atol=1e-5)


def test_morph_one_dimensional_input_embeds_in_the_plane():
    X, y = make_dataset("interval", 100, seed=0)
    net = Network(1, (2,), "tanh", seed=0)
    fr = morph_frames(net, X, y, frames=20)
    assert fr.dim == 2
    np.testing.assert_allclose(fr.points[0][:, 0], X[:, 0], atol=1e-6)
    np.testing.assert_allclose(fr.points[-1], _last_hidden(net, X), atol=1e-5)
    assert fr.notes[0].startswith("R^1 ⊂ R^2")


def test_wide_network_uses_one_fixed_projection(data):
    X, y = data
    net = Network(2, (5, 4), "tanh", seed=0)
    fr = morph_frames(net, X, y, frames=12, lines=5, samples=10)
    assert fr.dim == 3 and fr.meta["projection"]
    assert fr.separators[-1] is None  # not drawn through a projection
    # a 5 -> 4 layer is a projection: flagged, and said so
    flagged_stages = set(fr.meta["stage_of_frame"][fr.flagged])
    assert flagged_stages == {3}
    assert all(
        "NOT" in n or "not a homeomorphism" in n
        for n, f in zip(fr.notes, fr.flagged, strict=False)
        if f
    )


def test_single_stage_and_bad_stage(data):
    X, y = data
    net = Network(2, (2, 2), "tanh", seed=0)
    fr = morph_frames(net, X, y, frames=8, stage=2, lines=5, samples=10)
    assert set(fr.meta["stage_of_frame"]) == {2}
    np.testing.assert_allclose(fr.points[0], net.trace(X)[1][1], atol=1e-5)
    with pytest.raises(InputError, match="out of range"):
        morph_frames(net, X, y, stage=5)
    with pytest.raises(InputError, match="out of range"):
        morph_frames(net, X, y, stage=0)
    with pytest.raises(InputError, match="number of frames"):
        morph_frames(net, X, y, frames=0)


def test_relu_and_singular_frames_are_flagged(data):
    X, y = data
    net = Network(2, (2,), "relu", seed=0)
    fr = morph_frames(net, X, y, frames=16, lines=5, samples=10)
    assert fr.flagged[fr.meta["stage_of_frame"] == 2].all()
    net = Network(2, (2,), "tanh", seed=0)
    with torch.no_grad():
        net.stages[0].weight[0] = torch.tensor([[1.0, 2.0], [0.5, 1.0]])
    fr = morph_frames(net, X, y, frames=16, lines=5, samples=10)
    first = fr.meta["stage_of_frame"] == 1
    assert fr.flagged[first].all() and "singular" in fr.notes[0]


def test_even_spacing():
    u = even_spacing([0.0, 0.0, 10.0, 0.0], 21, floor=0.0)
    assert u[0] == 0 and u[-1] == 4 and np.all(np.diff(u) >= 0)
    assert ((u > 2) & (u < 3)).sum() >= 17  # frames go where the motion is
    u = even_spacing([1.0, 1.0, 1.0], 7)
    np.testing.assert_allclose(u, np.linspace(0, 3, 7))


def test_morph_timing_is_even_in_deformation(data):
    X, y = data
    net = Network(2, (2,), "tanh", seed=3)
    fr = morph_frames(net, X, y, frames=40, lines=5, samples=10, hold=0)
    P = fr.points
    spread = np.sqrt(((P - P.mean(1, keepdims=True)) ** 2).sum(-1).mean(1))
    step = np.sqrt(((P[1:] - P[:-1]) ** 2).sum(-1).mean(1)) / spread[1:]
    assert step.max() < 4 * np.median(step)  # no jumps


def test_view_boxes_contain_frames_and_change_smoothly():
    rng = np.random.default_rng(0)
    F = 50
    scale = np.exp(np.linspace(0, 3, F))[:, None, None]
    pts = rng.normal(size=(F, 100, 2)) * scale
    grid = np.zeros((F, 1, 2, 2))
    for mode in ("smooth", "fixed"):
        b = view_boxes(pts, grid, mode=mode)
        assert (b[:, 0][:, None] <= pts + 1e-12).all() and (pts <= b[:, 1][:, None] + 1e-12).all()
        size = b[:, 1, 0] - b[:, 0, 0]
        np.testing.assert_allclose(size, b[:, 1, 1] - b[:, 0, 1])  # equal scale on both axes
    b = view_boxes(pts, grid, mode="smooth")
    ratio = (b[1:, 1, 0] - b[1:, 0, 0]) / (b[:-1, 1, 0] - b[:-1, 0, 0])
    assert np.abs(np.log(ratio)).max() < 0.25
    with pytest.raises(InputError, match="limits"):
        view_boxes(pts, grid, mode="jumpy")


@pytest.fixture(scope="module")
def trained():
    X, y = make_dataset("disc_annulus", 120, seed=1)
    net = Network(2, (3,), "tanh", seed=0)
    hist = fit(net, X, y, steps=60, lr=0.05, record_every=6)
    return net, hist, X, y


def test_training_frames(trained):
    net, hist, X, y = trained
    fr = training_frames(net, hist, X, y, frames=15)
    assert len(fr) == 15 and fr.dim == 3
    np.testing.assert_allclose(fr.points[-1], _last_hidden(net, X), atol=1e-5)
    first = hist.network_at(net, 0)
    np.testing.assert_allclose(fr.points[0], _last_hidden(first, X), atol=1e-5)
    assert all(s is not None for s in fr.separators)
    assert np.all(np.diff(fr.meta["steps"]) >= 0)
    # a tanh layer's frames give their share of points on an edge of the cube, in the title
    from isotopy.topology.saturation import edge_fraction

    assert fr.meta["edge"].shape == (15,)
    assert fr.meta["edge"][-1] == pytest.approx(edge_fraction(_last_hidden(net, X)))
    assert fr.titles[-1].endswith(f"edge fraction {fr.meta['edge'][-1]:.2f})")
    fr0 = training_frames(net, hist, X, y, stage=0, frames=5)
    np.testing.assert_allclose(fr0.points[3], X, atol=1e-6)  # the input never moves
    assert fr0.meta["edge"] is None and "edge" not in fr0.titles[0]  # the input is unbounded
    with pytest.raises(InputError, match="out of range"):
        training_frames(net, hist, X, y, stage=3)


@pytest.fixture(scope="module")
def small_anim(data):
    X, y = data
    net = Network(2, (2,), "tanh", seed=0)
    fr = morph_frames(net, X, y, frames=12, lines=6, samples=12)
    return Animation(fr, fps=10, size=224)


def test_render_sizes(small_anim):
    imgs = small_anim.render()
    assert len(imgs) == 12
    h, w, c = imgs[0].shape
    assert c == 3 and w == 224 and h % 16 == 0 and w % 16 == 0
    assert all(im.shape == imgs[0].shape and im.dtype == np.uint8 for im in imgs)
    reds = [(im[..., 0] > 180) & (im[..., 1] < 80) & (im[..., 2] < 80) for im in imgs]
    blues = [(im[..., 2] > 150) & (im[..., 0] < 80) for im in imgs]
    assert all(r.sum() > 20 for r in reds) and all(b.sum() > 20 for b in blues)
    assert not np.array_equal(imgs[0], imgs[-1])


def test_render_3d_and_1d(data):
    X, y = data
    fr = morph_frames(Network(2, (3,), "tanh", seed=0), X, y, frames=4, lines=5, samples=10)
    assert len(render_frames(fr, size=192)) == 4
    from isotopy.animate.frames import Frames

    pts = np.linspace(-1, 1, 10)[None, :, None].repeat(3, 0)
    fr1 = Frames(
        pts,
        np.arange(10) % 2,
        np.zeros((3, 1, 5, 1)),
        view_boxes(pts, np.zeros((3, 1, 5, 1)), mode="fixed"),
        ["a"] * 3,
        [""] * 3,
        [np.array([0.0])] * 3,
        np.zeros(3, bool),
    )
    assert len(render_frames(fr1, size=192)) == 3


def test_export_gif_mp4_read_back(small_anim, tmp_path):
    imgs = small_anim.render()
    h, w, _ = imgs[0].shape
    gif = small_anim.save(tmp_path / "a.gif")
    back = iio.imread(gif, index=None)
    assert back.shape[:3] == (12, h, w)
    # the shared palette keeps the picture: mean colour error small
    assert np.abs(back[5][..., :3].astype(int) - imgs[5]).mean() < 4
    mp4 = small_anim.save(tmp_path / "a.mp4", fps=12)
    reader = imageio.get_reader(mp4)
    frames = [f for f in reader]
    assert reader.get_meta_data()["fps"] == pytest.approx(12)
    reader.close()
    # the last frame is held for small_anim.hold (1 s) = 12 more frames at 12 fps
    assert len(frames) == 12 + 12 and frames[0].shape == (h, w, 3)
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]  # no temporary left


def test_export_html_self_contained(small_anim, tmp_path):
    path = small_anim.save(tmp_path / "a.html")
    text = path.read_text()
    blob = re.search(r'<script type="application/json">(.*?)</script>', text, re.S).group(1)
    frames = json.loads(blob)
    assert len(frames) == 12 + 10  # the last frame held 1 s at 10 fps
    assert frames[-1] == frames[11]
    import base64
    import io

    from PIL import Image

    for k in (0, 11):
        img = np.asarray(Image.open(io.BytesIO(base64.b64decode(frames[k]))).convert("RGB"))
        np.testing.assert_array_equal(img, small_anim.render()[k])
    outside = text.replace(blob, "")
    assert not re.search(r"(https?:)?//[a-z0-9]", outside, re.I)  # no external URL
    assert "http" not in outside and "<script src" not in outside and "<link" not in outside
    assert 'type="range"' in text and "play" in text
    assert "isotopy-player" in small_anim._repr_html_()
    assert "Animation(" in repr(small_anim)


def test_export_png_folder(small_anim, tmp_path):
    out = small_anim.save(tmp_path / "frames", "png")
    names = sorted(os.listdir(out))
    assert names == [f"frame_{i:04d}.png" for i in range(12)]
    assert iio.imread(out / names[3]).shape == small_anim.render()[3].shape


def test_export_bad_input(small_anim, tmp_path):
    imgs = small_anim.render()
    with pytest.raises(InputError, match="unknown animation format"):
        save_frames(imgs, tmp_path / "a.avi")
    with pytest.raises(InputError, match="does not exist"):
        save_frames(imgs, tmp_path / "nope" / "a.gif")
    with pytest.raises(InputError, match="is a folder"):
        save_frames(imgs, tmp_path, "gif")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        save_frames(imgs, tmp_path / "full", "png")
    with pytest.raises(InputError, match="no frames"):
        save_frames([], tmp_path / "b.gif")
    assert sorted(os.listdir(tmp_path)) == ["full"]


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    from isotopy.animate import export

    bad = [np.zeros((32, 32, 3), np.uint8), "not a frame"]
    with pytest.raises(Exception):  # noqa: B017 - any failure inside the encoder
        export.write_gif(bad, tmp_path / "x.gif")
    with pytest.raises(Exception):  # noqa: B017
        export.write_mp4(bad, tmp_path / "x.mp4")
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------------------------- the CLI
@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("runs") / "r"
    run = train_run("disc_annulus", n=120, hidden="2", steps=40, record_every=4)
    save_run(run, path)
    return path


def test_cli_animate_layers_and_training(cli, run_dir, tmp_path):
    out = tmp_path / "m.gif"
    proc = cli(
        "animate",
        run_dir,
        "--what",
        "layers",
        "--frames",
        "9",
        "--size",
        "192",
        "--format",
        "gif",
        "--out",
        out,
        check=0,
    )
    assert "wrote" in proc.stdout
    assert "animated at the readable state, step" in proc.stdout
    assert iio.imread(out, index=None).shape[0] == 9
    proc = cli(
        "animate",
        run_dir,
        "--at",
        "final",
        "--frames",
        "4",
        "--size",
        "160",
        "--out",
        tmp_path / "f.gif",
        check=0,
    )
    assert "animated at the final state, step 40 of 40" in proc.stdout
    out = tmp_path / "t.mp4"
    cli(
        "animate",
        run_dir,
        "--what",
        "training",
        "--frames",
        "7",
        "--size",
        "192",
        "--out",
        out,
        check=0,
    )
    r = imageio.get_reader(out)
    assert sum(1 for _ in r) == 7 + 20  # the last frame held 1 s at 20 fps
    cli(
        "animate",
        run_dir,
        "--stage",
        "1",
        "--frames",
        "5",
        "--size",
        "160",
        "--format",
        "png",
        "--out",
        tmp_path / "pngs",
        check=0,
    )
    assert len(os.listdir(tmp_path / "pngs")) == 5


@pytest.mark.parametrize(
    "args, message",
    [
        (["--stage", "7", "--format", "gif"], "out of range"),
        (["--frames", "0", "--format", "gif"], "--frames"),
        (["--format", "avi"], "unknown animation format"),
        (["--what", "weights", "--format", "gif"], "unknown --what"),
        (["--fps", "0", "--format", "gif"], "--fps"),
        (["--stage", "-1", "--what", "training", "--format", "gif"], "out of range"),
    ],
)
def test_cli_animate_bad_input(run_dir, tmp_path, capsys, args, message):
    from isotopy.cli import main

    out = tmp_path / "o.gif"
    assert main(["animate", str(run_dir), *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert os.listdir(tmp_path) == []


def test_cli_animate_bad_input_subprocess(cli, run_dir, tmp_path):
    proc = cli("animate", run_dir, "--frames", "0", "--format", "gif", "--out", "o.gif")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == ("isotopy: error: --frames must be an integer >= 1, got 0")
    assert os.listdir(tmp_path) == []


def test_cli_animate_not_a_run_and_unwritable(run_dir, tmp_path, capsys):
    from isotopy.cli import main

    (tmp_path / "empty").mkdir()
    assert main(["animate", str(tmp_path / "empty"), "--out", str(tmp_path / "a.gif")]) == 2
    assert "not an isotopy run folder" in capsys.readouterr().err
    assert main(["animate", str(run_dir), "--out", str(tmp_path / "no" / "a.gif")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["animate", str(run_dir), "--out", str(tmp_path / "a")]) == 2
    assert "--format" in capsys.readouterr().err
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if not os.access(ro, os.W_OK):
            assert main(["animate", str(run_dir), "--out", str(ro / "a.gif")]) == 2
            assert "not writable" in capsys.readouterr().err
    finally:
        ro.chmod(0o700)
    assert sorted(os.listdir(tmp_path)) == ["empty", "ro"]
    assert os.listdir(ro) == []


def test_report_section_quick(tmp_path):
    from isotopy.report import build_report

    res = build_report(tmp_path / "rep", quick=True, only=["animations"])
    page = (tmp_path / "rep" / "index.html").read_text()
    gifs = sorted(p.name for p in (tmp_path / "rep" / "figures").iterdir())
    assert len(gifs) == 6 and all(g.endswith(".gif") for g in gifs)
    for g in gifs:
        assert g in page
        assert iio.imread(tmp_path / "rep" / "figures" / g, index=None).shape[0] == 8
    assert res["metrics"]["animations.tanh_layer.min_det_along_path"] > 0
    # the layer as a deformation and the two spiral claims; the curves, disc, interval and
    # 3-unit claims are made once elsewhere (first section, topology section)
    assert len([c for c in res["claims"] if c["section"] == "animations"]) == 3


def _cell_orientation(grid, lines):
    """Signed areas of the grid's cells, from its lines parallel to the first axis: (F, ...)."""
    H = grid[:, :lines]  # (F, lines, P, 2): H[:, j, s] is the image of (x_s, y_j)
    a = H[:, :-1, 1:] - H[:, :-1, :-1]
    b = H[:, 1:, :-1] - H[:, :-1, :-1]
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def test_morph_never_folds_the_plane_even_when_det_w_is_negative(data):
    X, y = data
    net = Network(2, (2,), "tanh", seed=0)
    with torch.no_grad():
        net.stages[0].weight[0] = torch.tensor([[0.3, 1.5], [1.2, -0.4]])  # det < 0
    fr = morph_frames(net, X, y, frames=30, lines=9, samples=9)
    assert fr.meta["swaps"] == {0: (0, 1)} and not fr.flagged.any()
    assert (_cell_orientation(fr.grid, 9) > 0).all()  # every frame keeps orientation
    # without the swap the straight line must pass through a fold: flagged, orientation lost
    plain = morph_frames(net, X, y, frames=30, lines=9, samples=9, orient=False)
    assert plain.flagged[plain.meta["stage_of_frame"] == 1].all()
    assert (_cell_orientation(plain.grid, 9)[-1] < 0).all()


@pytest.mark.parametrize("frames", [1, 2, 3, 9])
def test_morph_any_frame_count_ends_at_the_trace(data, frames):
    X, y = data
    net = Network(2, (2,), "tanh", seed=5)
    fr = morph_frames(net, X, y, frames=frames, lines=5, samples=10)
    assert len(fr) == frames
    np.testing.assert_allclose(fr.points[-1], _last_hidden(orient_network(net)[0], X), atol=1e-5)
