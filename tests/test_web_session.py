"""The explorer's session in its parts: orientation from the library, the library's input
checks, defaults from TrainConfig, the readable state between snapshots, and the device the
network trains on (views and exports read a CPU copy)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

pytest.importorskip("pydantic")

from _webmsg import msg  # noqa: E402
from isotopy.errors import InputError  # noqa: E402
from isotopy.nn import Network  # noqa: E402
from isotopy.paths import orient_network  # noqa: E402
from isotopy.paths.orient import orient_in_place  # noqa: E402
from isotopy.train import TrainConfig  # noqa: E402
from isotopy.web.session import Session  # noqa: E402
from isotopy.web.settings import EXPLORER, TRAIN  # noqa: E402


def same_parameters(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return list(sa) == list(sb) and all(torch.equal(sa[k], sb[k].cpu()) for k in sa)


# --------------------------------------------------------------------------- orientation
def test_orient_in_place_makes_the_swaps_of_orient_network():
    """The explorer orients its kept copy in place; the swaps and parameters are those of
    orient_network, for every network of a batch, and orient_network still returns the
    network itself when nothing needs a swap."""
    swaps_seen = 0
    for seed in range(8):
        batch = Network(2, (2, 2, 3), "tanh", 2, seed=seed, n_networks=3)
        for index in range(3):
            ref, ref_swaps = orient_network(batch, index=index)
            work = Network(2, (2, 2, 3), "tanh", 2, seed=seed, n_networks=3)
            work.load_state_dict(batch.state_dict())
            swaps = orient_in_place(work, index=index)
            assert swaps == ref_swaps
            assert same_parameters(work, ref)
            swaps_seen += len(swaps)
            if not swaps:
                assert ref is batch
    assert swaps_seen > 0


def test_the_session_has_no_orientation_rule_of_its_own(monkeypatch):
    """Views orient through isotopy.paths.orient: with the library's rule replaced, the
    session's oriented copy follows it."""
    import isotopy.web.scenes as scenes

    s = Session("disc_annulus", hidden=(2,))
    calls = []
    monkeypatch.setattr(scenes, "orient_in_place", lambda net: calls.append(net) or {})
    onet, swaps = s.oriented(s.net)
    assert calls == [onet] and swaps == {}


# ----------------------------------------------------------------------------- defaults
def test_defaults_are_read_from_train_config(monkeypatch):
    """What the page shares with a run is read from TrainConfig at the time a session is
    made, never written again; what it does differently is EXPLORER's."""
    import isotopy.web.data as data
    import isotopy.web.session as session
    import isotopy.web.training as training

    s = Session()
    assert (s.optimizer, s.batch_size, s.net_seed) == (TRAIN.optimizer, None, TRAIN.seed)
    assert (s.penalty, s.penalty_weight) == ("edge", TRAIN.edge_penalty)
    assert s.data_info["test_size"] == TRAIN.test_size and s.lr == EXPLORER.lr == 0.03
    assert (EXPLORER.edge_plain, EXPLORER.edge_ramp) == (1500, 1500)  # a 3,000-step run's
    s.train(max_steps=1)
    assert (s.trainer.edge_from, s.trainer.edge_full) == (1500, 3000)
    other = TrainConfig(optimizer="sgd", batch_size=32, seed=4, test_size=0.5, edge_penalty=0.5)
    for module in (data, session, training):
        monkeypatch.setattr(module, "TRAIN", other)
    s = Session()
    assert (s.optimizer, s.batch_size, s.net_seed, s.penalty_weight) == ("sgd", 32, 4, 0.5)
    assert s.data_info["test_size"] == 0.5 and len(s.X_test) == len(s.X_train)


# ----------------------------------------------------------------------- input checks
def test_the_library_checks_the_input_and_refusals_change_nothing():
    s = Session()
    s.train(max_steps=5)
    s.handle(msg(type="step", steps=50, id=4))
    before = (s.net, s.trainer, s.data, s.step_count, s.steps_left, s.hidden)
    refusals = [
        ({"type": "set_network", "hidden": [2], "activation": "nope"}, "^unknown activation"),
        ({"type": "set_data", "dataset": "moons"}, "^unknown dataset 'moons'"),
        (
            {"type": "set_data", "dataset": "disc_annulus", "params": {"seed": 3}},
            "^dataset 'disc_annulus' has no parameter 'seed'",
        ),
        (
            {"type": "set_data", "dataset": "nested_spheres", "params": {"dim": 2.5}},
            "^dim must be an integer >= 1, got 2.5$",
        ),
        ({"type": "upload_csv", "text": "1,2,0\nnan,3,1\n"}, "NaN"),
        ({"type": "upload_csv", "text": "0,0,0\n1e39,1,1\n2,2,1\n"}, "infinite values$"),
        ({"type": "set_train", "optimizer": "nope"}, "^unknown optimizer 'nope'"),
        ({"type": "set_train", "penalty": "nope"}, "^unknown penalty 'nope'"),
    ]
    for m, match in refusals:
        with pytest.raises(InputError, match=match):
            s.handle(msg(**m))
        assert (s.net, s.trainer, s.data, s.step_count, s.steps_left, s.hidden) == before, m
    # a whole number arrives as a float from the page and reaches the generator as an int
    out = s.handle(msg(type="set_data", dataset="nested_spheres", params={"dim": 3.0}, n=40))
    assert out[0]["type"] == "status" and out[0]["stopped"] == "the data changed"
    assert s.d_in == 3 and s.data_info["params"] == {"dim": 3} and s.steps_left == 0


