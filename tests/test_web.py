"""The web explorer in-process: messages and their bounds, sessions, the socket, downloads."""

from __future__ import annotations

import json
import socket
import sys

import numpy as np
import pytest
import torch

pytest.importorskip("fastapi")

from _webmsg import decode, msg  # noqa: E402
from isotopy.datasets import DATASETS, dataset_params, load_points, points_from_csv_text  # noqa: E402
from isotopy.errors import InputError  # noqa: E402
from isotopy.web.diagnose import diagnostics  # noqa: E402
from isotopy.web.protocol import LIMITS, parse_message  # noqa: E402
from isotopy.web.registry import registry  # noqa: E402
from isotopy.web.session import Session  # noqa: E402


# ------------------------------------------------------------------------------ protocol
@pytest.mark.parametrize(
    "text, match",
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"type": "fly"}', "unknown message type 'fly'"),
        ('{"type": "play", "extra": 1}', "^a 'play' message has no field 'extra'$"),
        (
            '{"type": "set_network", "hidden": [0]}',
            "^each hidden layer's width must be at least 1, got 0$",
        ),
        ('{"type": "set_network", "hidden": [99]}', "width must be at most 16, got 99$"),
        ('{"type": "set_network", "hidden": [2.5]}', "width must be a whole number, got 2.5$"),
        ('{"type": "set_network", "hidden": [2,2,2,2,2,2,2,2,2]}', "may have at most 8 entries"),
        ('{"type": "set_network", "hidden": "2,2"}', "^the hidden widths must be a list$"),
        ('{"type": "step", "steps": 100000000}', "steps must be at most 20000"),
        ('{"type": "step", "steps": "many"}', "steps must be a whole number, got many"),
        (
            '{"type": "set_data", "dataset": "spirals", "n": 10000000}',
            "points must be at most 5000",
        ),
        ('{"type": "set_train", "lr": -1}', "^the learning rate must be more than 0, got -1$"),
        ('{"type": "set_train", "lr": NaN}', "learning rate must be a finite number"),
        ('{"type": "animate", "kind": "isotopy", "frames": 100000}', "frames must be at most 240"),
        ('{"type": "export", "what": "../../etc/passwd"}', "export must be one of: 'gif'"),
        ('{"type": "add_point", "x": [0.1, 0.2], "label": 0, "path": "/tmp/x"}', "no field 'path'"),
        ('{"type": "add_point", "x": [0.1, 1e300], "label": 0}', "must be at most 10000"),
    ],
)
def test_bad_messages_are_one_sentence(text, match):
    with pytest.raises(InputError, match=match):
        parse_message(text)


def test_huge_messages_are_refused_before_parsing():
    big = json.dumps({"type": "add_point", "x": [0.0] * 10, "label": 0}) + " " * (
        LIMITS["max_message_chars"] + 1
    )
    with pytest.raises(InputError, match="message too large"):
        parse_message(big)
    with pytest.raises(InputError, match="at most 8 entries"):
        parse_message(json.dumps({"type": "add_point", "x": [0.0] * 100_000, "label": 0}))
    with pytest.raises(InputError, match="binary"):
        parse_message(b"\x00\x01")


def test_registry_reads_the_library_registries():
    reg = registry()
    assert [d["name"] for d in reg["datasets"]] == list(DATASETS)
    for d in reg["datasets"]:
        assert d["params"] == {
            k: v for k, v in dataset_params(d["name"]).items() if k not in ("n", "seed")
        }
    assert {"tanh", "relu"} <= {a["name"] for a in reg["activations"]}
    assert "affine" in reg["stage_types"]


# ------------------------------------------------------------------------------- session
def test_session_trains_disc_annulus_width3_but_not_width2():
    s = Session("disc_annulus", hidden=(3,))
    s.handle(msg(type="set_train", lr=0.03))
    s.train(max_steps=500)
    f = s.frame()
    assert f["step"] == 500 and len(decode(f["loss"])) == 500
    assert s.evals[-1][2] > 0.95  # test accuracy
    s.handle(msg(type="set_network", hidden=[2]))
    assert s.step_count == 0
    s.train(max_steps=1000)
    s.frame()
    assert s.evals[-1][2] < 0.95  # a 2-unit layer cannot separate a disc from an annulus


def test_changing_lr_does_not_reset():
    s = Session()
    s.train(max_steps=20)
    before = {k: v.clone() for k, v in s.net.state_dict().items()}
    s.handle(msg(type="set_train", lr=0.001, batch_size=32, optimizer="adam"))
    assert s.step_count == 20 and all(
        torch.equal(before[k], v) for k, v in s.net.state_dict().items()
    )
    s.train(max_steps=5)
    assert s.step_count == 25 and s.trainer.opt.param_groups[0]["lr"] == 0.001
    replies = s.handle(msg(type="reset", seed=3))
    assert s.step_count == 0 and replies[0]["seed"] == 3


