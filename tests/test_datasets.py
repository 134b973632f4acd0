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
