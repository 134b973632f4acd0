"""The explorer's Playground messages (issue 26): unit views, parameter edits, input
features, noise, test share and regularization, in a session and through the WebSocket."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

pytest.importorskip("fastapi")

from _webmsg import decode, msg  # noqa: E402
from isotopy.datasets import make_dataset  # noqa: E402
from isotopy.errors import InputError  # noqa: E402
from isotopy.nn.stages import Affine, Features  # noqa: E402
from isotopy.scene.units import unit_grids  # noqa: E402
from isotopy.web.protocol import parse_message  # noqa: E402
from isotopy.web.registry import penalties, registry  # noqa: E402
from isotopy.web.session import Session  # noqa: E402
from isotopy.web.units import quantize_units  # noqa: E402


def unquantize(layer):
    """A unit_views layer's values as floats: min + code / 255 · (max - min) per unit."""
    codes = decode(layer["values"]).astype(np.float64)
    r = np.asarray(layer["ranges"], dtype=np.float64)
    return r[:, 0, None, None] + codes / 255 * (r[:, 1] - r[:, 0])[:, None, None]


def playground_session(features=("x1", "x2", "x1x2"), hidden=(6, 6)) -> Session:
    s = Session("xor", hidden=hidden)
    s.handle(msg(type="set_data", dataset="xor", n=120, seed=2))
    s.handle(msg(type="set_network", hidden=list(hidden), features=list(features)))
    return s


def state_dict(s):
    return {k: v.detach().clone() for k, v in s.net.state_dict().items()}


# ------------------------------------------------------------------------------ protocol
@pytest.mark.parametrize(
    "message, match",
    [
        ({"type": "set_data", "dataset": "xor", "noise": 0.6}, "^the noise must be at most 0.5"),
        ({"type": "set_data", "dataset": "xor", "noise": -0.1}, "noise must be at least 0"),
        (
            {"type": "set_data", "dataset": "xor", "test_size": 0.05},
            "^the test fraction must be 0 or between 0.1 and 0.9, got 0.05$",
        ),
        ({"type": "set_data", "dataset": "xor", "test_size": 0.95}, "test fraction must be at"),
        ({"type": "upload_csv", "text": "1,2,0", "test_size": 0.95}, "test fraction must be at"),
        ({"type": "set_network", "hidden": [2], "features": "x1"}, "input features must be a list"),
        (
            {"type": "set_train", "regularization": "l3"},
            "^the regularization must be one of: 'none', 'l1', 'l2', got l3$",
        ),
        ({"type": "set_train", "reg_rate": 11}, "^the regularization rate must be at most 10"),
        ({"type": "set_train", "reg_rate": -1}, "regularization rate must be at least 0"),
        ({"type": "unit_views", "resolution": 4}, "^the unit views' resolution must be at least 8"),
        ({"type": "unit_views", "resolution": 65}, "resolution must be at most 64"),
        ({"type": "unit_views", "live": "sometimes"}, "^'live' must be true or false"),
        ({"type": "set_param", "name": "stages.1.weight", "index": [0, 0]}, "needs the new value"),
        (
            {"type": "set_param", "name": "stages.1.weight", "index": [-1, 0], "value": 1},
            "^the parameter's index must be at least 0, got -1$",
        ),
        (
            {"type": "set_param", "name": "stages.1.weight", "index": [0, 0], "value": 1e5},
            "^the new value must be at most 10000",
        ),
        (
            {"type": "set_param", "name": "stages.1.weight", "index": [0, 0], "value": "big"},
            "^the new value must be a number, got big$",
        ),
    ],
)
def test_new_fields_are_checked_in_one_sentence(message, match):
    with pytest.raises(InputError, match=match):
        parse_message(json.dumps(message))


def test_nonfinite_edits_are_refused_in_one_sentence():
    for bad in ("NaN", "Infinity", "-Infinity"):
        text = '{"type": "set_param", "name": "stages.1.weight", "index": [0, 0], "value": %s}'
        with pytest.raises(InputError, match="^the new value must be a finite number$"):
            parse_message(text % bad)


def test_test_share_takes_none_or_ten_to_ninety_percent():
    for share in (0, 0.1, 0.5, 0.9):
        assert msg(type="set_data", dataset="xor", test_size=share).test_size == share


