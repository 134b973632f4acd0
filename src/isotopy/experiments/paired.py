"""Statistics of classifiers scored on shared test images, with the image as the unit.

When S networks (seeds) are each scored on the same n test images, the S outcomes on one
image are not independent: an image that is hard for one network tends to be hard for the
others. Pooling the S x n outcomes into one McNemar test counts each image S times and
makes p too small. Here the image is the unit of every test and of every interval.

**Sign-flip test.** Two classifiers a and b on the same images: c_a, c_b (S, n) in {0, 1}.
Per image, d_i = Σ_s (c_b[s, i] - c_a[s, i]) in -S..S. If a and b are exchangeable on
every image (the null hypothesis), each d_i is as likely to be +|d_i| as -|d_i|,
independently over images, so T = Σ_i d_i has the exact distribution of Σ_i ε_i |d_i| with
independent fair signs ε_i. Grouping the images by m = |d_i| (c_m images each), T is
Σ_m m (2 K_m - c_m) with K_m ~ Binomial(c_m, 1/2); its distribution is the convolution of
those, and p = P(|T| >= |T_obs|). For S = 1 this is McNemar's exact test (the binomial test
of b01 against b01 + b10); S identical seeds give exactly the p of one of them. It is the
paired permutation test of Fisher (1935) with the image as the pair.

**Two-way bootstrap.** A mean over seeds and images of values v (S, n) (an error, or a
difference of two errors) with a percentile interval from resampling seeds and images
independently, each with replacement (the networks and the images are both samples): a
resample weighs seed s by U_s ~ Multinomial(S, 1/S) and image i by W_i ~ Multinomial(n, 1/n)
and takes Σ_s Σ_i U_s W_i v[s, i] / (S n). Only images with a non-zero value in some seed
are drawn one by one; the others are one bucket of the multinomial, so 10,000 test images
cost no more than the few hundred that matter. With few seeds the seed part of the spread
is underestimated (a bootstrap of S values has variance (S - 1) / S of theirs).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError

__all__ = ["paired_outcomes", "sign_flip_test", "bootstrap_mean"]


def paired_outcomes(correct_a, correct_b) -> tuple[np.ndarray, np.ndarray]:
    """Two classifiers' outcomes as bool arrays (S, n): one row per seed, one column per image.

    A 1-D input is one seed. Different shapes, an empty set or a 3-D input is an InputError.
    """
    a = np.asarray(correct_a, dtype=bool)
    b = np.asarray(correct_b, dtype=bool)
    if a.ndim == 1:
        a = a[None]
    if b.ndim == 1:
        b = b[None]
    if a.shape != b.shape or a.ndim != 2 or a.size == 0:
        raise InputError(
            f"paired outcomes must have the same shape (n_test,) or (seeds, n_test), got "
            f"{np.shape(correct_a)} and {np.shape(correct_b)}"
        )
    return a, b


def _signed_sum_pmf(magnitudes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Support and probabilities of Σ_i ε_i m_i for fair independent signs ε_i."""
    from scipy.stats import binom

    values, counts = np.unique(magnitudes, return_counts=True)
    pmf = np.ones(1)  # distribution of the sum so far, on offsets 0..len-1 from its minimum
    low = 0
    for m, c in zip(values.astype(int), counts.astype(int), strict=True):
        k = np.arange(c + 1)
        part = np.zeros(2 * m * c + 1)
        part[:: 2 * m] = binom.pmf(k, c, 0.5)  # m (2k - c) for k = 0..c, on offsets 2 m k
        pmf = np.convolve(pmf, part)
        low -= m * c
    return low + np.arange(len(pmf)), pmf


def sign_flip_test(correct_a, correct_b) -> dict:
    """Exact sign-flip test of "a and b are equally good" with the test image as the unit.

    Parameters
    ----------
    correct_a, correct_b : bool arrays (n,) or (S, n)
        Whether each classifier got each image right, one row per seed; every seed scores
        the same n images (column i is image i in every row).

    Returns
    -------
    dict
        ``only_a`` / ``only_b``: (seed, image) pairs that only a / only b gets right;
        ``images_for_a`` / ``images_for_b``: images where d_i < 0 / > 0; ``statistic``:
        T = only_b - only_a; ``p``: the two-sided exact p-value; ``seeds``, ``images``.
    """
    a, b = paired_outcomes(correct_a, correct_b)
    d = b.sum(0, dtype=np.int64) - a.sum(0, dtype=np.int64)  # (n,) in -S..S
    t = int(d.sum())
    mags = np.abs(d[d != 0])
    if len(mags) == 0:
        p = 1.0
    else:
        support, pmf = _signed_sum_pmf(mags)
        p = float(min(1.0, pmf[np.abs(support) >= abs(t)].sum()))
    return {
        "only_a": int((a & ~b).sum()),
        "only_b": int((~a & b).sum()),
        "images_for_a": int((d < 0).sum()),
        "images_for_b": int((d > 0).sum()),
        "statistic": t,
        "p": p,
        "seeds": int(a.shape[0]),
        "images": int(a.shape[1]),
    }


def bootstrap_mean(
    values, *, alpha: float = 0.05, n_boot: int = 4000, seed: int = 0, chunk: int = 500
) -> tuple[float, float, float]:
    """Mean of ``values`` (S, n) and its percentile interval from resampling seeds and images.

    Parameters
    ----------
    values : array (S, n) or (n,)
        One row per seed, one column per image (the same images in every row).
    alpha : float
        1 - the interval's level.
    n_boot : int
        Resamples.
    seed : int
        Seed of ``np.random.default_rng`` (the interval is deterministic).
    chunk : int
        Resamples drawn at once (bounds the memory to chunk x the images that matter).

    Returns
    -------
    (mean, low, high)
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 1:
        v = v[None]
    if v.ndim != 2 or v.size == 0 or not np.isfinite(v).all():
        raise InputError(f"values must be a finite (seeds, images) array, got shape {v.shape}")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be a number in (0, 1), got {alpha!r}")
    S, n = v.shape
    cols = np.flatnonzero((v != 0).any(0))  # images that can move the mean
    live = v[:, cols]  # (S, m)
    rng = np.random.default_rng(seed)
    probs = np.r_[np.full(len(cols), 1 / n), (n - len(cols)) / n]  # + one bucket of zeros
    out = []
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        U = rng.multinomial(S, np.full(S, 1 / S), size=b)  # (b, S) seed weights
        W = rng.multinomial(n, probs, size=b)[:, : len(cols)]  # (b, m) image weights
        out.append(((U @ live) * W).sum(1) / (S * n))  # (b,)
    boot = np.concatenate(out)
    lo, hi = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
    return float(v.mean()), float(lo), float(hi)
