"""The fused training backend (isotopy.train.backends.fused) against the stage modules and
autograd."""

from __future__ import annotations

import os
import shutil
import warnings

import numpy as np
import pytest
import torch

import isotopy.train.backends as backends
from isotopy import Network, fit, make_dataset
from isotopy.train.backends import compiled, fused


@pytest.fixture(autouse=True)
def own_cache(tmp_path_factory, monkeypatch):
    """Kernels built here go to a cache folder of this test session, not the user's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="module")
def can_build():
    if not (os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++")):
        pytest.skip("the fused kernel needs a C++ compiler")


def _reference(net, X, y):
    """Loss, hits and gradients of every network by the stage modules in float64."""
    ref = Network.from_config(net.config()).double()
    with torch.no_grad():
        for a, b in zip(ref.parameters(), net.parameters(), strict=True):
            a.copy_(b)
    logits = ref(X.double())
    logits = logits.unsqueeze(0) if logits.dim() == 2 else logits
    loss = ref.loss(logits, y)
    grads = torch.autograd.grad(loss.sum(), list(ref.parameters()))
    hits = ((logits[..., 0] > 0) == y.bool()).sum(-1)
    return loss.detach(), hits, grads, logits.detach()[..., 0]


ARCHITECTURES = [  # d_in, hidden, activation, points (not multiples of 24: the partial step)
    (2, (2, 2, 2), "tanh", 200),
    (3, (4,), "relu", 37),
    (1, (3, 2), "sigmoid", 50),
    (2, (2,), "softplus", 24),
    (2, (3, 3), "leaky_relu", 61),
    (2, (2,), "identity", 5),
]


def test_every_activation_is_checked_against_autograd():
    """A new activation of the registry (and of the activation table) joins ARCHITECTURES."""
    from isotopy.nn.activations import ACTIVATIONS

    assert {a for _, _, a, _ in ARCHITECTURES} == set(ACTIVATIONS)
    assert all(fused.supports(Network(2, (2,), a, 2)) for a in ACTIVATIONS)


@pytest.mark.parametrize("d_in,hidden,activation,n_points", ARCHITECTURES)
@pytest.mark.parametrize("shared", [True, False])
def test_kernel_matches_stage_code_and_autograd(
    can_build, d_in, hidden, activation, n_points, shared
):
    g = torch.Generator().manual_seed(n_points)
    n_net = 5
    net = Network(d_in, hidden, activation, 2, n_networks=n_net, seed=3)
    with torch.no_grad():  # weights large enough for saturated and negative regions
        for p in net.parameters():
            p.mul_(2.5)
    if shared:  # full batch: one (B, d) set for all networks, stored point-last like fit's
        X = torch.randn(n_points, d_in, generator=g) * 1.5
        y = (torch.rand(n_points, generator=g) < 0.5).long()
        xb = X.T.contiguous().T
    else:  # mini-batches: each network its own points, (N, B, d) stored as (N, d, B)
        X = torch.randn(n_net, n_points, d_in, generator=g) * 1.5
        y = (torch.rand(n_net, n_points, generator=g) < 0.5).long()
        xb = X.transpose(1, 2).contiguous().transpose(1, 2)
    assert fused.supports(net)
    loss, hits = fused.objective(net)(xb, y, y.bool())
    grads = torch.autograd.grad(loss.sum(), list(net.parameters()))
    ref_loss, ref_hits, ref_grads, z = _reference(net, X, y)
    np.testing.assert_allclose(loss.detach().double(), ref_loss, rtol=2e-6, atol=1e-7)
    # hits agree except for points whose logit is within float32 rounding of 0
    ties = (z.abs() < 1e-5).sum(-1)
    assert ((hits.double() - ref_hits.double()).abs() <= ties).all()
    for got, want in zip(grads, ref_grads, strict=True):
        assert got.shape == want.shape
        scale = float(want.abs().max())
        np.testing.assert_allclose(got.double(), want, rtol=0, atol=2e-6 * max(scale, 1.0))


def test_kernel_results_do_not_depend_on_the_other_networks(can_build):
    X, y = make_dataset("disc_annulus", 99, seed=0)
    xb = torch.as_tensor(X).T.contiguous().T
    yb = torch.as_tensor(y)
    many = Network(2, (2, 3), "tanh", 2, n_networks=7, seed=10)
    loss, hits = fused.objective(many)(xb, yb, yb.bool())
    grads = torch.autograd.grad(loss.sum(), list(many.parameters()))
    for i in (0, 4):
        one = many.select(i)
        loss1, hits1 = fused.objective(one)(xb, yb, yb.bool())
        grads1 = torch.autograd.grad(loss1.sum(), list(one.parameters()))
        assert float(loss1[0].detach()) == float(loss[i].detach())
        assert float(hits1[0]) == float(hits[i])
        for a, b in zip(grads1, grads, strict=True):
            torch.testing.assert_close(a[0], b[i], rtol=0, atol=0)


@pytest.mark.parametrize(
    "activation", ["tanh", "sigmoid", "softplus", "relu", "leaky_relu", "identity"]
)
def test_non_finite_parameters_give_a_non_finite_loss(can_build, activation):
    """A diverging network must show as NaN/inf for fit to stop it (no fast-math here)."""
    X, y = make_dataset("disc_annulus", 40, seed=0)
    xb = torch.as_tensor(X).T.contiguous().T
    yb = torch.as_tensor(y)
    net = Network(2, (2, 2), activation, 2, n_networks=4, seed=0)
    with torch.no_grad():
        net.stages[0].weight[1, :, :] = float("nan")  # every unit, so that relu cannot drop it
        net.stages[-1].weight[2, 0, 0] = float("inf")
    loss, _ = fused.objective(net)(xb, yb, yb.bool())
    ref_loss = _reference(net, torch.as_tensor(X), yb)[0]
    assert torch.isfinite(loss).tolist() == torch.isfinite(ref_loss).tolist()
    assert torch.isfinite(loss).tolist() == [True, False, False, True]


def test_infinite_logits_give_a_non_finite_loss(can_build):
    """Logits that overflow to ±inf have no finite loss in torch either (inf - inf)."""
    X, y = make_dataset("disc_annulus", 40, seed=0)
    xb = torch.as_tensor(X).T.contiguous().T
    yb = torch.as_tensor(y)
    net = Network(2, (2,), "identity", 2, n_networks=2, seed=0)
    with torch.no_grad():
        net.stages[0].weight[1] *= 1e30
        net.stages[-1].weight[1] = 1e30
    loss, _ = fused.objective(net)(xb, yb, yb.bool())
    with torch.no_grad():  # uncompiled float32 training's loss
        ref_loss = net.loss(net(torch.as_tensor(X)), yb)
    assert torch.isfinite(loss).tolist() == torch.isfinite(ref_loss).tolist() == [True, False]


def test_loss_and_gradients_keep_their_precision_over_many_points(can_build):
    g = torch.Generator().manual_seed(0)
    X = torch.randn(300_000, 2, generator=g)
    y = (X.norm(dim=1) < 1.2).long()
    net = Network(2, (2, 2), "tanh", 2, n_networks=2, seed=1)
    loss, _ = fused.objective(net)(X.T.contiguous().T, y, y.bool())
    grads = torch.autograd.grad(loss.sum(), list(net.parameters()))
    ref_loss, _, ref_grads, _ = _reference(net, X, y)
    np.testing.assert_allclose(loss.detach().double(), ref_loss, rtol=1e-6)
    for got, want in zip(grads, ref_grads, strict=True):
        np.testing.assert_allclose(
            got.double(), want, rtol=0, atol=2e-6 * max(float(want.abs().max()), 1e-3)
        )


def test_fit_stops_a_broken_network_as_uncompiled_fit_does(can_build):
    """relu networks too: a NaN weight must stop that network (relu(NaN) is NaN)."""
    X, y = make_dataset("disc_annulus", 120, seed=1)

    def run(compile):
        net = Network(2, (3, 3), "relu", 2, n_networks=3, seed=5)

        def breaker(step, steps):
            if step == 10:
                with torch.no_grad():
                    net.stages[0].weight[1, 0, 0] = float("nan")

        hist = fit(net, X, y, steps=25, lr=0.03, seed=2, compile=compile, progress=breaker)
        return net, hist

    net_f, h_f = run(True)
    net_e, h_e = run(False)
    assert h_f.stopped_at.tolist() == h_e.stopped_at.tolist() == [-1, 10, -1]
    for a, b in zip(net_f.parameters(), net_e.parameters(), strict=True):
        torch.testing.assert_close(a[[0, 2]], b[[0, 2]], atol=1e-4, rtol=1e-4)


def test_supports_only_what_it_computes():
    assert fused.supports(Network(2, (2, 2), "tanh", 2))
    assert not fused.supports(Network(2, (2, 2), "tanh", 3))  # softmax: torch.compile
    assert not fused.supports(Network(2, (2,), "tanh", 2).double())
    assert fused.supports(Network(2, (17, 17), "tanh", 2))  # 375 parameters
    assert not fused.supports(Network(2, (18, 18), "tanh", 2))  # 415: more than 400
    from isotopy.nn.vector_field import VectorField

    flow = Network.from_stages([VectorField(2, 3), *Network(2, (2,)).stages], 2)
    assert not fused.supports(flow)


def _train(compile, batch_size=None, n_networks=3, seed=4):
    X, y = make_dataset("disc_annulus", 150, seed=1)
    net = Network(2, (3, 2), "tanh", 2, n_networks=n_networks, seed=seed)
    hist = fit(
        net,
        X,
        y,
        steps=40,
        lr=0.03,
        seed=2,
        batch_size=batch_size,
        record_every=20,
        compile=compile,
    )
    return net, hist


@pytest.mark.parametrize("batch_size", [None, 32])
def test_fit_with_the_kernel_equals_uncompiled_fit(can_build, batch_size, monkeypatch):
    used = []
    real = fused.objective
    monkeypatch.setattr(fused, "objective", lambda net: used.append(net) or real(net))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a fallback would warn
        net_f, h_f = _train(True, batch_size)
    assert used  # it really went through the kernel
    net_e, h_e = _train(False, batch_size)
    for a, b in zip(net_f.parameters(), net_e.parameters(), strict=True):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(h_f.loss, h_e.loss, atol=1e-5)
    np.testing.assert_allclose(h_f.train_accuracy, h_e.train_accuracy, atol=1 / 150 + 1e-9)
    # batched = individual: network 2 of the batch (initialised with seed 4 + 2, batch order
    # seed 2 + 2) equals that network trained alone
    X, y = make_dataset("disc_annulus", 150, seed=1)
    one = Network(2, (3, 2), "tanh", 2, n_networks=1, seed=6)
    fit(one, X, y, steps=40, lr=0.03, seed=4, batch_size=batch_size, record_every=20, compile=True)
    for a, b in zip(one.parameters(), net_f.parameters(), strict=True):
        torch.testing.assert_close(a[0], b[2], atol=1e-6, rtol=1e-6)


def test_failed_build_warns_and_trains_through_torch_compile(monkeypatch):
    monkeypatch.setattr(compiled, "_FAILED", set())
    monkeypatch.setattr(backends, "_FAILED", set())

    def broken(source):
        raise RuntimeError("g++ failed: step.cpp:1:1: error: no such thing")

    def no_compiler(fn, **kwargs):  # torch.compile without a compiler either
        def run(*args):
            raise RuntimeError("no C++ compiler found")

        return run

    monkeypatch.setattr(fused, "load", broken)
    monkeypatch.setattr(compiled.torch, "compile", no_compiler)
    with pytest.warns(RuntimeWarning) as caught:
        net_c, h_c = _train(True, n_networks=2)
    said = [str(w.message) for w in caught]
    assert any(
        "fused training kernel could not be built" in m and "error: no such" in m for m in said
    )
    assert any("torch.compile failed" in m for m in said)
    net_e, h_e = _train(False, n_networks=2)
    for a, b in zip(net_c.parameters(), net_e.parameters(), strict=True):
        torch.testing.assert_close(a, b, atol=0, rtol=0)  # trained eagerly
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # not tried again: no second warning
        _train(True, n_networks=2)


def test_build_is_cached_whole_in_its_folder(can_build, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(fused, "_LIBS", {})
    source = fused.kernel_source(Network(2, (2,), "tanh", 2))
    fused.load(source)
    files = os.listdir(tmp_path / "isotopy" / "fused")
    assert len(files) == 1 and files[0].endswith(".so")  # no temporary files left behind
    stamp = os.path.getmtime(tmp_path / "isotopy" / "fused" / files[0])
    monkeypatch.setattr(fused, "_LIBS", {})
    monkeypatch.setattr(fused.subprocess, "run", None)  # a second build would fail
    fused.load(source)
    assert os.path.getmtime(tmp_path / "isotopy" / "fused" / files[0]) == stamp
