"""The torch.compile backend: the same networks as eager training; nothing compiles unasked."""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pytest
import torch

from isotopy import Network, fit, make_dataset
from isotopy.train import Trainer
from isotopy.train.backends import compiled, fused
from isotopy.train.backends.tanh import TANH_CLAMP, tanh_rational


@pytest.fixture(scope="module")
def can_compile():
    """Skips unless torch.compile works here at all (a C++ compiler, Python headers)."""
    if shutil.which("c++") is None and shutil.which("g++") is None:
        pytest.skip("torch.compile needs a C++ compiler on the CPU")
    try:
        torch.compile(lambda x: x * 2 + 1)(torch.ones(3))
    except Exception as e:  # noqa: BLE001 - any failure means this machine cannot compile
        pytest.skip(f"torch.compile cannot build C++ code on this machine ({e})")


def test_rational_tanh_is_tanh():
    x = torch.linspace(-30, 30, 600_001)
    y = tanh_rational(x)
    assert float((y.double() - torch.tanh(x.double())).abs().max()) < 4e-7
    assert float(y.abs().max()) <= 1.0
    torch.testing.assert_close(tanh_rational(-x), -y, rtol=0, atol=0)  # odd, exactly
    # tiny inputs keep their relative precision (tanh(x) = x(1 - x²/3 + ...))
    small = torch.logspace(-30, -2, 1000)
    rel = (tanh_rational(small).double() / torch.tanh(small.double()) - 1).abs().max()
    assert float(rel) < 3e-7
    assert float(tanh_rational(torch.tensor(TANH_CLAMP + 5.0))) == float(
        tanh_rational(torch.tensor(TANH_CLAMP))
    )


def test_log1p_series_is_log1p():
    z = torch.linspace(-80, 80, 400_001)
    ref = torch.log1p(torch.exp(-z.double().abs()))
    got = compiled.log1p_exp_neg_abs(z).double()
    assert float(((got - ref) / ref).abs().max()) < 3e-7
    assert (
        float(compiled.log1p_exp_neg_abs(torch.tensor(500.0))) == 0.0
    )  # e^-500 underflows: no NaN


def test_compiled_bce_is_bce_for_both_labels():
    import torch.nn.functional as F

    z = torch.linspace(-60, 60, 24_001).repeat(2)
    t = torch.cat([torch.zeros(24_001), torch.ones(24_001)])
    zr = z.double().requires_grad_()
    ref = F.binary_cross_entropy_with_logits(zr, t.double(), reduction="none")
    (ref_grad,) = torch.autograd.grad(ref.sum(), zr)
    zg = z.clone().requires_grad_()
    got = compiled.BCEWithLogits.apply(zg, t)
    (grad,) = torch.autograd.grad(got.sum(), zg)
    # relative where the loss is large, absolute (float32 rounding of z ~ 1) where it is tiny
    err = (got.detach().double() - ref.detach()).abs() / ref.detach().clamp_min(1.0)
    assert float(err.max()) < 4e-7
    torch.testing.assert_close(grad.double(), ref_grad, rtol=0, atol=1e-7)


def _train(compile, n_classes=2, batch_size=None, n_networks=3, dtype=torch.float32, penalty=None):
    # every test uses its own n_networks: a distinct compiled program per test
    name = "disc_annulus" if n_classes == 2 else "spirals"
    X, y = make_dataset(name, 160, seed=1)
    y = y if n_classes == 2 else (y + (X[:, 0] > 0)) % 3
    net = Network(2, (3, 2), "tanh", n_classes, n_networks=n_networks, seed=4).to(dtype)
    # these tests are about torch.compile's code: networks that the fused kernel supports
    # (tested in test_fused.py) go through torch.compile here too
    hist = fit(
        net,
        X,
        y,
        steps=40,
        lr=0.03,
        seed=2,
        batch_size=batch_size,
        record_every=20,
        backend="compile" if compile else None,
        penalty=penalty,
    )
    return net, hist


