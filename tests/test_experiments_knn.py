"""The k-NN experiment, its statistics, the experiment CLI and the report sections."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import binomtest

from isotopy.errors import InputError
from isotopy.experiments import EXPERIMENTS
from isotopy.experiments.knn import knn_experiment, mcnemar


def test_mcnemar_matches_the_exact_binomial_test():
    rng = np.random.default_rng(0)
    a, b = rng.random(300) < 0.8, rng.random(300) < 0.7
    r = mcnemar(a, b)
    assert r["only_a"] == int((a & ~b).sum()) and r["only_b"] == int((~a & b).sum())
    assert r["p"] == pytest.approx(binomtest(r["only_a"], r["only_a"] + r["only_b"]).pvalue)
    assert mcnemar(a, a)["p"] == 1.0
    with pytest.raises(InputError, match="paired outcomes"):
        mcnemar(a, b[:10])


def test_knn_experiment_quick_numbers_are_consistent():
    res = knn_experiment("digits", seeds=2, quick=True)
    assert set(res["errors"]) == {"softmax", "knn_penultimate", "knn_trained", "knn_trained_essay"}
    for v in res["errors"].values():
        assert len(v) == 2 and all(0 <= e <= 1 for e in v)
    m = res["mcnemar"]["per_seed"][0]
    # the discordant counts explain the difference of the two error rates exactly
    diff = (res["errors"]["softmax"][0] - res["errors"]["knn_penultimate"][0]) * res["n_test"]
    assert m["only_b"] - m["only_a"] == pytest.approx(diff)
    assert res["sd"]["softmax"] == pytest.approx(np.std(res["errors"]["softmax"], ddof=1))
    text = "\n".join(res["summary"])
    assert "McNemar" in text and "k = 1" in text


def test_knn_experiment_on_tiny_mnist_files(tmp_path, monkeypatch):
    from isotopy.datasets.images import MNIST_FILES, load_digits, write_idx

    d = load_digits(seed=0)  # 8x8 digits written as IDX files stand in for MNIST
    for part in ("train", "test"):
        X, y = getattr(d, f"X_{part}")[:150], getattr(d, f"y_{part}")[:60]
        X = X[: len(y) if part == "test" else 150]
        y = getattr(d, f"y_{part}")[: len(X)]
        write_idx(tmp_path / MNIST_FILES[f"X_{part}"], (X.reshape(-1, 8, 8) * 255).astype(np.uint8))
        write_idx(tmp_path / MNIST_FILES[f"y_{part}"], y.astype(np.uint8))
    res = knn_experiment("mnist", mnist_dir=tmp_path, seeds=1, quick=True)
    assert res["n_train"] == 150 and res["n_test"] == 60
    assert set(res["targets"]) == {"(a) at most 1.0%", "(b) below (a)", "(c) at most 2.0%"}
    # the essay's head is not trained on MNIST unless asked for, and the summary says so
    assert set(res["errors"]) == {"softmax", "knn_penultimate", "knn_trained"}
    assert any("(c') the essay's 1/distance head: not run" in line for line in res["summary"])
    assert res["seconds_per_seed"] == res["seconds"] and res["cpu_seconds"] >= 0
    from isotopy.report.sections.knn import _settings_note

    note = _settings_note(res, "mnist")
    assert "MNIST settings: 150 training / 60 test images" in note and "--essay-head" in note
    assert "s per seed" in note and "CPU time" in note
    from isotopy.experiments.knn import run

    res = run(data="mnist", mnist_dir=tmp_path, seeds=1, quick=True, essay_head=True)
    assert "knn_trained_essay" in res["errors"] and res["config"]["essay_head"]
    monkeypatch.delenv("ISOTOPY_MNIST_DIR", raising=False)
    with pytest.raises(InputError, match="--mnist-dir PATH.*ISOTOPY_MNIST_DIR"):
        knn_experiment("mnist")
    monkeypatch.setenv("ISOTOPY_MNIST_DIR", str(tmp_path))  # no path given: the variable's
    res = knn_experiment("mnist", seeds=1, quick=True, n_train=100, n_test=40)
    assert res["n_train"] == 100 and res["n_test"] == 40
    assert res["resolution"] == pytest.approx(2.5)  # one of 40 test images, in points


def test_training_length_in_passes_and_the_verdict():
    from isotopy.experiments.knn import DEFAULTS, KNNExperimentConfig, training_steps

    assert training_steps(KNNExperimentConfig(epochs=2, batch_size=64), 1347) == 43
    assert training_steps(KNNExperimentConfig(epochs=2, steps=7), 1347) == 7  # steps win
    # the same passes over a set 6 times larger take 6 times the steps
    mn = DEFAULTS["mnist"]
    assert training_steps(mn, 76800) == 6 * training_steps(mn, 12800) == 12000
    # MNIST: 20 passes, two networks (the essay's head only when asked for); digits: 35, three
    assert mn.epochs == 20 and not mn.essay_head and training_steps(mn, 8000) == 1250
    assert DEFAULTS["digits"].epochs == 35 and DEFAULTS["digits"].essay_head
    with pytest.raises(InputError, match="epochs must be"):
        training_steps(KNNExperimentConfig(epochs=0), 100)
    res = knn_experiment("digits", seeds=1, quick=True)
    v = res["verdict"]
    assert v["verdict"] in ("agrees", "differs", "not resolved")
    assert "one test image" in v["resolution"] and "McNemar" in v["rule"]
    only = res["mcnemar"]["pooled"]
    if abs(only["only_b"] - only["only_a"]) < 1 or only["p"] >= 0.05:
        assert v["verdict"] == "not resolved"


def test_registry_entry():
    spec = EXPERIMENTS["knn"]
    assert spec.name == "knn" and "McNemar" in spec.summary
    assert spec.add_arguments.example.startswith(" --data")


def test_cli_experiment_run(cli, tmp_path):
    res = cli(
        "experiment", "knn", "--quick", "--seeds", "1", "--json", tmp_path / "r.json", check=0
    )
    assert "(a) softmax read-out" in res.stdout
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["seeds"] == [0] and not list(tmp_path.glob(".*tmp"))
    bad = cli("experiment", "knn", "--data", "mnist")
    assert bad.returncode == 2 and "--mnist-dir PATH" in bad.stderr
    assert "Traceback" not in bad.stderr


def _main(capsys, *args):
    from isotopy.cli import main

    try:
        code = main(["experiment", *args])
    except SystemExit as e:  # argparse's own errors
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_experiment_help_and_list(capsys):
    code, out, _ = _main(capsys, "knn", "--help")
    assert code == 0 and "--mnist-dir" in out and "example:" in out
    assert "--essay-head" in out and "--no-essay-head" in out
    code, out, _ = _main(capsys, "--list")
    assert code == 0 and any(
        line.startswith("knn ") and EXPERIMENTS["knn"].summary in line for line in out.splitlines()
    )


@pytest.mark.parametrize(
    "args, match",
    [
        (["knn", "--seeds", "0"], "--seeds must be an integer >= 1"),
        (["knn", "--data", "mnist", "--mnist-dir", "nowhere"], "MNIST folder 'nowhere' does not"),
        (["knn", "--k", "0"], "--k must be an integer >= 1"),
        (["knn", "--epochs", "0"], "--epochs must be a number > 0"),
        (["knn", "--n-train", "0"], "--n-train must be an integer >= 1"),
        (["knn", "--json", "no/such/dir/r.json"], "does not exist"),
        (["knn", "--data", "cifar"], "invalid choice"),
        (["nope"], "invalid choice"),
    ],
)
def test_cli_experiment_bad_input(capsys, args, match):
    code, _, err = _main(capsys, *args)
    assert code == 2 and match in err


def test_report_sections_quick(tmp_path):
    from isotopy.report import build_report

    out = build_report(tmp_path / "rep", quick=True, only=["vector_fields", "knn"])
    html = (tmp_path / "rep" / "index.html").read_text()
    assert "k-nearest-neighbour layers" in html and "McNemar" in html
    assert "vector_fields_disc_field.png" in html
    assert "knn.softmax.mean" in out["metrics"]
    assert any(k.startswith("vector_fields.disc_annulus.2d") for k in out["metrics"])
