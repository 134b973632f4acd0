"""Batched training: network i of a batch equals network i trained alone (issue 6)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from isotopy import InputError, Network, fit, make_dataset
from isotopy.nn.activations import ACTIVATIONS
from isotopy.train.fit import batch_indices
from isotopy.train.penalties import contractive_penalty, jacobian_frobenius_sq


@pytest.fixture(scope="module")
def data():
    X, y = make_dataset("disc_annulus", 200, seed=3)
    return X, y


def _params(net, i=None):
    return [p.detach()[i] if i is not None else p.detach()[0] for p in net.parameters()]


@pytest.mark.parametrize("batch_size,optimizer", [(None, "adam"), (24, "adam"), (24, "sgd")])
def test_batched_equals_alone(data, batch_size, optimizer):
    X, y = data
    n = 4
    net = Network(2, (3, 2), "tanh", 2, n_networks=n, seed=10)
    h = fit(
        net,
        X,
        y,
        steps=120,
        lr=0.03,
        batch_size=batch_size,
        optimizer=optimizer,
        seed=7,
        record_every=40,
        X_test=X[:60],
        y_test=y[:60],
    )
    for i in range(n):
        one = Network(2, (3, 2), "tanh", 2, seed=10 + i)
        h1 = fit(
            one,
            X,
            y,
            steps=120,
            lr=0.03,
            batch_size=batch_size,
            optimizer=optimizer,
            seed=7 + i,
            record_every=40,
            X_test=X[:60],
            y_test=y[:60],
        )
        for a, b in zip(_params(net, i), _params(one), strict=True):
            torch.testing.assert_close(a, b, atol=2e-5, rtol=1e-4)
        np.testing.assert_allclose(h.loss[i], h1.loss[0], atol=2e-5)
        np.testing.assert_allclose(h.train_accuracy[i], h1.train_accuracy[0], atol=1e-6)
        np.testing.assert_allclose(h.test_accuracy[i], h1.test_accuracy[0], atol=1e-6)
        assert h.final_train_accuracy[i] == pytest.approx(h1.final_train_accuracy[0])
    # the networks really differ from one another (their own seeds)
    assert not torch.allclose(net.stages[0].weight[0], net.stages[0].weight[1])


def test_seed_sequences_match_int_seed(data):
    X, y = data
    a = Network(2, (2,), "tanh", 2, n_networks=3, seed=5)
    b = Network(2, (2,), "tanh", 2, n_networks=3, seed=[5, 6, 7])
    fit(a, X, y, steps=30, batch_size=16, seed=2)
    fit(b, X, y, steps=30, batch_size=16, seed=[2, 3, 4])
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q)
    with pytest.raises(InputError, match="batch-order seeds for 3 networks"):
        fit(a, X, y, steps=2, batch_size=4, seed=[1, 2])


def test_batch_indices_per_network():
    rows = batch_indices([5, 6, 7], 11, 50, 97)
    assert rows.shape == (3, 50) and rows.dtype == torch.int64
    assert int(rows.min()) >= 0 and int(rows.max()) < 97
    torch.testing.assert_close(rows[1:2], batch_indices([6], 11, 50, 97))
    assert not torch.equal(rows[0], rows[1])
    assert not torch.equal(batch_indices([5], 11, 50, 97), batch_indices([5], 12, 50, 97))
    # roughly uniform: every index appears over many draws
    many = batch_indices(list(range(200)), 0, 500, 10)
    counts = torch.bincount(many.flatten(), minlength=10).double()
    assert float(counts.min() / counts.max()) > 0.9


def test_one_network_stops_alone(data):
    """A non-finite loss stops only that network, exactly as if it were trained alone."""
    X, y = data

    def poison(which, at):
        state = {"step": 0}

        def penalty(net, xb):
            out = torch.zeros(net.n_networks)
            if state["step"] >= at:
                out[which] = float("nan")
            state["step"] += 1
            return out

        return penalty

    net = Network(2, (3,), "tanh", 2, n_networks=3, seed=0)
    h = fit(net, X, y, steps=40, seed=0, penalty=poison(1, 15))
    assert h.stopped_at.tolist() == [-1, 15, -1]
    assert "network 1" in h.stopped and "step 15" in h.stopped
    assert np.isnan(h.loss[1, 15:]).all() and np.isfinite(h.loss[1, :15]).all()
    assert h.loss.shape == (3, 40)
    assert np.isfinite(h.summary(1)["final_loss"])
    alone = Network(2, (3,), "tanh", 2, seed=1)
    h1 = fit(alone, X, y, steps=40, seed=1, penalty=poison(0, 15))
    assert h1.loss.shape == (1, 15) and h1.stopped is not None
    for a, b in zip(_params(net, 1), _params(alone), strict=True):
        torch.testing.assert_close(a, b, atol=2e-5, rtol=1e-4)
    free = Network(2, (3,), "tanh", 2, seed=2)
    fit(free, X, y, steps=40, seed=2)
    for a, b in zip(_params(net, 2), _params(free), strict=True):
        torch.testing.assert_close(a, b, atol=2e-5, rtol=1e-4)


def test_fast_tanh_is_tanh():
    x = torch.linspace(-12, 12, 2001)
    fn = ACTIVATIONS["tanh"].fn
    assert float((fn(x) - torch.tanh(x)).abs().max()) < 3e-7
    xd = torch.randn(7, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(fn, (xd,))
    assert torch.autograd.gradgradcheck(fn, (xd,))
    jac = torch.func.jacfwd(fn)(xd[0].detach())
    torch.testing.assert_close(jac.diag(), 1 - torch.tanh(xd[0].detach()) ** 2)


def test_contractive_penalty_matches_jacobian_for_every_network():
    torch.manual_seed(0)
    net = Network(2, (3, 2), "tanh", 2, n_networks=2, seed=4).double()
    x = torch.randn(6, 2, dtype=torch.float64)
    got = jacobian_frobenius_sq(net, x).detach()  # (N,): mean over points and hidden layers
    for i in range(2):
        one = net.select(i).double()
        per_point = []
        for b in range(6):
            layers = []
            for j in one.layer_ends():

                def f(p, one=one, j=j):
                    return one.forward_all(p[None])[j + 1][0, 0]

                layers.append(float((torch.autograd.functional.jacobian(f, x[b]) ** 2).sum()))
            per_point.append(np.mean(layers))
        assert float(got[i]) == pytest.approx(float(np.mean(per_point)), rel=1e-10)
    pen = contractive_penalty(0.5)(net, x)
    torch.testing.assert_close(pen, 0.5 * got)
    with pytest.raises(InputError, match="contractive strength"):
        contractive_penalty(-1.0)


def test_contractive_penalty_trains_and_shrinks_jacobian(data):
    X, y = data
    plain = Network(2, (3,), "tanh", 2, n_networks=2, seed=0)
    damped = Network(2, (3,), "tanh", 2, n_networks=2, seed=0)
    fit(plain, X, y, steps=150, seed=0)
    fit(damped, X, y, steps=150, seed=0, contractive=0.05)
    xs = torch.as_tensor(X[:50])
    assert (jacobian_frobenius_sq(damped, xs) < jacobian_frobenius_sq(plain, xs)).all()


def test_accuracy_in_blocks_matches_predict(data):
    from isotopy.train import accuracy

    X, y = data
    net = Network(2, (3,), "tanh", 2, n_networks=3, seed=1)
    ref = (net.predict(X) == y).mean(-1)
    np.testing.assert_allclose(accuracy(net, X, y, block=7), ref)
    np.testing.assert_allclose(accuracy(net, torch.as_tensor(X), torch.as_tensor(y)), ref)
