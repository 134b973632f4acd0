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
    assert set(res["errors"]) == {"softmax", "knn_penultimate", "knn_trained",
                                  "knn_trained_essay"}
    for v in res["errors"].values():
        assert len(v) == 2 and all(0 <= e <= 1 for e in v)
    m = res["mcnemar"]["per_seed"][0]
    # the discordant counts explain the difference of the two error rates exactly
    diff = (res["errors"]["softmax"][0] - res["errors"]["knn_penultimate"][0]) * res["n_test"]
    assert m["only_b"] - m["only_a"] == pytest.approx(diff)
    assert res["sd"]["softmax"] == pytest.approx(np.std(res["errors"]["softmax"], ddof=1))
    assert "McNemar" in res["summary"] and "k = 5" in res["summary"]


def test_knn_experiment_on_tiny_mnist_files(tmp_path):
    from isotopy.datasets.images import MNIST_FILES, load_digits, write_idx

    d = load_digits(seed=0)  # 8x8 digits written as IDX files stand in for MNIST
    for part in ("train", "test"):
        X, y = getattr(d, f"X_{part}")[:150], getattr(d, f"y_{part}")[:60]
        X = X[: len(y) if part == "test" else 150]
        y = getattr(d, f"y_{part}")[: len(X)]
        write_idx(tmp_path / MNIST_FILES[f"X_{part}"],
                  (X.reshape(-1, 8, 8) * 255).astype(np.uint8))
        write_idx(tmp_path / MNIST_FILES[f"y_{part}"], y.astype(np.uint8))
    res = knn_experiment("mnist", mnist_dir=tmp_path, seeds=1, quick=True)
    assert res["n_train"] == 150 and res["n_test"] == 60
    assert set(res["targets"]) == {"(a) at most 1.0%", "(b) below (a)", "(c) at most 2.0%"}
    with pytest.raises(InputError, match="--mnist-dir PATH"):
        knn_experiment("mnist")


def test_registry_entry():
    spec = EXPERIMENTS["knn"]
    assert spec.name == "knn" and spec.summary and "isotopy experiment knn" in spec.example


def test_cli_experiment_list_and_run(cli, tmp_path):
    out = cli("experiment", "--list", check=0)
    assert "knn" in out.stdout
    helped = cli("experiment", "knn", "--help", check=0)
    assert "--mnist-dir" in helped.stdout and "example:" in helped.stdout
    res = cli("experiment", "knn", "--quick", "--seeds", "1", "--json", tmp_path / "r.json",
              check=0)
    assert "(a) softmax read-out" in res.stdout
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["seeds"] == [0] and not list(tmp_path.glob(".*tmp"))


@pytest.mark.parametrize("args, match", [
    (["--seeds", "0"], "--seeds must be an integer >= 1"),
    (["--data", "mnist"], "--mnist-dir PATH"),
    (["--data", "mnist", "--mnist-dir", "nowhere"], "MNIST folder 'nowhere' does not exist"),
    (["--k", "0"], "--k must be an integer >= 1"),
    (["--json", "no/such/dir/r.json"], "does not exist"),
    (["--data", "cifar"], "invalid choice"),
])
def test_cli_experiment_bad_input(cli, args, match):
    res = cli("experiment", "knn", *args)
    assert res.returncode == 2 and match in res.stderr
    assert "Traceback" not in res.stderr


def test_cli_unknown_experiment(cli):
    res = cli("experiment", "nope")
    assert res.returncode == 2 and "invalid choice" in res.stderr


def test_report_sections_quick(tmp_path):
    from isotopy.report import build_report

    out = build_report(tmp_path / "rep", quick=True, only=["vector_fields", "knn"])
    html = (tmp_path / "rep" / "index.html").read_text()
    assert "k-nearest-neighbour layers" in html and "McNemar" in html
    assert "vector_fields_disc_field.png" in html
    assert "knn.softmax.mean" in out["metrics"]
    assert any(k.startswith("vector_fields.disc_annulus.2d") for k in out["metrics"])
