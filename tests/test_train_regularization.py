"""L1 and L2 regularisation (TensorFlow Playground's): λ1·Σ|w| and λ2·Σw²/2 over the weights
of every affine stage, the read-out included, biases not; in fit, Trainer, TrainConfig, the
penalty registry and ``isotopy train``."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from isotopy import InputError, Network, fit, make_dataset, train_run
from isotopy.train import Trainer
from isotopy.train.penalties import PENALTIES, l1_penalty, l2_penalty, weight_penalty


@pytest.fixture(scope="module")
def data():
    X, y = make_dataset("disc_annulus", 60, seed=2)
    return X, y


def _hand_loss(params, X, y, l1, l2):
    """A 2-3-1 tanh network's mean cross-entropy plus L1 and L2 on its two weight matrices,
    in plain torch."""
    W1, b1, W2, b2 = params
    z = torch.tanh(X @ W1.T + b1) @ W2.T + b2
    loss = F.binary_cross_entropy_with_logits(z[:, 0], y.float())
    l1_term = l1 * (W1.abs().sum() + W2.abs().sum())
    l2_term = l2 * (W1.square().sum() + W2.square().sum()) / 2
    return loss + l1_term + l2_term


@pytest.mark.parametrize("l1,l2", [(0.05, 0.0), (0.0, 0.3), (0.02, 0.1)])
def test_fit_with_l1_l2_steps_as_a_hand_written_loss(data, l1, l2):
    X, y = data
    net = Network(2, (3,), "tanh", 2, n_networks=2, seed=4)
    names = [n for n, _ in net.named_parameters()]  # W1, b1, W2, b2
    start = [p.detach().clone() for p in net.parameters()]
    lr, steps = 0.1, 3
    hist = fit(net, X, y, steps=steps, lr=lr, optimizer="sgd", l1=l1, l2=l2, record_every=1)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    for i in range(2):  # each network of the batch on its own
        params = [p[i].clone().requires_grad_() for p in start]
        opt = torch.optim.SGD(params, lr=lr, momentum=0.9)  # fit's "sgd"
        for step in range(steps):
            opt.zero_grad()
            loss = _hand_loss(params, Xt, yt, l1, l2)
            assert hist.loss[i, step] == pytest.approx(loss.item(), rel=1e-5)
            loss.backward()
            if step == 0:  # the first update is -lr times the gradient
                after = hist.snapshots[1]  # the parameters after fit's first step
                for name, s, p in zip(names, start, params, strict=True):
                    grad = (s[i] - after[name][i]) / lr
                    torch.testing.assert_close(grad, p.grad, rtol=1e-4, atol=1e-5)
            opt.step()
        for p, q in zip(net.parameters(), params, strict=True):
            torch.testing.assert_close(p[i], q.detach(), rtol=1e-5, atol=1e-6)


def test_l1_l2_act_on_every_weight_and_no_bias():
    net = Network(2, (3, 2), "tanh", 2, n_networks=3, seed=1)
    xb = torch.zeros(5, 2)
    weights = [s.weight for s in net.stages if s.type_name == "affine"]
    assert len(weights) == 3  # the read-out included
    want1 = sum(w.abs().sum(dim=(1, 2)) for w in weights)
    want2 = sum(w.square().sum(dim=(1, 2)) for w in weights) / 2
    torch.testing.assert_close(l1_penalty(0.5)(net, xb), 0.5 * want1)
    torch.testing.assert_close(l2_penalty(0.5)(net, xb), 0.5 * want2)
    with torch.no_grad():
        for s in net.stages:
            if s.type_name == "affine":
                s.bias.fill_(100.0)  # biases do not count
    torch.testing.assert_close(l1_penalty(0.5)(net, xb), 0.5 * want1)
    # the weight penalty is the older one: hidden layers only, biases too
    hidden = [s for s in list(net.stages)[:-1] if s.type_name == "affine"]
    want_w = sum(s.weight.square().sum(dim=(1, 2)) + s.bias.square().sum(-1) for s in hidden)
    torch.testing.assert_close(weight_penalty(2.0)(net, xb), 2.0 * want_w)


def test_the_explorer_finds_them_by_name_and_bad_rates_are_refused():
    assert PENALTIES["l1"] is l1_penalty and PENALTIES["l2"] is l2_penalty
    assert PENALTIES["l2"](0.25).strength == 0.25
    for rate in (-1.0, float("nan"), float("inf")):
        with pytest.raises(InputError, match="L1 rate must be a finite number >= 0"):
            l1_penalty(rate)
        with pytest.raises(InputError, match="L2 rate must be a finite number >= 0"):
            l2_penalty(rate)


def test_trainer_set_penalty_switches_them(data):
    X, y = data
    t = Trainer(Network(2, (3,), seed=0), X, y, l2=0.5)
    assert t.penalty is not None and t.penalty.strength == 0.5
    t.set_penalty(l1=0.1, l2=0.2)  # both: one penalty summing them
    xb = torch.as_tensor(X)
    want = l1_penalty(0.1)(t.net, xb) + l2_penalty(0.2)(t.net, xb)
    torch.testing.assert_close(t.penalty(t.net, xb), want)
    t.set_penalty()
    assert t.penalty is None


def test_runs_and_the_command_line_record_the_rates(data, cli_inproc, tmp_path):
    run = train_run("disc_annulus", n=60, hidden=(3,), steps=20, l1=0.01, l2=0.02)
    assert (run.train.l1, run.train.l2) == (0.01, 0.02)
    plain = train_run("disc_annulus", n=60, hidden=(3,), steps=20)
    assert not np.allclose(run.history.loss, plain.history.loss)
    code, out, err = cli_inproc(
        "train", "--dataset", "disc_annulus", "--n-points", "60", "--steps", "20",
        "--l1", "0.01", "--l2", "0.02", "--out", "run",
    )  # fmt: skip
    assert code == 0, err
    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    assert (cfg["train"]["l1"], cfg["train"]["l2"]) == (0.01, 0.02)
    code, _, err = cli_inproc("train", "--dataset", "disc_annulus", "--l2", "-1", "--out", "r2")
    assert code == 2 and "--l2 must be a finite number >= 0" in err
    assert not (tmp_path / "r2").exists()