def test_penalties_come_from_the_library():
    from isotopy.web.registry import penalties

    names = list(penalties())
    assert registry()["penalties"] == names
    if not names:
        with pytest.raises(InputError, match="unknown penalty"):
            Session().handle(msg(type="set_train", penalty="contractive"))
        return
    s = Session()
    assert (s.penalty, s.penalty_weight) == ("edge", 1.0)  # the page trains as runs do
    torch.manual_seed(0)
    s.train(max_steps=1)
    assert s.trainer.edge_from == 1500 and s.trainer.edge_full == 3000
    base = s.loss_curve[-1]
    s.handle(msg(type="set_train", penalty=names[0], penalty_weight=5.0, lr=1e-9))
    s.train(max_steps=1)
    assert s.loss_curve[-1] > base + 1e-3  # the penalty adds to the loss it trains on
    s.handle(msg(type="set_train", penalty="none"))
    assert s.penalty is None


def test_every_dataset_gives_views():
    s = Session()
    for name in DATASETS:
        out = s.handle(msg(type="set_data", dataset=name, n=60, seed=1))
        data = out[0]
        assert data["type"] == "data" and data["dim"] == s.d_in
        assert decode(data["points"]).shape == (60, s.d_in)
        s.train(max_steps=3)
        for k in range(len(s.net.stages) + 1):
            s.handle(msg(type="view", stage=k))
            f = s.frame()
            if s.d_in <= 2:
                assert f["input_field"]["kind"] == "probability"
            if k > 0 or s.d_in > 2:
                sc = f["stage"]
                assert decode(sc["points"]).shape[0] == 60
                assert decode(sc["grid"]).ndim == 3


def test_dataset_parameters_are_checked():
    s = Session()
    with pytest.raises(InputError, match="has no parameter 'turns'"):
        s.handle(msg(type="set_data", dataset="disc_annulus", params={"turns": 2}))
    with pytest.raises(InputError, match="'dim' must be between 1 and 8"):
        s.handle(msg(type="set_data", dataset="nested_spheres", params={"dim": 500}))
    with pytest.raises(InputError, match="unknown dataset 'moons'"):
        s.handle(msg(type="set_data", dataset="moons"))
    with pytest.raises(InputError, match="inner_radius"):
        s.handle(msg(type="set_data", dataset="disc_annulus", params={"gap": 5}))
    out = s.handle(msg(type="set_data", dataset="nested_spheres", params={"dim": 3}, n=50))
    assert out[0]["dim"] == 3


def test_points_added_and_removed():
    s = Session()
    n = len(s.X)
    s.handle(msg(type="add_point", x=[0.05, -0.02], label=1))
    assert len(s.X) == n + 1 and s.y_train[-1] == 1
    s.handle(msg(type="remove_point", x=[0.05, -0.02], radius=1e-4))
    assert len(s.X) == n
    out = s.handle(msg(type="remove_point", x=[50.0, 50.0], radius=0.1))
    assert out[0]["type"] == "info" and len(s.X) == n
    # the library's checks (as_data), against the network the points train
    with pytest.raises(InputError, match="^the new point has 3 features, the network expects 2$"):
        s.handle(msg(type="add_point", x=[0.1, 0.2, 0.3], label=0))
    with pytest.raises(InputError, match="^the new point has labels outside 0..1$"):
        s.handle(msg(type="add_point", x=[0.1, 0.2], label=5))
    with pytest.raises(InputError, match="^the point to remove has 1 features"):
        s.handle(msg(type="remove_point", x=[0.1]))
    assert len(s.X) == n and s.data_version == 3  # refused edits change nothing


def test_csv_upload_in_memory_with_the_library_rules():
    s = Session()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    text = "a,b,label\n" + "\n".join(f"{a},{b},{c}" for (a, b), c in zip(X, y))
    out = s.handle(msg(type="upload_csv", text=text))
    assert out[0]["info"]["file"] == "uploaded CSV" and len(s.X) == 40
    with pytest.raises(InputError, match="NaN"):
        s.handle(msg(type="upload_csv", text="1,2,0\nnan,3,1\n"))
    with pytest.raises(InputError, match="single class"):
        s.handle(msg(type="upload_csv", text="1,2,0\n3,4,0\n"))
    with pytest.raises(InputError, match="row 2, column 1 is not a number"):
        s.handle(msg(type="upload_csv", text="1,2,0\nx,4,1\n"))
    with pytest.raises(InputError, match="more than the limit 5000"):
        s.handle(msg(type="upload_csv", text="".join(f"{i},{i % 2}\n" for i in range(6000))))


def test_wide_uploads_are_shown_through_principal_axes():
    s = Session()
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 5))
    text = "\n".join(",".join(f"{v:.4f}" for v in x) + f",{int(x[0] > 0)}" for x in X)
    s.handle(msg(type="upload_csv", text=text))
    s.train(max_steps=5)
    f = s.frame()
    assert "input_field" not in f
    assert f["stage"]["dim"] == 3 and "principal" in f["stage"]["meta"]["projection"]