def test_registry_offers_the_regularizations_and_features_and_no_second_l1():
    reg = registry()
    assert reg["regularizations"] == ["none", "l1", "l2"]
    assert [f["name"] for f in reg["features"]][:3] == ["x1", "x2", "x1sq"]
    assert {"x1²", "x1·x2", "sin x1"} <= {f["label"] for f in reg["features"]}
    assert "l1" not in reg["penalties"] and "l2" not in reg["penalties"]
    assert "edge" in reg["penalties"] and list(penalties()) == reg["penalties"]
    with pytest.raises(InputError, match="unknown penalty 'l1'"):
        Session().handle(msg(type="set_train", penalty="l1"))


# ---------------------------------------------------------------------------- unit views
def test_unit_views_give_one_grid_per_unit_as_unit_grids_and_trace_do():
    s = playground_session()
    s.run_steps(30)
    R = 16
    reply = s.handle(msg(type="unit_views", resolution=R, id=5))
    assert len(reply) == 1
    uv = reply[0]
    assert uv["type"] == "unit_views" and uv["id"] == 5 and uv["step"] == 30
    assert uv["resolution"] == R and uv["shown"] == "live"
    np.testing.assert_allclose(uv["box"], s.domain)
    ref = unit_grids(s.net, s.domain, R)
    kinds = [lay["kind"] for lay in uv["layers"]]
    assert kinds == ["input", "features", "hidden", "hidden", "output"]
    assert [lay["labels"] for lay in uv["layers"]][:2] == [["x1", "x2"], ["x1", "x2", "x1·x2"]]
    assert [lay["activation"] for lay in uv["layers"]] == [None, None, "tanh", "tanh", None]
    widths = [2, 3, 6, 6, 1]
    lattice_x1 = np.linspace(s.domain[0, 0], s.domain[1, 0], R)
    lattice_x2 = np.linspace(s.domain[0, 1], s.domain[1, 1], R)
    r, c = 11, 4  # a lattice point: x1 = lattice_x1[c], x2 = lattice_x2[r]
    traced = [rep[0] for _, rep in s.net.trace(np.array([[lattice_x1[c], lattice_x2[r]]]))]
    for layer, mine, width in zip(ref["layers"], uv["layers"], widths):
        assert decode(mine["values"]).shape == (width, R, R)
        assert decode(mine["values"]).dtype == np.uint8 and len(mine["ranges"]) == width
        values = unquantize(mine)
        step = (np.diff(np.asarray(mine["ranges"]), axis=1)[:, 0] / 255)[:, None, None]
        assert np.all(np.abs(values - layer["values"]) <= step / 2 + 1e-6)
        np.testing.assert_allclose(layer["values"][:, r, c], traced[layer["stage"]], atol=1e-5)
    assert len(uv["weights"]) == 3 * 6 + 6 * 6 + 6 * 1 and len(uv["biases"]) == 6 + 6 + 1
    sd = s.net.state_dict()
    for w in uv["weights"] + uv["biases"]:  # names and indices of the live state dict
        assert sd[w["name"]][0][tuple(w["index"])].item() == pytest.approx(w["value"])


def test_quantized_units_keep_their_range_and_constant_units():
    v = np.stack([np.linspace(-2, 3, 16).reshape(4, 4), np.full((4, 4), 0.25)])
    codes, ranges = quantize_units(v)
    assert codes.dtype == np.uint8 and codes.shape == (2, 4, 4)
    assert ranges == [[-2.0, 3.0], [0.25, 0.25]]
    assert codes[0].min() == 0 and codes[0].max() == 255 and not codes[1].any()


def test_unit_views_need_two_dimensional_data_and_stop_when_asked():
    s = Session()
    s.handle(msg(type="set_data", dataset="linked_tori", n=100))
    with pytest.raises(InputError, match="unit views need 2-D data.*has 3 features"):
        s.handle(msg(type="unit_views", live=True))
    assert s.units_live is None and s.live_unit_views() is None
    assert s.handle(msg(type="unit_views", live=False)) == []
    s.handle(msg(type="set_data", dataset="xor", n=100))
    assert s.handle(msg(type="unit_views", resolution=8, live=True))[0]["resolution"] == 8
    assert s.units_live == 8 and s.live_unit_views()["id"] is None
    s.handle(msg(type="unit_views", live=False))
    assert s.live_unit_views() is None


