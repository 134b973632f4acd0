"""Verdict rules: measured numbers -> "agrees" / "differs" / "not resolved", with the rule said.

Every claim of the essay that the experiments test is judged by one of three small pure
rules, and each rule returns a :class:`Verdict` that carries its own sentence, the
resolution of the measurement and a one-line summary of what was measured, so that a
reader sees how the verdict could have come out the other way.

- :func:`fraction_verdict`: a share of seeds that reach a target (e.g. 100% accuracy on a
  dense grid). "Cannot" agrees when no seed reaches it and differs when at least a stated
  share does; "can" agrees when at least that share does and differs when none does.
  Anything in between, fewer seeds than a stated minimum, or a verdict that changes
  between two training lengths, is "not resolved". The resolution is 1 / seeds.
- :func:`difference_verdict`: two classifiers on the same test items. The effect is the
  difference of their error rates in percentage points; one test item is 100 / n_test
  points. McNemar's exact test, p = binomtest(b10, b10 + b01, 1/2), on the items exactly
  one of them gets right decides significance. An effect below one item or with p >= α is
  "not resolved"; a significant effect in the expected direction agrees, the other way
  differs.
- :func:`ordering_verdict`: a statistic measured over seeds in two groups, with an
  expected ordering. A percentile bootstrap confidence interval (level 1 - α) of the
  difference of the two medians decides: it lies wholly on the expected side -> agrees,
  wholly on the other side -> differs, contains 0 -> "not resolved".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..errors import InputError, check_positive_int

__all__ = [
    "Verdict",
    "VERDICTS",
    "fraction_verdict",
    "difference_verdict",
    "ordering_verdict",
    "bootstrap_median_difference",
]

VERDICTS = ("agrees", "differs", "not resolved")


@dataclass(frozen=True)
class Verdict:
    """The outcome of one rule applied to measured numbers."""

    verdict: str  # one of VERDICTS
    rule: str  # the rule, one sentence, with its thresholds filled in
    resolution: str  # the finest difference the measurement can tell apart
    measured: str  # what was measured, one short line

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise InputError(
                f"unknown verdict {self.verdict!r}; choose one of: " + ", ".join(VERDICTS)
            )

    @property
    def agrees(self) -> bool | None:
        """True for "agrees", False for "differs", None for "not resolved"."""
        return {"agrees": True, "differs": False}.get(self.verdict)

    def to_dict(self) -> dict:
        return asdict(self)

    def __repr__(self) -> str:
        return f"Verdict({self.verdict!r}: {self.measured}; {self.resolution})"


def _share(value, what) -> float:
    v = float(value)
    if not 0 < v <= 1:
        raise InputError(f"{what} must be a number in (0, 1], got {value!r}")
    return v


def _alpha(value) -> float:
    v = float(value)
    if not 0 < v < 1:
        raise InputError(f"alpha must be a number in (0, 1), got {value!r}")
    return v


# ------------------------------------------------------------------------ success fraction
def _fraction_one(successes: int, seeds: int, expect: str, share: float) -> str:
    frac = successes / seeds
    if expect == "fail":
        return "agrees" if successes == 0 else ("differs" if frac >= share else "not resolved")
    return "agrees" if frac >= share else ("differs" if successes == 0 else "not resolved")


def fraction_verdict(
    successes: int,
    seeds: int,
    *,
    expect: str,
    share: float = 0.5,
    min_seeds: int = 10,
    successes_longer: int | None = None,
    target: str = "100% on the dense grid",
) -> Verdict:
    """Judge "networks cannot / can reach ``target``" from how many seeds reach it.

    Parameters
    ----------
    successes : int
        Seeds that reached the target.
    seeds : int
        Seeds trained.
    expect : {"fail", "succeed"}
        The essay's claim: no network reaches it ("fail"), or networks do ("succeed").
    share : float in (0, 1]
        The share of seeds that counts as "networks reach it".
    min_seeds : int
        Fewer seeds than this give "not resolved" whatever they show.
    successes_longer : int, optional
        Seeds that reached the target with longer training (same seeds); when given, the
        verdict must be the same at both lengths, else it is "not resolved".
    target : str
        What a success is, for the sentences.

    Returns
    -------
    Verdict
    """
    seeds = check_positive_int(seeds, "seeds")
    share = _share(share, "share")
    min_seeds = check_positive_int(min_seeds, "min_seeds")
    if expect not in ("fail", "succeed"):
        raise InputError(f"expect must be 'fail' or 'succeed', got {expect!r}")
    counts = [successes] + ([] if successes_longer is None else [successes_longer])
    for c in counts:
        if isinstance(c, bool) or not 0 <= int(c) <= seeds:
            raise InputError(f"successes must be integers in 0..{seeds}, got {c!r}")
    if expect == "fail":
        rule = (
            f"'cannot' agrees if no seed reaches {target}, differs if at least "
            f"{share:.0%} of seeds do, else is not resolved"
        )
    else:
        rule = (
            f"'can' agrees if at least {share:.0%} of seeds reach {target}, differs if "
            "none does, else is not resolved"
        )
    rule += f"; it needs at least {min_seeds} seeds"
    if successes_longer is not None:
        rule += " and the same verdict at both training lengths"
    verdicts = [_fraction_one(int(c), seeds, expect, share) for c in counts]
    if seeds < min_seeds or len(set(verdicts)) > 1:
        verdict = "not resolved"
    else:
        verdict = verdicts[0]
    measured = f"{counts[0]}/{seeds} seeds reach {target}"
    if successes_longer is not None:
        measured += f" ({successes_longer}/{seeds} with twice the training)"
    return Verdict(verdict, rule + ".", f"one seed = {1 / seeds:.0%}", measured)


# ------------------------------------------------------------------ paired difference of error
def difference_verdict(
    correct_a,
    correct_b,
    *,
    expect: str = "b_lower",
    alpha: float = 0.05,
    names: tuple[str, str] = ("a", "b"),
) -> Verdict:
    """Judge "classifier b makes fewer (or more) errors than a" on the same test items.

    Parameters
    ----------
    correct_a, correct_b : bool arrays (n_test,) or (seeds, n_test)
        Whether each classifier got each test item right; rows are seeds (each seed's
        classifiers see the same n_test items), pooled for the test.
    expect : {"b_lower", "b_higher"}
        The essay's direction: b's error below a's, or above.
    alpha : float
        Significance level of McNemar's exact test.
    names : (str, str)
        Names of a and b for the sentences.

    Returns
    -------
    Verdict
        ``measured`` gives both errors, the effect err_a - err_b in points (mean over
        seeds), the discordant counts and p.
    """
    from scipy.stats import binomtest

    a = np.atleast_2d(np.asarray(correct_a, dtype=bool))
    b = np.atleast_2d(np.asarray(correct_b, dtype=bool))
    if a.shape != b.shape or a.ndim != 2 or a.shape[1] == 0:
        raise InputError(
            f"paired outcomes must have the same shape (n_test,) or (seeds, "
            f"n_test), got {np.shape(correct_a)} and {np.shape(correct_b)}"
        )
    if expect not in ("b_lower", "b_higher"):
        raise InputError(f"expect must be 'b_lower' or 'b_higher', got {expect!r}")
    alpha = _alpha(alpha)
    n_test = a.shape[1]
    err_a, err_b = 100 * (1 - a.mean()), 100 * (1 - b.mean())  # percent
    effect = err_a - err_b  # > 0: b makes fewer errors
    only_a, only_b = int((a & ~b).sum()), int((~a & b).sum())
    p = 1.0 if only_a + only_b == 0 else float(binomtest(only_a, only_a + only_b).pvalue)
    resolution = 100 / n_test
    na, nb = names
    rule = (
        f"the effect (error of {na} minus error of {nb}, in points) must be at least one "
        f"test image ({resolution:.3g} points) and McNemar's exact test must give "
        f"p < {alpha:g}; then it agrees if {nb}'s error is "
        f"{'lower' if expect == 'b_lower' else 'higher'}, differs otherwise; else it is "
        "not resolved."
    )
    if abs(effect) < resolution - 1e-12 or p >= alpha:
        verdict = "not resolved"
    else:
        verdict = "agrees" if (effect > 0) == (expect == "b_lower") else "differs"
    seeds = f" over {a.shape[0]} seeds" if a.shape[0] > 1 else ""
    measured = (
        f"{na} {err_a:.2f}%, {nb} {err_b:.2f}%{seeds}: effect {effect:+.2f} points; "
        f"only {na} right {only_a}, only {nb} right {only_b}, p = {p:.2g}"
    )
    return Verdict(
        verdict, rule, f"one test image = {resolution:.3g} points ({n_test} test images)", measured
    )


# --------------------------------------------------------------------- ordering over seeds
def bootstrap_median_difference(
    a, b, *, alpha: float = 0.05, n_boot: int = 4000, seed: int = 0
) -> tuple[float, float, float]:
    """median(a) - median(b) and its percentile bootstrap interval at level 1 - alpha.

    a : (n_a,), b : (n_b,) -> (difference, low, high); resampling each group on its own with
    ``np.random.default_rng(seed)``.
    """
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if len(a) == 0 or len(b) == 0 or not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise InputError("each group needs at least one finite value")
    rng = np.random.default_rng(seed)
    ma = np.median(a[rng.integers(0, len(a), (n_boot, len(a)))], axis=1)
    mb = np.median(b[rng.integers(0, len(b), (n_boot, len(b)))], axis=1)
    lo, hi = np.quantile(ma - mb, [alpha / 2, 1 - alpha / 2])
    return float(np.median(a) - np.median(b)), float(lo), float(hi)


def ordering_verdict(
    a,
    b,
    *,
    expect: str = "a_greater",
    alpha: float = 0.05,
    min_seeds: int = 5,
    names: tuple[str, str] = ("a", "b"),
    statistic: str = "the statistic",
    n_boot: int = 4000,
    seed: int = 0,
) -> Verdict:
    """Judge "the statistic is larger in group a than in group b" (or smaller) over seeds.

    Parameters
    ----------
    a, b : arrays (n_a,), (n_b,)
        The statistic, one value per seed (network), in each group.
    expect : {"a_greater", "a_smaller"}
    alpha : float
        1 - the bootstrap interval's level.
    min_seeds : int
        Fewer values in either group give "not resolved".
    names, statistic : str
        For the sentences.
    n_boot, seed : int
        Bootstrap resamples and their seed (the verdict is deterministic).

    Returns
    -------
    Verdict
    """
    if expect not in ("a_greater", "a_smaller"):
        raise InputError(f"expect must be 'a_greater' or 'a_smaller', got {expect!r}")
    alpha = _alpha(alpha)
    min_seeds = check_positive_int(min_seeds, "min_seeds")
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    d, lo, hi = bootstrap_median_difference(a, b, alpha=alpha, n_boot=n_boot, seed=seed)
    na, nb = names
    word = "larger" if expect == "a_greater" else "smaller"
    side = "positive" if expect == "a_greater" else "negative"
    rule = (
        f"agrees if the {1 - alpha:.0%} bootstrap interval of median({na}) - "
        f"median({nb}) of {statistic} lies wholly on the {side} "
        f"side ({na} {word}), differs if it lies wholly on the other side, else is not "
        f"resolved; it needs at least {min_seeds} seeds per group."
    )
    if min(len(a), len(b)) < min_seeds or lo <= 0 <= hi:
        verdict = "not resolved"
    else:
        verdict = "agrees" if (lo > 0) == (expect == "a_greater") else "differs"
    measured = (
        f"median {na} {np.median(a):.3g} (range {a.min():.3g}-{a.max():.3g}, "
        f"{len(a)} seeds), median {nb} {np.median(b):.3g} (range {b.min():.3g}-"
        f"{b.max():.3g}, {len(b)} seeds)"
    )
    return Verdict(
        verdict,
        rule,
        f"difference of medians {d:.3g}, {1 - alpha:.0%} interval [{lo:.3g}, {hi:.3g}]",
        measured,
    )