def test_csv_text_matches_file_reader(tmp_path):
    text = "x,y,label\n0.5,1.5,3\n-1,2,7\n0,0,3\n"
    p = tmp_path / "d.csv"
    p.write_text(text)
    Xa, ya = load_points(p)
    Xb, yb = points_from_csv_text(text)
    np.testing.assert_array_equal(Xa, Xb)
    np.testing.assert_array_equal(ya, yb)


def test_exports_weights_and_data():
    from safetensors.torch import load

    s = Session()
    s.train(max_steps=10)
    (w,) = s.handle(msg(type="export", what="weights"))
    tensors = load(w["bytes"])
    for k, v in s.net.state_dict().items():
        assert torch.equal(tensors[k], v)
    (d,) = s.handle(msg(type="export", what="data"))
    X, y = points_from_csv_text(d["bytes"].decode())
    np.testing.assert_allclose(X, s.X, atol=1e-5)
    np.testing.assert_array_equal(y, s.y)


def test_diagnostics_match_the_stages():
    s = Session("disc_annulus", hidden=(2, 2), activation="relu")
    rows = diagnostics(s.net, s.X)
    assert [r["name"] for r in rows] == s.net.names
    a2 = s.net.stages[2]
    assert rows[2]["det"] == pytest.approx(float(torch.linalg.det(a2.weight[0].detach().double())))
    assert rows[1]["homeomorphism"] is False  # relu collapses a half-line
    assert rows[-1]["homeomorphism"] is False  # the read-out drops a dimension


def test_diagnostics_message_has_betti_numbers_where_the_library_has_them():
    s = Session("disc_annulus", hidden=(3,))
    s.train(max_steps=5)
    (out,) = s.handle(msg(type="diagnostics"))
    assert [r["name"] for r in out["rows"]] == s.net.names
    pytest.importorskip("ripser")
    b = out["betti"]
    assert b["stages"][0] == "input" and b["classes"] == [0, 1]
    assert b["betti"][0] == [[1, 0], [1, 1]]  # a disc; an annulus has one loop
    # the topological reading: a tanh network of invertible maps carries them to the end
    assert b["reading"] == "topological" and b["sources"][1:] == ["carried"] * (
        len(b["sources"]) - 1
    )
    assert all(v == [[1, 0], [1, 1]] for v in b["betti"])
    st = out["stretch"]
    assert st["stage"] == s.net.names[-2] and decode(st["values"]).shape == (64, 64)
    assert (decode(st["values"]) > 0).all()


def test_diagnostics_without_ripser_or_hidden_layers_still_answer(monkeypatch):
    monkeypatch.setitem(sys.modules, "ripser", None)  # import ripser raises ImportError
    s = Session("disc_annulus", hidden=(3,))
    (out,) = s.handle(msg(type="diagnostics"))
    assert out["type"] == "diagnostics" and "betti" not in out
    assert "ripser" in out["betti_error"] and "stretch" in out
    s = Session("disc_annulus", hidden=())  # no hidden stage: nothing to stretch
    (out,) = s.handle(msg(type="diagnostics"))
    assert out["type"] == "diagnostics" and "stretch" not in out
    assert [r["name"] for r in out["rows"]] == s.net.names


def test_nonfinite_loss_pauses_and_restores():
    s = Session()
    s.handle(msg(type="set_train", lr=10.0, optimizer="sgd"))
    s.playing = True
    with pytest.raises(InputError, match="lower the learning rate"):
        for _ in range(200):
            s.train(max_steps=50)
            s.handle(msg(type="set_train", lr=10.0))
            with torch.no_grad():  # push the weights to overflow
                s.net.stages[0].weight.mul_(1e10)
    assert not s.playing
    assert all(torch.isfinite(v).all() for v in s.net.state_dict().values())


# ----------------------------------------------------------------------- the socket, HTTP
@pytest.fixture
def client(tmp_path):
    from fastapi.testclient import TestClient

    from isotopy.web import create_app

    app = create_app(export_dir=tmp_path / "exports", allowed_hosts=["testserver"])
    with TestClient(app) as c:
        yield c


def connect(client, path="/ws", origin="http://testserver", **kw):
    """The page's own WebSocket: it always carries the page's Origin."""
    return client.websocket_connect(path, headers={"origin": origin, **kw})


def roundtrip(ws, *messages, ping_id=424242):
    """Send messages then a ping; return every message received before the pong."""
    for m in messages:
        ws.send_text(m if isinstance(m, str) else json.dumps(m))
    ws.send_text(json.dumps({"type": "ping", "id": ping_id}))
    out = []
    while True:
        m = json.loads(ws.receive_text())
        if m["type"] == "pong" and m.get("id") == ping_id:
            return out
        out.append(m)


def until(ws, pred, already=(), limit=2000):
    """The first message (among ``already``, then new ones) for which ``pred`` holds."""
    for m in already:
        if pred(m):
            return m
    for _ in range(limit):
        m = json.loads(ws.receive_text())
        if pred(m):
            return m
    raise AssertionError("no such message")


