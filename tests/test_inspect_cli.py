"""``isotopy inspect`` on a run folder and on a factory + safetensors model; one-sentence
errors (exit 2, no traceback, no output folder left behind) for bad models, weights,
layers and data."""

from __future__ import annotations

import json

import numpy as np

FACTORY = """
import torch
from torch import nn


def make_net():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 10)
    )


def not_a_module():
    return 3


def broken():
    raise RuntimeError("no weights here")


def leaves():
    raise SystemExit(1)
"""


def _factory(tmp_path, *, weights_shape_ok=True):
    import torch
    from safetensors.torch import save_file

    (tmp_path / "mynets.py").write_text(FACTORY)
    torch.manual_seed(1)
    sd = {
        "0.weight": torch.randn(32, 64),
        "0.bias": torch.randn(32),
        "2.weight": torch.randn(16, 32),
        "2.bias": torch.randn(16),
        "4.weight": torch.randn(10, 16),
        "4.bias": torch.randn(10),
    }
    save_file(sd, str(tmp_path / "good.safetensors"))
    sd["2.weight"] = torch.randn(16, 33)
    save_file(sd, str(tmp_path / "bad.safetensors"))
    torch.save(sd, tmp_path / "pickled.pt")


def _one_sentence(capsys, args, pattern):
    """Run ``isotopy ARGS`` in this process: exit 2 and one line on stderr matching."""
    import re

    from isotopy.cli import main

    assert main(list(args)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert re.search(pattern, err[0]), err[0]


def test_factory_and_safetensors_on_digits(cli, tmp_path):
    _factory(tmp_path)
    proc = cli(
        "inspect", "--model", "mynets:make_net", "--weights", "good.safetensors", "--digits",
        "--subsample", "30", "--stretch-points", "3", "--betti-points", "30", "--out", "o",
        check=0,
    )  # fmt: skip
    assert "wrote o/" in proc.stdout
    out = tmp_path / "o"
    assert sorted(p.name for p in out.iterdir()) == [
        "index.html",
        "inspection.json",
        "measures.png",
        "table.csv",
    ]
    res = json.loads((out / "inspection.json").read_text())
    assert res["layers"] == ["input", "0", "1", "2", "3", "4"]
    assert res["dims"] == [64, 32, 32, 16, 16, 10]
    assert res["counts"] == [30] * 10
    assert all(0 <= v <= 1 for v in res["knn_all"])
    # the weights were loaded: inspecting again with another seed's weights differs
    assert "<table>" in (out / "index.html").read_text()


def test_run_folder(cli, tmp_path):
    from isotopy.train import save_run, train_run

    save_run(train_run("disc_annulus", n=200, hidden="3", steps=50), tmp_path / "run")
    # all 100 points per class: the robust Betti reading does not resolve the annulus's hole
    # from 30 (death/birth 1.4-1.6, as high as the noise loops of a 30-point disc)
    proc = cli(
        "inspect", "run", "--out", "o", "--subsample", "200", "--measures", "betti,knn",
        check=0,
    )  # fmt: skip
    res = json.loads((tmp_path / "o" / "inspection.json").read_text())
    assert res["layers"] == ["input", "affine1", "tanh1", "readout"]
    assert res["betti"][0] == [[1, 0], [1, 1]]  # the disc and the annulus as they are
    assert "readout" in proc.stdout


def test_bad_models_and_weights(tmp_path, monkeypatch, capsys):
    _factory(tmp_path)
    monkeypatch.chdir(tmp_path)
    common = ["--digits", "--subsample", "10", "--out", "o"]
    cases = [
        (["--model", "mynets:missing"], r"has no factory 'missing'"),
        (["--model", "nowhere.mod:f"], r"cannot import module 'nowhere.mod'"),
        (["--model", "mynets:not_a_module"], r"returned int, not a torch\.nn\.Module"),
        (
            ["--model", "mynets:make_net", "--weights", "bad.safetensors"],
            r"do not match the model: shape of 2\.weight \(16, 33\) vs \(16, 32\)",
        ),
        (
            ["--model", "mynets:make_net", "--weights", "pickled.pt"],
            r"must be a \.safetensors file",
        ),
        (["--model", "mynets"], r"must look like package\.module:factory"),
    ]
    for args, pattern in cases:
        _one_sentence(capsys, ["inspect", *args, *common], pattern)
    assert not (tmp_path / "o").exists()


def test_bad_layers_and_data(tmp_path, monkeypatch, capsys):
    _factory(tmp_path)
    monkeypatch.chdir(tmp_path)
    model = ["inspect", "--model", "mynets:make_net", "--weights", "good.safetensors"]
    model += ["--out", "o"]
    _one_sentence(
        capsys,
        [*model, "--digits", "--layers", "0,9"],
        r"no layer '9'; valid layers are: 0, 1, 2, 3, 4",
    )
    _one_sentence(
        capsys,
        [*model, "--dataset", "disc_annulus", "--n", "100"],
        r"cannot take inputs of shape \(\d+, 2\)",
    )
    np.savez(tmp_path / "d.npz", X=np.full((20, 64), np.nan), y=np.arange(20) % 2)
    _one_sentence(capsys, [*model, "--data", "d.npz"], r"NaN")
    _one_sentence(capsys, [*model, "--dataset", "no_such"], r"unknown dataset 'no_such'")
    assert not (tmp_path / "o").exists()
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "keep.txt").write_text("mine")
    _one_sentence(capsys, [*model, "--digits"], r"exists and is not empty")
    from isotopy.cli import main

    assert main([*model, "--list-layers"]) == 0
    assert capsys.readouterr().out.split() == ["0", "1", "2", "3", "4"]


