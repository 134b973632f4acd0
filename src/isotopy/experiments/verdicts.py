"""Verdict rules: measured numbers -> "agrees" / "differs" / "not resolved", with the rule said.

Every claim of the essay that the experiments test is judged by one of these small pure
rules, and each rule returns a :class:`Verdict` that carries its own sentence, the
resolution of the measurement and a one-line summary of what was measured, so that a
reader sees how the verdict could have come out the other way.

- :func:`fraction_verdict`: a share of seeds that reach a target (e.g. 100% accuracy on a
  dense grid). "Cannot" agrees when no seed reaches it and differs when at least a stated
  share does; "can" agrees when at least that share does and differs when none does.
  Anything in between, fewer seeds than a stated minimum, or a verdict that changes
  between two training lengths, is "not resolved". The resolution is 1 / seeds.
- :func:`difference_verdict`: two classifiers on the same test images. The effect is the
  difference of their error rates in percentage points; one test image is 100 / n_test
  points. An exact test with the test image as its unit decides significance
  (:func:`~isotopy.experiments.paired.sign_flip_test`: McNemar's exact test for one seed;
  with several seeds each image's discordant outcomes are summed, so seeds that share the
  images are never counted as independent samples). An effect below one image or with
  p >= α is "not resolved"; a significant effect in the expected direction agrees, the
  other way differs.
- :func:`size_verdict`: a claimed range for a quantity (an effect "of 0.1-0.2 points", an
  error "of at least 4%"), widened by the resolution, against an interval of the measured
  value: the interval inside agrees, outside differs, across the edge is "not resolved".
- :func:`ordering_verdict`: a statistic measured over seeds in two groups, with an
  expected ordering. A percentile bootstrap confidence interval (level 1 - α) of the
  difference of the two medians decides: it lies wholly on the expected side -> agrees,
  wholly on the other side -> differs, contains 0 -> "not resolved".
- :func:`dominance_verdict`: an ordering of two groups' curves (a statistic at every
  threshold of a stated range), by a Mann-Whitney test over seeds at each threshold: it must
  hold at every threshold to agree, the reverse at every threshold to differ; crossing
  curves are "not resolved".
- :func:`all_verdict` and :func:`controlled_verdict` compose verdicts: a claim that must
  hold in several settings (every depth, every form of a head), and a "cannot" claim that
  counts only where a control measured alike "can".
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
    "size_verdict",
    "ordering_verdict",
    "bootstrap_median_difference",
    "curve_comparison",
    "dominance_verdict",
    "all_verdict",
    "controlled_verdict",
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
    """Judge "classifier b makes fewer (or more) errors than a" on the same test images.

    Parameters
    ----------
    correct_a, correct_b : bool arrays (n_test,) or (seeds, n_test)
        Whether each classifier got each test image right; rows are seeds, and every seed
        scores the same n_test images, so the test takes the image as its unit
        (:func:`~isotopy.experiments.paired.sign_flip_test`; McNemar's exact test for one
        seed), never the seeds x images outcomes as independent samples.
    expect : {"b_lower", "b_higher"}
        The essay's direction: b's error below a's, or above.
    alpha : float
        Significance level of the test.
    names : (str, str)
        Names of a and b for the sentences.

    Returns
    -------
    Verdict
        ``measured`` gives both errors, the effect err_a - err_b in points (mean over
        seeds), in how many seeds b is lower, the discordant counts and p.
    """
    from .paired import paired_outcomes, sign_flip_test

    a, b = paired_outcomes(correct_a, correct_b)
    if expect not in ("b_lower", "b_higher"):
        raise InputError(f"expect must be 'b_lower' or 'b_higher', got {expect!r}")
    alpha = _alpha(alpha)
    seeds, n_test = a.shape
    err_a, err_b = 100 * (1 - a.mean()), 100 * (1 - b.mean())  # percent
    effect = err_a - err_b  # > 0: b makes fewer errors
    test = sign_flip_test(a, b)
    resolution = 100 / n_test
    na, nb = names
    unit = (
        "McNemar's exact test"
        if seeds == 1
        else "the exact sign-flip test over test images (each image's seeds summed: the "
        "seeds share the images, so the image is the unit)"
    )
    rule = (
        f"the effect (error of {na} minus error of {nb}, in points) must be at least one "
        f"test image ({resolution:.3g} points) and {unit} must give p < {alpha:g}; then it "
        f"agrees if {nb}'s error is {'lower' if expect == 'b_lower' else 'higher'}, differs "
        "otherwise; else it is not resolved."
    )
    if abs(effect) < resolution - 1e-12 or test["p"] >= alpha:
        verdict = "not resolved"
    else:
        verdict = "agrees" if (effect > 0) == (expect == "b_lower") else "differs"
    measured = f"{na} {err_a:.2f}%, {nb} {err_b:.2f}%"
    if seeds > 1:
        per_seed = b.sum(1) - a.sum(1)  # (seeds,) how many fewer errors b makes than a
        measured += (
            f" over {seeds} seeds: effect {effect:+.2f} points; {nb} lower in "
            f"{int((per_seed > 0).sum())} of {seeds} seeds, higher in {int((per_seed < 0).sum())}"
        )
    else:
        measured += f": effect {effect:+.2f} points"
    measured += (
        f"; only {na} right {test['only_a']}, only {nb} right {test['only_b']}, p = {test['p']:.2g}"
    )
    return Verdict(
        verdict, rule, f"one test image = {resolution:.3g} points ({n_test} test images)", measured
    )


# ------------------------------------------------------------------------ size of an effect
def size_verdict(
    estimate: float,
    low: float,
    high: float,
    *,
    claimed: tuple[float, float],
    resolution: float,
    what: str = "the effect",
    unit: str = "points",
    level: float = 0.95,
) -> Verdict:
    """Judge "the quantity lies in the claimed range" from an interval of it.

    The claimed range [c_lo, c_hi] (c_hi may be inf: "at least c_lo") is widened by the
    measurement's resolution r to B = [c_lo - r, c_hi + r]: a value within r of the claim
    cannot be told apart from it. The interval [low, high] (at ``level``) wholly inside B
    agrees, wholly outside B differs, and one that meets B without lying inside it is not
    resolved.

    Parameters
    ----------
    estimate, low, high : float
        The measured value and its interval.
    claimed : (float, float)
        The claim's range (``(4.0, inf)`` for "at least 4").
    resolution : float
        The finest difference the measurement tells apart (e.g. one test image), >= 0.
    what, unit : str
        For the sentences.
    level : float
        The interval's level, for the sentences.

    Returns
    -------
    Verdict
    """
    c_lo, c_hi = (float(c) for c in claimed)
    r = float(resolution)
    vals = (float(estimate), float(low), float(high))
    if not all(np.isfinite(vals)) or not vals[1] <= vals[0] <= vals[2]:
        raise InputError(f"the interval must be finite with low <= estimate <= high, got {vals}")
    if np.isnan(c_lo) or not c_lo <= c_hi or not np.isfinite(r) or r < 0:
        raise InputError(
            f"the claimed range must have low <= high and a resolution >= 0, got "
            f"{claimed} and {resolution!r}"
        )
    lo_b, hi_b = c_lo - r, c_hi + r
    shown = f"at least {c_lo:g}" if np.isinf(c_hi) else f"{c_lo:g}-{c_hi:g}"
    band = f"[{lo_b:.3g}, {'inf' if np.isinf(hi_b) else f'{hi_b:.3g}'}]"
    rule = (
        f"the claim puts {what} at {shown} {unit}; widened by the resolution ({r:.3g}) that is "
        f"{band}: it agrees if the {level:.0%} interval lies wholly inside, differs if it lies "
        "wholly outside, else is not resolved."
    )
    e, lo, hi = vals
    if lo_b <= lo and hi <= hi_b:
        verdict = "agrees"
    elif hi < lo_b or lo > hi_b:
        verdict = "differs"
    else:
        verdict = "not resolved"
    measured = f"{what} {e:.3g} {unit}, {level:.0%} interval [{lo:.3g}, {hi:.3g}]"
    return Verdict(verdict, rule, f"{r:.3g} {unit}", measured)


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


# ------------------------------------------------------------- a curve over thresholds
def curve_comparison(a, b) -> dict[str, np.ndarray]:
    """Two groups' curves compared at each threshold by the Mann-Whitney U test.

    a : (n_a, T), b : (n_b, T): one curve per seed (e.g. the share of a grid above each of T
    thresholds) -> {"auc", "p", "median_a", "median_b", "empty"}, each (T,): the probability
    that a network of a has the larger value (ties count one half; 0.5 = no ordering), the
    two-sided p of scipy's ``mannwhitneyu`` (tie-corrected), each group's median, and
    ``empty``: thresholds where every value of both groups is 0 (nothing to compare).
    A rank test, because at the high thresholds of a stretch curve many networks have a
    share of exactly 0, where an interval of a median difference jumps to 0.
    """
    from scipy.stats import mannwhitneyu

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or a.shape[1] == 0:
        raise InputError(
            f"curves must be (seeds, thresholds) arrays with the same thresholds, got "
            f"{a.shape} and {b.shape}"
        )
    if min(len(a), len(b)) == 0 or not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise InputError("each group needs at least one curve of finite values")
    empty = (a == 0).all(0) & (b == 0).all(0)
    auc, pv = np.full(a.shape[1], 0.5), np.ones(a.shape[1])
    for j in np.flatnonzero(~empty):
        u, p = mannwhitneyu(a[:, j], b[:, j], alternative="two-sided")
        auc[j], pv[j] = u / (len(a) * len(b)), 1.0 if np.isnan(p) else p
    return {
        "auc": auc,
        "p": pv,
        "median_a": np.median(a, 0),
        "median_b": np.median(b, 0),
        "empty": empty,
    }


def _listed(ts) -> str:
    return ", ".join(f"{t:.2g}" for t in ts) if len(ts) else "none"


def dominance_verdict(
    a,
    b,
    thresholds,
    *,
    expect: str = "a_greater",
    alpha: float = 0.05,
    min_seeds: int = 10,
    names: tuple[str, str] = ("a", "b"),
    statistic: str = "the share above t",
) -> Verdict:
    """Judge "group a's curve lies above group b's" across a stated range of thresholds.

    At each threshold t where some network of either group has a value above 0, the
    Mann-Whitney U test (:func:`curve_comparison`) puts a above (p < alpha, a ranks higher),
    b above (p < alpha, b ranks higher) or neither. It agrees if a is above at every
    compared threshold, differs if b is above at every one, and is not resolved otherwise:
    where the curves cross, the ordering depends on the threshold and no single threshold
    speaks for the claim. Requiring every threshold is an intersection-union test (Berger
    1982): each test at level alpha keeps the verdict's level at alpha without a
    multiplicity correction.

    Parameters
    ----------
    a, b : arrays (n_a, T), (n_b, T)
        One curve per seed (network), sampled at ``thresholds``.
    thresholds : array (T,)
        The stated range, for the sentences.
    expect : {"a_greater", "a_smaller"}
    alpha : float
    min_seeds : int
        Fewer seeds in either group give "not resolved".
    names, statistic : str
        For the sentences.

    Returns
    -------
    Verdict
        ``measured`` lists the thresholds at which each group is above, those with neither
        and those with nothing to compare.
    """
    if expect not in ("a_greater", "a_smaller"):
        raise InputError(f"expect must be 'a_greater' or 'a_smaller', got {expect!r}")
    alpha = _alpha(alpha)
    min_seeds = check_positive_int(min_seeds, "min_seeds")
    ts = np.asarray(thresholds, dtype=float).ravel()
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.ndim != 2 or a.shape[1] != len(ts):
        raise InputError(f"curves must have one column per threshold ({len(ts)}), got {a.shape}")
    c = curve_comparison(a, b)
    compared = ~c["empty"]
    above_a = compared & (c["p"] < alpha) & (c["auc"] > 0.5)
    above_b = compared & (c["p"] < alpha) & (c["auc"] < 0.5)
    na, nb = names
    want, other = (above_a, above_b) if expect == "a_greater" else (above_b, above_a)
    rule = (
        f"at every threshold t from {ts.min():.3g} to {ts.max():.3g} where some network has "
        f"{statistic} above 0, the Mann-Whitney U test over seeds (p < {alpha:g}) must rank "
        f"{na} {'above' if expect == 'a_greater' else 'below'} {nb} for it to agree, the "
        "other way at every such t for it to differ; else (the curves cross, or some t "
        f"tells them apart in neither way) it is not resolved; it needs at least {min_seeds} "
        "seeds per group."
    )
    if min(len(a), len(b)) < min_seeds or not compared.any():
        verdict = "not resolved"
    elif want[compared].all():
        verdict = "agrees"
    elif other[compared].all():
        verdict = "differs"
    else:
        verdict = "not resolved"
    neither = compared & ~above_a & ~above_b
    measured = (
        f"{na} above at t = {_listed(ts[above_a])}; {nb} above at t = {_listed(ts[above_b])}"
        + (f"; neither at t = {_listed(ts[neither])}" if neither.any() else "")
        + (f"; no network above t = {_listed(ts[c['empty']])}" if c["empty"].any() else "")
        + f" ({len(a)} and {len(b)} seeds)"
    )
    return Verdict(
        verdict,
        rule,
        f"one seed per group; tests at {len(ts)} thresholds, each at level {alpha:g}",
        measured,
    )


# -------------------------------------------------------------- a claim over several settings
def all_verdict(parts: dict, *, over: str) -> Verdict:
    """One verdict for a claim that must hold in every one of several settings.

    ``parts`` maps a setting's label (e.g. "depth 2") to its :class:`Verdict`. The claim
    agrees if it agrees in every setting, differs if it differs in any, and is not resolved
    otherwise. ``over`` names the settings ("depth 1-3") for the sentences.
    """
    if not parts:
        raise InputError("all_verdict needs at least one setting's verdict")
    vs = list(parts.values())
    words = [v.verdict for v in vs]
    if all(w == "agrees" for w in words):
        verdict = "agrees"
    elif "differs" in words:
        verdict = "differs"
    else:
        verdict = "not resolved"
    first = vs[0].rule[0].lower() + vs[0].rule[1:]
    rule = (
        f"judged at every {over}: it agrees if it agrees at each, differs if it differs at "
        f"any, else is not resolved; at each, {first}"
    )
    measured = "; ".join(f"{k}: {v.measured}" for k, v in parts.items())
    resolutions = list(dict.fromkeys(v.resolution for v in vs))
    return Verdict(verdict, rule, "; ".join(resolutions), measured)


def controlled_verdict(v: Verdict, control: Verdict, *, what: str, label: str = "") -> Verdict:
    """``v``, whose "agrees" stands only where a control measured alike agrees.

    A claim that networks *cannot* do something is evidence about them only where the same
    recipe does it with the capacity the claim allows (``control``, e.g. one more unit at
    the same depth); where the control does not agree, an "agrees" becomes "not resolved".
    ``what`` names the control in the rule, ``label`` (default ``what``) in ``measured``.
    """
    verdict = v.verdict
    if verdict == "agrees" and control.verdict != "agrees":
        verdict = "not resolved"
    rule = v.rule.rstrip(".") + f"; an agreement counts only where {what} agrees."
    measured = f"{v.measured}; {label or what}: {control.measured}"
    return Verdict(verdict, rule, v.resolution, measured)
