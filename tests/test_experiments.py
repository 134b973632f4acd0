"""Experiments: the registry, the CLI (--list, each experiment with tiny settings), and the
numbers each returns."""

from __future__ import annotations

import json

import numpy as np
import pytest

from isotopy import InputError
from isotopy.cli import main
from isotopy.experiments import EXPERIMENTS, run_experiment

NAMES = ["width_sweep", "linked_tori", "unlink", "betti_layers", "contractive"]

TINY = {
    "width_sweep": ["--dims", "1", "--widths", "1,2", "--seeds", "2", "--steps", "300"],
    "linked_tori": ["--widths", "3", "--depth", "1", "--seeds", "2", "--steps", "30",
                    "--n", "100", "--dense", "200"],
    "unlink": ["--depth", "1", "--seeds", "2", "--steps", "30", "--n", "100", "--dense", "200"],
    "betti_layers": ["--hidden", "3", "--seeds", "1", "--steps", "30", "--n", "200",
                     "--dense", "300"],
    "contractive": ["--widths", "2", "--lambdas", "0,1", "--seeds", "2", "--steps", "30",
                    "--n", "100"],
}


def test_registry_lists_the_five_experiments():
    assert list(EXPERIMENTS)[:5] == NAMES
    for spec in EXPERIMENTS.values():
        assert spec.summary and "\n" not in spec.summary
    with pytest.raises(InputError, match="unknown experiment"):
        run_experiment("nope")


def test_cli_list(cli):
    out = cli("experiment", "--list", check=0).stdout
    for name in NAMES:
        assert name in out


def test_cli_help_and_bad_input(capsys):
    with pytest.raises(SystemExit):
        main(["experiment", "width_sweep", "--help"])
    h = capsys.readouterr().out
    assert "example:" in h and "isotopy experiment width_sweep" in h and "--seeds" in h
    assert main(["experiment"]) == 2
    assert "name an experiment" in capsys.readouterr().err
    assert main(["experiment", "contractive", "--lambdas", "x"]) == 2
    assert "lambdas must be" in capsys.readouterr().err
    assert main(["experiment", "unlink", "--json", "no/such/folder/x.json"]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("name", NAMES)
def test_each_experiment_runs_from_the_cli(tmp_path, capsys, name):
    out = tmp_path / "out.json"
    assert main(["experiment", name, *TINY[name], "--json", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["experiment"] == name and data["summary"]


def test_width_sweep_numbers_and_bound():
    r = run_experiment("width_sweep", dims="1", widths="1,2", seeds=3, steps=400)
    res = r["results"][0]
    assert res["bound"] == 2 and res["widths"] == [1, 2]
    ga = np.array(res["grid_accuracy"])  # (seeds, widths)
    assert ga.shape == (3, 2)
    assert ga[:, 0].max() < 1.0  # width 1 cannot separate an interval from both sides
    assert ga[:, 1].max() > ga[:, 0].max()


def test_unlink_certificate_fields():
    r = run_experiment("unlink", depth=1, seeds=2, steps=30, n=100, dense=200)
    cert = r["certificate"]
    assert set(cert) >= {"linking", "all_homeomorphisms", "core_misclassified", "determinants"}
    assert all(v == 0 for v in cert["linking_3d"])  # no homeomorphism links an unlink
    assert isinstance(r["separated"], bool)