def test_unit_views_show_the_readable_state_when_the_views_do():
    s = playground_session()
    s.run_steps(60)
    s.handle(msg(type="show", state="readable"))
    uv = s.handle(msg(type="unit_views", resolution=8))[0]
    assert uv["shown"] == "readable" and uv["step"] == s.shown.state.step
    assert uv["step"] < 60  # an earlier state than the live network's
    ref = unit_grids(s.shown.state.net, s.domain, 8)["layers"][-1]["values"]
    live = unit_grids(s.net, s.domain, 8)["layers"][-1]["values"]
    span = np.ptp(ref)
    np.testing.assert_allclose(unquantize(uv["layers"][-1]), ref, atol=span / 510 + 1e-6)
    assert np.abs(live - ref).max() > span / 50


# ------------------------------------------------------------------------- set_param
def test_set_param_changes_exactly_that_parameter_of_the_live_network():
    s = playground_session()
    s.run_steps(10)
    before = state_dict(s)
    reply = s.handle(msg(type="set_param", name="stages.1.weight", index=[4, 2], value=3.0, id=8))
    assert [m["type"] for m in reply] == ["status"] and reply[0]["id"] == 8
    assert reply[0]["edited"]["old"] == pytest.approx(before["stages.1.weight"][0, 4, 2].item())
    after = state_dict(s)
    changed = [(k, tuple(i.tolist())) for k in before for i in torch.nonzero(before[k] != after[k])]
    assert changed == [("stages.1.weight", (0, 4, 2))]
    assert after["stages.1.weight"][0, 4, 2].item() == 3.0
    assert s.step_count == 10  # no reset
    s.handle(msg(type="set_param", name="stages.5.bias", index=[0], value=-2.5))
    assert s.net.state_dict()["stages.5.bias"][0, 0].item() == -2.5
    s.run_steps(1)  # the optimiser trains on from the edited parameters
    assert s.step_count == 11


def test_an_edit_shows_in_the_views_and_switches_them_to_the_live_network():
    s = playground_session(features=("x1", "x2"), hidden=(3,))
    s.run_steps(40)
    s.handle(msg(type="show", state="readable"))
    s.frame()
    evals = len(s.evals)
    field_before = decode(s.frame()["input_field"]["values"]).copy()
    s.handle(msg(type="set_param", name="stages.3.bias", index=[0], value=50.0))
    assert s.show == "live"
    frame = s.frame()
    assert frame["state"]["kind"] == "live"
    field = decode(frame["input_field"]["values"])
    assert not np.array_equal(field, field_before) and field.min() > 200  # one class everywhere
    assert len(s.evals) == evals + 1 and s.evals[-1][0] == 40  # the jump, at the same step
    s.handle(msg(type="unit_views", resolution=8))
    out = s.handle(msg(type="unit_views", resolution=8))[0]
    assert out["biases"][-1] == {
        "name": "stages.3.bias",
        "index": [0],
        "value": 50.0,
        "layer": 3,
        "unit": 0,
    }


@pytest.mark.parametrize(
    "name, index, match",
    [
        ("stages.9.weight", [0, 0], "^the network has no parameter 'stages.9.weight'; its"),
        ("stages.1.weight", [0], "needs 2 integers, got 1$"),
        ("stages.1.weight", [6, 0], "out of range for 'stages.1.weight' of shape \\[6, 3\\]"),
        ("stages.1.bias", [0, 0], "needs 1 integers, got 2$"),
    ],
)
def test_set_param_refusals_are_one_sentence_and_change_nothing(name, index, match):
    s = playground_session()
    before = state_dict(s)
    with pytest.raises(InputError, match=match):
        s.handle(msg(type="set_param", name=name, index=index, value=1.0))
    after = state_dict(s)
    assert all(torch.equal(before[k], after[k]) for k in before)


# ---------------------------------------------------- features, noise, split, regularization
def test_features_reach_the_network_and_say_where_they_fold():
    s = Session("xor", hidden=(6, 6))
    out = s.handle(msg(type="set_network", hidden=[4], features=["x1x2", "x1", "x2"]))
    first = s.net.stages[0]
    assert isinstance(first, Features) and first.names == ("x1", "x2", "x1x2")
    assert isinstance(s.net.stages[1], Affine) and s.net.stages[1].d_in == 3
    network, status = out
    assert network["features"] == status["features"] == ["x1", "x2", "x1x2"]
    assert status["features_note"] is None  # x1, x2 among them: an embedding
    out = s.handle(msg(type="set_network", hidden=[4], features=["x1sq", "x2"]))
    assert out[-1]["features_note"].startswith("the feature map folds the box")
    assert "x1² forgets the sign of x1" in out[-1]["features_note"]
    out = s.handle(msg(type="set_network", hidden=[4]))  # no features: the plain input
    assert out[-1]["features"] is None and not isinstance(s.net.stages[0], Features)
    with pytest.raises(InputError, match="^unknown input feature 'x3'"):
        s.handle(msg(type="set_network", hidden=[4], features=["x3"]))