def test_http_routes(client):
    r = client.get("/")
    assert r.status_code == 200 and "isotopy explorer" in r.text
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/api/registry").json()["limits"]["max_width"] == LIMITS["max_width"]
    for bad in ["nope", "../../etc/passwd", "%2e%2e%2fetc%2fpasswd", "a" * 40]:
        assert client.get(f"/download/{bad}").status_code == 404
    assert client.get("/static/../protocol.py").status_code == 404


def test_socket_session_flow(client, tmp_path):
    with connect(client) as ws:
        first = [json.loads(ws.receive_text())["type"] for _ in range(4)]
        assert first == ["registry", "data", "network", "status"]
        out = roundtrip(
            ws,
            {"type": "set_network", "hidden": [2, 2, 2]},
            {"type": "view", "stage": 6},
            {"type": "step", "steps": 30, "id": 7},
        )
        assert any(m["type"] == "network" and m["hidden"] == [2, 2, 2] for m in out)
        st = until(ws, lambda m: m["type"] == "status" and m.get("id") == 7, out)
        assert st["step"] == 30 and "stopped" not in st
        # bad messages: an error each, and the session keeps serving
        bad = [
            '{"type": "step", "steps": -1}',
            "{{{",
            '{"type": "view", "stage": 99}',
            json.dumps({"type": "add_point", "x": [1.0] * 50_000, "label": 0}),
            '{"type": "play", "surprise": true}',
        ]
        out = roundtrip(ws, *bad)
        assert sum(m["type"] == "error" for m in out) == len(bad)
        ws.send_bytes(b"\x00\x01\x02")
        out = roundtrip(ws, {"type": "play"})
        assert any(m["type"] == "error" and "binary" in m["message"] for m in out)
        frames = []
        while len(frames) < 5:
            m = json.loads(ws.receive_text())
            if m["type"] == "frame":
                frames.append(m)
        assert frames[-1]["step"] > frames[0]["step"] >= 30  # playing advances training
        assert decode(frames[-1]["stage"]["points"]).shape[1] == 2
        out = roundtrip(ws, {"type": "set_train", "lr": 0.005})
        status = [m for m in out if m["type"] == "status"][-1]
        assert status["lr"] == 0.005 and status["playing"] and status["step"] > 30
        roundtrip(ws, {"type": "pause"})
        out = roundtrip(ws, {"type": "export", "what": "weights"})
        dl = [m for m in out if m["type"] == "download"][0]
        r = client.get(dl["url"])
        assert r.status_code == 200 and len(r.content) == dl["size"]
        assert "attachment" in r.headers["content-disposition"]
        saved = list((tmp_path / "exports").iterdir())
        assert len(saved) == 1 and saved[0].name.endswith(".safetensors")


def test_sessions_are_isolated(client):
    with connect(client) as a, connect(client) as b:
        roundtrip(a, {"type": "set_data", "dataset": "spirals", "n": 100})
        out = roundtrip(a, {"type": "step", "steps": 25, "id": 1})
        until(a, lambda m: m["type"] == "status" and m.get("id") == 1, out)
        out = roundtrip(b, {"type": "step", "steps": 3, "id": 2})
        st = until(b, lambda m: m["type"] == "status" and m.get("id") == 2, out)
        assert st["step"] == 3
        frames = [
            m
            for m in roundtrip(b, {"type": "add_point", "x": [0.0, 0.0], "label": 0})
            if m["type"] == "data"
        ]
        assert frames[0]["info"]["dataset"] == "disc_annulus"
        assert decode(frames[0]["points"]).shape[0] == 501


def test_serve_port_in_use_is_one_sentence(cli):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        proc = cli("serve", "--port", port, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"isotopy: error: port {port} on 127.0.0.1 is already in "
        f"use; stop what uses it or choose another with --port"
    )
    assert "Traceback" not in proc.stderr


def test_serve_help_and_bad_port(cli_inproc):
    code, out, _ = cli_inproc("serve", "--help")
    assert code == 0 and "isotopy serve --port 8000" in out and "127.0.0.1" in out
    code, _, err = cli_inproc("serve", "--port", "70000")
    assert code == 2 and "--port must be between 0 and 65535" in err


