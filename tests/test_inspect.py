"""isotopy.inspect: measures against known values and scikit-learn, hooks against manual
forward passes, memory bounded by the subsample, results as tables / JSON / plots."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from isotopy.errors import InputError
from isotopy.inspection import (
    Inspection,
    inspect,
    jacobian_norms,
    knn_loo_predictions,
    twonn_dimension,
)
from isotopy.inspection.capture import capture


# ----------------------------------------------------------------------------- references
def _circle(n, rng, centre=(0.0, 0.0)):
    t = rng.uniform(0, 2 * np.pi, n)
    return np.c_[np.cos(t) + centre[0], np.sin(t) + centre[1], np.zeros(n)]


def _sphere(n, rng):
    S = rng.normal(size=(n, 3))
    return S / np.linalg.norm(S, axis=1, keepdims=True)


class Isometry(nn.Module):
    """x (B, 3) -> (x Qᵀ) (B, 20) with orthonormal columns Q, then an identity layer."""

    def __init__(self, seed=0):
        super().__init__()
        q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(20, 3)))
        self.embed = nn.Linear(3, 20, bias=False)
        with torch.no_grad():
            self.embed.weight.copy_(torch.as_tensor(q, dtype=torch.float32))
        self.same = nn.Identity()

    def forward(self, x):
        return self.same(self.embed(x))


def test_known_structure_through_an_isometry_and_an_identity_layer():
    rng = np.random.default_rng(0)
    X = np.concatenate([_circle(200, rng), _sphere(200, rng)]).astype(np.float32)
    y = np.repeat([0, 1], 200)
    res = inspect(Isometry(), X, y, maxdim=2, subsample=200, betti_points=200,
                  measures=["betti", "stretch"], stretch_points=5)  # fmt: skip
    assert res.layers == ["input", "embed", "same"]
    for li in range(3):  # the circle (1, 1, 0) and the sphere (1, 0, 1) at every layer
        assert res.betti[li].tolist() == [[1, 1, 0], [1, 0, 1]]
    # an isometry and an identity stretch nothing: ||J||_2 = 1 at every point
    np.testing.assert_allclose(res.stretch_max[1:], 1.0, atol=1e-5)
    np.testing.assert_allclose(res.stretch[1:], 1.0, atol=1e-5)


def test_two_circles_euclidean_reading():
    # Whitening squeezes two circles side by side (a documented limit of the robust
    # reading, isotopy.topology.robust); the Euclidean reading is passed through.
    rng = np.random.default_rng(1)
    X = np.concatenate([_circle(150, rng, (-2, 0)), _circle(150, rng, (2, 0))])
    X = X.astype(np.float32)
    y = np.zeros(300, dtype=np.int64)
    y[:5] = 1  # a second class (five points) so that the data have labels
    res = inspect(Isometry(), X, y, reading="euclidean", measures=["betti"], betti_points=300)
    assert res.betti[:, 0].tolist() == [[2, 2]] * 3


def test_twonn_known_dimensions():
    # n = 1000: over seeds 0-5 the estimates stay within 9.1% of 1 (circle), 2 (sphere)
    # and 4 (uniform cube), so 10% is the tolerance.
    rng = np.random.default_rng(0)
    circle = _circle(1000, rng)[:, :2]
    q, _ = np.linalg.qr(rng.normal(size=(20, 3)))
    sphere20 = _sphere(1000, rng) @ q.T  # a sphere in R^20 by a random isometry
    cube = rng.uniform(size=(1000, 4))
    assert abs(twonn_dimension(circle) - 1) <= 0.1
    assert abs(twonn_dimension(sphere20) - 2) <= 0.2
    assert abs(twonn_dimension(cube) - 4) <= 0.4
    # the fit fraction is used: fitting on all ratios gives another estimate
    assert twonn_dimension(cube, fraction=1.0) != twonn_dimension(cube, fraction=0.9)


def test_knn_equals_scikit_learn_leave_one_out():
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(3)
    Z = rng.normal(size=(90, 6))
    y = rng.integers(0, 3, 90)
    Z[y == 1] += 0.8
    for k in (1, 4, 5):
        ours = knn_loo_predictions(Z, y, k)
        ref = np.array(
            [
                KNeighborsClassifier(k)
                .fit(np.delete(Z, i, 0), np.delete(y, i))
                .predict(Z[i : i + 1])[0]
                for i in range(len(Z))
            ]
        )
        np.testing.assert_array_equal(ours, ref)
    # through inspect: the identity model's input layer has the same accuracy
    model = nn.Sequential(nn.Identity())
    res = inspect(model, Z.astype(np.float32), y, k=5, subsample=1000, measures=["knn"])
    expect = np.mean(knn_loo_predictions(Z.astype(np.float32), y, 5) == y)
    assert res.knn_all[0] == pytest.approx(expect)
    assert 0.3 < expect < 1.0  # neither trivial nor chance: the comparison means something


def test_linear_probe_separates_and_does_not():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(400, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)  # linearly separable
    ring = (np.linalg.norm(X, axis=1) > 1.2).astype(np.int64)  # not linearly separable
    lin = inspect(nn.Sequential(nn.Identity()), X, y, measures=["probe"])
    circ = inspect(nn.Sequential(nn.Identity()), X, ring, measures=["probe"])
    assert lin.probe_all[0] >= 0.97
    assert circ.probe_all[0] < 0.8  # a line cannot cut a disc from its complement


# ---------------------------------------------------------------------------------- hooks
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(5, 5)
        self.act = nn.Tanh()

    def forward(self, x):
        return self.act(self.lin(x))


class Shared(nn.Module):
    """Nested modules and one block used twice (its hooks fire twice per pass)."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.stem = nn.Sequential(nn.Linear(3, 5), nn.ReLU())
        self.block = Block()
        self.head = nn.Linear(5, 2)

    def forward(self, x):
        h = self.stem(x)
        h = self.block(h)
        h = self.block(h + 1.0)  # the same parameters again
        return self.head(h)