def test_features_need_two_dimensional_data():
    s = Session("xor")
    s.handle(msg(type="set_network", hidden=[3], features=["x1", "x2", "sinx1"]))
    s.handle(msg(type="reset", seed=4))
    assert s.net.input_features == ("x1", "x2", "sinx1")  # kept through a reset
    out = s.handle(msg(type="set_data", dataset="linked_tori", n=100))
    assert s.features is None and s.net.stages[0].type_name == "affine"
    assert any(m["type"] == "info" and "input features" in m["message"] for m in out)
    with pytest.raises(InputError, match="^input features need 2-D data; this data has 3"):
        s.handle(msg(type="set_network", hidden=[3], features=["x1"]))
    out = s.handle(msg(type="set_data", dataset="spirals", n=100))
    assert out[-1]["type"] == "status" and out[-1]["features"] is None


def test_noise_reaches_the_data():
    s = Session()
    spread = {}
    for noise in (0.0, 0.2):
        out = s.handle(msg(type="set_data", dataset="xor", n=200, seed=3, noise=noise))
        data, status = out[0], out[-1]
        assert data["info"]["noise"] == status["noise"] == noise
        X, _ = make_dataset("xor", 200, seed=3, noise=noise)
        assert sorted(map(tuple, s.X.tolist())) == sorted(map(tuple, X.astype(np.float32).tolist()))
        spread[noise] = X
    moved = spread[0.2] - spread[0.0]  # the same draw, with noise added
    assert 0.15 < moved.std() < 0.25
    out = s.handle(msg(type="set_data", dataset="xor", n=50))
    assert out[-1]["noise"] == 0.0  # the dataset's default
    out = s.handle(msg(type="set_data", dataset="spirals", n=50))
    assert out[-1]["noise"] == 0.02
    # a generator without noise of its own (3-D links, Naitzat's data) gets the library's
    out = s.handle(msg(type="set_data", dataset="linked_tori", n=200, seed=3, noise=0.1))
    assert out[-1]["noise"] == 0.1
    X, _ = make_dataset("linked_tori", 200, seed=3, noise=0.1)
    assert sorted(map(tuple, s.X.tolist())) == sorted(map(tuple, X.tolist()))
    assert 0.07 < (X - make_dataset("linked_tori", 200, seed=3)[0]).std() < 0.13
    out = s.handle(msg(type="set_data", dataset="rings_discs", n=50))
    assert out[-1]["noise"] == 0.0


@pytest.mark.parametrize("share, n_test", [(0, 0), (0.1, 20), (0.3, 60), (0.9, 180)])
def test_the_test_share_gives_that_many_test_points(share, n_test):
    s = Session()
    out = s.handle(msg(type="set_data", dataset="gaussians", n=200, test_size=share))
    assert len(s.X_test) == n_test and len(s.X_train) == 200 - n_test
    assert out[0]["n_train"] == 200 - n_test and out[-1]["test_size"] == share


def test_regularization_sets_the_trainers_l1_and_l2_and_keeps_the_network():
    s = Session("xor", hidden=(3,))
    s.run_steps(5)
    before = state_dict(s)
    net = s.net
    weights = [st.weight for st in net.stages if isinstance(st, Affine)]
    xb = torch.as_tensor(s.X_train[:8])
    assert s.regularization == "none" and s.trainer.penalty is None
    out = s.handle(msg(type="set_train", regularization="l1", reg_rate=0.01))
    assert out[0]["regularization"] == "l1" and out[0]["reg_rate"] == 0.01
    with torch.no_grad():
        l1 = 0.01 * sum(w.abs().sum() for w in weights)
        assert s.trainer.penalty(net, xb).item() == pytest.approx(l1.item(), rel=1e-6)
        s.handle(msg(type="set_train", regularization="l2", reg_rate=0.5))
        l2 = 0.5 * sum((w * w).sum() / 2 for w in weights)
        assert s.trainer.penalty(net, xb).item() == pytest.approx(l2.item(), rel=1e-6)
    assert s.trainer.edge_from == 1500  # the edge penalty stays as it was
    s.handle(msg(type="set_train", penalty="contractive", penalty_weight=0.1))
    with torch.no_grad():
        both = s.trainer.penalty(net, xb).item()
        assert both > l2.item() + 1e-9  # the contractive penalty and L2 together
    s.handle(msg(type="set_train", regularization="none"))
    with torch.no_grad():
        assert s.trainer.penalty(net, xb).item() == pytest.approx(both - l2.item(), rel=1e-5)
    after = state_dict(s)
    assert s.step_count == 5 and all(torch.equal(before[k], after[k]) for k in before)
    s.run_steps(3)
    assert s.step_count == 8


