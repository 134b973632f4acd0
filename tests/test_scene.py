"""Scenes: grids pushed through the network agree with trace; separators sit where the
read-out switches; nothing here imports a plotting library."""

import sys

import numpy as np
import pytest

from isotopy import Network, make_dataset
from isotopy.errors import InputError
from isotopy.scene import input_grid, layer_scenes, separator_geometry, stage_scene


@pytest.fixture(scope="module")
def net_and_data():
    X, y = make_dataset("disc_annulus", 200, seed=0)
    return Network(2, (3, 2), "tanh", seed=0), X, y


def test_scene_points_equal_trace(net_and_data):
    net, X, y = net_and_data
    tr = net.trace(X)
    for k in range(len(tr)):
        sc = stage_scene(net, X, y, k)
        np.testing.assert_allclose(sc.points, tr[k][1], atol=1e-6)
        assert sc.grid.shape[-1] == tr[k][1].shape[1]
    assert stage_scene(net, X, y, "tanh1").meta["stage"] == "tanh1"


def test_grid_image_is_the_network_applied_to_the_grid(net_and_data):
    net, X, y = net_and_data
    sc0 = stage_scene(net, X, y, 0, lines=5, samples=7)
    sc = stage_scene(net, X, y, 4, lines=5, samples=7)
    assert sc0.grid.shape == (10, 7, 2)
    expected = net.trace(sc0.grid.reshape(-1, 2).astype(np.float32))[4][1]
    np.testing.assert_allclose(sc.grid.reshape(-1, 2), expected, atol=1e-5)
    # the box holds the points and the whole grid
    assert (sc.points >= sc.bounds[0] - 1e-9).all() and (sc.grid <= sc.bounds[1] + 1e-9).all()


def test_separator_is_where_the_readout_is_zero(net_and_data):
    net, X, y = net_and_data
    sc = stage_scene(net, X, y, 4)  # tanh2: input of the read-out
    assert sc.separator.shape == (2, 2)
    ro = net.stages[-1]
    w, c = ro.weight[0, 0].detach().double().numpy(), float(ro.bias[0, 0].detach())
    np.testing.assert_allclose(sc.separator @ w + c, 0, atol=1e-9)
    assert sc.field is not None and sc.field.values.shape == (200, 200)
    assert stage_scene(net, X, y, 2).separator is None  # not the read-out's input


def test_separator_geometry_3d_plane_polygon():
    b = np.array([[-1.0, -1, -1], [1, 1, 1]])
    poly = separator_geometry(np.array([0.0, 0, 1]), -0.5, b)
    assert poly.shape == (4, 3) and np.allclose(poly[:, 2], 0.5)
    assert separator_geometry(np.array([0.0, 0, 1]), -5, b) is None
    np.testing.assert_allclose(separator_geometry(np.array([2.0]), -1.0, b[:, :1]), [0.5])


def test_input_grid_shapes():
    assert input_grid(np.array([[0.0], [1.0]]), samples=50).shape == (1, 50, 1)
    assert input_grid(np.array([[0.0, 0], [1, 1]]), lines=4, samples=9).shape == (8, 9, 2)
    assert input_grid(np.zeros((2, 3)) + [[0], [1]], lines=3, samples=5).shape == (27, 5, 3)


def test_layer_scenes_cover_input_hidden_output():
    X, y = make_dataset("interval", 60, seed=0)
    net = Network(1, (2,), seed=0)
    scenes = layer_scenes(net, X, y)
    assert [s.dim for s in scenes] == [1, 2, 1]
    assert scenes[1].grid.shape[0] == 1  # the line's image is one curve in the plane


def test_wide_representations_are_projected():
    X, y = make_dataset("disc_annulus", 80, seed=0)
    sc = stage_scene(Network(2, (5,), seed=0), X, y, 2)
    assert sc.dim == 3 and "principal" in sc.meta["projection"]


def test_bad_stage(net_and_data):
    net, X, y = net_and_data
    with pytest.raises(InputError, match="stage index 9 is out of range 0..5"):
        stage_scene(net, X, y, 9)
    with pytest.raises(InputError, match="unknown stage 'tanh7'"):
        stage_scene(net, X, y, "tanh7")


def test_scene_module_imports_no_plotting_library():
    import subprocess

    code = (
        "import sys, isotopy.scene; "
        "assert not any(m.startswith(('matplotlib', 'plotly')) for m in sys.modules)"
    )
    subprocess.run(
        [sys.executable, "-c", code], check=True, env={"PYTHONPATH": sys.path[0], "PATH": ""}
    )