def test_data_are_never_changed_in_place():
    s = Session()
    first = s.data
    n = len(first.X)
    s.handle(msg(type="add_point", x=[0.1, 0.2], label=1))
    assert len(first.X) == n and len(s.X) == n + 1 and s.data.version == first.version + 1
    assert s.data_info["edited"] and "edited" not in first.info
    np.testing.assert_array_equal(s.X_train[-1], np.float32([0.1, 0.2]))
    np.testing.assert_array_equal(s.X_test, first.X_test)  # held-out points stay held out
    with pytest.raises(AttributeError, match="read through the session"):
        s.X_train = first.X_train


# ---------------------------------------------------------------------- readable state
def test_the_readable_state_between_snapshots_records_the_step():
    """Snapshots are taken every 5 steps; the readable state at step 7 first records step 7
    (it used to fail there), so the state is chosen among every step so far."""
    s = Session("disc_annulus", hidden=(3,))
    s.train(max_steps=7)
    (status,) = s.handle(msg(type="show", state="readable"))
    assert status["show"] == "readable" and s.snap_steps == [0, 5, 7]
    assert s.state.final_step == 7 and s.state.step in (0, 5, 7)
    assert s.frame()["state"]["kind"] == "readable"


# ---------------------------------------------------------------------------- devices
def test_the_network_trains_on_the_cpu_by_default():
    s = Session()
    assert s.training.device.type == "cpu"
    assert all(p.device.type == "cpu" for p in s.net.parameters())
    assert s.view_net() is s.net  # on the CPU the views read the network itself
    frozen = s.freeze()
    assert frozen.net is not s.net and same_parameters(frozen.net, s.net)


def test_views_and_exports_read_a_cpu_copy_when_the_network_trains_elsewhere(monkeypatch):
    """Off the CPU the views, the readable state, animations and exports read one CPU copy of
    the network, brought up to date whenever it is read. Checked here on a CPU the session
    treats as another device (the copy is then a separate network); on CUDA below."""
    s = Session("disc_annulus", hidden=(2, 2))
    monkeypatch.setattr(s.training, "device", SimpleNamespace(type="elsewhere"))
    copy_ = s.view_net()
    assert copy_ is not s.net and same_parameters(copy_, s.net)
    s.train(max_steps=12)
    assert s.view_net() is copy_ and same_parameters(copy_, s.net)  # one copy, up to date
    frame = s.frame()
    assert frame["step"] == 12 and s.evals[-1][0] == 12
    (w,) = s.handle(msg(type="export", what="weights"))
    from safetensors.torch import load

    assert all(torch.equal(v, s.net.state_dict()[k]) for k, v in load(w["bytes"]).items())
    s.handle(msg(type="show", state="readable"))
    assert s.state.net is not s.net and s.frame()["state"]["kind"] == "readable"
    frozen = s.freeze()
    assert frozen.training.device.type == "cpu" and same_parameters(frozen.net, s.net)
    (anim,) = frozen.handle(msg(type="animate", kind="replay", frames=3))
    assert anim["n_frames"] == 3


def test_serve_refuses_a_device_this_machine_lacks(cli_inproc):
    lacking = f"cuda:{torch.cuda.device_count()}" if torch.cuda.is_available() else "cuda"
    for device, words in [(lacking, "was asked for, but this machine has"), ("tpu9", "unknown")]:
        code, out, err = cli_inproc("serve", "--device", device, "--port", "0")
        assert code == 2 and out == "" and words in err, err
        assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_session_trains_on_cuda_and_its_views_read_the_cpu():
    s = Session("disc_annulus", hidden=(3,), device="cuda")
    assert all(p.device.type == "cuda" for p in s.net.parameters())
    s.handle(msg(type="step", steps=30, id=1))
    assert s.advance(10.0)[0]["step"] == 30
    assert all(p.device.type == "cpu" for p in s.view_net().parameters())
    assert same_parameters(s.view_net(), s.net)
    frame = s.frame()
    assert frame["step"] == 30 and frame["state"]["kind"] == "live"
    s.handle(msg(type="show", state="readable"))
    assert s.frame()["state"]["kind"] == "readable"
    (w,) = s.handle(msg(type="export", what="weights"))
    (d,) = s.handle(msg(type="diagnostics"))
    assert w["bytes"] and d["rows"]
    (anim,) = s.freeze().handle(msg(type="animate", kind="isotopy", frames=3))
    assert anim["n_frames"] == 3
