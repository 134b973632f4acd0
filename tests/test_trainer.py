"""The one training engine: Trainer step by step equals fit; every head goes through it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from isotopy import InputError, Network, fit, make_dataset
from isotopy.knn import KNNHead
from isotopy.nn import Activation, Affine
from isotopy.train import Trainer, resolve_device
from isotopy.train.backends import eager


@pytest.fixture(scope="module")
def data():
    X, y = make_dataset("disc_annulus", 200, seed=3)
    return X, y


@pytest.mark.parametrize("batch_size", [None, 32])
def test_trainer_in_slices_equals_fit(data, batch_size):
    X, y = data
    a = Network(2, (3,), n_networks=2, seed=5)
    h = fit(a, X, y, steps=50, lr=0.03, seed=7, batch_size=batch_size, record_every=10)
    b = Network(2, (3,), n_networks=2, seed=5)
    t = Trainer(b, X, y, lr=0.03, seed=7, batch_size=batch_size, record_every=10)
    for n in (1, 6, 13, 30):  # slices of any length: the explorer's way of training
        assert t.step(n) == n
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    hb = t.history()
    np.testing.assert_array_equal(h.loss, hb.loss)
    assert h.record_steps == hb.record_steps == [0, 10, 20, 30, 40, 50]


def test_linear_and_knn_heads_train_through_the_same_step(data, monkeypatch):
    X, y = data
    calls = []
    real = eager.loss_hits
    monkeypatch.setattr(
        eager,
        "loss_hits",
        lambda net, *a, **k: calls.append(net.head.type_name) or real(net, *a, **k),
    )
    linear = Network(2, (4,), seed=0)
    stages = [Affine(2, 4), Activation("tanh", 4)]
    knn = Network.from_stages(stages, 2, head=KNNHead(2, mode="temperature", k=5), seed=0)
    for net in (linear, knn):
        h = fit(net, X, y, steps=40, lr=0.02, batch_size=64, seed=0, X_test=X, y_test=y)
        assert h.loss.shape == (1, 40) and np.isfinite(h.loss).all()
        assert h.test_accuracy.shape[1] == len(h.record_steps)
    assert calls.count("linear") == 40 and calls.count("knn") == 40
    knn.set_reference(X, y)
    assert knn.predict(X).shape == (len(X),)


def test_settings_change_between_steps(data):
    X, y = data
    net = Network(2, (3,), seed=1)
    t = Trainer(net, X, y, lr=0.05)
    t.step(5)
    t.set_lr(0.01)
    assert all(g["lr"] == 0.01 for g in t.opt.param_groups)
    t.set_optimizer("sgd")
    t.set_batch_size(16)
    t.set_data(X[:100], y[:100])  # e.g. points added or removed in the explorer
    assert t.step(5) == 5 and t.step_count == 10
    assert t.history().loss.shape == (1, 10)
    with pytest.raises(InputError, match="learning rate"):
        t.set_lr(-1)


def test_a_network_whose_loss_breaks_stops_alone_and_can_resume(data):
    X, y = data
    net = Network(2, (3,), n_networks=3, seed=2)
    state = {"calls": 0, "on": True}

    def poison(n, xb):
        state["calls"] += 1
        out = torch.zeros(n.n_networks)
        if state["on"] and state["calls"] > 4:
            out[1] = float("nan")
        return out

    t = Trainer(net, X, y, penalty=poison)
    t.step(3)
    kept = [p.detach().clone() for p in net.parameters()]
    t.step(5)
    assert t.stopped_at.tolist() == [-1, 4, -1] and "network 1" in t.stop_message()
    stopped = [p[1].detach().clone() for p in net.parameters()]
    t.step(5)
    for p, k, s in zip(net.parameters(), kept, stopped, strict=True):
        assert not torch.equal(p[0], k[0])  # the others trained on
        assert torch.equal(p[1], s)  # the stopped one keeps its parameters
    assert not t.stopped
    state["on"] = False
    t.resume()
    frozen = [p[1].detach().clone() for p in net.parameters()]
    t.step(3)
    assert any(not torch.equal(p[1], f) for p, f in zip(net.parameters(), frozen, strict=True))


def test_devices():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda", "mps")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="no CUDA device"):
            resolve_device("cuda")
    with pytest.raises(InputError, match="unknown device"):
        resolve_device("tpu9")


@pytest.mark.parametrize("batch_size", [None, 16])
def test_the_explorer_trains_through_the_trainer(batch_size):
    pytest.importorskip("pydantic")
    from isotopy.web.session import Session

    s = Session()
    s.batch_size = batch_size
    s._reset_training()
    for n in (7, 13):  # the explorer trains in slices
        assert s.train(max_steps=n) == n
    net = Network(s.d_in, s.hidden, s.activation, s.n_classes, seed=s.net_seed)
    fit(
        net,
        s.X_train,
        s.y_train,
        steps=20,
        lr=s.lr,
        optimizer=s.optimizer,
        batch_size=batch_size,
        seed=s.net_seed,
    )
    for p, q in zip(net.parameters(), s.net.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    assert s.step_count == 20 and s.snap_steps == [0, 5, 10, 15, 20]
