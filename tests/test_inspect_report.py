"""The report section "naitzat": its data sets read right at the input, its rules, and a
quick build (tiny settings: the verdicts are "not resolved" by rule)."""

from __future__ import annotations

import json

import numpy as np

from isotopy.report.sections import naitzat


def test_data_sets_have_the_stated_betti_numbers():
    from isotopy.topology import betti_numbers

    for name, make, expect in [
        ("rings_discs (2-D)", naitzat.make_rings_discs, [[4, 4], [4, 0]]),
        ("hopf_pairs (3-D)", naitzat.make_hopf_pairs, [[4, 4], [4, 4]]),
    ]:
        X, y = make(600, seed=7)
        assert (
            X.dtype == np.float32
            and y.dtype == np.int64
            and np.bincount(y).tolist()
            == [
                300,
                300,
            ]
        )
        # the data are what they are said to be: read as they are (Euclidean reading)
        got = [betti_numbers(X[y == c], maxdim=1).tolist() for c in (0, 1)]
        assert got == expect == naitzat.KNOWN[name]
    a, _ = naitzat.make_rings_discs(50, seed=1)
    b, _ = naitzat.make_rings_discs(50, seed=1)
    np.testing.assert_array_equal(a, b)


def test_rules_for_a_point_and_the_excess():
    assert naitzat._trivial([[1, 0], [1, 0]])
    assert not naitzat._trivial([[1, 0], [2, 0]])
    assert not naitzat._trivial([[1, 1], [1, 0]])
    assert naitzat._excess([[4, 4], [4, 0]]) == 3 + 4 + 3
    assert naitzat._excess([[1, 0], [1, 0]]) == 0


def test_quick_section_builds_with_claims_figures_and_numbers(tmp_path):
    from isotopy.report import build_report

    res = build_report(tmp_path / "rep", quick=True, only=["naitzat"])
    claims = [c for c in res["claims"] if c["section"] == "naitzat"]
    assert len(claims) == 5  # three activations, ReLU vs tanh, k-NN input vs deep
    assert all(c["verdict"] == "not resolved" for c in claims)  # quick settings decide nothing
    assert all(c["rule"] for c in claims)
    figs = sorted(p.name for p in (tmp_path / "rep" / "figures").iterdir())
    assert figs == ["naitzat_betti.png", "naitzat_digits.png"]
    metrics = json.loads((tmp_path / "rep" / "metrics.json").read_text())["metrics"]
    runs = metrics["naitzat.runs"]
    assert len(runs) == 2 * 3  # two data sets, three activations, one seed
    for r in runs:
        b = np.asarray(r["betti"])
        assert b.shape == (1 + 3, 2, 2)  # input + 3 hidden layers, 2 classes, (β0, β1)
    assert "naitzat.control_sensitivity" in metrics
    control = metrics["naitzat.control"]
    # one untrained network per data set and homeomorphic activation (quick: one seed)
    assert sorted((c["data"], c["activation"]) for c in control) == sorted(
        (d, a) for d in naitzat.DATA for a in naitzat.CONTROL_ACTIVATIONS
    )
    for c in control:  # class 0, 1 at the first and at the last hidden layer
        assert len(c["kept"]) == len(c["points"]) == 4
        assert np.asarray(c["betti"]).shape == (3, 2, 2)
    false_points = sum(p for c in control for p in c["points"])
    assert metrics["naitzat.control_false_points"] == false_points
    page = (tmp_path / "rep" / "index.html").read_text()
    assert "Control" in page and "real-data case" in page
