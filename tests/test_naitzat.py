"""isotopy.experiments.naitzat: the data sets are what they are said to be under the paper's
reading, the statistics, and every verdict rule coming out each way on constructed evidence."""

from __future__ import annotations

import numpy as np
import pytest

from isotopy import InputError
from isotopy.experiments import EXPERIMENTS, naitzat
from isotopy.topology import betti_numbers, geodesic_betti_numbers


def test_data_sets_have_the_stated_betti_numbers_under_both_readings():
    for name, make in naitzat.DATA.items():
        X, y = make(800, seed=7)
        assert X.dtype == np.float32 and y.dtype == np.int64
        assert np.bincount(y).tolist() == [400, 400]
        paper = [geodesic_betti_numbers(X[y == c]).tolist() for c in (0, 1)]
        plain = [betti_numbers(X[y == c]).tolist() for c in (0, 1)]
        assert paper == plain == naitzat.KNOWN[name]
    a, _ = naitzat.make_rings_discs(50, seed=1)
    b, _ = naitzat.make_rings_discs(50, seed=1)
    np.testing.assert_array_equal(a, b)


def test_statistics_of_a_curve():
    assert naitzat.trivial([[1, 0], [1, 0]]) and not naitzat.trivial([[1, 1], [1, 0]])
    assert naitzat.excess([[4, 4], [4, 0]]) == 3 + 4 + 3
    curve = [[[4, 4], [4, 0]], [[2, 1], [1, 0]], [[1, 0], [1, 0]]]  # 10 -> 2 -> 0
    st = naitzat.curve_stats(curve)
    assert st == {"last": 0.0, "area": pytest.approx(0.1), "point": True}


def test_point_rule_comes_out_each_way():
    kw = {"share": 0.8, "min_seeds": 10}
    assert naitzat.judge_point([True] * 12, **kw).verdict == "agrees"
    assert naitzat.judge_point([False] * 12, **kw).verdict == "differs"
    assert naitzat.judge_point([True] * 2 + [False] * 11, **kw).verdict == "differs"
    assert naitzat.judge_point([True] * 8 + [False] * 4, **kw).verdict == "not resolved"
    assert naitzat.judge_point([True] * 5, **kw).verdict == "not resolved"  # too few
    assert naitzat.judge_point([], **kw).verdict == "not resolved"
    blind = naitzat.judge_point([True] * 12, misread=["hopf_pairs"], **kw)
    assert blind.verdict == "not resolved" and "misread" in blind.measured
    assert "misreads the input" in blind.rule


def test_faster_rule_comes_out_each_way():
    rng = np.random.default_rng(0)
    low, high = rng.uniform(0.1, 0.2, 12), rng.uniform(0.6, 0.8, 12)
    assert naitzat.judge_faster(low, high, min_seeds=10).verdict == "agrees"
    assert naitzat.judge_faster(high, low, min_seeds=10).verdict == "differs"
    same = rng.uniform(0.3, 0.5, 24)
    assert naitzat.judge_faster(same[:12], same[12:], min_seeds=10).verdict == "not resolved"
    assert naitzat.judge_faster(low[:4], high, min_seeds=10).verdict == "not resolved"
    assert naitzat.judge_faster([], high, min_seeds=10).verdict == "not resolved"
    assert naitzat.judge_faster(low, high, min_seeds=10, misread=["x"]).verdict == "not resolved"


def test_training_control_comes_out_each_way():
    """Agrees when trained networks read simpler than untrained ones; differs when untrained
    networks read simpler (depth and the reading, not training, would do it)."""
    rng = np.random.default_rng(1)
    simple, complex_ = rng.uniform(0.0, 0.1, 12), rng.uniform(0.5, 0.9, 12)
    assert naitzat.judge_training(simple, complex_, min_seeds=10).verdict == "agrees"
    assert naitzat.judge_training(complex_, simple, min_seeds=10).verdict == "differs"
    zeros = np.zeros(12)
    assert naitzat.judge_training(zeros, zeros, min_seeds=10).verdict == "not resolved"
    assert naitzat.judge_training(simple, [], min_seeds=10).verdict == "not resolved"


def test_registered_with_its_settings_and_bad_settings_are_one_sentence():
    spec = EXPERIMENTS["naitzat"]
    assert spec.config is naitzat.NaitzatConfig and spec.run is naitzat.run
    with pytest.raises(InputError, match="share must be a number in"):
        naitzat.run(naitzat.NaitzatConfig.quick(), share=1.5)
    with pytest.raises(InputError, match="unknown activation"):
        naitzat.run(naitzat.NaitzatConfig.quick(), activations=("tanh", "swish"))
    with pytest.raises(InputError, match="no setting 'widths'"):
        naitzat.run(widths=3)


def test_quick_run_reads_every_network_and_decides_nothing():
    res = naitzat.run(naitzat.NaitzatConfig.quick(), digits=False)
    cfg = naitzat.NaitzatConfig.quick()
    assert len(res["networks"]) == 2 * len(cfg.activations) * cfg.seeds
    assert len(res["control"]) == 2 * len(cfg.controls) * cfg.seeds
    assert set(res["verdicts"]) == {
        "point.tanh",
        "point.relu",
        "faster",
        "training.tanh",
        "training.relu",
    }
    assert all(v["verdict"] == "not resolved" for v in res["verdicts"].values())  # 2 seeds
    assert set(res["sensitivity"]) == {"tanh", "leaky_relu"}
    assert res["summary"][-1].endswith("s)") and res["digits"] is None
    # the report's table and figure read the groups: one per data set and activation
    groups = {(g["data"], g["activation"], g["trained"]): g for g in res["groups"]}
    assert len(groups) == 2 * (len(cfg.activations) + len(cfg.controls))
    for (dname, act, trained), g in groups.items():
        mine = [
            r
            for r in (res["networks"] if trained else res["control"])
            if r["data"] == dname and r["activation"] == act
        ]
        used = [r for r in mine if r["train"] == 1.0] if trained else mine
        assert g["networks"] == len(mine) and g["points"] == sum(r["point"] for r in used)
        if used:
            lo, mid, hi = np.asarray(g["curve_quartiles"])
            assert len(mid) == cfg.depth + 1 and (lo <= mid).all() and (mid <= hi).all()
            assert g["last_median"] == pytest.approx(np.median([r["last"] for r in used]))
        else:
            assert g["curve_quartiles"] is None and g["last_median"] is None


def test_data_sets_are_registered_by_name():
    from isotopy.datasets import DATASETS, dataset_params, make_dataset

    for name, make in naitzat.DATA.items():
        spec = DATASETS[name]
        X, y = make_dataset(name, 120, seed=5)
        X2, y2 = make(120, seed=5)
        np.testing.assert_array_equal(X, X2)
        np.testing.assert_array_equal(y, y2)
        assert X.shape == (120, spec.dim) and dataset_params(name)["n"] == 1000
    with pytest.raises(InputError, match="no parameter 'turns'"):
        make_dataset("rings_discs", 10, turns=2)


def test_excess_curve_divides_by_the_input():
    curve = [[[4, 4], [4, 0]], [[2, 1], [1, 0]], [[1, 0], [1, 0]]]  # 10 -> 2 -> 0
    np.testing.assert_allclose(naitzat.excess_curve(curve), [1.0, 0.2, 0.0])
    # an input that already reads as points: divided by 1, not by 0
    np.testing.assert_allclose(naitzat.excess_curve([[[1, 0], [1, 0]], [[2, 0], [1, 0]]]), [0, 1])
