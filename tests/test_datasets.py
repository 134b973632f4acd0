"""Datasets: shapes, dtypes, determinism, and the geometry each generator promises."""

import numpy as np
import pytest

from isotopy.datasets import DATASETS, dataset_params, link_cores, make_dataset
from isotopy.errors import InputError


def gauss_linking(a, b):
    """Discrete Gauss linking integral of two closed polylines (trusted reference)."""
    da, db = np.roll(a, -1, 0) - a, np.roll(b, -1, 0) - b
    ma, mb = a + da / 2, b + db / 2
    r = ma[:, None, :] - mb[None, :, :]
    cross = np.cross(da[:, None, :], db[None, :, :])
    return float(
        (r * cross).sum(-1).__truediv__(np.linalg.norm(r, axis=-1) ** 3).sum() / (4 * np.pi)
    )


@pytest.mark.parametrize("name", list(DATASETS))
def test_shapes_dtypes_labels_determinism(name):
    X, y = make_dataset(name, 101, seed=3)
    dim = DATASETS[name].dim or dataset_params(name)["dim"]
    assert X.shape == (101, dim) and X.dtype == np.float32
    assert y.shape == (101,) and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1}
    assert abs(int((y == 0).sum()) - int((y == 1).sum())) <= 1
    X2, y2 = make_dataset(name, 101, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make_dataset(name, 101, seed=4)
    assert not np.array_equal(X, X3)


def test_disc_annulus_geometry():
    X, y = make_dataset("disc_annulus", 2000, seed=0, inner_radius=0.35, gap=0.25)
    r = np.linalg.norm(X, axis=1)
    assert r[y == 0].max() <= 0.35 + 1e-6
    assert r[y == 1].min() >= 0.6 - 1e-6 and r[y == 1].max() <= 1.0 + 1e-6
    # uniform by area: three quarters of the disc's points lie beyond half its radius
    assert 0.70 < np.mean(r[y == 0] > 0.175) < 0.80


def test_interval_geometry_both_sides():
    X, y = make_dataset("interval", 500, seed=1)
    x = X[:, 0]
    assert np.abs(x[y == 0]).max() <= 0.4 + 1e-6
    assert np.abs(x[y == 1]).min() >= 0.7 - 1e-6
    assert (x[y == 1] < 0).any() and (x[y == 1] > 0).any()


@pytest.mark.parametrize("dim", [1, 3, 5])
def test_nested_spheres_any_dimension(dim):
    X, y = make_dataset("nested_spheres", 400, seed=0, dim=dim)
    labels = DATASETS["nested_spheres"].labels_fn(X)
    np.testing.assert_array_equal(labels, y)


def test_two_curves_not_linearly_separable_by_construction():
    from sklearn.svm import LinearSVC

    X, y = make_dataset("two_curves", 400, seed=0)
    # the upper curve lies above the lower one at every t ...
    assert (X[y == 0, 1] - 0.6 * np.sin(np.pi * X[y == 0, 0]) > 0).all()
    # ... yet even a nearly hard-margin linear classifier cannot separate them
    line = LinearSVC(C=1e4, max_iter=200_000).fit(X, y)
    assert line.score(X, y) < 0.95


@pytest.mark.parametrize("turns", [0.6, 1.5, 2.0])
def test_spirals_turns_sets_the_angle_each_arm_sweeps(turns):
    X, y = make_dataset("spirals", 2000, seed=0, noise=0.0, turns=turns)
    assert np.linalg.norm(X, axis=1).max() <= 1.0 + 1e-6
    arm = X[y == 0]
    arm = arm[np.argsort(np.linalg.norm(arm, axis=1))]  # along the arm, from the centre out
    swept = np.unwrap(np.arctan2(arm[:, 1], arm[:, 0]))
    assert abs(abs(swept[-1] - swept[0]) - 2 * np.pi * turns) < 0.05


@pytest.mark.parametrize("k", [1, 2, 3])
def test_linked_tori_really_linked(k):
    a, b = link_cores("linked_tori", linking=k, samples=800)
    assert abs(round(gauss_linking(a, b))) == k
    assert abs(abs(gauss_linking(a, b)) - k) < 0.02
    X, y = make_dataset("linked_tori", 600, seed=0, linking=k, thickness=0.1)
    da = np.sqrt(((X[:, None] - a[None]) ** 2).sum(-1)).min(1)
    db = np.sqrt(((X[:, None] - b[None]) ** 2).sum(-1)).min(1)
    assert da[y == 0].max() <= 0.1 + 0.01 and db[y == 1].max() <= 0.1 + 0.01
    assert da[y == 1].min() > 0.1 and db[y == 0].min() > 0.1  # the solid tori are disjoint


def test_unlink_really_unlinked():
    ring, ellipse = link_cores("unlink", samples=800)
    assert abs(gauss_linking(ring, ellipse)) < 0.02
    # certificate: the ellipse bounds a flat disc in the plane y = 0 that the ring misses
    hits = ring[np.abs(ring[:, 1]) < 1e-2]
    inside = (hits[:, 0] / 0.45) ** 2 + (hits[:, 2] / 0.9) ** 2 <= 1
    assert len(hits) and not inside.any()
    # and it looks tangled: the ellipse passes through the ring's hole (crosses z = 0 inside)
    cross = ellipse[np.abs(ellipse[:, 2]) < 1e-2]
    assert (np.linalg.norm(cross[:, :2], axis=1) < 1.0).all()


def test_bad_dataset_inputs():
    with pytest.raises(InputError, match="unknown dataset 'nope'; choose one of: .*disc_annulus"):
        make_dataset("nope")
    with pytest.raises(InputError, match="has no parameter 'turnz'"):
        make_dataset("spirals", turnz=2)
    with pytest.raises(InputError, match="number of points"):
        make_dataset("spirals", 1)
    with pytest.raises(InputError, match="inner_radius \\+ gap must be below outer_radius"):
        make_dataset("disc_annulus", inner_radius=0.8, gap=0.3)
    with pytest.raises(InputError, match="makes the two tori touch"):
        make_dataset("linked_tori", thickness=0.6)
    with pytest.raises(InputError, match="not a link dataset"):
        link_cores("spirals")


# ---------------------------------------------------------------- link datasets: dense labels
@pytest.mark.parametrize(
    "name, params",
    [("linked_tori", {}), ("linked_tori", {"linking": 2, "thickness": 0.08}), ("unlink", {})],
)
def test_link_labels_agree_with_the_samples(name, params):
    X, y = make_dataset(name, 2000, seed=3, **params)
    labels = DATASETS[name].labels_fn(X, **params)
    np.testing.assert_array_equal(labels, y)  # every sampled point lies in its own torus
    far = np.array([[5.0, 5.0, 5.0], [0.0, 0.0, 3.0]])
    assert (DATASETS[name].labels_fn(far, **params) == -1).all()


def test_link_labels_stop_at_the_thickness():
    from isotopy.datasets import link_cores

    a, _ = link_cores("linked_tori", samples=50)
    t = np.roll(a, -1, 0) - np.roll(a, 1, 0)  # tangents at the vertices
    out = np.cross(t, [0.0, 0.0, 1.0])
    out /= np.linalg.norm(out, axis=1, keepdims=True)  # a unit normal at each vertex
    labels = DATASETS["linked_tori"].labels_fn
    assert (labels(a + 0.149 * out) == 0).all()
    assert (labels(a + 0.151 * out) == -1).all()
    assert (labels(a + 0.151 * out, thickness=0.2) == 0).all()


def test_sweep_has_a_dense_accuracy_for_link_datasets():
    from isotopy.sweep import dense_grid

    X, _ = make_dataset("linked_tori", 600, seed=0)
    pts, labs = dense_grid(DATASETS["linked_tori"].labels_fn, X, 20000, {})
    assert len(pts) > 800 and set(np.unique(labs)) == {0, 1}
    assert abs((labs == 0).mean() - 0.5) < 0.1  # two tori of the same size


def test_sweep_rows_for_linked_tori_carry_a_dense_accuracy(tmp_path):
    from isotopy.sweep import SweepGrid, run_sweep

    grid = SweepGrid(
        datasets=("linked_tori",),
        widths=(3,),
        depths=(1,),
        seeds=(0,),
        steps=20,
        n_points=200,
        chunk_size=1,
        dense_points=8000,
    )
    table = run_sweep(grid, tmp_path / "lt", plot=False)
    assert table["dense_accuracy"].notna().all() and (table["dense_points"] > 300).all()


# ------------------------------------------------------- noise, and Playground's two datasets
# The output of the generators before noise became a parameter of every 2-D dataset (101
# points): the first two points, the sum of all coordinates and the first 16 labels. Any
# extra random number drawn at the default noise would change all three.
BEFORE = {
    ("two_curves", 0): (
        [[0.989834725856781, -0.10084211081266403], [0.9565314054489136, -0.038318101316690445]],
        14.402251877821982,
        "1100001011000100",
    ),
    ("two_curves", 7): (
        [[-0.44314876198768616, -0.4704556465148926], [0.5513713955879211, 0.7122031450271606]],
        0.8655926659994293,
        "0000111000001000",
    ),
    ("spirals", 0): (
        [[0.8484012484550476, 0.5445818901062012], [0.8185717463493347, 0.49719515442848206]],
        2.130777615820989,
        "1100001011000100",
    ),
    ("spirals", 7): (
        [[0.1832490861415863, 0.33338433504104614], [-0.794070839881897, 0.18816637992858887]],
        1.584351827390492,
        "0000111000001000",
    ),
    ("disc_annulus", 0): (
        [[-0.9036062359809875, -0.4125867187976837], [-0.41989612579345703, -0.8492805361747742]],
        -3.0165759848896414,
        "1111000110110101",
    ),
    ("disc_annulus", 7): (
        [[0.7457097768783569, -0.02378789521753788], [0.30226123332977295, 0.16577373445034027]],
        -13.411039764410816,
        "1011001010010111",
    ),
    ("interval", 0): (
        [[0.25164327025413513], [0.9582104086875916]],
        7.140983022749424,
        "0110000000000101",
    ),
    ("interval", 7): (
        [[0.06031520664691925], [-0.12921454012393951]],
        -5.706100195646286,
        "0000011100010100",
    ),
    ("nested_spheres", 0): (
        [[-0.9036062359809875, -0.4125867187976837], [-0.41989612579345703, -0.8492805361747742]],
        -3.0165759848896414,
        "1111000110110101",
    ),
}


@pytest.mark.parametrize("name, seed", list(BEFORE))
def test_default_output_is_what_it_was_before(name, seed):
    first, total, labels = BEFORE[name, seed]
    X, y = make_dataset(name, 101, seed=seed)
    np.testing.assert_allclose(X[:2], np.array(first, dtype=np.float32), rtol=1e-6, atol=1e-7)
    assert float(X.astype(np.float64).sum()) == pytest.approx(total, rel=1e-6, abs=1e-5)
    assert "".join(map(str, y[:16])) == labels


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_dataset_takes_noise_of_the_stated_std(name):
    """The generator's own noise, or (3-D links, Naitzat's data) the one make_dataset adds
    from a stream of its own: the same points either way, only moved."""
    assert "noise" in dataset_params(name)
    X0, y0 = make_dataset(name, 3000, seed=5, noise=0.0)
    if dataset_params(name)["noise"] == 0:  # its default draws no noise
        np.testing.assert_array_equal(X0, make_dataset(name, 3000, seed=5)[0])
    for sigma in (0.05, 0.2):
        X, y = make_dataset(name, 3000, seed=5, noise=sigma)
        np.testing.assert_array_equal(y, y0)  # the same points, only moved
        d = (X.astype(np.float64) - X0).ravel()
        assert abs(d.mean()) < 4 * sigma / np.sqrt(d.size)
        assert abs(d.std() / sigma - 1) < 0.05
    with pytest.raises(InputError, match="noise must be a finite number >= 0"):
        make_dataset(name, noise=-0.1)


@pytest.mark.parametrize("name", ["xor", "gaussians"])
def test_playground_datasets_draw_no_noise_at_zero(name):
    assert dataset_params(name)["noise"] == 0.0
    X, y = make_dataset(name, 200, seed=1)
    X0, y0 = make_dataset(name, 200, seed=1, noise=0.0)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_xor_quadrants_margin_and_labels():
    X, y = make_dataset("xor", 2001, seed=0, margin=0.1)
    assert np.abs(X).min() >= 0.1 - 1e-6 and np.abs(X).max() <= 1.0 + 1e-6
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))
    quadrant = (X[:, 0] > 0).astype(int) * 2 + (X[:, 1] > 0)
    counts = np.bincount(quadrant, minlength=4)
    assert counts.min() >= 499 and counts.max() <= 501  # even between the four quadrants
    np.testing.assert_array_equal(DATASETS["xor"].labels_fn(X, margin=0.1), y)
    far = np.array([[0.05, 0.5], [1.5, 0.5]])
    assert (DATASETS["xor"].labels_fn(far, margin=0.1) == -1).all()
    from sklearn.linear_model import LogisticRegression

    assert LogisticRegression().fit(X, y).score(X, y) < 0.7  # no line separates them
    prod = (X[:, 0] * X[:, 1])[:, None]
    assert LogisticRegression().fit(prod, y).score(prod, y) == 1.0  # the feature x1·x2 does
    with pytest.raises(InputError, match="margin must be below 1"):
        make_dataset("xor", margin=1.0)


def test_gaussians_centres_and_spread():
    X, y = make_dataset("gaussians", 4000, seed=0, center=0.6, spread=0.15)
    np.testing.assert_allclose(X[y == 0].mean(0), [0.6, 0.6], atol=0.02)
    np.testing.assert_allclose(X[y == 1].mean(0), [-0.6, -0.6], atol=0.02)
    np.testing.assert_allclose(X[y == 1].std(0), [0.15, 0.15], rtol=0.06)
    X, y = make_dataset("gaussians", 4000, seed=0, center=0.6, spread=0.15, noise=0.2)
    np.testing.assert_allclose(X[y == 0].std(0), [0.25, 0.25], rtol=0.06)  # √(0.15² + 0.2²)
    with pytest.raises(InputError, match="spread must be a finite number > 0"):
        make_dataset("gaussians", spread=0)
