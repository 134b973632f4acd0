"""Topology: Betti numbers of known shapes, linking numbers of known links, stage diagnostics,
width bounds and Jacobian stretch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from isotopy import InputError, Network, link_cores
from isotopy.nn import Activation, Affine
from isotopy.topology import (
    betti_numbers,
    betti_through_network,
    check_width,
    linking_number,
    linking_through_network,
    stage_diagnostics,
    stretch,
    stretch_grid,
    width_bound,
)
from isotopy.topology.homology import farthest_point_sample, persistence, thin_cloud
from isotopy.topology.linking import linking_number_crossings


def _circle(rng, n, r=1.0, c=(0.0, 0.0)):
    a = rng.uniform(0, 2 * np.pi, n)
    return np.c_[r * np.cos(a) + c[0], r * np.sin(a) + c[1]]


# ----------------------------------------------------------------------------- homology
@pytest.mark.parametrize("seed", [0, 1])
def test_betti_circle_and_two_circles(seed):
    rng = np.random.default_rng(seed)
    assert betti_numbers(_circle(rng, 300)).tolist() == [1, 1]
    two = np.r_[_circle(rng, 200), _circle(rng, 200, c=(3.0, 0.0))]
    assert betti_numbers(two).tolist() == [2, 2]


def test_betti_annulus_and_disc():
    rng = np.random.default_rng(2)
    a, r = rng.uniform(0, 2 * np.pi, 800), np.sqrt(rng.uniform(0.25, 1.0, 800))
    assert betti_numbers(np.c_[r * np.cos(a), r * np.sin(a)]).tolist() == [1, 1]
    r = np.sqrt(rng.uniform(0, 1.0, 600))
    assert betti_numbers(np.c_[r * np.cos(a[:600]), r * np.sin(a[:600])]).tolist() == [1, 0]


def test_betti_sphere_has_beta2():
    rng = np.random.default_rng(3)
    u = rng.standard_normal((400, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    assert betti_numbers(u, maxdim=2).tolist() == [1, 0, 1]


def test_betti_torus_has_two_loops():
    rng = np.random.default_rng(4)
    p = rng.uniform(0, 2 * np.pi, (1000, 2))
    big, small = 1.0, 0.5
    ring = big + small * np.cos(p[:, 1])
    torus = np.c_[ring * np.cos(p[:, 0]), ring * np.sin(p[:, 0]), small * np.sin(p[:, 1])]
    assert betti_numbers(torus).tolist() == [1, 2]


def test_threshold_gives_plain_ripser_numbers():
    """Reading at ε from a filtration built only up to ε equals reading the full diagram."""
    rng = np.random.default_rng(5)
    X = np.r_[_circle(rng, 150), _circle(rng, 150, r=0.5, c=(3.0, 0.0))]
    b, det = betti_numbers(X, thin=0.0, return_details=True)
    full, _ = persistence(X, maxdim=1)
    eps = det["scale"]
    plain = [int(np.sum((d[:, 0] <= eps) & (d[:, 1] > eps))) for d in full]
    assert b.tolist() == plain == [2, 2]


def test_subsampling_and_thinning_cover_the_cloud():
    rng = np.random.default_rng(6)
    X = _circle(rng, 2000)
    idx, r = farthest_point_sample(X, 100)
    d = np.min(np.linalg.norm(X[:, None] - X[idx][None], axis=-1), axis=1)
    assert len(set(idx.tolist())) == 100 and d.max() == pytest.approx(r)
    kept = thin_cloud(X, 0.1)
    d = np.min(np.linalg.norm(X[:, None] - kept[None], axis=-1), axis=1)
    assert len(kept) < len(X) and d.max() <= 0.1
    assert betti_numbers(X, max_points=200).tolist() == [1, 1]


def test_betti_errors():
    with pytest.raises(InputError, match="up to dimension 2"):
        betti_numbers(np.zeros((5, 2)), maxdim=3)
    with pytest.raises(InputError, match="NaN"):
        betti_numbers(np.array([[0.0, np.nan], [1.0, 1.0]]))
    net = Network(2, (3,), n_networks=2)
    with pytest.raises(InputError, match="single network"):
        betti_through_network(net, np.zeros((4, 2)), np.array([0, 0, 1, 1]))


def test_betti_through_homeomorphic_network_keeps_the_annulus():
    """A well-conditioned tanh network is a homeomorphism: nothing changes.

    (A badly conditioned one, e.g. seed 1 here, flattens the annulus until its hole is
    thinner than the reading scale: the near-singular case the diagnostics flag.)"""
    rng = np.random.default_rng(7)
    a, r = rng.uniform(0, 2 * np.pi, 700), np.sqrt(rng.uniform(0.25, 1.0, 700))
    X = np.c_[r * np.cos(a), r * np.sin(a)].astype(np.float32)
    net = Network(2, (3, 3), "tanh", seed=0)
    assert max(d.condition for d in stage_diagnostics(net) if d.condition) < 10
    trace = betti_through_network(net, X, np.zeros(len(X), dtype=np.int64))
    assert trace.names == ["input", "affine1", "tanh1", "affine2", "tanh2"]
    assert (trace.betti[:, 0] == [1, 1]).all()
    assert "class 0: (1, 1)" in trace.table()


def _annulus(rng, n, r0=0.5):
    a, r = rng.uniform(0, 2 * np.pi, n), np.sqrt(rng.uniform(r0**2, 1.0, n))
    return np.c_[r * np.cos(a), r * np.sin(a)].astype(np.float32)


def _set_affine(stage, w, b):
    with torch.no_grad():
        stage.weight[0] = torch.tensor(w, dtype=torch.float32)
        stage.bias[0] = torch.tensor(b, dtype=torch.float32)


def test_topological_reading_carries_through_homeomorphisms_of_any_condition():
    """Condition 1e4 at affine1 and hard saturation: a metric reading loses the hole, the
    topological one cannot (every stage is a homeomorphism)."""
    X = _annulus(np.random.default_rng(7), 600)
    y = np.zeros(len(X), dtype=np.int64)
    net = Network(2, (2, 2), "tanh", seed=0)
    _set_affine(net.stages[0], [[1.0, 0.0], [0.0, 1e-4]], [0.0, 0.0])
    _set_affine(net.stages[2], [[40.0, 3.0], [-2.0, 50.0]], [0.3, -0.2])
    euc = betti_through_network(net, X, y, reading="euclidean")
    assert euc.betti[0, 0].tolist() == [1, 1] and (euc.betti[1:, 0] != [1, 1]).any()
    top = betti_through_network(net, X, y, reading="topological")
    assert top.sources == ["read", "carried", "carried", "carried", "carried"]
    assert (top.betti[:, 0] == [1, 1]).all() and top.resolved.all()
    assert top.metric == "robust" and "[carried: a homeomorphism]" in top.table()
    assert top.to_dict()["sources"] == top.sources and "topological" in repr(top)


def test_topological_reading_changes_only_after_a_stage_that_is_not_a_homeomorphism():
    """ReLU with a bias of -2 maps the whole annulus to one point: the hole is gone after
    relu1, and only there; the singular affine stage after it is read again too."""
    X = _annulus(np.random.default_rng(3), 600)
    y = np.zeros(len(X), dtype=np.int64)
    net = Network(2, (2, 2), "relu", seed=0)
    _set_affine(net.stages[0], [[1.0, 0.0], [0.0, 1.0]], [-2.0, -2.0])
    _set_affine(net.stages[2], [[1.0, 0.0], [0.0, 0.0]], [0.0, 0.0])  # singular W
    top = betti_through_network(net, X, y, reading="topological")
    assert top.sources == ["read", "carried", "read", "read", "read"]
    assert top.betti[:, 0].tolist() == [[1, 1], [1, 1], [1, 0], [1, 0], [1, 0]]
    assert top.resolved.all()  # 600 points on one point: certainly no loop
    keep = betti_through_network(Network(2, (2, 2), "relu", seed=0), X, y, reading="robust")
    assert keep.sources == ["read"] * 5


def test_topological_reading_errors():
    X = _annulus(np.random.default_rng(0), 50)
    with pytest.raises(InputError, match="use betti_through_network"):
        betti_numbers(X, reading="topological")
    net = Network(2, (2,), "tanh", seed=0)
    with pytest.raises(InputError, match="unknown metric Betti reading 'topological'"):
        betti_through_network(net, X, np.zeros(50), reading="topological", metric="topological")


# ------------------------------------------------------------------------------ linking
@pytest.mark.parametrize("k", [1, 2])
def test_linking_of_torus_links(k):
    a, b = link_cores("linked_tori", linking=k, samples=300)
    lk = linking_number(a, b)
    assert abs(lk) == pytest.approx(k, abs=1e-6)
    assert linking_number(b, a) == pytest.approx(lk, abs=1e-6)  # symmetric
    assert linking_number(a[::-1], b) == pytest.approx(-lk, abs=1e-6)  # orientation
    assert linking_number_crossings(a, b) == round(lk)
    assert linking_number_crossings(a, b, seed=3) == round(lk)


def test_hopf_link_by_hand_and_unlink():
    s = np.linspace(0, 2 * np.pi, 200, endpoint=False)
    ring1 = np.c_[np.cos(s), np.sin(s), 0 * s]
    ring2 = np.c_[1 + np.cos(s), 0 * s, np.sin(s)]  # through ring1's disc once
    assert abs(linking_number(ring1, ring2)) == pytest.approx(1.0, abs=1e-6)
    far = ring2 + [5.0, 0.0, 0.0]
    assert linking_number(ring1, far) == pytest.approx(0.0, abs=1e-9)
    a, b = link_cores("unlink")
    assert linking_number(a, b) == pytest.approx(0.0, abs=1e-6)
    assert linking_number_crossings(a, b) == 0


def test_linking_unchanged_through_homeomorphisms():
    """Affine maps with det != 0 and tanh keep |Lk|; a reflection flips its sign."""
    net = Network(3, (3, 3), "tanh", seed=3)
    trace = linking_through_network(net, "linked_tori", linking=2)
    lks = [v for v in trace.rounded if v is not None]
    assert len(lks) == 5 and all(abs(v) == 2 for v in lks)
    dets = [torch.linalg.det(s.weight[0]).item() for s in net.stages[:-1] if isinstance(s, Affine)]
    assert np.sign(lks[1]) == np.sign(lks[0]) * np.sign(dets[0])
    assert trace.linking.shape == (6,) and np.isnan(trace.linking[-1])  # read-out: R^1


def test_linking_through_a_non_injective_stage():
    """Collapsing z (a singular W) squashes both cores into one plane, where they meet."""
    net = Network.from_stages([Affine(3, 3), Activation("identity", 3)])
    with torch.no_grad():  # after from_stages, which initialises the parameters
        net.stages[0].weight.copy_(torch.diag(torch.tensor([1.0, 1.0, 0.0]))[None])
        net.stages[0].bias.zero_()
    trace = linking_through_network(net, "linked_tori")
    assert abs(trace.rounded[0]) == 1
    assert trace.distance[0] > 0.5 and trace.distance[1] < 1e-2  # the cores touch
    assert trace.homeomorphism[1] is False


def test_linking_errors():
    with pytest.raises(InputError, match="not a link dataset"):
        linking_through_network(Network(3, (3,)), "disc_annulus")
    with pytest.raises(InputError, match="R\\^3"):
        linking_through_network(Network(2, (3,)), "unlink")
    with pytest.raises(InputError, match="closed polyline"):
        linking_number(np.zeros((5, 2)), np.zeros((5, 3)))


# -------------------------------------------------------------------------- diagnostics
def _net_with_weights(*ws):
    net = Network(2, tuple(w.shape[0] for w in ws), "tanh")
    with torch.no_grad():
        for stage, w in zip([s for s in net.stages[:-1] if isinstance(s, Affine)], ws, strict=True):
            stage.weight.copy_(torch.as_tensor(w, dtype=torch.float32)[None])
    return net


def test_stage_diagnostics_det_svd_and_flags():
    net = _net_with_weights(np.array([[2.0, 0.0], [0.0, 0.5]]), np.array([[1.0, 0.0], [0.0, 1e-3]]))
    d = stage_diagnostics(net)
    assert [x.name for x in d] == ["affine1", "tanh1", "affine2", "tanh2", "readout"]
    assert d[0].det == pytest.approx(1.0) and d[0].condition == pytest.approx(4.0)
    assert d[0].singular_values == pytest.approx([2.0, 0.5])
    assert d[0].homeomorphism and not d[0].near_singular
    assert d[2].near_singular and d[2].homeomorphism and d[2].condition == pytest.approx(1e3)
    assert d[1].homeomorphism and not d[4].homeomorphism
    singular = _net_with_weights(np.array([[1.0, 2.0], [2.0, 4.0]]))
    assert not stage_diagnostics(singular)[0].homeomorphism


def test_relu_and_embedding_diagnostics():
    net = Network(2, (3,), "relu")
    d = stage_diagnostics(net, include_readout=False)
    assert d[0].homeomorphism and "embedding" in d[0].note  # 2 -> 3, full rank
    assert not d[1].homeomorphism
    with pytest.raises(InputError, match="rtol"):
        stage_diagnostics(net, rtol=2.0)


# ------------------------------------------------------------------------------- bounds
def test_width_bounds():
    assert width_bound("disc_annulus").needed == 3
    assert width_bound("interval").needed == 2
    assert width_bound("nested_spheres", dim=3).needed == 4
    assert width_bound("linked_tori").needed == 4
    assert "Johnson" in " ".join(width_bound("disc_annulus").sources)
    assert check_width(Network(2, (2, 2)), "disc_annulus")["can_separate"] is False
    assert check_width(Network(2, (2, 3)), "disc_annulus")["can_separate"] is True
    assert check_width(Network(3, (3,)), "linked_tori")["can_separate"] is False
    assert check_width(Network(3, (4,)), "linked_tori")["can_separate"] is True
    with pytest.raises(InputError, match="R\\^3"):
        check_width(Network(2, (3,)), "nested_spheres", dim=3)


# ------------------------------------------------------------------------------ stretch
def test_stretch_matches_autograd_jacobian():
    net = Network(2, (3, 2), "tanh", seed=4)
    X = np.random.default_rng(0).uniform(-1, 1, (20, 2)).astype(np.float32)
    res = stretch(net, X)
    assert res.names == net.names[:-1] and res.spectral.shape == (4, 20)
    for i in range(3):
        J = torch.autograd.functional.jacobian(
            lambda x: net.forward_all(x[None])[4][0, 0], torch.as_tensor(X[i])
        )  # (2, 2)
        assert res.spectral[3, i] == pytest.approx(torch.linalg.matrix_norm(J, 2).item(), rel=1e-4)
        assert res.frobenius[3, i] == pytest.approx(J.norm().item(), rel=1e-4)
    s = res.summary()["tanh2"]
    assert s["max"] >= s["p99"] >= s["median"]


def test_stretch_grid_and_errors():
    net = Network(2, (3,), "tanh")
    g = stretch_grid(net, resolution=10, stage="tanh1")
    assert g["values"].shape == (10, 10) and (g["values"] > 0).all()
    with pytest.raises(InputError, match="unknown stage"):
        stretch_grid(net, stage="nope")
    with pytest.raises(InputError, match="2-D input"):
        stretch_grid(Network(3, (3,)))
    with pytest.raises(InputError, match="no hidden stage"):
        stretch(Network(2, ()), np.zeros((3, 2)))