# ----------------------------------------------------------------------- the WebSocket
@pytest.fixture
def client():
    from fastapi.testclient import TestClient

    from isotopy.web import create_app

    with TestClient(create_app(allowed_hosts=["testserver"])) as c:
        yield c


def roundtrip(ws, *messages, ping_id=777):
    """Send messages then a ping; return every message received before the pong."""
    for m in messages:
        ws.send_text(json.dumps(m))
    ws.send_text(json.dumps({"type": "ping", "id": ping_id}))
    out = []
    while True:
        m = json.loads(ws.receive_text())
        if m["type"] == "pong" and m.get("id") == ping_id:
            return out
        out.append(m)


def receive_until(ws, pred, limit=3000):
    """Messages up to and including the first for which ``pred`` holds (an error first
    fails the test rather than wait for what will not come)."""
    out = []
    for _ in range(limit):
        out.append(json.loads(ws.receive_text()))
        assert out[-1]["type"] != "error", out[-1]
        if pred(out[-1]):
            return out
    raise AssertionError("no such message")


def test_the_playground_messages_through_the_socket(client):
    with client.websocket_connect("/ws", headers={"origin": "http://testserver"}) as ws:
        assert [json.loads(ws.receive_text())["type"] for _ in range(4)][-1] == "status"
        out = roundtrip(
            ws,
            {"type": "set_data", "dataset": "xor", "n": 120, "noise": 0.1, "test_size": 0.3},
            {"type": "set_network", "hidden": [6, 6], "features": ["x1", "x2", "x1x2"]},
            {"type": "set_train", "regularization": "l2", "reg_rate": 0.003, "id": 2},
            {"type": "unit_views", "resolution": 16, "live": True, "id": 3},
        )
        status = [m for m in out if m["type"] == "status" and m.get("id") == 2][0]
        assert status["features"] == ["x1", "x2", "x1x2"] and status["noise"] == 0.1
        assert status["test_size"] == 0.3 and status["features_note"] is None
        assert (status["regularization"], status["reg_rate"]) == ("l2", 0.003)
        uv = [m for m in out if m["type"] == "unit_views" and m.get("id") == 3][0]
        shapes = [list(decode(lay["values"]).shape) for lay in uv["layers"]]
        assert shapes == [[2, 16, 16], [3, 16, 16], [6, 16, 16], [6, 16, 16], [1, 16, 16]]
        # while live, unit views follow the view updates as training plays
        ws.send_text(json.dumps({"type": "play"}))
        # (at least two of them, and past step 20: on a quiet machine the first may already be)
        streamed = []

        def two_past_20(m):
            if m["type"] == "unit_views":
                streamed.append(m)
            return len(streamed) >= 2 and streamed[-1]["step"] > 20

        seen = receive_until(ws, two_past_20)
        assert all(m["id"] is None for m in streamed)
        assert [m["step"] for m in streamed] == sorted(m["step"] for m in streamed)
        assert seen.index(streamed[0]) > min(i for i, m in enumerate(seen) if m["type"] == "frame")
        roundtrip(ws, {"type": "pause"})
        # an edit: its status, then a view update and unit views that show it
        ws.send_text(
            json.dumps(
                {
                    "type": "set_param",
                    "name": "stages.3.weight",
                    "index": [1, 4],
                    "value": 3.0,
                    "id": 9,
                }
            )
        )
        seen = receive_until(
            ws,
            lambda m: (
                m["type"] == "unit_views"
                and any(
                    w["name"] == "stages.3.weight" and w["index"] == [1, 4] and w["value"] == 3.0
                    for w in m["weights"]
                )
            ),
        )
        edited = [m for m in seen if m["type"] == "status" and m.get("id") == 9]
        assert edited and edited[0]["edited"]["value"] == 3.0
        assert any(m["type"] == "frame" for m in seen[seen.index(edited[0]) :])
        # refusals: one sentence with the request's type and id
        out = roundtrip(
            ws,
            {"type": "set_param", "name": "stages.9.bias", "index": [0], "value": 1, "id": 10},
            {"type": "set_param", "name": "stages.2.bias", "index": [0], "value": 1e9, "id": 11},
        )
        errors = {m["id"]: m for m in out if m["type"] == "error"}
        assert (
            errors[10]["request"] == "set_param"
            and "no parameter 'stages.9.bias'" in (errors[10]["message"])
        )
        assert errors[11]["message"].startswith("the new value must be at most 10000")
        # live: false stops them (one made before may still arrive, none after a new frame)
        out = roundtrip(
            ws,
            {"type": "unit_views", "live": False, "id": 12},
            {"type": "step", "steps": 40, "id": 13},
        )
        rest = out + receive_until(ws, lambda m: m["type"] == "status" and m.get("id") == 13)
        rest += roundtrip(ws, {"type": "step", "steps": 5})
        assert any(m["type"] == "unit_views" and m.get("id") == 12 for m in rest)
        first_frame = min(i for i, m in enumerate(rest) if m["type"] == "frame")
        assert not any(m["type"] == "unit_views" for m in rest[first_frame:])


