"""``isotopy topology RUN_DIR``: diagnostics, width bound, Betti and linking numbers; bad input."""

from __future__ import annotations

import json

import pytest

from isotopy.cli import main
from isotopy.train import save_run, train_run


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    da = save_run(train_run("disc_annulus", n=200, hidden=(2,), steps=100), root / "da")
    lt = save_run(train_run("linked_tori", n=200, hidden=(3,), steps=50), root / "lt")
    return da, lt


@pytest.fixture(scope="module")
def deep_runs(tmp_path_factory):
    """2-3-3-3 networks on disc_annulus (600 points: 300 per class), tanh and ReLU."""
    root = tmp_path_factory.mktemp("deep")
    out = {}
    for act in ("tanh", "relu"):
        run = train_run("disc_annulus", n=600, hidden=(3, 3, 3), activation=act, steps=300)
        out[act] = save_run(run, root / act)
    return out


def test_topology_text_and_json(runs, capsys):
    da, lt = runs
    assert main(["topology", str(da), "--betti", "--stretch"]) == 0
    out = capsys.readouterr().out
    assert "affine1" in out and "cannot separate disc_annulus" in out and "Johnson" in out
    assert "Betti numbers" in out and "stretch" in out
    assert main(["topology", str(lt), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in data["stages"]] == ["affine1", "tanh1", "readout"]
    assert abs(data["linking"]["linking"][0]) == 1  # the input cores form a Hopf link
    assert data["width"]["bound"]["needed"] == 4


def test_topology_bad_input(runs, tmp_path, capsys, cli):
    da, _ = runs
    assert main(["topology", str(da), "--betti", "--maxdim", "3"]) == 2
    assert "up to dimension 2" in capsys.readouterr().err
    assert main(["topology", str(da), "--linking"]) == 2
    assert "not a link dataset" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    proc = cli("topology", str(tmp_path / "empty"), check=2)
    assert "not an isotopy run folder" in proc.stderr and "Traceback" not in proc.stderr


def test_topology_flags_betti_changes_at_homeomorphisms(runs, capsys):
    """An affine stage squashing the annulus 1e4 times: the Euclidean reading loses the hole
    there, the CLI calls it a sampling effect and names the condition number; the robust
    reading (the default) does not change at that stage."""
    import numpy as np
    import torch

    from isotopy.cli.topology import sampling_flags
    from isotopy.nn import Network
    from isotopy.topology import betti_through_network, stage_diagnostics

    rng = np.random.default_rng(0)
    a, r = rng.uniform(0, 2 * np.pi, 600), np.sqrt(rng.uniform(0.49, 1.0, 600))
    X = np.c_[r * np.cos(a), r * np.sin(a)].astype(np.float32)
    y = np.zeros(len(X), dtype=np.int64)
    net = Network(2, (2,), "tanh", seed=0)
    with torch.no_grad():
        net.stages[0].weight[0] = torch.tensor([[1.0, 0.0], [0.0, 1e-4]])
        net.stages[0].bias.zero_()
    diags = stage_diagnostics(net)
    euc = betti_through_network(net, X, y, reading="euclidean")
    assert euc.betti[0, 0].tolist() == [1, 1] and euc.betti[1, 0].tolist() == [1, 0]
    flags = sampling_flags(euc, diags, net, X, y)
    assert flags[0]["stage"] == "affine1" and "condition number" in flags[0]["cause"]
    assert "sampling effect" in flags[0]["message"]
    rob = betti_through_network(net, X, y, reading="robust")
    assert rob.betti[1, 0].tolist() == [1, 1]
    assert not [f for f in sampling_flags(rob, diags, net, X, y) if f["stage"] == "affine1"]
    da, _ = runs
    assert main(["topology", str(da), "--betti", "--reading", "euclidean", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["betti"]["reading"] == "euclidean" and "sampling_flags" in data["betti"]
    with pytest.raises(SystemExit) as exc:
        main(["topology", str(da), "--betti", "--reading", "bogus"])
    assert exc.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_topological_reading_is_the_default_and_keeps_the_input_through_homeomorphisms(
    deep_runs, capsys
):
    assert main(["topology", str(deep_runs["tanh"]), "--betti", "--json"]) == 0
    b = json.loads(capsys.readouterr().out)["betti"]
    assert b["reading"] == "topological" and b["metric"] == "robust"
    assert b["sources"] == ["read"] + ["carried"] * 6  # every tanh stage is a homeomorphism
    assert all(stage == b["betti"][0] for stage in b["betti"])
    assert "homeomorphism onto its image keeps every Betti number" in b["rule"]
    assert main(["topology", str(deep_runs["tanh"]), "--betti"]) == 0
    text = capsys.readouterr().out
    assert "topological reading: carried through homeomorphisms" in text
    assert "[carried: a homeomorphism]" in text and "[read (robust)]" in text


def test_topological_reading_reads_again_after_relu(deep_runs, capsys):
    assert main(["topology", str(deep_runs["relu"]), "--betti", "--json"]) == 0
    b = json.loads(capsys.readouterr().out)["betti"]
    # affine stages (det != 0) carry, every ReLU stage is read again
    assert b["sources"] == ["read", "carried", "read", "carried", "read", "carried", "read"]
    assert main(["topology", str(deep_runs["relu"]), "--betti", "--reading", "geodesic"]) == 0
    assert "geodesic reading of every stage's points" in capsys.readouterr().out
    assert main(["topology", str(deep_runs["relu"]), "--betti", "--rel-scale", "0.2"]) == 2
    assert "only to the euclidean reading" in capsys.readouterr().err