def test_bad_input_shapes_factories_and_out(tmp_path, monkeypatch, capsys):
    _factory(tmp_path)
    (tmp_path / "badmod.py").write_text("raise ValueError('broken at import')\n")
    monkeypatch.chdir(tmp_path)
    model = ["inspect", "--model", "mynets:make_net", "--weights", "good.safetensors"]
    data = ["--digits", "--subsample", "10", "--measures", "knn", "--out", "o"]
    cases = [
        (["--input-shape", "3,3"], r"holds 9 values per input, but each input .* has 64"),
        (["--input-shape", "1,8,8"], r"cannot take inputs of shape \(\d+, 1, 8, 8\)"),
        (["--input-shape=-1,64"], r"integer >= 1, got -1"),
        (["--input-shape", "a,b"], r"comma-separated integers"),
    ]
    for args, pattern in cases:
        _one_sentence(capsys, [*model, *data, *args], pattern)
    for spec, pattern in [
        ("mynets:broken", r"the factory 'mynets:broken' failed: RuntimeError: no weights here"),
        ("mynets:leaves", r"the factory 'mynets:leaves' failed: SystemExit"),
        ("badmod:f", r"importing module 'badmod' .* failed: ValueError: broken at import"),
    ]:
        _one_sentence(capsys, ["inspect", "--model", spec, *data], pattern)
    _one_sentence(capsys, [*model, "--digits"], r"give --out DIR")
    assert not (tmp_path / "o").exists()
    from isotopy.cli import main

    assert main([*model, "--list-layers"]) == 0  # no --out needed to list the layers
    assert capsys.readouterr().out.split() == ["0", "1", "2", "3", "4"]


def test_input_shape_errors_exit_2_without_a_traceback(tmp_path):
    import subprocess
    import sys

    _factory(tmp_path)
    out = subprocess.run(
        [sys.executable, "-m", "isotopy", "inspect", "--model", "mynets:make_net", "--digits"]
        + ["--subsample", "10", "--input-shape", "3,3", "--out", "o"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert "holds 9 values per input" in out.stderr
