"""Training: the essay's width claims on disc_annulus, history, NaN handling, run folders."""

import json

import numpy as np
import pytest
import torch

from isotopy import Network, fit, load_run, make_dataset, save_run, train_run
from isotopy.errors import InputError
from isotopy.train import TrainConfig, train_test_split


@pytest.fixture(scope="module")
def disc():
    X, y = make_dataset("disc_annulus", 500, seed=0)
    return X, y


def test_width3_separates_disc_annulus_and_width2_does_not(disc):
    X, y = disc
    seeds = [0, 1, 2]
    d = TrainConfig()
    three = Network(2, (3,), n_networks=3, seed=seeds)
    h3 = fit(three, X, y, steps=d.steps, lr=d.lr)
    assert (h3.final_train_accuracy == 1.0).all(), h3.final_train_accuracy
    two = Network(2, (2,), n_networks=3, seed=seeds)
    h2 = fit(two, X, y, steps=d.steps, lr=d.lr)
    assert (h2.final_train_accuracy < 1.0).all(), h2.final_train_accuracy
    deep = Network(2, (2, 2, 2), n_networks=3, seed=seeds)
    hd = fit(deep, X, y, steps=d.steps, lr=d.lr)
    assert (hd.final_train_accuracy < 1.0).all(), hd.final_train_accuracy


def test_history_snapshots_rebuild_representations(disc):
    X, y = disc
    net = Network(2, (3,), seed=0)
    h = fit(
        net, X[:200], y[:200], steps=50, lr=0.05, record_every=10, X_test=X[200:], y_test=y[200:]
    )
    assert h.record_steps == [0, 10, 20, 30, 40, 50]
    assert h.loss.shape == (1, 50) and h.test_accuracy.shape == (1, 6)
    final = h.network_at(net, 50)
    torch.testing.assert_close(final(torch.as_tensor(X)), net(torch.as_tensor(X)))
    first = h.network_at(net, 0)
    assert not torch.allclose(first(torch.as_tensor(X)), net(torch.as_tensor(X)))
    assert h.loss[0, -1] < h.loss[0, 0]
    assert "steps=50" in repr(h)


def test_same_seed_same_numbers():
    a = train_run("two_curves", n=100, hidden=(2,), steps=100, seed=3, batch_size=16)
    b = train_run("two_curves", n=100, hidden=(2,), steps=100, seed=3, batch_size=16)
    np.testing.assert_array_equal(a.history.loss, b.history.loss)


def test_nan_loss_stops_and_keeps_last_good_snapshot(disc):
    X, y = disc
    net = Network(2, (2,), seed=0)
    calls = {"n": 0}

    def penalty(net_, xb):
        calls["n"] += 1
        bad = calls["n"] > 25
        return torch.full((1,), float("nan") if bad else 0.0)

    h = fit(net, X, y, steps=100, record_every=10, penalty=penalty)
    assert h.stopped and "became nan at step 25" in h.stopped and "from step 24" in h.stopped
    assert h.steps_done == 25 and np.isfinite(h.loss[0, :25]).all()
    torch.testing.assert_close(
        net.state_dict()["stages.0.weight"], h.snapshots[-1]["stages.0.weight"]
    )  # the last snapshot holds the kept (last good) parameters
    assert all(torch.isfinite(p).all() for p in net.parameters())


def test_fit_rejects_bad_input(disc):
    X, y = disc
    net = Network(2, (2,))
    with pytest.raises(InputError, match="steps must be an integer >= 1"):
        fit(net, X, y, steps=0)
    with pytest.raises(InputError, match="learning rate"):
        fit(net, X, y, lr=-1)
    with pytest.raises(InputError, match="unknown optimizer 'lbfgs'"):
        fit(net, X, y, optimizer="lbfgs")
    bad = X.copy()
    bad[3, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        fit(net, bad, y)
    with pytest.raises(InputError, match="labels outside 0..1"):
        fit(net, X, y + 1)


def test_split_is_stratified():
    X, y = make_dataset("spirals", 200, seed=0)
    Xtr, ytr, Xte, yte = train_test_split(X, y, 0.25, seed=0)
    assert len(Xte) == 50 and (yte == 0).sum() == 25
    assert len(Xtr) + len(Xte) == 200


def test_save_load_round_trip(tmp_path):
    run = train_run("disc_annulus", n=120, hidden=(3,), steps=60, seed=1, record_every=20)
    save_run(run, tmp_path / "run")
    files = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert files == [
        "config.json",
        "data.npz",
        "history.safetensors",
        "metrics.json",
        "snapshots.safetensors",
        "weights.safetensors",
    ]
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert {"train_accuracy", "test_accuracy", "final_loss"} <= set(metrics)
    back = load_run(tmp_path / "run")
    x = torch.as_tensor(run.X)
    torch.testing.assert_close(back.net(x), run.net(x))
    np.testing.assert_array_equal(back.history.loss, run.history.loss)
    assert back.history.record_steps == run.history.record_steps == [0, 20, 40, 60]
    for a, b in zip(back.history.snapshots, run.history.snapshots):
        for k in a:
            torch.testing.assert_close(a[k], b[k])
    np.testing.assert_array_equal(back.X_test, run.X_test)
    assert back.data["dataset"] == "disc_annulus"
    # saving again over an old run replaces it; nothing temporary is left behind
    save_run(run, tmp_path / "run")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_load_run_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist or is not a folder"):
        load_run(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="is not an isotopy run folder \\(missing config.json"):
        load_run(tmp_path / "empty")
    run = train_run("interval", n=40, hidden=(2,), steps=5, seed=0)
    save_run(run, tmp_path / "r")
    (tmp_path / "r" / "weights.safetensors").write_bytes(b"garbage")
    with pytest.raises(InputError, match="is damaged"):
        load_run(tmp_path / "r")


def test_save_refuses_a_file_or_a_foreign_folder(tmp_path):
    run = train_run("interval", n=40, hidden=(2,), steps=5, seed=0)
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="exists and is a file"):
        save_run(run, tmp_path / "f")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "precious.txt").write_text("keep")
    with pytest.raises(InputError, match="exists and is not empty"):
        save_run(run, tmp_path / "d")
    assert (tmp_path / "d" / "precious.txt").read_text() == "keep"