def test_hooks_on_nested_and_shared_modules_match_a_manual_forward():
    m = Shared()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(70, 3)).astype(np.float32)
    y = rng.integers(0, 2, 70)
    cap = capture(m, X, y, ["stem.0", "block.act", "block.lin#2", "head"], subsample=100,
                  batch_size=16)  # fmt: skip
    assert cap.layers == ["input", "stem.0", "block.act#1", "block.act#2", "block.lin#2", "head"]
    with torch.no_grad():
        x = torch.as_tensor(cap.X)
        s0 = m.stem[0](x)
        h1 = m.block.act(m.block.lin(torch.relu(s0)))
        lin2 = m.block.lin(h1 + 1.0)
        h2 = torch.tanh(lin2)
        manual = {"stem.0": s0, "block.act#1": h1, "block.act#2": h2, "block.lin#2": lin2,
                  "head": m.head(h2)}  # fmt: skip
    for name, ref in manual.items():
        np.testing.assert_allclose(cap.reps[name], ref.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(cap.reps["input"], cap.X)
    # default layers: the top-level children (the block's two calls named apart)
    assert capture(m, X, y).layers == ["input", "stem", "block#1", "block#2", "head"]


class Listed(nn.Module):
    """Layers in a ModuleList (never called itself) and a module the forward pass skips."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(3, 4), nn.Linear(4, 2)])
        self.unused = nn.Linear(3, 3)

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        return x


def test_default_layers_open_module_lists_and_skip_unused_modules():
    X = np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32)
    cap = capture(Listed(), X, np.arange(10) % 2)
    assert cap.layers == ["input", "blocks.0", "blocks.1"]
    with pytest.raises(InputError, match="'unused' is never called"):
        capture(Listed(), X, np.arange(10) % 2, ["unused"])


def test_isotopy_network_default_layers_are_its_stages():
    from isotopy.nn import Network

    net = Network(2, (3, 3), "tanh", seed=1)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    cap = capture(net, X, y, subsample=50)
    trace = dict(net.trace(cap.X))
    assert cap.layers == ["input", *net.names]
    for name in net.names:
        np.testing.assert_allclose(cap.reps[name], trace[name], rtol=1e-6, atol=1e-7)


def test_unknown_layer_lists_the_valid_ones():
    with pytest.raises(InputError, match=r"no layer 'blok'; valid layers are: stem, stem\.0"):
        capture(Shared(), np.zeros((4, 3), np.float32), np.arange(4) % 2, ["blok"])
    with pytest.raises(InputError, match="called 2 time"):
        capture(Shared(), np.zeros((4, 3), np.float32), np.arange(4) % 2, ["block#3"])


def test_data_of_the_wrong_shape_is_one_sentence():
    with pytest.raises(InputError, match=r"cannot take inputs of shape \(4, 7\)"):
        inspect(Shared(), np.zeros((4, 7), np.float32), np.arange(4) % 2)
    from isotopy.nn import Network

    with pytest.raises(InputError, match="takes points of 2 features"):
        inspect(Network(2, (3,)), np.zeros((4, 3), np.float32), np.arange(4) % 2)
    with pytest.raises(InputError, match="same length"):
        inspect(Shared(), np.zeros((4, 3), np.float32), np.arange(5) % 2)


# ------------------------------------------------------------------------- bounded memory
class Wide(nn.Module):
    """Layers 1,500 wide that count the inputs they see."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.up = nn.Linear(4, 1500)
        self.act = nn.ReLU()
        self.seen = 0

    def forward(self, x):
        self.seen += len(x)
        return self.act(self.up(x))


def test_memory_is_bounded_by_the_subsample():
    import tracemalloc

    n, m, classes = 60_000, 40, 3

    def stream():  # 60,000 inputs that never exist at once; x[:, 0] is the input's index
        for a in range(0, n, 2000):
            idx = np.arange(a, min(a + 2000, n))
            x = np.zeros((len(idx), 4), np.float32)
            x[:, 0] = idx
            x[:, 1] = np.sin(idx)
            yield x, idx % classes

    model = Wide()
    tracemalloc.start()
    cap = capture(model, stream(), subsample=m, seed=5)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert model.seen == n  # every input went through the model
    assert cap.max_held <= m * classes
    for rep in cap.reps.values():
        assert len(rep) == m * classes
    # all 60,000 representations of the wide layers would be 2 x 360 MB; what was held
    # (numpy buffers and one batch's copies) stays far below it
    assert peak < 60e6
    kept = cap.X[:, 0].astype(int)
    assert len(set(kept)) == m * classes
    assert np.all(kept % classes == cap.y)
    assert kept.max() > n / 2  # a reservoir over the whole stream, not its first points
    again = capture(Wide(), stream(), subsample=m, seed=5)
    np.testing.assert_array_equal(again.X, cap.X)  # the same seed keeps the same points


def test_array_data_forward_only_the_subsample():
    model = Wide()
    X = np.random.default_rng(0).normal(size=(3000, 4)).astype(np.float32)
    y = np.arange(3000) % 3
    cap = capture(model, X, y, subsample=25)
    assert model.seen == 75 and cap.max_held == 75
    assert np.bincount(cap.y).tolist() == [25, 25, 25]


# -------------------------------------------------------------------------------- stretch
@pytest.mark.parametrize("d_in", [3, 20])  # exact SVD, and power iteration
def test_stretch_of_a_linear_map_is_its_largest_singular_value(d_in):
    torch.manual_seed(0)
    lin = nn.Linear(d_in, 7)
    x = torch.randn(6, d_in)
    norms = jacobian_norms(lambda v: [lin(v), torch.tanh(lin(v))], x)
    s_max = torch.linalg.matrix_norm(lin.weight.detach().double(), ord=2).item()
    np.testing.assert_allclose(norms[0], s_max, rtol=1e-4)
    for i in range(6):  # tanh: diag(1 - tanh²) W, against autograd's full Jacobian
        J = torch.autograd.functional.jacobian(lambda v: torch.tanh(lin(v)), x[i])
        assert norms[1, i] == pytest.approx(torch.linalg.matrix_norm(J, ord=2).item(), 1e-3)


# ------------------------------------------------------------------------- result object
def _small_result():
    from isotopy.nn import Network

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 2)).astype(np.float32)
    y = (np.linalg.norm(X, axis=1) > 1).astype(np.int64)
    return inspect(Network(2, (3,), "tanh", seed=0), X, y, subsample=60, stretch_points=4)


