"""Paths of stages: GL+ paths, orientation by unit swaps, each stage's h(x, t)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from isotopy.nn import Network
from isotopy.nn.stages import Activation, Affine
from isotopy.paths import (
    complete_to_square,
    gl_plus_path,
    orient_network,
    permute_units,
    polar,
    rotation_path,
    stage_path,
)

TS = np.linspace(0.0, 1.0, 1000)


def _random_matrices(n, seeds=12):
    """Random W including det < 0 and nearly singular ones."""
    out = []
    for s in range(seeds):
        rng = np.random.default_rng(1000 * n + s)
        W = rng.normal(size=(n, n))
        out.append(W)
        U, _, Vt = np.linalg.svd(rng.normal(size=(n, n)))
        sv = np.sort(rng.uniform(0.5, 3, n))[::-1]
        sv[-1] = 10.0 ** rng.uniform(-6, -3)  # nearly singular
        out.append((U * sv) @ Vt)
    return out


def _orient(W):
    """Swap rows 0, 1 when det W < 0, as orient_network does for a layer's units."""
    if np.linalg.det(W) < 0:
        W = W.copy()
        W[[0, 1]] = W[[1, 0]]
    return W


@pytest.mark.parametrize("n", [2, 3, 5])
def test_gl_plus_path_stays_in_gl_plus_and_hits_w(n):
    mats = _random_matrices(n)
    assert any(np.linalg.det(W) < 0 for W in mats)  # the swap case is exercised
    for W in mats:
        V = _orient(W)
        assert np.linalg.det(V) > 0
        p = gl_plus_path(V)
        P = p.at(TS)
        dets = np.linalg.det(P)
        assert (dets > 0).all(), f"det p(t) <= 0 for W = {W}"
        np.testing.assert_allclose(P[0], np.eye(n), atol=1e-12)
        np.testing.assert_allclose(P[-1], V, atol=1e-6)
        # just before 1 the formula (not the special case t = 1) is also at W
        np.testing.assert_allclose(p(1 - 1e-9), V, atol=1e-6)


@pytest.mark.parametrize("n", [2, 3, 5])
def test_gl_plus_path_is_lipschitz_continuous(n):
    # |p'(t)| <= |log Q| max(1, |S|) + |S - I| <= π max(1, |S|) + |S - I| (2-norms)
    for W in _random_matrices(n, seeds=6):
        V = _orient(W)
        _, S = polar(V)
        bound = np.pi * max(1.0, np.linalg.norm(S, 2)) + np.linalg.norm(S - np.eye(n), 2)
        P = gl_plus_path(V).at(TS)
        steps = np.linalg.norm(np.diff(P, axis=0), ord=2, axis=(1, 2))
        assert steps.max() <= bound * (TS[1] - TS[0]) * 1.001


def test_rotation_near_pi_is_exact():
    for theta in [np.pi, np.pi - 1e-9, -np.pi + 1e-7, 3.0]:
        c, s = np.cos(theta), np.sin(theta)
        R = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])
        np.testing.assert_allclose(rotation_path(R, 1.0), R, atol=1e-9)
        half = rotation_path(R, 0.5)
        np.testing.assert_allclose(half @ half, R, atol=1e-9)
        np.testing.assert_allclose(half @ half.T, np.eye(3), atol=1e-12)
    # two eigenvalues exactly -1: a half turn in a plane
    Q = np.diag([-1.0, 1.0, -1.0])
    np.testing.assert_allclose(rotation_path(Q, 1.0), Q, atol=1e-12)
    assert np.linalg.det(rotation_path(Q, 0.37)) == pytest.approx(1.0)


def test_gl_plus_path_refuses_negative_det():
    with pytest.raises(ValueError, match="det W > 0"):
        gl_plus_path(np.diag([1.0, -1.0]))


def test_complete_to_square_embeds():
    rng = np.random.default_rng(3)
    for m, n in [(3, 2), (5, 3), (2, 1)]:
        W = rng.normal(size=(m, n))
        M = complete_to_square(W)
        assert np.linalg.det(M) > 0
        np.testing.assert_allclose(M[:, :n], W)
    assert complete_to_square(np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]])) is None


def _net(hidden, seed=0, d_in=2):
    return Network(d_in, hidden, "tanh", seed=seed)


def _set_weight(stage, W, b=None):
    with torch.no_grad():
        stage.weight[0] = torch.as_tensor(W, dtype=torch.float32)
        if b is not None:
            stage.bias[0] = torch.as_tensor(b, dtype=torch.float32)


def test_permuting_units_keeps_the_function():
    X = torch.as_tensor(np.random.default_rng(0).normal(size=(300, 2)), dtype=torch.float32)
    for seed in range(10):
        net = _net((2, 3, 2), seed=seed)
        for stage in (0, 2, 4):
            new = permute_units(net, stage, 0, 1)
            np.testing.assert_allclose(new(X).detach().numpy(), net(X).detach().numpy(), atol=1e-6)
            W0 = net.stages[stage].weight[0].detach().numpy()
            W1 = new.stages[stage].weight[0].detach().numpy()
            np.testing.assert_array_equal(W1, W0[[1, 0, *range(2, len(W0))]])


