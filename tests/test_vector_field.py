"""The RBF vector-field stage: formula, gradients, Lipschitz certificate, path, flow, views."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from isotopy.errors import InputError
from isotopy.nn import Affine, Network, VectorField, init_anchors, kmeans
from isotopy.train import fit


def _stage(mode="residual", n_networks=2, dim=2, m=5, seed=0, **kw):
    st = VectorField(dim, m, sigma=0.7, mode=mode, n_networks=n_networks, **kw).double()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        st.vectors.copy_(torch.randn(st.vectors.shape, generator=g, dtype=torch.float64) * 0.5)
        st.anchors.copy_(torch.randn(st.anchors.shape, generator=g, dtype=torch.float64))
    return st


def test_formula_against_a_direct_sum():
    st = _stage(max_lipschitz=None)
    x = torch.randn(2, 7, 2, dtype=torch.float64)
    out = st(x)
    for n in range(2):
        for b in range(7):
            v = sum(
                st.vectors[n, i]
                * math.exp(-float((x[n, b] - st.anchors[n, i]).pow(2).sum()) / (2 * 0.7**2))
                for i in range(5)
            )
            torch.testing.assert_close(out[n, b], x[n, b] + v)


@pytest.mark.parametrize(
    "kw",
    [
        dict(max_lipschitz=None),
        dict(max_lipschitz=0.5, learn_sigma=True, learn_anchors=True),
        dict(mode="flow", max_lipschitz=None, flow_steps=3),
    ],
)
def test_gradcheck_float64(kw):
    mode = kw.pop("mode", "residual")
    st = _stage(
        mode,
        learn_sigma=kw.pop("learn_sigma", False),
        learn_anchors=kw.pop("learn_anchors", False),
        **kw,
    )
    x = torch.randn(2, 4, 2, dtype=torch.float64, requires_grad=True)
    params = list(st.parameters())
    inputs = (x, *[p.detach().clone().requires_grad_(True) for p in params])
    # gradients with respect to the input
    assert torch.autograd.gradcheck(lambda x: st(x), (x,))
    # and to every learnable parameter, through a functional call
    assert torch.autograd.gradcheck(
        lambda x, *ps: torch.func.functional_call(
            st, {n: p for (n, _), p in zip(st.named_parameters(), ps, strict=True)}, (x,)
        ),
        inputs,
    )


def test_lipschitz_bound_holds_and_is_enforced():
    st = _stage(max_lipschitz=None, seed=1)
    pts = torch.randn(400, 2, dtype=torch.float64) * 1.5
    raw = st.lipschitz_bound()
    assert (st.jacobian_norm(pts) <= raw + 1e-12).all()
    assert (raw > 1).all() and not st.is_homeomorphism().any()
    st.max_lipschitz = 0.8
    assert torch.allclose(st.lipschitz_bound(), torch.full((2,), 0.8, dtype=torch.float64))
    assert (st.jacobian_norm(pts) <= 0.8 + 1e-12).all() and st.is_homeomorphism().all()
    # injective in practice: distances shrink by at most (1 - L)
    y = st(pts.expand(2, -1, -1))

    def dist(a):
        return (a[:, None] - a[None]).norm(dim=-1)

    for n in range(2):
        assert (dist(y[n]) >= (1 - 0.8) * dist(pts) - 1e-9).all()


def test_residual_path_and_inverse():
    st = _stage(max_lipschitz=0.9)
    x = torch.randn(2, 50, 2, dtype=torch.float64)
    torch.testing.assert_close(st.path(x, 0.0), x)
    torch.testing.assert_close(st.path(x, 1.0), st(x))
    torch.testing.assert_close(st.path(x, 0.5), x + 0.5 * st.field(x))
    torch.testing.assert_close(st.inverse(st(x)), x, atol=1e-8, rtol=0)
    with pytest.raises(InputError, match=r"time must be in \[0, 1\]"):
        st.path(x, 1.5)
    free = _stage(max_lipschitz=None, seed=1)
    with pytest.raises(InputError, match="Lipschitz bound is not below 1"):
        free.inverse(x)


def test_flow_matches_a_fine_euler_integration_and_inverts():
    st = _stage("flow", max_lipschitz=None, flow_steps=20)
    x = torch.randn(2, 30, 2, dtype=torch.float64)
    h = x.clone()
    for _ in range(4000):
        h = h + st.field(h) / 4000
    torch.testing.assert_close(st(x), h, atol=2e-3, rtol=0)
    torch.testing.assert_close(st.inverse(st(x)), x, atol=1e-5, rtol=0)
    torch.testing.assert_close(st.path(x, 0.0), x)
    assert st.is_homeomorphism().all()


def test_anchors_from_data_random_and_kmeans():
    rng = np.random.default_rng(0)
    blobs = np.concatenate([rng.normal(c, 0.05, size=(50, 2)) for c in [(0, 0), (3, 0), (0, 3)]])
    C = kmeans(blobs, 3, seed=0)
    assert sorted(np.round(C).tolist()) == [[0, 0], [0, 3], [3, 0]]
    st = VectorField(2, 3, n_networks=2)
    st.set_anchors(blobs, method="random", seed=4)
    for n in range(2):  # each anchor is one of the points
        a = st.anchors[n].numpy()
        assert np.isclose(((blobs[None] - a[:, None]) ** 2).sum(-1).min(1), 0).all()
    assert not torch.equal(st.anchors[0], st.anchors[1])
    with pytest.raises(InputError, match="choose one of: kmeans, random"):
        st.set_anchors(blobs, method="grid")
    with pytest.raises(InputError, match="3 anchors need at least as many points"):
        st.set_anchors(blobs[:2])


def test_mixed_network_trains_and_round_trips():
    from isotopy.datasets import make_dataset

    X, y = make_dataset("disc_annulus", 200, seed=0)
    stages = [
        VectorField(2, 8, n_networks=2),
        Affine(2, 3, n_networks=2),
        VectorField(3, 8, sigma=0.6, learn_sigma=True, n_networks=2),
    ]
    net = Network.from_stages(stages, 2, seed=0)
    init_anchors(net, X)
    hist = fit(net, X, y, steps=120, lr=0.03)
    assert hist.loss[:, -1].max() < hist.loss[:, 0].min()
    again = Network.from_config(net.config())
    again.load_state_dict(net.state_dict())
    torch.testing.assert_close(again(X), net(X))
    # max_lipschitz 0.9 by default: the field the forward pass uses obeys it (certified bound
    # of the rescaled vectors, and the measured Jacobian norm on the stage's inputs)
    st, h = net.stages[2], net.forward_all(X)[2].detach()
    eff = math.exp(-0.5) * (st.effective_vectors().norm(dim=-1) / st.sigma).sum(-1)
    assert (eff <= st.max_lipschitz + 1e-6).all()
    assert (st.jacobian_norm(h) <= eff + 1e-6).all()
    one = net.select(1)
    torch.testing.assert_close(one(X), net(X)[1])
    assert "field 2d×8" in repr(net)


def test_bad_options():
    with pytest.raises(InputError, match="choose one of: flow, residual"):
        VectorField(2, 4, mode="spin")
    with pytest.raises(InputError, match="sigma must be a number > 0"):
        VectorField(2, 4, sigma=0)
    with pytest.raises(InputError, match="unknown ODE solver 'rk5'"):
        VectorField(2, 4, mode="flow", solver="rk5")
    with pytest.raises(InputError, match="max_lipschitz must be"):
        VectorField(2, 4, max_lipschitz=-1)


def test_views_arrays_and_figures():
    import matplotlib

    matplotlib.use("Agg")
    from isotopy.nn.vector_field import deformed_grid, field_on_grid
    from isotopy.render.vector_field import plot_deformed_grid, plot_vector_field

    st = _stage(max_lipschitz=0.9).float()
    X, Y, U, V = field_on_grid(st, network=1, domain=(-2, 2, -1, 1), resolution=9)
    assert X.shape == U.shape == (9, 9) and X.min() == -2 and Y.max() == 1
    P = torch.tensor(np.stack([X.ravel(), Y.ravel()], 1), dtype=torch.float32)
    np.testing.assert_allclose(
        np.stack([U.ravel(), V.ravel()], 1),
        st.field(P.expand(2, -1, -1))[1].detach().numpy(),
        atol=1e-6,
    )
    lines = deformed_grid(st, t=0.0, n_lines=4, samples=10)
    assert len(lines) == 8 and lines[0].shape == (10, 2)
    assert np.allclose(lines[0][:, 0], -1.5)  # t = 0: the undeformed grid
    pts = np.random.default_rng(0).normal(size=(30, 2))
    from matplotlib.collections import LineCollection
    from matplotlib.quiver import Quiver

    for kind, artist in (("arrows", Quiver), ("streamlines", LineCollection)):
        fig = plot_vector_field(st, kind=kind, points=pts, labels=np.arange(30) % 2)
        assert any(isinstance(c, artist) for c in fig.axes[0].collections)
    fig = plot_deformed_grid(st, points=pts, t=0.5)
    assert len(fig.axes[0].lines) == 30
    with pytest.raises(InputError, match="arrows, streamlines"):
        plot_vector_field(st, kind="quiver")
    with pytest.raises(InputError, match="draw 2-D fields"):
        field_on_grid(VectorField(3, 4))


@pytest.mark.parametrize(
    "missing, extra",
    [(["torchdiffeq"], "knn"), (["scipy"], "knn"), (["scipy", "torchdiffeq"], "knn")],
)
def test_a_missing_optional_module_is_one_sentence_naming_the_extra(monkeypatch, missing, extra):
    import sys

    for name in missing:
        monkeypatch.setitem(sys.modules, name, None)  # its import now fails
    with pytest.raises(InputError) as err:
        VectorField(2, 4)
    msg = str(err.value)
    assert msg.endswith(f"pip install 'isotopy[{extra}]'") and "\n" not in msg
    assert " and ".join(missing) + (" is" if len(missing) == 1 else " are") in msg


def test_the_stage_reports_a_module_that_fails_at_use(monkeypatch):
    import sys

    st = _stage(mode="flow", n_networks=1)
    monkeypatch.setitem(sys.modules, "torchdiffeq", None)
    with pytest.raises(
        InputError, match=r"torchdiffeq is not installed: pip install 'isotopy\[knn\]'"
    ):
        st(torch.zeros(1, 3, 2, dtype=torch.float64))
    monkeypatch.setitem(sys.modules, "scipy.cluster.vq", None)
    with pytest.raises(InputError, match=r"scipy is not installed: pip install 'isotopy\[knn\]'"):
        kmeans(np.zeros((10, 2)), 3)


def test_importing_needs_neither_optional_module():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "sys.modules['scipy'] = sys.modules['torchdiffeq'] = None\n"
        "from isotopy.errors import InputError\n"
        "from isotopy.nn import VectorField\n"
        "try:\n"
        "    VectorField(2)\n"
        "except InputError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("pip install 'isotopy[knn]'")
