"""Paired statistics with the test image as the unit: the sign-flip test against McNemar's
exact test and a full enumeration, repeated seeds, and the seeds x images bootstrap."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import binomtest

from isotopy.errors import InputError
from isotopy.experiments.paired import bootstrap_mean, paired_outcomes, sign_flip_test


def test_one_seed_is_mcnemars_exact_test():
    rng = np.random.default_rng(0)
    for n, pa, pb in [(300, 0.8, 0.75), (60, 0.5, 0.9), (450, 0.99, 0.985)]:
        a, b = rng.random(n) < pa, rng.random(n) < pb
        r = sign_flip_test(a, b)
        ref = binomtest(r["only_a"], r["only_a"] + r["only_b"]).pvalue
        assert r["p"] == pytest.approx(ref, rel=1e-12)
        assert r["statistic"] == r["only_b"] - r["only_a"]
    assert sign_flip_test(a, a)["p"] == 1.0


def test_several_seeds_match_the_enumerated_sign_flips():
    rng = np.random.default_rng(3)
    for _ in range(3):
        A, B = rng.random((3, 14)) < 0.4, rng.random((3, 14)) < 0.7
        d = B.sum(0).astype(int) - A.sum(0).astype(int)  # per image
        flips = np.array(list(itertools.product([-1, 1], repeat=14))) @ np.abs(d)
        exact = (np.abs(flips) >= abs(d.sum())).mean()
        assert sign_flip_test(A, B)["p"] == pytest.approx(exact, rel=1e-12)


def test_a_seed_repeated_gives_no_more_evidence_than_the_seed():
    # one seed's outcomes on 450 images, repeated as three "seeds": the same images, so the
    # combined p must be the seed's own p, while pooling the 1,350 outcomes as independent
    # (the old combination) claims far more
    a, b = np.ones(450, bool), np.ones(450, bool)
    a[:9] = False  # only b right on 9 images
    b[9:11] = False  # only a right on 2
    one = sign_flip_test(a, b)["p"]
    three = sign_flip_test(np.stack([a] * 3), np.stack([b] * 3))["p"]
    pooled = binomtest(6, 33).pvalue
    assert three == pytest.approx(one, rel=1e-12)
    assert pooled < one / 10  # what counting repeated images as samples would have said
    # a second seed that agrees on new images does add evidence
    c, e = np.ones(450, bool), np.ones(450, bool)
    c[100:109] = False
    e[109:111] = False
    assert sign_flip_test(np.stack([a, c]), np.stack([b, e]))["p"] < one


def test_paired_outcomes_checks_shapes():
    a, b = paired_outcomes([True, False], [False, False])
    assert a.shape == b.shape == (1, 2)
    with pytest.raises(InputError, match="same shape"):
        paired_outcomes(np.ones((2, 5)), np.ones((3, 5)))
    with pytest.raises(InputError, match="same shape"):
        sign_flip_test([], [])


def test_bootstrap_mean_resamples_seeds_and_images():
    rng = np.random.default_rng(0)
    v = (rng.random((10, 2000)) < 0.02).astype(float)  # 2% errors per seed and image
    m, lo, hi = bootstrap_mean(v, n_boot=2000)
    assert m == v.mean() and lo < m < hi
    # the interval is about two binomial standard errors of the 20,000 outcomes, or more
    se = np.sqrt(0.02 * 0.98 / v.size)
    assert 3 * se < hi - lo < 12 * se
    # ten copies of one seed: the images are the only source of spread, the interval as
    # wide as one seed's, not sqrt(10) times narrower
    one = v[:1]
    _, lo1, hi1 = bootstrap_mean(one, n_boot=2000)
    _, lo10, hi10 = bootstrap_mean(np.repeat(one, 10, 0), n_boot=2000)
    assert hi10 - lo10 == pytest.approx(hi1 - lo1, rel=0.15)
    assert bootstrap_mean(v, n_boot=500, seed=1) == bootstrap_mean(v, n_boot=500, seed=1)
    assert bootstrap_mean(np.zeros((3, 10))) == (0.0, 0.0, 0.0)
    with pytest.raises(InputError, match="finite"):
        bootstrap_mean(np.full((2, 3), np.nan))
    with pytest.raises(InputError, match="alpha"):
        bootstrap_mean(v, alpha=1.5)