@pytest.mark.parametrize(
    "n_classes,batch_size,n_networks,dtype,tol",
    [
        (2, None, 3, torch.float32, 1e-4),
        (3, 32, 4, torch.float32, 1e-4),
        (2, 16, 1, torch.float32, 1e-4),
        (2, None, 2, torch.float64, 1e-9),  # float64 compiles with the exact tanh and loss
    ],
)
def test_compiled_training_equals_uncompiled(
    can_compile, n_classes, batch_size, n_networks, dtype, tol
):
    from torch._dynamo.utils import counters

    graphs = counters["stats"]["unique_graphs"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a fallback to eager would warn
        net_c, h_c = _train(True, n_classes, batch_size, n_networks, dtype)
    assert counters["stats"]["unique_graphs"] > graphs  # it really was compiled
    net_e, h_e = _train(False, n_classes, batch_size, n_networks, dtype)
    for a, b in zip(net_c.parameters(), net_e.parameters(), strict=True):
        assert a.dtype == dtype
        torch.testing.assert_close(a, b, atol=tol, rtol=tol)
    np.testing.assert_allclose(h_c.loss, h_e.loss, atol=tol / 10)
    np.testing.assert_allclose(h_c.train_accuracy, h_e.train_accuracy, atol=1 / 160 + 1e-9)
    np.testing.assert_allclose(h_c.final_train_accuracy, h_e.final_train_accuracy)
    # a second set of networks of this architecture reuses the compiled code
    graphs = counters["stats"]["unique_graphs"]
    _train(True, n_classes, batch_size, n_networks, dtype)
    assert counters["stats"]["unique_graphs"] == graphs


def test_compiled_nan_stop_matches_uncompiled(can_compile):
    def poisoned():
        state = {"calls": 0}

        def penalty(net, xb):
            state["calls"] += 1
            out = torch.zeros(net.n_networks)
            if state["calls"] > 12:
                out[1] = float("nan")
            return out

        return penalty

    net_c, h_c = _train(True, n_networks=5, penalty=poisoned())
    net_e, h_e = _train(False, n_networks=5, penalty=poisoned())
    assert h_c.stopped == h_e.stopped and "network 1" in h_c.stopped
    np.testing.assert_array_equal(h_c.stopped_at, h_e.stopped_at)
    for a, b in zip(net_c.parameters(), net_e.parameters(), strict=True):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


def test_compiled_tanh_with_fma_is_tanh(can_compile):
    x = torch.linspace(-12, 12, 200_001)
    y = torch.compile(lambda v: compiled.TanhRational.apply(v), options=compiled._OPTIONS)(x)
    assert float((y.double() - torch.tanh(x.double())).abs().max()) < 4e-7


@pytest.mark.parametrize("where", ["forward", "backward"])
def test_failed_compile_trains_uncompiled(monkeypatch, where):
    monkeypatch.setattr(compiled, "_FAILED", set())  # this test's failures stay here
    if where == "forward":

        def broken(fn, **kwargs):
            def run(*args):
                raise RuntimeError("no C++ compiler found")

            return run

        monkeypatch.setattr(compiled.torch, "compile", broken)
    else:  # the lazily compiled backward pass fails: seen on the first call
        monkeypatch.setattr(compiled.torch, "compile", lambda fn, **kwargs: fn)

        def broken_grad(*args, **kwargs):
            raise RuntimeError("no C++ compiler found")

        monkeypatch.setattr(compiled.torch.autograd, "grad", broken_grad)
    with pytest.warns(RuntimeWarning, match="torch.compile failed.*no C.. compiler"):
        net_c, h_c = _train(True, n_networks=6)
    assert len(compiled._FAILED) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # not tried again: no second warning
        _train(True, n_networks=6)
    net_e, h_e = _train(False, n_networks=6)
    for a, b in zip(net_c.parameters(), net_e.parameters(), strict=True):
        torch.testing.assert_close(a, b, atol=0, rtol=0)
    np.testing.assert_array_equal(h_c.loss, h_e.loss)


def test_nothing_compiles_unless_asked(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("compiled without being asked")

    monkeypatch.setattr(compiled, "objective", forbidden)
    monkeypatch.setattr(fused, "objective", forbidden)
    monkeypatch.setattr(compiled.torch, "compile", forbidden)
    X, y = make_dataset("disc_annulus", 1000, seed=0)
    # much work per step (what the old automatic switch looked at) changes nothing
    for compile in (None, False):
        fit(Network(2, (2,), n_networks=300), X, y, steps=3, compile=compile)
    trainer = Trainer(Network(2, (2,)), X, y)
    trainer.step(2)
    assert trainer.backend == "eager" and trainer.backend_used == "eager"
    with (
        pytest.warns(RuntimeWarning, match="fused training kernel could not be built"),
        pytest.raises(AssertionError, match="without being asked"),
    ):
        fit(Network(2, (2,)), X, y, steps=3, compile=True)  # asked: it tries
