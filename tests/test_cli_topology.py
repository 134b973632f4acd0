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