# ------------------------------------------------------------------------- animations
def test_isotopy_and_replay_frames():
    s = Session("disc_annulus", hidden=(2,))
    s.train(max_steps=60)
    (iso,) = s.handle(msg(type="animate", kind="isotopy", frames=12))
    pts = decode(iso["points"])
    assert iso["n_frames"] == 12 and pts.shape == (12, len(s.X), iso["dim"])
    np.testing.assert_allclose(pts[0][:, :2], s.X, atol=1e-5)  # starts at the input
    last = s.net.trace(s.X)[-2][1]  # the read-out's input
    # it ends at the last layer, up to a swap of the two units that makes det W > 0
    end = pts[-1][:, :2]
    assert np.allclose(end, last, atol=1e-4) or np.allclose(end, last[:, ::-1], atol=1e-4)
    assert decode(iso["grid"]).shape[:1] == (12,) and decode(iso["bounds"]).shape == (12, 2, 2)
    assert not any(iso["flagged"])  # tanh and an invertible 2x2 map: an isotopy throughout
    (rep,) = s.handle(msg(type="animate", kind="replay", frames=8))
    assert rep["n_frames"] == 8 and len(rep["titles"]) == 8
    s.handle(msg(type="set_network", hidden=[3], activation="relu"))
    (iso,) = s.handle(msg(type="animate", kind="isotopy", frames=10))
    assert any(iso["flagged"])  # relu is not injective: flagged, never passed off as isotopy
    with pytest.raises(InputError, match="train for a few steps"):
        s.handle(msg(type="animate", kind="replay", frames=8))


def test_gif_and_mp4_exports():
    import imageio.v3 as iio

    s = Session("disc_annulus", hidden=(2,))
    s.train(max_steps=20)
    (gif,) = s.handle(msg(type="export", what="gif", kind="isotopy", frames=6, size=160))
    assert gif["bytes"][:6] == b"GIF89a" and gif["filename"].endswith(".gif")
    assert iio.imread(gif["bytes"], index=None, extension=".gif").shape[0] == 6
    (mp4,) = s.handle(msg(type="export", what="mp4", kind="replay", frames=6, size=160))
    assert mp4["bytes"][4:8] == b"ftyp" and mp4["media"] == "video/mp4"


# ---------------------------------------------------------------- bounded work, robustness
def test_grid_is_capped_in_every_dimension():
    from isotopy.web.views import MAX_GRID_VERTICES, grid_plan

    for d in range(1, LIMITS["max_dim"] + 1):
        lines, samples = grid_plan(d)
        n_lines = 1 if d == 1 else d * lines ** (d - 1)
        assert n_lines * samples <= MAX_GRID_VERTICES and lines >= 2 - (d == 1) and samples >= 2
    assert grid_plan(2) == (17, 40) and grid_plan(3) == (5, 40)  # as before in 2-D and 3-D


def test_values_beyond_float32_are_one_sentence():
    """Values that overflow float32 are refused by the library's check (as_data) when the
    network takes the points, training or test; the old data and network are kept."""
    s = Session()
    s.train(max_steps=5)
    before = (s.net, s.data, s.step_count)
    with pytest.raises(InputError, match=r"^training data contains NaN or infinite values$"):
        s.handle(msg(type="upload_csv", text="0.1,0.2,0\n1e300,0.5,1\n0.3,0.1,1\n"))
    rows = "".join(f"{i % 7 / 7:.3f},{i % 5 / 5:.3f},{i % 2}\n" for i in range(40))
    with pytest.raises(InputError, match=r"^(training|test) data contains NaN or infinite"):
        s.handle(msg(type="upload_csv", text=rows + "1e300,0.5,1\n-1e300,0.5,0\n" * 20))
    assert (s.net, s.data, s.step_count) == before  # the old data is kept
    assert s.data_info["dataset"] == "disc_annulus"


def test_export_memory_is_capped_before_any_work():
    from isotopy.web.animation import MAX_EXPORT_BYTES, check_export_size

    check_export_size(240, 480)  # the largest default-size video fits
    with pytest.raises(
        InputError,
        match=r"240 frames at 1000 pixels would need 676 MB.* at "
        r"most 63 frames at this size",
    ):
        check_export_size(240, 1000)
    assert MAX_EXPORT_BYTES < 256 * 2**20


def test_export_dir_never_overwrites(tmp_path):
    from isotopy.web.downloads import DownloadStore

    for run in range(2):  # two server runs write the same export names
        store = DownloadStore(export_dir=tmp_path, now=lambda: 1_700_000_000.0)
        tab = store.tab()
        for _ in range(2):
            store.put(tab, b"run%d" % run, "isotopy-data.csv", "text/csv")
    files = sorted(tmp_path.iterdir())
    assert (
        len(files) == 4 and sorted(f.read_bytes() for f in files) == [b"run0"] * 2 + [b"run1"] * 2
    )


