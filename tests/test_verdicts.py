"""Verdict rules: numbers on both sides of each rule give both verdicts, and an effect below
the resolution (or too few seeds) gives "not resolved"."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest, mannwhitneyu

from isotopy.errors import InputError
from isotopy.experiments.verdicts import (
    Verdict,
    all_verdict,
    bootstrap_median_difference,
    controlled_verdict,
    curve_comparison,
    difference_verdict,
    dominance_verdict,
    fraction_verdict,
    ordering_verdict,
    size_verdict,
)


# ------------------------------------------------------------------------ success fraction
@pytest.mark.parametrize(
    "successes, expect, verdict",
    [
        (0, "fail", "agrees"),
        (7, "fail", "differs"),
        (1, "fail", "not resolved"),
        (6, "succeed", "agrees"),
        (0, "succeed", "differs"),
        (3, "succeed", "not resolved"),
    ],
)
def test_fraction_rule_gives_every_verdict(successes, expect, verdict):
    v = fraction_verdict(successes, 10, expect=expect, share=0.5)
    assert v.verdict == verdict
    assert v.resolution == "one seed = 10%"
    assert f"{successes}/10" in v.measured and "50%" in v.rule


def test_fraction_rule_needs_enough_seeds_and_stable_training():
    assert fraction_verdict(0, 4, expect="fail").verdict == "not resolved"  # below min_seeds
    assert fraction_verdict(0, 4, expect="fail", min_seeds=4).verdict == "agrees"
    # the verdict changes between L and 2L: training was not long enough to decide
    v = fraction_verdict(8, 10, expect="succeed", successes_longer=2)
    assert v.verdict == "not resolved" and "2/10" in v.measured
    assert fraction_verdict(8, 10, expect="succeed", successes_longer=9).verdict == "agrees"
    with pytest.raises(InputError, match="successes must be integers in 0..10"):
        fraction_verdict(11, 10, expect="fail")
    with pytest.raises(InputError, match="expect must be"):
        fraction_verdict(1, 10, expect="maybe")
    with pytest.raises(InputError, match="share must be"):
        fraction_verdict(1, 10, expect="fail", share=0)


# ------------------------------------------------------------------ paired difference of error
def _paired(n, only_a, only_b, both_wrong=0):
    """Outcomes of two classifiers on n items with given discordant counts."""
    a, b = np.ones(n, bool), np.ones(n, bool)
    a[:only_b] = False  # only b right
    b[only_b : only_b + only_a] = False  # only a right
    end = only_a + only_b
    a[end : end + both_wrong] = b[end : end + both_wrong] = False
    return a, b


def test_difference_rule_agrees_and_differs_on_a_large_effect():
    a, b = _paired(2000, only_a=5, only_b=40)  # b makes 35 fewer errors of 2000
    v = difference_verdict(a, b, names=("softmax", "k-NN"))
    assert v.verdict == "agrees"
    assert "effect +1.75 points" in v.measured and "one test image = 0.05" in v.resolution
    assert f"{binomtest(5, 45).pvalue:.2g}" in v.measured
    assert difference_verdict(b, a).verdict == "differs"  # the same effect the other way
    assert difference_verdict(a, b, expect="b_higher").verdict == "differs"


def test_difference_rule_not_resolved_below_resolution_or_significance():
    a, b = _paired(450, only_a=10, only_b=11)  # one image: the resolution, not significant
    v = difference_verdict(a, b)
    assert v.verdict == "not resolved" and "effect +0.22 points" in v.measured
    with pytest.raises(InputError, match="same shape"):
        difference_verdict(a, b[:10])


def test_difference_rule_takes_the_image_as_the_unit():
    # 10 seeds that repeat one seed's outcomes (5 of 200 images only b gets right): the
    # pooled McNemar test of the 50 outcomes (p = 2^-49) said "agrees"; the images are 5,
    # p = 2 / 2^5 = 0.0625, as for the one seed
    a, b = _paired(200, only_a=0, only_b=5)
    v = difference_verdict(np.stack([a] * 10), np.stack([b] * 10))
    assert v.verdict == "not resolved" and "over 10 seeds" in v.measured
    assert "p = 0.062" in v.measured and "p = 0.062" in difference_verdict(a, b).measured
    assert "sign-flip" in v.rule and "McNemar" in difference_verdict(a, b).rule
    # 10 seeds that each get 5 different images right: 50 images, p tiny -> agrees
    ca, cb = np.ones((10, 200), bool), np.ones((10, 200), bool)
    for s in range(10):
        ca[s, 5 * s : 5 * s + 5] = False
    v = difference_verdict(ca, cb)
    assert v.verdict == "agrees" and "lower in 10 of 10 seeds" in v.measured


def test_difference_rule_significant_effect_below_one_image_is_not_resolved():
    # 40 seeds of 400 items, each seed one item of its own that only b gets right: 40
    # images, p = 2^-39, but the mean effect is one image in 400 per seed = 0.25 points,
    # exactly one test image: resolved; one seed in two (20 images) is half an image
    ca, cb = np.ones((40, 400), bool), np.ones((40, 400), bool)
    ca[np.arange(40), np.arange(40)] = False
    assert difference_verdict(ca, cb).verdict == "agrees"
    half = ca.copy()
    half[np.arange(0, 40, 2), np.arange(0, 40, 2)] = True
    v = difference_verdict(half, cb)
    assert "effect +0.12 points" in v.measured and v.verdict == "not resolved"


# ------------------------------------------------------------------------ size of an effect
def test_size_rule_gives_every_verdict_at_the_claims_size():
    # the essay's 0.1-0.2 points, one test image of 2,000 = 0.05 points -> [0.05, 0.25]
    def size(e, lo, hi):
        return size_verdict(e, lo, hi, claimed=(0.1, 0.2), resolution=0.05).verdict

    assert size(0.15, 0.08, 0.22) == "agrees"
    assert size(0.9, 0.4, 1.4) == "differs"  # a large, significant gain is not the claim's
    assert size(-0.3, -0.5, -0.1) == "differs"
    assert size(0.3, 0.05, 0.55) == "not resolved"  # meets the band, not inside it
    assert size(0.15, -0.5, 0.8) == "not resolved"  # too wide to tell
    # "at least 4%": an error interval wholly below 4 - r differs, wholly above agrees
    floor = {"claimed": (4.0, np.inf), "resolution": 0.01, "unit": "%"}
    assert size_verdict(3.0, 2.0, 3.5, **floor).verdict == "differs"
    v = size_verdict(4.6, 4.2, 5.1, **floor)
    assert v.verdict == "agrees" and "at least 4" in v.rule and "[4.2, 5.1]" in v.measured
    assert size_verdict(4.0, 3.5, 4.5, **floor).verdict == "not resolved"
    with pytest.raises(InputError, match="low <= estimate <= high"):
        size_verdict(1.0, 2.0, 3.0, claimed=(0, 1), resolution=0.1)
    with pytest.raises(InputError, match="claimed range"):
        size_verdict(1.0, 0.5, 3.0, claimed=(2, 1), resolution=0.1)


# --------------------------------------------------------------------- ordering over seeds
def test_ordering_rule_gives_every_verdict():
    rng = np.random.default_rng(0)
    lo, hi = rng.normal(1.0, 0.1, 12), rng.normal(2.0, 0.1, 12)
    assert ordering_verdict(hi, lo).verdict == "agrees"
    assert ordering_verdict(lo, hi).verdict == "differs"
    assert ordering_verdict(lo, hi, expect="a_smaller").verdict == "agrees"
    same = rng.normal(1.0, 0.5, 12)
    v = ordering_verdict(same, rng.normal(1.0, 0.5, 12))
    assert v.verdict == "not resolved"
    # the bootstrap rule and Mann-Whitney agree on these clear cases
    assert mannwhitneyu(hi, lo).pvalue < 0.05


def test_ordering_rule_resists_one_outlier_and_needs_seeds():
    a = np.r_[np.full(11, 1.0), 1000.0]  # one huge value: a mean would call it larger
    b = np.full(12, 1.5)
    assert ordering_verdict(a, b).verdict == "differs"  # medians: a is smaller
    assert ordering_verdict([5, 6, 7], [1, 2, 3]).verdict == "not resolved"  # 3 < 5 seeds
    assert ordering_verdict([5, 6, 7], [1, 2, 3], min_seeds=3).verdict == "agrees"
    d, lo, hi = bootstrap_median_difference([2, 2, 2], [1, 1, 1])
    assert d == lo == hi == 1.0
    with pytest.raises(InputError, match="finite value"):
        bootstrap_median_difference([np.nan], [1.0])


def test_verdict_object():
    v = fraction_verdict(0, 10, expect="fail")
    assert v.agrees is True and isinstance(v.to_dict()["rule"], str)
    assert "agrees" in repr(v)
    assert fraction_verdict(3, 10, expect="fail").agrees is None
    with pytest.raises(InputError, match="unknown verdict"):
        Verdict("maybe", "r", "res", "m")


# ------------------------------------------------------------- a curve over thresholds
def _curves(rng, seeds, peak, spread):
    """Exceedance-like curves at thresholds 1..10: share above t falls from ``spread``
    to 0 at ``peak``, with a little noise per seed."""
    t = np.arange(1, 11, dtype=float)
    base = spread * np.clip(1 - (t - 1) / (peak - 1), 0, None)
    return np.clip(base[None] * rng.uniform(0.9, 1.1, (seeds, 1)), 0, 1), t


def test_crossing_curves_are_not_resolved():
    # a: a small share stretched hard (up to t = 9); b: a large share stretched moderately
    # (up to t = 5): b is above at low t, a above at high t
    rng = np.random.default_rng(0)
    a, t = _curves(rng, 12, peak=9.0, spread=0.2)
    b, _ = _curves(rng, 12, peak=5.0, spread=0.4)
    v = dominance_verdict(a, b, t, names=("width 2", "width 3"))
    assert v.verdict == "not resolved"
    assert "width 2 above at t = 4, 5, 6, 7, 8;" in v.measured
    assert "width 3 above at t = 1, 2, 3;" in v.measured
    assert "no network above t = 9, 10" in v.measured
    # at one threshold each alone the old rule would have said both things
    c = curve_comparison(a, b)
    assert c["auc"][1] < 0.5 < c["auc"][6] and c["p"][1] < 0.05 and c["p"][6] < 0.05


def test_curve_rule_agrees_and_differs_when_one_curve_lies_above():
    rng = np.random.default_rng(1)
    hi, t = _curves(rng, 12, peak=9.0, spread=0.4)
    lo, _ = _curves(rng, 12, peak=5.0, spread=0.1)
    assert dominance_verdict(hi, lo, t).verdict == "agrees"
    assert dominance_verdict(lo, hi, t).verdict == "differs"
    assert dominance_verdict(lo, hi, t, expect="a_smaller").verdict == "agrees"
    # fewer seeds than the rule needs
    assert dominance_verdict(hi[:5], lo[:5], t).verdict == "not resolved"
    # a tail where 7 of 12 networks have nothing left still counts (a rank test, not a
    # median that jumps to 0)
    tail = hi.copy()
    tail[:7, -3:] = 0.0
    assert dominance_verdict(tail, lo, t).verdict == "agrees"
    # one threshold where neither is above makes "agrees" impossible
    same = lo.copy()
    same[:, 0] = hi[:, 0]
    v = dominance_verdict(hi, same, t)
    assert v.verdict == "not resolved" and "neither at t = 1" in v.measured
    with pytest.raises(InputError, match="one column per threshold"):
        dominance_verdict(hi, lo, t[:3])


# -------------------------------------------------------------- a claim over several settings
def test_a_claim_over_several_settings_must_hold_in_each():
    ok = fraction_verdict(0, 20, expect="fail")
    no = fraction_verdict(15, 20, expect="fail")
    open_ = fraction_verdict(3, 20, expect="fail")
    assert all_verdict({"depth 1": ok, "depth 2": ok}, over="depth 1-2").verdict == "agrees"
    v = all_verdict({"depth 1": ok, "depth 2": no, "depth 3": open_}, over="depth 1-3")
    assert v.verdict == "differs" and "depth 2: 15/20" in v.measured
    assert "judged at every depth 1-3" in v.rule
    assert all_verdict({"a": ok, "b": open_}, over="x").verdict == "not resolved"
    with pytest.raises(InputError, match="at least one"):
        all_verdict({}, over="x")


def test_cannot_counts_only_where_the_control_can():
    cannot = fraction_verdict(0, 20, expect="fail")
    can = fraction_verdict(20, 20, expect="succeed")
    also_not = fraction_verdict(0, 20, expect="succeed")
    assert controlled_verdict(cannot, can, what="3 units").verdict == "agrees"
    v = controlled_verdict(cannot, also_not, what="3 units")
    assert v.verdict == "not resolved" and "only where 3 units agrees" in v.rule
    assert "3 units: 0/20" in v.measured
    # a "cannot" that differs stays differs whatever the control
    assert (
        controlled_verdict(fraction_verdict(15, 20, expect="fail"), also_not, what="c").verdict
        == "differs"
    )
