"""The contractive penalty: exact value against autograd, the random-projection estimate
against the exact value, and fit(..., contractive=λ)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from isotopy import InputError, Network, fit, make_dataset
from isotopy.train.penalties import contractive_penalty, jacobian_frobenius_sq


def _autograd_value(net, X):
    """mean over points and hidden layers of ||dh/dx||_F^2, by torch.autograd, per network."""
    out = []
    for i in range(net.n_networks):
        one = net.select(i)
        per_layer = []
        for s in one.layer_ends():
            J = torch.autograd.functional.jacobian(
                lambda x, s=s, one=one: one.forward_all(x)[s + 1][0].sum(0), X
            )  # (d_s, B, d_in)
            per_layer.append(J.pow(2).sum((0, 2)).mean())
        out.append(torch.stack(per_layer).mean())
    return torch.stack(out)


def test_exact_penalty_matches_autograd():
    net = Network(2, (3, 2), "tanh", n_networks=2, seed=5)
    X = torch.as_tensor(make_dataset("disc_annulus", 40, seed=0)[0])
    exact = jacobian_frobenius_sq(net, X)
    assert exact.shape == (2,)
    assert torch.allclose(exact.detach(), _autograd_value(net, X), rtol=1e-5)


def test_projection_estimate_is_unbiased_for_wide_inputs():
    net = Network(12, (16, 16), "tanh", seed=2)
    X = torch.randn(30, 12, generator=torch.Generator().manual_seed(0))
    exact = jacobian_frobenius_sq(net, X).item()
    gen = torch.Generator().manual_seed(1)
    est = [jacobian_frobenius_sq(net, X, projections=8, generator=gen).item() for _ in range(150)]
    # mean of 150 estimates: standard error well below 3% of the value
    assert np.mean(est) == pytest.approx(exact, rel=0.05)
    assert np.std(est) > 0  # it is an estimate, not the exact value in disguise
    pen = contractive_penalty(0.5)  # d_in = 12 > 8: estimated with random directions
    assert pen(net, X).item() == pytest.approx(0.5 * exact, rel=0.6)


def test_fit_with_contractive_penalty_shrinks_the_jacobian():
    X, y = make_dataset("disc_annulus", 200, seed=0)
    plain = Network(2, (3,), "tanh", seed=0)
    fit(plain, X, y, steps=150)
    pen = Network(2, (3,), "tanh", seed=0)
    hist = fit(pen, X, y, steps=150, contractive=1.0)
    Xt = torch.as_tensor(X)
    assert jacobian_frobenius_sq(pen, Xt).item() < 0.5 * jacobian_frobenius_sq(plain, Xt).item()
    assert np.isfinite(hist.loss).all()
    # the penalty also combines with a user penalty
    calls = []
    fit(
        Network(2, (3,)),
        X,
        y,
        steps=2,
        contractive=0.1,
        penalty=lambda n, xb: calls.append(1) or torch.zeros(n.n_networks),
    )
    assert len(calls) == 2


def test_contractive_errors():
    with pytest.raises(InputError, match="contractive strength"):
        contractive_penalty(-1.0)
    no_hidden = Network(2, ())
    assert jacobian_frobenius_sq(no_hidden, torch.zeros(3, 2)).tolist() == [0.0]
