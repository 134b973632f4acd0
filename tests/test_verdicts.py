"""Verdict rules: numbers on both sides of each rule give both verdicts, and an effect below
the resolution (or too few seeds) gives "not resolved"."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest, mannwhitneyu

from isotopy.errors import InputError
from isotopy.experiments.verdicts import (
    Verdict,
    bootstrap_median_difference,
    difference_verdict,
    fraction_verdict,
    ordering_verdict,
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


def test_difference_rule_pools_seeds():
    # 10 seeds, each: 5 of 200 items only b gets right -> effect 2.5 points, p = 2^-49
    a, b = _paired(200, only_a=0, only_b=5)
    v = difference_verdict(np.stack([a] * 10), np.stack([b] * 10))
    assert v.verdict == "agrees" and "over 10 seeds" in v.measured


def test_difference_rule_significant_effect_below_one_image_is_not_resolved():
    # 40 seeds of 100 items: 30 seeds have one item only b gets right, 5 seeds one item only
    # a gets right; McNemar pooled p = binomtest(5, 35) is tiny, but the mean effect is
    # 25 / 40 of one test image
    ca, cb = np.ones((40, 100), bool), np.ones((40, 100), bool)
    ca[:30, 0] = False
    cb[:5, 1] = False
    assert binomtest(5, 35).pvalue < 1e-4
    v = difference_verdict(ca, cb)
    assert "effect +0.62 points" in v.measured or "effect +0.63 points" in v.measured
    assert v.verdict == "not resolved"
    ca[:, 2] = False  # every seed one more item only b gets right: 1.6 images, still p tiny
    assert difference_verdict(ca, cb).verdict == "agrees"


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
