"""The essay's k-NN claims, each part judged on its own from per-image outcomes.

The essay (its section on k-nearest-neighbour layers) says three things that can come out
differently, so each is judged apart (:func:`knn_verdicts`):

- dropping the softmax read-out for k-NN on the penultimate representation reduces the test
  error (direction), by 0.1-0.2 points on MNIST nets at ~1% (size);
- a network trained directly with its 1/distance head, each mini-batch element classified
  by the others (or two batches by each other, its footnote 9), "only gets down to 5-4%":
  worse than softmax (direction) and no better than about 4% (size);
- beyond the essay: the same network trained with the NCA form of the head, weights
  exp(-d²/T) (Goldberger et al. 2004), against softmax.

Directions are judged by :func:`~isotopy.experiments.verdicts.difference_verdict` (the test
image as the unit, so seeds sharing the images are not counted as independent samples);
sizes by :func:`~isotopy.experiments.verdicts.size_verdict` on a percentile interval from
resampling seeds and images (:func:`~isotopy.experiments.paired.bootstrap_mean`), on MNIST
only: digits is a stand-in, its sizes are reported and not judged. A claim about the
essay's head must hold in every form trained (:func:`~isotopy.experiments.verdicts.all_verdict`).
"""

from __future__ import annotations

import math

import numpy as np

from .verdicts import Verdict, all_verdict, difference_verdict, size_verdict

__all__ = ["knn_verdicts", "ESSAY_EFFECT", "ESSAY_KNN_TRAINED", "ESSAY_KEYS", "VERDICT_LABELS"]

ESSAY_EFFECT = (0.1, 0.2)  # points of test error k-NN at test time saved, on MNIST
ESSAY_KNN_TRAINED = (4.0, math.inf)  # % test error: the essay's head "only gets down to 5-4%"
ESSAY_KEYS = {"in_batch": "knn_trained_essay", "two_batch": "knn_trained_essay_two_batch"}

VERDICT_LABELS = {
    "knn_direction": "k-NN below softmax",
    "knn_size": "k-NN saves 0.1-0.2 points",
    "essay_direction": "the essay's head above softmax",
    "essay_size": "the essay's head at 4% or more",
    "nca_direction": "the NCA head below softmax (beyond the essay)",
}


def _stand_in(what: str, measured: str, resolution: str) -> Verdict:
    return Verdict(
        "not resolved",
        f"{what} is judged on MNIST only, where the essay measured it; on digits, a stand-in "
        "for MNIST, this part is not judged (give --mnist-dir or $ISOTOPY_MNIST_DIR).",
        resolution,
        measured,
    )


def knn_verdicts(
    correct: dict, *, data: str = "mnist", alpha: float = 0.05, n_boot: int = 4000
) -> dict[str, Verdict]:
    """The essay's k-NN claims, each part judged on its own, from per-image outcomes.

    Parameters
    ----------
    correct : dict
        Classifier name -> bool array (seeds, n_test) of right answers on the same test
        images: "softmax" (a), "knn_penultimate" (b), "knn_trained" (c, NCA form) and, when
        run, "knn_trained_essay" / "knn_trained_essay_two_batch" (the essay's head in its
        two forms).
    data : {"digits", "mnist"}
        The claims' sizes are judged on MNIST only; on digits those parts are "not resolved"
        with their measurements given.
    alpha : float
        Level of every test; intervals at 1 - alpha.
    n_boot : int
        Resamples of the seeds x images bootstrap.

    Returns
    -------
    dict of :class:`Verdict`
        "knn_direction" (b below a), "knn_size" (a - b in 0.1-0.2 points), "essay_direction"
        (the essay's head above a, in every form run), "essay_size" (its error at least 4%,
        every form), "nca_direction" (c below a; beyond the essay).
    """
    from .paired import bootstrap_mean

    a = np.atleast_2d(np.asarray(correct["softmax"], dtype=bool))
    n_test = a.shape[1]
    r = 100 / n_test  # one test image, in points
    image = f"one test image = {r:.3g} points ({n_test} test images)"
    level = 1 - alpha
    out = {}
    b = correct["knn_penultimate"]
    out["knn_direction"] = difference_verdict(
        a, b, expect="b_lower", alpha=alpha, names=("softmax", "k-NN")
    )
    gain = 100 * (np.atleast_2d(b).astype(float) - a)  # (seeds, n) > 0: only k-NN right
    est = bootstrap_mean(gain, alpha=alpha, n_boot=n_boot)
    if data == "mnist":
        out["knn_size"] = size_verdict(
            *est,
            claimed=ESSAY_EFFECT,
            resolution=r,
            what="the error saved by k-NN",
            level=level,
        )
    else:
        out["knn_size"] = _stand_in(
            "The size of the effect",
            f"error saved by k-NN {est[0]:.3g} points, {level:.0%} interval [{est[1]:.3g}, "
            f"{est[2]:.3g}] (seeds and images resampled)",
            image,
        )
    essay = {v: correct[k] for v, k in ESSAY_KEYS.items() if k in correct}
    if not essay:
        missing = Verdict(
            "not resolved",
            "the essay's 1/distance head must be trained to judge it (--essay-head).",
            image,
            "the essay's head was not trained in this run",
        )
        out["essay_direction"] = out["essay_size"] = missing
    else:
        out["essay_direction"] = all_verdict(
            {
                f"{v} form": difference_verdict(
                    a, c, expect="b_higher", alpha=alpha, names=("softmax", "essay's head")
                )
                for v, c in essay.items()
            },
            over="form of the essay's head",
        )
        sizes = {}
        for v, c in essay.items():
            err = bootstrap_mean(100 * (1 - np.atleast_2d(c).astype(float)), n_boot=n_boot)
            if data == "mnist":
                sizes[f"{v} form"] = size_verdict(
                    *err,
                    claimed=ESSAY_KNN_TRAINED,
                    resolution=r,
                    what="the test error",
                    unit="%",
                    level=level,
                )
            else:
                sizes[f"{v} form"] = _stand_in(
                    "The essay head's error level",
                    f"test error {err[0]:.3g}%, {level:.0%} interval [{err[1]:.3g}, {err[2]:.3g}]",
                    image,
                )
        out["essay_size"] = all_verdict(sizes, over="form of the essay's head")
    out["nca_direction"] = difference_verdict(
        a, correct["knn_trained"], expect="b_lower", alpha=alpha, names=("softmax", "NCA head")
    )
    return out