def test_bad_data_and_high_dimensions_keep_the_session_answering(client):
    with connect(client) as ws:
        for _ in range(4):
            ws.receive_text()
        out = roundtrip(ws, {"type": "upload_csv", "text": "0,0,0\n1e300,1,1\n2,2,1\n", "id": 3})
        errors = [m for m in out if m["type"] == "error"]
        assert len(errors) == 1 and errors[0]["id"] == 3 and "infinite" in errors[0]["message"]
        # 8-D nested spheres: the grid is capped, so the views stay small and quick
        out = roundtrip(
            ws,
            {"type": "set_data", "dataset": "nested_spheres", "params": {"dim": 8}, "id": 4},
            {"type": "set_network", "hidden": [16] * 8},
        )
        assert [m for m in out if m["type"] == "error"] == []
        (data,) = [m for m in out if m["type"] == "data"]
        assert data["dim"] == 8
        # ... and the page is told so in one plain sentence (shown once, and kept as a note)
        (info,) = [m for m in out if m["type"] == "info"]
        assert (
            info["message"]
            == data["note"]
            == (
                "The data has 8 features: the views show it through its top 3 principal axes, "
                "and its grid is thinned to the edges of the box (1,024 lines of 19 points, "
                "instead of 5 lines per axis) to keep each view update small."
            )
        )
        stage = until(ws, lambda m: m["type"] == "frame" and "stage" in m)
        grid = stage["stage"]["grid"]["shape"]
        assert grid[0] * grid[1] <= 20_000 and grid[2] == 3  # through principal axes
        # every streamed view is well under 1 MB
        out = roundtrip(ws, {"type": "play"})
        sizes = []
        while len(sizes) < 3:
            raw = ws.receive_text()
            if json.loads(raw)["type"] == "frame":
                sizes.append(len(raw))
        assert max(sizes) < 1_000_000
        roundtrip(ws, {"type": "pause"})
        out = roundtrip(ws, {"type": "view", "stage": 3})
        assert any(m["type"] == "status" and m["stage"] == 3 for m in out)
        stage = until(ws, lambda m: m["type"] == "frame" and m.get("stage", {}).get("index") == 3)
        assert stage["stage"]["meta"]["projection"] == "top 3 principal axes of the points"
        # 2-D data again: the full grid, and no note
        out = roundtrip(ws, {"type": "set_data", "dataset": "disc_annulus", "id": 5})
        assert [m for m in out if m["type"] in ("info", "error")] == []
        assert [m for m in out if m["type"] == "data"][0]["note"] is None


def test_a_long_step_request_stops_at_pause(client):
    with connect(client) as ws:
        for _ in range(4):
            ws.receive_text()
        roundtrip(ws, {"type": "set_network", "hidden": [16] * 8})
        ws.send_text(json.dumps({"type": "step", "steps": 20000, "id": 11}))
        until(ws, lambda m: m["type"] == "frame" and m["step"] > 0)
        ws.send_text(json.dumps({"type": "pause", "id": 12}))
        got = {}
        for _ in range(500):
            m = json.loads(ws.receive_text())
            if m["type"] == "status" and m.get("id") in (11, 12):
                got[m["id"]] = m
            if len(got) == 2:
                break
        assert got[11]["stopped"] == "paused" and 0 < got[11]["step"] < 20000
        assert not got[12]["playing"]
        step = got[12]["step"]
        out = roundtrip(ws, {"type": "ping"})
        assert [m["step"] for m in out if m["type"] == "status"] in ([], [step])


def test_exceptions_are_reported_and_the_session_lives(client, monkeypatch):
    def broken_frame(self):
        return {"type": "frame", "step": 0, "loss": float("inf")}  # json refuses inf

    def broken_handle(self, m):
        raise RuntimeError("boom")

    with connect(client) as ws:
        for _ in range(4):
            ws.receive_text()
        monkeypatch.setattr(Session, "frame", broken_frame)
        out = roundtrip(ws, {"type": "view", "stage": 1})
        err = until(ws, lambda m: m["type"] == "error", out)
        assert "could not send its frame" in err["message"]
        monkeypatch.setattr(Session, "_on_reset", broken_handle)
        out = roundtrip(ws, {"type": "reset", "id": 9})
        err = [m for m in out if m["type"] == "error" and m.get("id") == 9]
        assert len(err) == 1 and "internal error (RuntimeError): boom" in err[0]["message"]
        monkeypatch.undo()
        out = roundtrip(ws, {"type": "step", "steps": 2, "id": 10})
        assert until(ws, lambda m: m["type"] == "status" and m.get("id") == 10, out)["step"] == 2


