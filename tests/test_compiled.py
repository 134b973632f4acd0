"""Compiled training (fit(compile=True)): the same networks as uncompiled training."""

from __future__ import annotations

import importlib
import shutil
import warnings

import numpy as np
import pytest
import torch

from isotopy import Network, fit, make_dataset
from isotopy.nn.activations import TANH_CLAMP, tanh_rational
from isotopy.train import compiled


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
        tanh_rational(torch.tensor(TANH_CLAMP)))


def _train(compile, n_classes=2, batch_size=None):
    name = "disc_annulus" if n_classes == 2 else "spirals"
    X, y = make_dataset(name, 160, seed=1)
    y = y if n_classes == 2 else (y + (X[:, 0] > 0)) % 3
    net = Network(2, (3, 2), "tanh", n_classes, n_networks=3, seed=4)
    hist = fit(net, X, y, steps=40, lr=0.03, seed=2, batch_size=batch_size,
               record_every=20, compile=compile)
    return net, hist


@pytest.mark.parametrize("n_classes,batch_size", [(2, None), (3, 32)])
def test_compiled_training_equals_uncompiled(can_compile, n_classes, batch_size):
    from torch._dynamo.utils import counters

    graphs = counters["stats"]["unique_graphs"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a fallback to eager would warn
        net_c, h_c = _train(True, n_classes, batch_size)
    assert counters["stats"]["unique_graphs"] > graphs  # it really was compiled
    net_e, h_e = _train(False, n_classes, batch_size)
    for a, b in zip(net_c.parameters(), net_e.parameters(), strict=True):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(h_c.loss, h_e.loss, atol=1e-5)
    np.testing.assert_allclose(h_c.train_accuracy, h_e.train_accuracy, atol=1 / 160 + 1e-9)
    np.testing.assert_allclose(h_c.final_train_accuracy, h_e.final_train_accuracy)


def test_failed_compile_trains_uncompiled(monkeypatch):
    def broken(fn, **kwargs):
        def run(*args):
            raise RuntimeError("no C++ compiler found")
        return run

    monkeypatch.setattr(compiled.torch, "compile", broken)
    with pytest.warns(RuntimeWarning, match="torch.compile failed.*no C.. compiler"):
        net_c, h_c = _train(True)
    net_e, h_e = _train(False)
    for a, b in zip(net_c.parameters(), net_e.parameters(), strict=True):
        torch.testing.assert_close(a, b, atol=0, rtol=0)
    np.testing.assert_array_equal(h_c.loss, h_e.loss)


def test_auto_compile_only_for_large_work(monkeypatch):
    asked = []
    real = compiled.objective

    def spy(net, shape, *, compile):
        asked.append(compile)
        return real(net, shape, compile=False)

    fit_module = importlib.import_module("isotopy.train.fit")
    monkeypatch.setattr(fit_module, "objective", spy)
    X, y = make_dataset("disc_annulus", 100, seed=0)
    fit(Network(2, (2,), n_networks=2), X, y, steps=3)
    monkeypatch.setattr(fit_module, "COMPILE_WORK", 500)
    fit(Network(2, (2,), n_networks=2), X, y, steps=3)
    fit(Network(2, (2,), n_networks=2), X, y, steps=3, compile=False)
    assert asked == [False, True, False]