# ------------------------------------------------------- the library's words for features
def test_the_features_stage_has_its_path_and_its_axis_names():
    from isotopy.nn import FEATURE_NAMES, Network, feature_collision, features_injective
    from isotopy.paths.stage_paths import pad, stage_path
    from isotopy.scene.build import axis_names, stage_words

    assert FEATURE_NAMES[0] == "x1" and features_injective(["x1", "x2"])[0]
    assert feature_collision(["x1sq", "x2"]) is not None
    net = Network(2, (3,), features=["x1", "x2", "x1x2"], seed=0)
    path = stage_path(net.stages[0])
    assert path.isotopy and path.kind == "features" and "graph of (x1·x2)" in path.note
    x = np.random.default_rng(0).normal(size=(7, 2))
    np.testing.assert_allclose(path(x, 0.0), pad(x, 3))
    np.testing.assert_allclose(path(x, 1.0)[:, 2], x[:, 0] * x[:, 1])
    folded = stage_path(Features(["x1sq", "x2"]))
    assert not folded.isotopy and "forgets the sign of x1" in folded.note
    assert axis_names(net, 1, 3) == ("x1", "x2", "x1·x2")
    assert axis_names(net, 2, 3) == ("unit 1", "unit 2", "unit 3")
    assert stage_words(net, 1) == "input features (x1, x2, x1·x2)"
    assert [stage_words(net, k) for k in (2, 3)] == [
        "hidden layer 1, affine map 3→3",
        "hidden layer 1, tanh",
    ]


def test_a_run_with_input_features_trains_saves_and_opens_in_the_explorer(cli_inproc, tmp_path):
    from dataclasses import asdict

    from isotopy.train import TrainConfig, load_run

    assert TrainConfig().features is None and asdict(TrainConfig())["features"] is None
    assert TrainConfig(features="x1x2, x1,x2").features == ("x1", "x2", "x1x2")
    with pytest.raises(InputError, match="^unknown input feature 'x3'"):
        TrainConfig(features=["x3"])
    code, out, err = cli_inproc(
        "train", "--dataset", "xor", "--n-points", "80", "--hidden", "3", "--steps", "20",
        "--features", "x1,x2,sinx1", "--out", "run",
    )  # fmt: skip
    assert code == 0, err
    assert "features (x1, x2, sin x1)" in out
    run = load_run(tmp_path / "run")
    assert run.train.features == ("x1", "x2", "sinx1") == run.net.input_features
    s = Session.from_run(run, "final")
    assert s.features == ("x1", "x2", "sinx1") and isinstance(s.net.stages[0], Features)
    assert s.handle(msg(type="unit_views", resolution=8))[0]["layers"][1]["labels"] == [
        "x1",
        "x2",
        "sin x1",
    ]
    for k, v in run.net.state_dict().items():
        assert torch.equal(s.net.state_dict()[k], v)
    code, _, err = cli_inproc(
        "train", "--dataset", "linked_tori", "--features", "x1,x2", "--out", "bad"
    )
    assert code == 2 and "--features needs 2-D data" in err
