"""The command line through a subprocess: normal use and every kind of bad input."""

import json

import pytest
from PIL import Image


def test_help_has_an_example_on_every_command(cli_inproc):
    from isotopy.cli import COMMANDS

    code, out, _ = cli_inproc("--help")
    assert code == 0 and "example:" in out
    for name in COMMANDS:
        code, out, _ = cli_inproc(name, "--help")
        assert code == 0 and "example:" in out and f"isotopy {name}" in out, name


def test_datasets_lists_every_dataset(cli):
    from isotopy.datasets import DATASETS

    out = cli("datasets", check=0).stdout.splitlines()
    assert [line.split()[0] for line in out] == list(DATASETS)


def test_train_then_plot(cli, tmp_path):
    res = cli(
        "train",
        "--dataset",
        "disc_annulus",
        "--hidden",
        "3",
        "--steps",
        "400",
        "--n-points",
        "200",
        "--out",
        tmp_path / "run",
        check=0,
    )
    assert "train accuracy" in res.stdout and "test accuracy" in res.stdout
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["steps"] == 400 and 0 <= metrics["test_accuracy"] <= 1
    res = cli("plot", tmp_path / "run", "--out", tmp_path / "figs", "--size", "300", check=0)
    names = sorted(p.name for p in (tmp_path / "figs").iterdir())
    assert names == [
        "00_input.png",
        "01_tanh1.html",
        "01_tanh1.png",
        "02_readout.png",
        "strip.png",
        "training.png",
    ]
    assert Image.open(tmp_path / "figs" / "00_input.png").size == (300, 300)
    # input 300 px, the 3-D panel 1.3 times as wide, the output logit 0.8 times
    assert Image.open(tmp_path / "figs" / "strip.png").size[0] == 930


def test_train_from_a_csv_file(cli, tmp_path):
    rows = "".join(f"{x / 10:.2f},{(x % 7) / 7:.2f},{int(x > 15)}\n" for x in range(30))
    (tmp_path / "pts.csv").write_text("a,b,label\n" + rows)
    res = cli(
        "train",
        "--data",
        tmp_path / "pts.csv",
        "--hidden",
        "2",
        "--steps",
        "50",
        "--out",
        tmp_path / "run",
        check=0,
    )
    assert "train accuracy" in res.stdout
    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    assert cfg["data"]["file"].endswith("pts.csv") and cfg["data"]["n"] == 30


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dataset", "nope"], "unknown dataset 'nope'; choose one of: "),
        (["--dataset", "disc_annulus", "--hidden", "2,0"], "every entry of --hidden must be"),
        (["--dataset", "disc_annulus", "--hidden", "two"], "--hidden must be comma-separated"),
        (["--dataset", "disc_annulus", "--steps", "-1"], "--steps must be an integer >= 1"),
        (["--dataset", "disc_annulus", "--activation", "swish"], "unknown activation 'swish'"),
        (["--dataset", "disc_annulus", "--param", "gap=big"], "--param gap needs a number"),
        (["--dataset", "disc_annulus", "--steps", "ten"], "invalid int value: 'ten'"),
        (["--data", "missing.csv"], "data file 'missing.csv' does not exist"),
        (["--data", "nan.csv"], "has a NaN or infinite value (row 2)"),
    ],
)
def test_train_bad_input_is_one_sentence_and_exit_2(cli_inproc, tmp_path, args, message):
    (tmp_path / "nan.csv").write_text("0,0,0\nnan,1,1\n1,1,1\n")
    code, _, err = cli_inproc("train", *args, "--out", "out")
    assert code == 2
    assert message in err
    lines = [ln for ln in err.splitlines() if "error" in ln]
    assert len(lines) == 1, err
    assert not (tmp_path / "out").exists()


def test_bad_input_through_a_real_process_has_no_traceback(cli, tmp_path):
    res = cli("train", "--dataset", "disc_annulus", "--hidden", "2,0", "--out", "out")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.strip().count("\n") == 0  # one line


def test_out_that_is_a_file_and_unreadable_run(cli_inproc, tmp_path):
    (tmp_path / "afile").write_text("keep me")
    code, _, err = cli_inproc("train", "--dataset", "interval", "--steps", "5", "--out", "afile")
    assert code == 2 and "exists and is a file" in err
    assert (tmp_path / "afile").read_text() == "keep me"
    code, _, err = cli_inproc("plot", "nowhere", "--out", "figs")
    assert code == 2 and "does not exist or is not a folder" in err
    assert not (tmp_path / "figs").exists()
    (tmp_path / "notarun").mkdir()
    code, _, err = cli_inproc("plot", "notarun", "--out", "figs")
    assert code == 2 and "is not an isotopy run folder" in err
    code, _, err = cli_inproc("plot", "notarun", "--out", "figs", "--size", "0")
    assert code == 2 and "--size must be an integer >= 50" in err