# ------------------------------------------------------------------ the readable state
def test_readable_state_is_the_library_rule_on_the_session_snapshots():
    from types import SimpleNamespace

    from isotopy.scene import stage_scene
    from isotopy.train.readable import state_at

    s = Session("disc_annulus", hidden=(3,))
    s.handle(msg(type="set_train", lr=0.1))
    s.handle(msg(type="view", stage=2))  # the tanh layer
    s.train(max_steps=300)  # Adam grows the weights long after every point is right
    live = s.frame()
    assert live["state"]["kind"] == "live" and live["state"]["label"] == "live network, step 300"
    (status,) = s.handle(msg(type="show", state="readable"))
    assert status["show"] == "readable"
    f = s.frame()
    run = SimpleNamespace(
        snapshots=list(s.snapshots), record_steps=list(s.snap_steps), steps_done=s.step_count
    )
    ref = state_at(s.net, run, s.X_train, s.y_train, "readable")
    assert f["state"]["step"] == ref.step < 300 and f["state"]["label"] == ref.label()
    assert ref.label() in f["stage"]["title"] and "hidden layer 1, tanh" in f["stage"]["title"]
    for k, v in ref.net.state_dict().items():
        assert torch.equal(s.view_net().state_dict()[k], v)
    sc = stage_scene(ref.net, s.X, s.y, 2, domain=s.domain, lines=17, samples=40)
    np.testing.assert_allclose(decode(f["stage"]["points"]), sc.points, atol=1e-6)
    # the readable state is far less saturated than the live network
    assert f["stage"]["edge"] == pytest.approx(ref.edge["tanh1"])
    assert f["state"]["max_edge"] < live["state"]["max_edge"]
    assert f["stage"]["edge"] < live["stage"]["edge"]
    # training on keeps the state; pausing (nothing left to do) recomputes it
    s.playing = True
    s.train(max_steps=20)
    assert s.frame()["state"]["final_step"] == 300
    s.handle(msg(type="pause"))
    assert s.frame()["state"]["final_step"] == 320
    # animations, diagnostics and exports show the readable network
    (anim,) = s.handle(msg(type="animate", kind="isotopy", frames=4))
    assert anim["state"] == s.state.label() and anim["step"] == s.state.step
    (diag,) = s.handle(msg(type="diagnostics"))
    assert diag["rows"][1]["edge"] == pytest.approx(s.state.edge["tanh1"])
    (w,) = s.handle(msg(type="export", what="weights"))
    assert w["filename"] == f"isotopy-weights-readable-step{s.state.step}.safetensors"
    s.handle(msg(type="show", state="live"))
    assert s.view_net() is s.net and s.frame()["state"]["kind"] == "live"


def test_stage_views_use_the_oriented_coordinates():
    from isotopy.paths import orient_network

    s = Session("disc_annulus", hidden=(2,))
    s.train(max_steps=5)
    W = s.net.stages[0].weight[0]
    if torch.linalg.det(W) > 0:  # make the first layer orientation-reversing
        with torch.no_grad():
            s.net.stages[0].weight[0] = W[[1, 0]]
            s.net.stages[0].bias[0] = s.net.stages[0].bias[0][[1, 0]]
    k = s.views.readout_in()
    sc = s.scene_json(k, state=s.shown_state())
    assert sc["meta"]["swapped"] == [0, 1] and "swapped" in sc["title"]
    onet = orient_network(s.net)[0]
    np.testing.assert_allclose(decode(sc["points"]), onet.trace(s.X)[k][1], atol=1e-5)
    # the read-out's decision field is drawn in the same (swapped) coordinates
    ref = s.field_json(k, sc["bounds"], onet)
    assert sc["field"]["values"]["b64"] == ref["values"]["b64"]
    words = [st["words"] for st in s.network_message()["stages"]]
    assert words[0] == "input" and words[2] == "hidden layer 1, tanh"


def test_the_reused_oriented_copy_is_orient_network_at_every_step():
    """The views update one copy in place instead of deep-copying per view (orient_in_place):
    it must give orient_network's parameters and swaps after every training step, swaps or
    not."""
    from isotopy.paths import orient_network
    from isotopy.scene import stage_scene

    s = Session("disc_annulus", hidden=(2, 2, 2))
    swaps_seen = 0
    for seed in range(6):
        s.handle(msg(type="reset", seed=seed))
        for _ in range(3):
            s.train(max_steps=7)
            got, swaps = s.oriented(s.net)
            ref, ref_swaps = orient_network(s.net)
            assert swaps == ref_swaps
            swaps_seen += len(swaps)
            for (k1, v1), (k2, v2) in zip(got.state_dict().items(), ref.state_dict().items()):
                assert k1 == k2 and torch.equal(v1, v2), k1
            k = len(s.net.stages) - 1
            state = s.shown_state()
            sc = s.scene_json(k, state=state)  # the title the library gives the same view
            lib = stage_scene(
                s.net, s.X, s.y, k, domain=s.domain, regions=False, state=state["label"]
            )
            assert sc["title"] == lib.title
            assert sc["meta"].get("swapped") == (
                None if lib.meta["swapped"] is None else list(lib.meta["swapped"])
            )
    assert swaps_seen > 0  # some states needed a swap, so both branches were checked


def test_coarse_views_say_so_and_keep_the_same_picture():
    """Under load the frame is coarser (fewer field pixels and grid vertices) and says so; the
    coarse grid's vertices lie on the full grid's lines (the same deformation, sampled less)."""
    from isotopy.web.scenes import COARSE_FIELD_RES, COARSE_GRID_SAMPLES, FIELD_RES

    s = Session("disc_annulus", hidden=(2, 2))
    s.handle(msg(type="view", stage=2))
    s.train(max_steps=10)
    full = s.frame()
    s.coarse = True
    s.handle(msg(type="play"))
    coarse = s.frame()
    assert "coarse" not in full and coarse["coarse"] is True
    assert decode(full["input_field"]["values"]).shape == (FIELD_RES, FIELD_RES)
    assert decode(coarse["input_field"]["values"]).shape == (COARSE_FIELD_RES, COARSE_FIELD_RES)
    g_full, g_coarse = decode(full["stage"]["grid"]), decode(coarse["stage"]["grid"])
    assert g_coarse.shape[:2] == (g_full.shape[0], COARSE_GRID_SAMPLES)
    # the first and last vertex of every line are the same points of the input box
    np.testing.assert_allclose(g_coarse[:, [0, -1]], g_full[:, [0, -1]], atol=1e-5)
    np.testing.assert_allclose(
        decode(coarse["stage"]["points"]), decode(full["stage"]["points"]), atol=1e-6
    )
    assert coarse["state"]["step"] == s.step_count == full["step"]