def test_result_json_dataframe_and_plot(tmp_path):
    res = _small_result()
    assert res.layers == ["input", "affine1", "tanh1", "readout"]
    assert set(res.seconds) >= {"forward", "betti", "knn", "probe", "twonn", "stretch"}
    text = res.to_json(tmp_path / "r.json")
    back = Inspection.from_json(tmp_path / "r.json")
    assert back.to_json() == text
    np.testing.assert_array_equal(back.betti, res.betti)
    df = res.to_dataframe()
    assert len(df) == len(res.layers) * (len(res.classes) + 1)
    assert {"layer", "depth", "class", "betti0", "betti1", "knn", "probe", "twonn"} <= set(
        df.columns
    )
    fig = res.plot()
    assert fig.axes and not any(a.get_title() == "" and not a.get_visible() for a in fig.axes[:1])
    fig.savefig(tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 1000
    assert "Inspection(4 layers" in repr(res)


def test_dataframe_without_pandas_is_one_sentence(monkeypatch):
    import builtins

    real = builtins.__import__

    def fake(name, *a, **k):
        if name == "pandas":
            raise ImportError("no pandas")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(InputError, match="needs pandas"):
        _small_result().to_dataframe()


def test_bad_options_are_one_sentence():
    X, y = np.zeros((10, 3), np.float32), np.arange(10) % 2
    with pytest.raises(InputError, match="unknown measure 'bety'"):
        inspect(Shared(), X, y, measures=["bety"])
    with pytest.raises(InputError, match="probe_fraction"):
        inspect(Shared(), X, y, probe_fraction=1.5)
    with pytest.raises(InputError, match="torch.nn.Module"):
        inspect(lambda x: x, X, y)


def test_layers_are_read_in_the_chart_of_their_activation():
    from isotopy.inspection import layer_chart

    model = nn.Sequential(
        nn.Linear(2, 12),
        nn.Tanh(),
        nn.Linear(12, 12),
        nn.LeakyReLU(0.2),
        nn.ReLU(),
        nn.Sequential(nn.Linear(12, 12), nn.Sigmoid()),
        nn.LeakyReLU(0.1),  # isotopy's own slope
    )
    charts = [layer_chart(model, n) for n in ["input", "0", "1", "3", "4", "5", "6"]]
    assert charts[:3] == [None, None, "tanh"] and charts[4:] == [None, "sigmoid", "leaky_relu"]
    spec = charts[3]  # a leaky ReLU of another slope gets its own inverse
    y = torch.tensor([-0.4, 0.0, 3.0])
    assert spec.name == "leaky_relu(0.2)"
    assert torch.allclose(spec.inverse(y), torch.tensor([-2.0, 0.0, 3.0]))
    # a saturating tanh layer (weights 10) on a circle: its chart reads the loop back
    torch.manual_seed(0)
    sat = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    with torch.no_grad():
        sat[0].weight.copy_(torch.tensor([[10.0, 2.0], [-3.0, 8.0]]))
        sat[0].bias.copy_(torch.tensor([0.5, -0.5]))
    rng = np.random.default_rng(3)
    X = _circle(400, rng)[:, :2].astype(np.float32)
    y = np.r_[np.zeros(395), np.ones(5)].astype(np.int64)
    import isotopy.topology

    seen = []
    real = isotopy.topology.betti_numbers

    def spy(Z, **kw):
        seen.append(kw.get("activation"))
        return real(Z, **kw)

    mp = pytest.MonkeyPatch()
    mp.setattr(isotopy.topology, "betti_numbers", spy)
    try:
        res = inspect(sat, X, y, measures=["betti"], subsample=400, betti_points=400)
        assert res.settings["charts"] == [None, None, "tanh"]
        assert seen == [None, None, None, None, "tanh", "tanh"]  # 3 layers x 2 classes
        assert res.betti[2, 0].tolist() == [1, 1]
        seen.clear()
        off = inspect(sat, X, y, measures=["betti"], chart=False, betti_points=400)
        assert seen == [None] * 6 and off.settings["charts"] == [None, None, None]
    finally:
        mp.undo()
    # a softplus whose linear branch starts early is not injective: no chart
    assert layer_chart(nn.Sequential(nn.Softplus()), "0") == "softplus"
    assert layer_chart(nn.Sequential(nn.Softplus(threshold=1.0)), "0") is None


def test_every_betti_number_names_its_reading_and_small_samples_are_not_resolved():
    rng = np.random.default_rng(4)
    a, r = rng.uniform(0, 2 * np.pi, 1200), np.sqrt(rng.uniform(0.0, 1.0, 1200))
    X = np.c_[r * np.cos(a), r * np.sin(a), np.zeros(1200)].astype(np.float32)
    y = np.repeat([0, 1], 600)
    small = inspect(Isometry(), X, y, measures=["betti"], subsample=600, betti_points=100)
    # a disc read from 100 points: β0 = 1, but "no loop" is below the reading's resolution
    assert (small.betti[:, :, 0] == 1).all() and not small.betti_resolved[:, :, 1].any()
    assert "(1, not resolved)" in small.table()
    assert small.table().splitlines()[-1].startswith("Betti: robust reading:")
    assert np.isnan(small.series("betti1")).all()
    assert all(r["betti1"] is None and r["betti1_resolved"] is False for r in small.rows()[:2])
    back = Inspection.from_json(small.to_json())
    np.testing.assert_array_equal(back.betti_resolved, small.betti_resolved)
    full = inspect(Isometry(), X, y, measures=["betti"], subsample=600)  # default: 500 points
    assert full.settings["betti_points"] == 500
    assert full.betti.tolist() == [[[1, 0], [1, 0]]] * 3 and full.betti_resolved.all()
    geo = inspect(Isometry(), X, y, measures=["betti"], subsample=600, reading="geodesic")
    assert "14-nearest-neighbour graph" in geo.settings["reading_rule"]


def test_an_input_shape_of_the_wrong_size_is_one_sentence():
    X, y = np.zeros((20, 3), np.float32), np.arange(20) % 2
    with pytest.raises(InputError, match=r"input shape 2,2 holds 4 values per input, but"):
        inspect(Isometry(), X, y, measures=["knn"], input_shape=(2, 2))
    with pytest.raises(InputError, match=r"integers >= 1"):
        inspect(Isometry(), X, y, measures=["knn"], input_shape=(0, 3))