def test_orient_network_makes_square_layers_positive():
    X = torch.as_tensor(np.random.default_rng(1).normal(size=(200, 2)), dtype=torch.float32)
    flipped = 0
    for seed in range(12):
        net = _net((2, 2, 2), seed=seed)
        new, swaps = orient_network(net)
        flipped += len(swaps)
        for st in new.stages[:-1]:
            if isinstance(st, Affine) and st.d_in == st.d_out:
                assert np.linalg.det(st.weight[0].detach().double().numpy()) > 0
        np.testing.assert_allclose(new(X).detach().numpy(), net(X).detach().numpy(), atol=1e-6)
    assert flipped > 0


def test_permute_refuses_readout():
    with pytest.raises(ValueError, match="cannot be permuted"):
        permute_units(_net((2,)), 2, 0, 0)


def test_stage_paths_start_at_identity_and_end_at_the_stage():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(50, 2))
    net = _net((2, 3, 1))
    h = torch.as_tensor(x, dtype=torch.float32)[None]
    for st in net.stages[:-1]:
        p = stage_path(st)
        xin = h[0].double().numpy()
        with torch.no_grad():
            out = st(h)
        np.testing.assert_allclose(p(xin, 0.0)[:, : xin.shape[1]], xin, atol=1e-12)
        assert np.abs(p(xin, 0.0)[:, xin.shape[1] :]).max(initial=0) == 0
        end = p(xin, 1.0)
        np.testing.assert_allclose(end[:, : st.d_out], out[0].detach().double().numpy(), atol=1e-5)
        assert np.abs(end[:, st.d_out :]).max(initial=0) < 1e-6
        h = out
    kinds = [stage_path(st).kind for st in net.stages[:-1]]
    assert (
        kinds == ["gl+", "activation", "embedding", "activation", "projection", "activation"]
        or kinds[0] == "reflection"
    )


def test_flags_singular_reflection_projection_and_relu():
    a = Affine(2, 2)
    _set_weight(a, [[1.0, 2.0], [2.0, 4.0]])
    p = stage_path(a)
    assert p.kind == "singular" and not p.isotopy and "not a homeomorphism" in p.note
    _set_weight(a, [[0.0, 1.0], [1.0, 0.0]])  # det -1, cannot be oriented on its own
    assert stage_path(a).kind == "reflection" and not stage_path(a).isotopy
    _set_weight(a, [[2.0, 1.0], [0.5, 1.0]])
    assert stage_path(a).kind == "gl+" and stage_path(a).isotopy
    proj = stage_path(Affine(3, 2))
    assert proj.kind == "projection" and not proj.isotopy
    assert not stage_path(Activation("relu", 2)).isotopy
    assert stage_path(Activation("tanh", 2)).isotopy


def test_affine_path_homeomorphism_at_every_t():
    # each intermediate map of an isotopy path is injective: its Jacobian has det > 0
    rng = np.random.default_rng(7)
    a = Affine(3, 3)
    for _ in range(5):
        W = _orient(rng.normal(size=(3, 3)))
        _set_weight(a, W, rng.normal(size=3))
        p = stage_path(a)
        E = np.eye(3)
        for t in np.linspace(0, 1, 101):
            J = p(E, t) - p(np.zeros((1, 3)), t)  # rows: images of basis vectors minus origin
            assert np.linalg.det(J) > 0


def test_custom_stage_paths_plug_in():
    from isotopy.paths import STAGE_PATHS, StagePath, register_path

    @register_path("test_shift")
    def _shift(stage, index=0):
        return StagePath(lambda x, t: x + t, 2, 2, True, "shift", "x + t")

    try:

        class Fake:
            type_name = "test_shift"

        p = stage_path(Fake())
        np.testing.assert_allclose(p(np.zeros((1, 2)), 0.5), [[0.5, 0.5]])
    finally:
        STAGE_PATHS.pop("test_shift")


def test_stage_with_its_own_path_method():
    """A stage type that defines path(x, t) (e.g. a vector field x + t·v(x)) plugs in."""
    from isotopy.nn.stages import Stage

    class Shift(Stage):
        type_name = "test_shift_method"

        def __init__(self):
            super().__init__()
            self.d_in = self.d_out = 2
            self.n_networks = 2

        def forward(self, x):
            return x + torch.tensor([1.0, -2.0])

        def path(self, x, t):
            return x + t * torch.tensor([1.0, -2.0])

        def is_homeomorphism(self):
            return torch.ones(2, dtype=torch.bool)

    p = stage_path(Shift(), index=1)
    assert p.isotopy and p.kind == "test_shift_method"
    np.testing.assert_allclose(p(np.zeros((3, 2)), 0.25), [[0.25, -0.5]] * 3, atol=1e-7)