# ------------------------------------------------------- sizes checked on what is sent (24)
def test_a_csv_within_its_limit_fits_in_a_message_as_sent():
    """The page sends a CSV as a JSON string: line ends, quotes and backslashes are escaped
    in two characters. A CSV of the largest size still fits the message limit, and the
    WebSocket frame limit lies above the message limit."""
    n = LIMITS["max_csv_chars"]
    for unit in ["0,1\r\n", "1,0\n", '"a",1\n', "\\\\\\\\\\\\\n"]:
        text = (unit * (n // len(unit) + 1))[:n]
        sent = json.dumps({"type": "upload_csv", "text": text, "seed": 2**31 - 1, "id": 2**53})
        assert len(sent) <= LIMITS["max_message_chars"], unit
        assert parse_message(sent).text == text
    assert LIMITS["max_message_bytes"] > LIMITS["max_message_chars"]


def test_every_refusal_names_its_request_and_id(client):
    too_big = json.dumps({"type": "upload_csv", "text": "0,1,0\n" * 900_000, "id": 77})
    assert len(too_big) > LIMITS["max_message_chars"]
    long_csv = "x" * (LIMITS["max_csv_chars"] + 1)
    with connect(client) as ws:
        out = roundtrip(
            ws,
            too_big,
            json.dumps({"type": "set_network", "hidden": [99], "id": 78}),
            json.dumps({"type": "upload_csv", "text": long_csv, "id": 79}),
        )
        errors = {m["id"]: m for m in out if m["type"] == "error"}
        assert set(errors) == {77, 78, 79}
        assert errors[77]["request"] == "upload_csv"
        assert errors[77]["message"].startswith("message too large: ")
        assert errors[79]["request"] == "upload_csv" and "at most 2500000" in errors[79]["message"]


def test_no_more_classes_than_the_page_can_label():
    s = Session()
    eleven = "".join(f"{i % 7 / 7:.3f},{i % 5 / 5:.3f},{i % 11}\n" for i in range(220))
    with pytest.raises(InputError, match="^data has 11 classes; the explorer takes at most 10$"):
        s.handle(msg(type="upload_csv", text=eleven))
    ten = "".join(f"{i % 7 / 7:.3f},{i % 5 / 5:.3f},{i % 10}\n" for i in range(200))
    s.handle(msg(type="upload_csv", text=ten))
    assert s.n_classes == LIMITS["max_classes"] == 10
    s.handle(msg(type="add_point", x=[0.5, 0.5], label=9))
    with pytest.raises(InputError, match="the class must be at most 9"):
        msg(type="add_point", x=[0.5, 0.5], label=10)


def test_a_session_opens_on_a_saved_run_and_refuses_what_the_page_cannot_show(tmp_path):
    from isotopy.nn import Affine, Network, VectorField
    from isotopy.train import load_run, save_run, train_run
    from isotopy.train.readable import state_at

    run = train_run("interval", hidden=(2,), steps=200, n=120, seed=1, record_every=20)
    save_run(run, tmp_path / "run")
    loaded = load_run(tmp_path / "run")
    s = Session.from_run(loaded, 100)
    ref = state_at(loaded.net, loaded.history, loaded.X_train, loaded.y_train, 100)
    for k, v in ref.net.state_dict().items():
        assert torch.equal(s.net.state_dict()[k], v)  # the network at the step asked for
    np.testing.assert_array_equal(s.X_train, loaded.X_train)  # the run's own split
    np.testing.assert_array_equal(s.y_test, loaded.y_test)
    assert s.step_count == 0 and s.penalty == "edge" and "step 100 of 200" in s.data_info["opened"]
    s.train(max_steps=5)
    assert s.step_count == 5
    field = Network.from_stages([VectorField(2, n_anchors=4), Affine(2, 1)], 2)
    odd = train_run("disc_annulus", net=field, steps=5, n=60, seed=0)
    with pytest.raises(InputError, match="opens runs of affine stages and one activation"):
        Session.from_run(odd)


def test_serve_refuses_a_missing_run_in_one_sentence(tmp_path, cli):
    proc = cli("serve", "--run", tmp_path / "nothing", "--port", "0", check=2)
    assert "does not exist" in proc.stderr and "Traceback" not in proc.stderr
