"""The k-NN experiment, its statistics, the experiment CLI and the report sections."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import binomtest

from isotopy.errors import InputError
from isotopy.experiments import EXPERIMENTS
from isotopy.experiments.knn import KNNConfig, mcnemar, run


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
    res = run(seeds=2, quick=True)
    assert set(res["errors"]) == {
        "softmax",
        "knn_penultimate",
        "knn_trained",
        "knn_trained_essay",
        "knn_trained_essay_two_batch",
    }
    for v in res["errors"].values():
        assert len(v) == 2 and all(0 <= e <= 1 for e in v)
    m = res["mcnemar"]["per_seed"][0]
    # the discordant counts explain the difference of the two error rates exactly
    diff = (res["errors"]["softmax"][0] - res["errors"]["knn_penultimate"][0]) * res["n_test"]
    assert m["only_b"] - m["only_a"] == pytest.approx(diff)
    assert res["sd"]["softmax"] == pytest.approx(np.std(res["errors"]["softmax"], ddof=1))
    text = "\n".join(res["summary"])
    assert "McNemar" in text and "k = 1" in text and "sign-flip test" in text
    assert set(res["verdicts"]) == {
        "knn_direction",
        "knn_size",
        "essay_direction",
        "essay_size",
        "nca_direction",
    }
    assert res["verdict"] == res["verdicts"]["knn_direction"]
    # digits: the sizes are reported, never judged
    assert "judged on MNIST only" in res["verdicts"]["knn_size"]["rule"]


def _tiny_mnist(folder):
    """8x8 digits written as the four MNIST IDX files: 150 training, 60 test images."""
    from isotopy.datasets.images import MNIST_FILES, load_digits, write_idx

    d = load_digits(seed=0)
    for part, n in (("train", 150), ("test", 60)):
        X, y = getattr(d, f"X_{part}")[:n], getattr(d, f"y_{part}")[:n]
        write_idx(folder / MNIST_FILES[f"X_{part}"], (X.reshape(-1, 8, 8) * 255).astype(np.uint8))
        write_idx(folder / MNIST_FILES[f"y_{part}"], y.astype(np.uint8))
    return folder


def test_knn_experiment_on_tiny_mnist_files(tmp_path, monkeypatch):
    _tiny_mnist(tmp_path)
    res = run(data="mnist", mnist_dir=tmp_path, seeds=1, quick=True)
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
    res = run(data="mnist", mnist_dir=tmp_path, seeds=1, quick=True, essay_head=True)
    assert "knn_trained_essay" in res["errors"] and res["config"]["essay_head"]
    assert "knn_trained_essay_two_batch" in res["errors"]
    # on MNIST the sizes are judged (by the size rule, not the stand-in's)
    assert "widened by the resolution" in res["verdicts"]["knn_size"]["rule"]
    monkeypatch.delenv("ISOTOPY_MNIST_DIR", raising=False)
    with pytest.raises(InputError, match="--mnist-dir PATH.*ISOTOPY_MNIST_DIR"):
        run(data="mnist")
    monkeypatch.setenv("ISOTOPY_MNIST_DIR", str(tmp_path))  # no path given: the variable's
    res = run(data="mnist", seeds=1, quick=True, n_train=100, n_test=40)
    assert res["n_train"] == 100 and res["n_test"] == 40
    assert res["resolution"] == pytest.approx(2.5)  # one of 40 test images, in points


def test_training_length_in_passes_and_the_verdict():
    from isotopy.experiments.knn import training_steps

    assert training_steps(KNNConfig(epochs=2, batch_size=64), 1347) == 43
    assert training_steps(KNNConfig(epochs=2, steps=7), 1347) == 7  # steps win
    # the same passes over a set 6 times larger take 6 times the steps
    mn = KNNConfig(data="mnist").resolved()
    assert training_steps(mn, 76800) == 6 * training_steps(mn, 12800) == 12000
    # MNIST: 20 passes, two networks (the essay's head only when asked for); digits: 35, three
    assert mn.epochs == 20 and not mn.essay_head and training_steps(mn, 8000) == 1250
    digits = KNNConfig().resolved()
    assert digits.epochs == 35 and digits.essay_head and digits.channels == (16, 32)
    with pytest.raises(InputError, match="epochs must be"):
        training_steps(KNNConfig(epochs=0, batch_size=64), 100)
    # tiny networks: the quick sizes, a smaller number given kept, with any data set
    tiny = KNNConfig(data="mnist", tiny=True, n_train=100, steps=400).resolved()
    q = KNNConfig.quick()
    assert (tiny.steps, tiny.n_train, tiny.n_test, tiny.channels) == (40, 100, 150, q.channels)
    assert tiny.epochs is None and tiny.batch_size == q.batch_size and tiny.hidden == q.hidden
    res = run(KNNConfig.quick())
    v = res["verdict"]
    assert v["verdict"] in ("agrees", "differs", "not resolved")
    assert "one test image" in v["resolution"] and "McNemar" in v["rule"]  # one seed
    only = res["mcnemar"]["combined"]
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


def test_report_sections_quick(tmp_path, monkeypatch):
    from isotopy.report import build_report

    monkeypatch.delenv("ISOTOPY_MNIST_DIR", raising=False)
    out = build_report(tmp_path / "rep", quick=True, only=["knn"])
    html = (tmp_path / "rep" / "index.html").read_text()
    assert "k-nearest-neighbour layers" in html and "McNemar" in html and "sign-flip" in html
    assert "knn.softmax.mean" in out["metrics"] and out["metrics"]["knn.data"] == "digits"
    rows = [c for c in out["claims"] if c["section"] == "knn"]
    assert len(rows) == 5 and all("stand in for MNIST" in c["setting"] for c in rows)
    assert {c["verdict"] for c in rows} == {"not resolved"}  # quick: nothing is claimed


# ---------------------------------------------------------------- the claims, on built outcomes
def _outcomes(seeds, n, wrong):
    """(seeds, n) right answers, wrong on the images ``wrong[s]`` of each seed s."""
    c = np.ones((seeds, n), bool)
    for s, idx in enumerate(wrong):
        c[s, list(idx)] = False
    return c


def _correct(softmax, knn, *, essay=None, nca=None):
    out = {"softmax": softmax, "knn_penultimate": knn, "knn_trained": knn if nca is None else nca}
    if essay is not None:
        out["knn_trained_essay"], out["knn_trained_essay_two_batch"] = essay
    return out


def test_a_seed_repeated_three_times_is_one_seeds_evidence():
    from isotopy.experiments.knn_claims import knn_verdicts

    # one seed: softmax wrong on images 0-7, k-NN on 8; McNemar p = 2 * P(B(9, 1/2) <= 1)
    a = _outcomes(1, 450, [range(8)])
    b = _outcomes(1, 450, [[8]])
    one = knn_verdicts(_correct(a, b), data="digits")["knn_direction"]
    three = knn_verdicts(_correct(np.repeat(a, 3, 0), np.repeat(b, 3, 0)), data="digits")
    p = binomtest(1, 9).pvalue
    assert f"p = {p:.2g}" in one.measured and f"p = {p:.2g}" in three["knn_direction"].measured
    assert three["knn_direction"].verdict == one.verdict == "agrees"
    # the pooled test of the old report would have said p = binomtest(3, 27)
    assert binomtest(3, 27).pvalue < p / 10
    # the same three seeds, but the evidence of one seed halved: no longer significant
    half = knn_verdicts(
        _correct(np.repeat(_outcomes(1, 450, [range(4)]), 3, 0), np.repeat(b, 3, 0)),
        data="digits",
    )["knn_direction"]
    assert half.verdict == "not resolved"


def test_mnist_size_agrees_differs_or_is_not_resolved_apart_from_the_direction():
    from isotopy.experiments.knn_claims import knn_verdicts

    seeds, n = 10, 10_000  # one test image = 0.01 points: the claim's band is [0.09, 0.21]
    base = [range(200)] * seeds  # softmax: 2% error, the same images in every seed
    # k-NN fixes 15 of them in every seed, other ones in each: 0.15 points, inside the band
    fixed = [[i for i in range(200) if not 15 * s <= i < 15 * s + 15] for s in range(seeds)]
    small = knn_verdicts(_correct(_outcomes(seeds, n, base), _outcomes(seeds, n, fixed)))
    assert small["knn_direction"].verdict == "agrees" and small["knn_size"].verdict == "agrees"
    # the same 15 images in every seed: the images are 15, not 150, and the interval
    # reaches outside the band
    same = knn_verdicts(
        _correct(_outcomes(seeds, n, base), _outcomes(seeds, n, [range(15, 200)] * seeds))
    )
    assert same["knn_size"].verdict == "not resolved"
    base = [range(100)] * seeds
    # k-NN fixes 90 of them: significant, in the essay's direction, 0.9 points: too large
    big = knn_verdicts(
        _correct(_outcomes(seeds, n, base), _outcomes(seeds, n, [range(90, 100)] * seeds))
    )
    assert big["knn_direction"].verdict == "agrees" and big["knn_size"].verdict == "differs"
    assert "0.1-0.2" in big["knn_size"].rule
    # on digits the same outcomes leave the size not resolved: a stand-in
    stand_in = knn_verdicts(
        _correct(_outcomes(seeds, n, base), _outcomes(seeds, n, [range(90, 100)] * seeds)),
        data="digits",
    )
    assert stand_in["knn_size"].verdict == "not resolved"
    assert "error saved by k-NN 0.9 points" in stand_in["knn_size"].measured


def test_the_essays_head_is_judged_at_its_size_in_both_forms():
    from isotopy.experiments.knn_claims import knn_verdicts

    seeds, n = 5, 10_000
    soft = _outcomes(seeds, n, [range(100)] * seeds)  # 1%

    def essay(err_in, err_two):
        return (
            _outcomes(seeds, n, [range(int(err_in * n / 100))] * seeds),
            _outcomes(seeds, n, [range(int(err_two * n / 100))] * seeds),
        )

    v = knn_verdicts(_correct(soft, soft, essay=essay(4.5, 4.8)))
    assert v["essay_direction"].verdict == "agrees" and v["essay_size"].verdict == "agrees"
    v = knn_verdicts(_correct(soft, soft, essay=essay(3.0, 3.2)))
    assert v["essay_direction"].verdict == "agrees" and v["essay_size"].verdict == "differs"
    # one form below 4%, the other above: the claim about the head does not hold in both
    v = knn_verdicts(_correct(soft, soft, essay=essay(3.0, 5.0)))
    assert v["essay_size"].verdict == "differs" and "two_batch form" in v["essay_size"].measured
    # the essay's head beating softmax reverses the direction
    v = knn_verdicts(_correct(_outcomes(seeds, n, [range(300)] * seeds), soft, essay=essay(1, 1)))
    assert v["essay_direction"].verdict == "differs"
    # not trained: nothing to judge
    v = knn_verdicts(_correct(soft, soft))
    assert v["essay_direction"].verdict == v["essay_size"].verdict == "not resolved"
    assert "was not trained" in v["essay_size"].measured
    # the NCA head is its own row: worse than softmax here, so "differs"
    worse = _outcomes(seeds, n, [range(200)] * seeds)
    assert knn_verdicts(_correct(soft, soft, nca=worse))["nca_direction"].verdict == "differs"


def test_report_section_uses_mnist_when_given(tmp_path, monkeypatch):
    from isotopy.report import build_report

    monkeypatch.setenv("ISOTOPY_MNIST_DIR", str(_tiny_mnist(tmp_path)))
    out = build_report(tmp_path / "rep", quick=True, only=["knn"])
    rows = {c["claim"]: c for c in out["claims"]}
    assert len(rows) == 5 and all(c["setting"].startswith("MNIST, ") for c in rows.values())
    size = next(c for k, c in rows.items() if "0.1-0.2%" in k)
    assert "widened by the resolution" in size["rule"]
    assert out["metrics"]["knn.data"] == "mnist"
    assert "knn.knn_trained_essay_two_batch.mean" in out["metrics"]  # the essay's heads ran
