"""Experiments: the registry, the CLI (--list, each experiment with tiny settings), and the
numbers each returns."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from isotopy import InputError
from isotopy.cli import main
from isotopy.experiments import EXPERIMENTS, run_experiment

NAMES = ["width_sweep", "linked_tori", "unlink", "betti_layers", "contractive"]
ALL = NAMES + ["naitzat", "open_question", "vector_fields", "knn"]
ALL += ["first_examples", "animations", "links_drawn", "tangled_unlinks", "untangle"]

TINY = {
    "width_sweep": ["--dims", "1", "--widths", "1,2", "--seeds", "2", "--steps", "300"],
    "linked_tori": [
        "--widths",
        "3",
        "--depth",
        "1",
        "--seeds",
        "2",
        "--steps",
        "30",
        "--n",
        "100",
        "--dense",
        "200",
    ],
    "unlink": ["--depth", "1", "--seeds", "2", "--steps", "30", "--n", "100", "--dense", "200"],
    "betti_layers": [
        "--hidden",
        "3",
        "--seeds",
        "1",
        "--steps",
        "30",
        "--n",
        "200",
        "--dense",
        "300",
    ],
    "contractive": [
        "--widths",
        "2",
        "--lambdas",
        "0,1",
        "--seeds",
        "2",
        "--steps",
        "30",
        "--n",
        "100",
    ],
}


def test_registry_lists_the_five_experiments():
    assert [n for n in EXPERIMENTS if n in NAMES] == NAMES  # in this order, others between
    for spec in EXPERIMENTS.values():
        assert spec.summary and "\n" not in spec.summary
    with pytest.raises(InputError, match="unknown experiment"):
        run_experiment("nope")


def test_cli_list(cli):
    out = cli("experiment", "--list", check=0).stdout
    for name in ALL:
        assert name in out


def test_registry_lists_every_experiment_module():
    import pkgutil

    import isotopy.experiments as pkg

    modules = {m.name for m in pkgutil.iter_modules(pkg.__path__)}
    helpers = {"_common", "registry", "verdicts", "paired", "knn_claims"}
    assert set(EXPERIMENTS) == modules - helpers == set(ALL)
    for name in [n for n in ALL if EXPERIMENTS[n].config is not None]:
        spec = EXPERIMENTS[name]
        cfg, quick = spec.config(), spec.config.quick()
        assert isinstance(quick, spec.config) and quick != cfg
        for f in dataclasses.fields(spec.config):
            assert f.metadata.get("help"), (name, f.name)


def test_configs_take_typed_values_not_strings():
    from isotopy.experiments import make_config
    from isotopy.experiments.linked_tori import LinkedToriConfig

    cfg = make_config(LinkedToriConfig, None, {"widths": [3], "lr": 1})
    assert cfg.widths == (3,) and cfg.lr == 1.0 and isinstance(cfg.lr, float)
    with pytest.raises(InputError, match="not the string '3,4'"):
        run_experiment("linked_tori", widths="3,4")
    with pytest.raises(InputError, match="must be an integer"):
        run_experiment("unlink", seeds="2")
    with pytest.raises(InputError, match="has no setting 'nope'"):
        run_experiment("contractive", nope=1)
    with pytest.raises(InputError, match="lambdas must be finite numbers >= 0"):
        run_experiment("contractive", lambdas=(-1.0,))
    with pytest.raises(InputError, match="do not apply to --claims"):
        run_experiment("width_sweep", claims=True, widths=(2,))


def test_generated_flags(capsys):
    with pytest.raises(SystemExit):
        main(["experiment", "vector_fields", "--help"])
    h = capsys.readouterr().out
    assert "--n-networks" in h and "anchors per stage (default: 16)" in h
    assert "--datasets A,B" in h and "residual|flow" in h
    assert main(["experiment", "linked_tori", "--widths", "3,x"]) == 2
    err = capsys.readouterr().err
    assert "--widths must be comma-separated integers such as '3,4', got '3,x'" in err
    assert main(["experiment", "unlink", "--seeds", "two"]) == 2
    assert "--seeds must be an integer, got 'two'" in capsys.readouterr().err
    assert main(["experiment", "contractive", "--stretch-claims", "--depth", "2"]) == 2
    assert "--depth does not apply to --stretch-claims" in capsys.readouterr().err


def test_vector_fields_from_the_cli(tmp_path, capsys):
    out = tmp_path / "v.json"
    args = ["--datasets", "disc_annulus", "--n-networks", "1", "--steps", "5", "--n", "60"]
    assert main(["experiment", "vector_fields", *args, "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["experiment"] == "vector_fields" and data["steps"] == 5
    assert [r["setting"] for r in data["rows"]] == ["2d", "3d"] and len(data["summary"]) == 5
    assert data["verdicts"]["disc_annulus"]["verdict"] in ("agrees", "differs")


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
    r = run_experiment("width_sweep", dims=(1,), widths=(1, 2), seeds=3, steps=400)
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


def test_width_claims_quick_structure_and_verdicts():
    from isotopy.experiments.width_sweep import WidthClaimSettings, run_width_claims

    r = run_width_claims(
        WidthClaimSettings(dims=(1,), depths=(1, 2), seeds=3, steps=100, n=200, boundary=100),
        keep_networks=True,
    )
    (res,) = r["results"]
    assert res["dim"] == 1 and res["steps"] == [100, 200] and res["depths"] == [1, 2]
    runs = {(run["width"], run["depth"]): run["at"] for run in res["runs"]}
    assert set(runs) == {(1, 1), (1, 2), (2, 1), (2, 2)}
    # a single tanh unit per layer is monotone on the line at any depth: never the interval
    for k in (1, 2):
        assert all(a["grid_perfect"] == 0 and a["grid_max"] < 1.0 for a in runs[1, k])
    assert runs[2, 1][1]["grid_perfect"] >= 1  # two units do, for some seed
    for at in runs.values():
        for a in at:
            assert len(a["grid_accuracy"]) == len(a["grid_volume_accuracy"]) == 3
            assert a["fraction"] == a["grid_perfect"] / 3
    # the networks come back for figures, two layers deep where asked
    net = r["networks"][1, 1, 2][0]
    assert net.hidden_widths == [1, 1] and net.n_networks == 3
    # 3 seeds are below the rule's minimum of 10: nothing is claimed either way
    assert {v["verdict"] for v in r["verdicts"].values()} == {"not resolved"}
    assert "one seed = 33%" in res["verdicts"]["fail"]["resolution"]
    assert set(res["parts"]["fail"]) == {"depth 1", "depth 2"}
    assert any("cannot separate" in line and "depth 1-2" in line for line in r["summary"])


def test_width_rule_covers_every_depth_and_needs_the_control():
    from isotopy.experiments.width_sweep import width_verdicts

    def counts(fail, succeed):
        """(width, depth) -> [at L, at 2L] for widths 2 (fail) and 3 (succeed), depths 1-3."""
        out = {}
        for k in (1, 2, 3):
            out[2, k], out[3, k] = fail[k - 1], succeed[k - 1]
        return out

    ok = [[0, 0]] * 3
    all_can = [[20, 20]] * 3
    v, parts = width_verdicts(counts(ok, all_can), 2, seeds=20)
    assert v["fail"].verdict == "agrees" and v["succeed"].verdict == "agrees"
    assert "judged at every depth 1-3" in v["fail"].rule
    # deeper 2-unit networks reaching 100% in most seeds: the claim differs at its scope,
    # although one hidden layer alone agrees
    v, parts = width_verdicts(counts([[0, 0], [14, 15], [0, 0]], all_can), 2, seeds=20)
    assert parts["fail"]["depth 1"].verdict == "agrees" and v["fail"].verdict == "differs"
    # a depth where 3 units also fail tells nothing about 2 units: not resolved there
    v, parts = width_verdicts(counts(ok, [[20, 20], [20, 20], [0, 0]]), 2, seeds=20)
    assert parts["fail"]["depth 3"].verdict == "not resolved"
    assert v["fail"].verdict == "not resolved" and v["succeed"].verdict == "differs"
    # a verdict that changes with the training length is not resolved
    v, _ = width_verdicts(counts([[0, 0], [0, 3], [0, 0]], all_can), 2, seeds=20)
    assert v["fail"].verdict == "not resolved"
    with pytest.raises(InputError, match="missing"):
        width_verdicts({(2, 1): [0, 0]}, 2, seeds=20)


def test_width_claims_from_the_cli(tmp_path, capsys):
    out = tmp_path / "c.json"
    assert (
        main(
            [
                "experiment",
                "width_sweep",
                "--claims",
                "--dims",
                "1",
                "--seeds",
                "3",
                "--steps",
                "60",
                "--n",
                "200",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    data = json.loads(out.read_text())
    assert data["mode"] == "claims" and data["settings"]["seeds"] == 3
    assert data["results"][0]["steps"] == [60, 120]


def test_stretch_claims_quick():
    from isotopy.experiments.contractive import CURVE, StretchSettings, run_stretch_claims

    cfg = StretchSettings.quick()
    r = run_stretch_claims(cfg, keep_networks=True)
    assert [(row["width"], row["lambda"]) for row in r["rows"]] == [
        (2, 0.0),
        (2, 0.1),
        (3, 0.0),
        (3, 0.1),
    ]
    for row in r["rows"]:
        assert list(row["shares"]) == [f"{t:g}" for t in cfg.thresholds]
        f = np.array(list(row["shares"].values()))  # (thresholds, seeds)
        assert f.shape == (len(cfg.thresholds), 3) and ((0 <= f) & (f <= 1)).all()
        assert (np.diff(f, axis=0) <= 0).all()  # a share above t falls as t grows
        curve = np.array(row["curve"])
        assert curve.shape == (3, len(CURVE)) and (np.diff(curve, axis=1) <= 0).all()
    assert (
        set(r["verdicts"])
        == set(r["comparisons"])
        == {
            "width 2 stretches more than width 3 (λ = 0)",
            "λ = 0.1 lowers width 2's stretch (against λ = 0)",
            "λ = 0.1 lowers width 3's stretch (against λ = 0)",
        }
    )
    assert set(r["networks"]) == {(2, 0.0), (2, 0.1), (3, 0.0), (3, 0.1)}
    assert r["grid"].shape == (r["grid_points"], 2)
    for v in r["verdicts"].values():  # 3 seeds < 10: nothing is claimed either way
        assert v["verdict"] == "not resolved" and "Mann-Whitney" in v["rule"]
    with pytest.raises(InputError, match="thresholds must be"):
        run_stretch_claims(StretchSettings(seeds=1, steps=1, thresholds=(0.0,)))


def test_flags_from_any_config():
    import argparse
    from dataclasses import dataclass

    from isotopy.experiments import add_config_arguments, setting
    from isotopy.experiments.registry import options_from_text

    @dataclass(frozen=True)
    class Demo:
        n_points: int = setting(10, "points")
        scales: tuple[float, ...] = setting((0.5, 1.0), "scales")
        head: bool | None = setting(None, "also the other head", shown="per dataset")
        fast: bool = setting(False, "fewer steps")
        k: int = setting(1, "neighbours", aliases=("-k",))
        data: str = setting("digits", "images", choices=("digits", "mnist"))

    p = argparse.ArgumentParser()
    add_config_arguments(p, Demo)
    given = vars(p.parse_args(["--n-points", "3", "--scales", "1,2", "--no-head", "-k", "5"]))
    assert options_from_text(Demo, given) == {
        "n_points": 3,
        "scales": (1.0, 2.0),
        "head": False,
        "k": 5,
    }
    assert vars(p.parse_args([])) == {}  # nothing given: the config keeps its defaults
    h = p.format_help()
    assert "--head, --no-head" in h and "(default: per dataset)" in h and "digits|mnist" in h
    assert "--fast" in h and "--no-fast" not in h


def test_width_and_stretch_sections_quick(tmp_path):
    from isotopy.report import build_report
    from isotopy.train import load_run

    out = build_report(tmp_path / "rep", quick=True, only=["widths", "stretch"])
    rep = tmp_path / "rep"
    metrics = json.loads((rep / "metrics.json").read_text())
    figures = {f["id"]: f for f in metrics["figures"]}
    assert set(figures) == {"widths_width_claims", "stretch_stretch", "stretch_stretch_curves"}
    # the figures under the claims show the claims' own networks, shipped with them
    runs = figures["widths_width_claims"]["runs"]
    assert len(runs) == 2 * 2 * 2  # R^1, R^2 (quick) x widths n, n + 1 x depths 1, 2
    deep = load_run(rep / "runs/widths_width_claims/R2_w2_depth2")
    assert deep.net.hidden_widths == [2, 2] and deep.net.n_networks == 3
    two = load_run(rep / figures["stretch_stretch"]["runs"][0]["run"])
    assert two.net.n_networks == 1 and two.net.hidden_widths == [2]
    assert two.history.loss.shape[0] == 1
    widths = [c for c in out["claims"] if c["section"] == "widths"]
    assert len(widths) == 4 and all("depth 1-2" in c["rule"] for c in widths)
    stretch = [c for c in out["claims"] if c["section"] == "stretch"]
    assert len(stretch) == 3 and all("Mann-Whitney" in c["rule"] for c in stretch)
    html = (rep / "index.html").read_text()
    assert "tears" not in html and "homeomorphism" in html


def test_flag_help_names_the_claims_defaults_from_their_dataclasses():
    from isotopy.experiments.contractive import ContractiveConfig, StretchSettings
    from isotopy.experiments.knn import PER_DATA, KNNConfig
    from isotopy.experiments.width_sweep import WidthClaimSettings, WidthSweepConfig

    def helps(cls):
        return {f.name: f.metadata["help"] for f in dataclasses.fields(cls)}

    w, c = WidthClaimSettings(), StretchSettings()
    h = helps(WidthSweepConfig)
    assert f"({w.seeds} with --claims)" in h["seeds"] and f"L = {w.steps}" in h["steps"]
    assert f"({w.n} with --claims)" in h["n"] and f"{w.lr:g} with --claims" in h["lr"]
    assert f"{w.n} + {w.boundary} boundary points" in h["claims"]
    h = helps(ContractiveConfig)
    assert f"({c.seeds} with --stretch-claims)" in h["seeds"]
    assert ",".join(f"{v:g}" for v in c.lambdas) in h["lambdas"]
    shown = {f.name: f.metadata.get("shown") for f in dataclasses.fields(KNNConfig)}
    assert shown["epochs"] == f"{PER_DATA['digits']['epochs']:g} on digits, " + (
        f"{PER_DATA['mnist']['epochs']:g} on MNIST"
    )
    assert "16,32 on digits" in shown["channels"] and "off on MNIST" in shown["essay_head"]


def test_claims_judged_by_the_experiments_come_out_each_way():
    from isotopy.experiments.linked_tori import fourth_dimension_verdict
    from isotopy.experiments.tangled_unlinks import question_verdict
    from isotopy.experiments.unlink import certificate_verdict
    from isotopy.experiments.vector_fields import disc_verdict

    def width(w, dense, perfect=0.5):
        best = {"linking_3d": [1, -1], "linking": {"dims": [3, 3, 3]}}
        return {"width": w, "dense_accuracy": dense, "sample_perfect": perfect, "best": best}

    def tori(dense3, dense4):
        return {"linking": 1, "seeds": 4, "results": [width(3, dense3), width(4, dense4)]}

    assert fourth_dimension_verdict(tori([0.98], [1.0])).verdict == "agrees"
    assert fourth_dimension_verdict(tori([1.0], [1.0])).verdict == "differs"
    assert fourth_dimension_verdict(tori([0.98], [0.99])).verdict == "not resolved"
    v = fourth_dimension_verdict(tori([0.98], [1.0]))
    assert "|linking| kept at every certified stage (2 of 3" in v.measured
    assert fourth_dimension_verdict({"linking": 1, "seeds": 4, "results": [width(3, [1])]}) is None
    per = {"a": {"instances": 2, "separated": 1.0}, "b": {"instances": 2, "separated": 0.5}}
    assert question_verdict(per, 3).verdict == "not resolved"
    assert "3 of 4 instances" in question_verdict(per, 3).measured
    per["b"]["separated"] = 1.0
    assert question_verdict(per, 3).verdict == "agrees"  # never "differs": no proof
    cert = {"linking_3d": [0, 0]}
    res = {"certificate": cert, "separated": True, "dense_accuracy": [0.9, 1.0]}
    assert certificate_verdict(res).verdict == "agrees"
    assert certificate_verdict({**res, "separated": False}).verdict == "not resolved"
    two, three = {"dense_accuracy": [0.9, 0.95]}, {"dense_accuracy": [0.99, 1.0]}
    assert disc_verdict(two, three).verdict == "agrees"
    assert disc_verdict(three, three).verdict == "differs"


def test_open_question_kinds_keep_the_instances():
    from isotopy.experiments.open_question import random_links

    with pytest.raises(InputError, match="--kinds must name some of"):
        run_experiment("open_question", kinds=("knot",))
    every = random_links(1, linking=(1, 2), seed=3)
    assert [i.kind for i in every] == ["unlink", "apart", "torus", "torus"]
    # the kinds kept are the same instances whichever others are drawn beside them
    assert [i.name for i in every if i.kind == "torus"][0].startswith("torus1-")


def test_links_drawn_closest_approach_and_core_trace():
    from isotopy.experiments.links_drawn import closest_approach, core_trace
    from isotopy.nn import Network

    a = np.array([[0.0, 0, 0], [1, 0, 0]])
    b = np.array([[3.0, 0, 0], [1, 2, 0]])
    d, pa, pb = closest_approach(a, b)
    assert d == pytest.approx(2.0) and pa.tolist() == [1, 0, 0]
    t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    ring = np.c_[np.cos(t), np.sin(t), 0 * t]
    rows = core_trace(Network(3, (3,), "tanh", seed=0), [ring, ring + [0, 0, 5]])
    assert [r["name"] for r in rows][0] == "input" and "readout" not in [r["name"] for r in rows]
    assert rows[0]["distance"] == pytest.approx(5.0) and rows[0]["separable"]
    assert all(0 < r["relative"] < 1 for r in rows)


def test_every_experiment_runs_from_its_settings_with_progress():
    import inspect

    for name, spec in EXPERIMENTS.items():
        params = inspect.signature(spec.run).parameters
        assert next(iter(params)) == "config", name
        assert params["progress"].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()), name
        assert isinstance(spec.config.quick(), spec.config), name
