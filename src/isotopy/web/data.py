"""One tab's points: a dataset of the library's registry, an uploaded CSV or a run's own split,
held out for testing by the library's split, edited by clicks on the page.

A :class:`SessionData` is never changed once made: new data, or a point added or removed,
make a new one with the next version, so data the library refuses leave the tab's data as
they were, and a long job's frozen copy of a session keeps the points it started with.

What is checked where: the generators (:func:`isotopy.datasets.make_dataset`) check their
names and parameters, the CSV reader (:func:`isotopy.datasets.points_from_csv_text`) its
text, and :func:`isotopy.train.trainer.as_data` the values once a network takes the points
(:class:`~.training.TrainingControl`). Here only the explorer's own bounds are checked: at
most ``max_dim`` features, ``max_points`` points and ``max_classes`` classes (the page
colours, names and click-labels 10), and the integer parameters a page may ask of a
generator.
"""

from __future__ import annotations

import functools
import io

import numpy as np

from ..datasets import check_params, dataset_params, make_dataset, points_from_csv_text
from ..errors import InputError
from ..scene import domain_bounds
from ..train import train_test_split
from .protocol import LIMITS
from .settings import TRAIN
from .views import encode, grid_plan

__all__ = ["SessionData", "generator_params"]

MAX_INT_PARAM = 16  # an integer parameter of a generator other than dim (turns of a link, ...)


def generator_params(name: str, params: dict) -> dict:
    """The page's numbers (JSON numbers arrive as floats) as the generator ``name`` takes
    them: whole numbers as ints where the generator's default is an int, within the
    explorer's bounds (``dim`` up to ``max_dim``, others up to 16). Unknown names, and values
    the generator does not take, are refused by the library."""
    check_params(name, params)
    defaults = dataset_params(name)
    out = {}
    for k, v in params.items():
        default = defaults[k]
        if isinstance(default, int) and not isinstance(default, bool) and v == int(v):
            cap = LIMITS["max_dim"] if k == "dim" else MAX_INT_PARAM
            if not 1 <= v <= cap:
                raise InputError(f"dataset parameter {k!r} must be between 1 and {cap}, got {v:g}")
            v = int(v)
        out[k] = v
    return out


def _check_bounds(X, y) -> None:
    """The explorer's own bounds on data (its points' values are the library's to check)."""
    if X.shape[1] > LIMITS["max_dim"]:
        raise InputError(
            f"data has {X.shape[1]} features; the explorer takes at most {LIMITS['max_dim']}"
        )
    if len(X) > LIMITS["max_points"]:
        raise InputError(
            f"data has {len(X)} points; the explorer takes at most {LIMITS['max_points']}"
        )
    classes = len(np.unique(y))
    if classes > LIMITS["max_classes"]:  # the page colours, names and click-labels 10
        raise InputError(
            f"data has {classes} classes; the explorer takes at most {LIMITS['max_classes']}"
        )


def _float32(X) -> np.ndarray:
    # values beyond float32 become infinite here and are refused by as_data, in one sentence
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(X, dtype=np.float32)


class SessionData:
    """Points ``X`` (float32, training then test points) and labels ``y`` (int64), the first
    ``n_train`` for training; their classes, their input box, and ``info``: what they are
    (dataset and parameters, or file; seed, test fraction), shown on the page and saved in
    exports.

    Parameters
    ----------
    X_train, y_train, X_test, y_test : arrays
    info : dict
    version : int
        Counts the tab's data changes (the page and the views' caches read it).
    domain, n_classes : optional
        Kept from the data a point was added to or removed from (default: from the points).
    """

    def __init__(
        self,
        X_train,
        y_train,
        X_test,
        y_test,
        info: dict,
        version: int = 1,
        *,
        domain=None,
        n_classes=None,
    ):
        # kept whole, training points first: the views push all of them at every update
        self.X = np.concatenate([_float32(X_train), _float32(X_test)])
        self.y = np.concatenate([y_train, y_test]).astype(np.int64)
        self.n_train = len(X_train)
        self.info, self.version = info, version
        self.n_classes = max(int(self.y.max()) + 1, 2) if n_classes is None else n_classes
        if domain is not None:
            self.domain = domain

    # -------------------------------------------------------------------------- sources
    @classmethod
    def split(cls, X, y, info: dict, *, version: int = 1) -> SessionData:
        """All of (X, y), split by the library (stratified) with ``info``'s seed and test
        fraction."""
        _check_bounds(X, y)
        test_size, seed = info.get("test_size", TRAIN.test_size), info.get("seed", TRAIN.seed)
        return cls(*train_test_split(_float32(X), y, test_size, seed), info, version)

    @classmethod
    def given_split(cls, X_train, y_train, X_test, y_test, info, *, version=1) -> SessionData:
        """Points already split (a run's own training and test points)."""
        _check_bounds(np.concatenate([X_train, X_test]), np.concatenate([y_train, y_test]))
        return cls(X_train, y_train, X_test, y_test, info, version)

    @classmethod
    def generated(cls, name, params, n, seed, test_size, *, noise=None, version=1) -> SessionData:
        """A dataset of the library's registry, with the page's parameters; ``noise`` (the
        std of the points' noise, in data units), when given, is the generator's ``noise``
        parameter (a generator without one refuses it in the library's sentence)."""
        params = dict(params)
        if noise is not None:
            params["noise"] = noise
        params = generator_params(name, params)
        X, y = make_dataset(name, n, seed=seed, **params)
        info = {
            "dataset": name,
            "params": params,
            "n": int(len(X)),
            "seed": seed,
            "test_size": test_size,
            "noise": params.get("noise", dataset_params(name).get("noise")),
        }
        return cls.split(X, y, info, version=version)

    @classmethod
    def uploaded(cls, text: str, seed, test_size, *, version=1) -> SessionData:
        """Points from the page's CSV text, read by the library's rules."""
        with np.errstate(over="ignore", invalid="ignore"):  # float32 overflow: as_data's
            X, y = points_from_csv_text(text, name="uploaded CSV", max_points=LIMITS["max_points"])
        info = {"file": "uploaded CSV", "n": int(len(X)), "seed": seed, "test_size": test_size}
        return cls.split(X, y, info, version=version)

    # ---------------------------------------------------------------------------- edits
    def _edited(self, X_train, y_train) -> SessionData:
        info = dict(self.info, edited=True)
        return SessionData(
            X_train,
            y_train,
            self.X_test,
            self.y_test,
            info,
            self.version + 1,
            domain=self.domain,
            n_classes=self.n_classes,
        )

    def with_point(self, x, label: int) -> SessionData:
        """These points and a new training point ``x`` of class ``label`` (both checked by
        the library against the network first)."""
        if len(self.X) >= LIMITS["max_points"]:
            raise InputError(f"the data already has the maximum of {LIMITS['max_points']} points")
        X = np.concatenate([self.X_train, _float32([x])])
        return self._edited(X, np.concatenate([self.y_train, [int(label)]]))

    def without_point(self, x, radius: float) -> SessionData | None:
        """These points less the training point nearest to ``x``; None when none lies
        within ``radius``."""
        if len(self.X_train) <= 2:
            raise InputError("the training set needs at least two points")
        d = np.linalg.norm(self.X_train - _float32(x), axis=1)  # training points only
        i = int(np.argmin(d))
        if d[i] > radius:
            return None
        return self._edited(np.delete(self.X_train, i, axis=0), np.delete(self.y_train, i))

    # --------------------------------------------------------------------------- reading
    @property
    def X_train(self) -> np.ndarray:
        return self.X[: self.n_train]

    @property
    def y_train(self) -> np.ndarray:
        return self.y[: self.n_train]

    @property
    def X_test(self) -> np.ndarray:
        return self.X[self.n_train :]

    @property
    def y_test(self) -> np.ndarray:
        return self.y[self.n_train :]

    @property
    def noise(self) -> float | None:
        """The dataset's noise (std, data units); None for data without one (a CSV, a
        run's points)."""
        v = self.info.get("noise")
        if v is None and isinstance(self.info.get("params"), dict):
            v = self.info["params"].get("noise")
        return None if v is None else float(v)

    @property
    def test_share(self) -> float:
        """The share of the points held out for testing: as asked, or as found in a run."""
        if "test_size" in self.info:
            return float(self.info["test_size"])
        return round(len(self.X_test) / max(len(self.X), 1), 3)

    @property
    def d_in(self) -> int:
        return int(self.X_train.shape[1])

    @functools.cached_property
    def domain(self) -> np.ndarray:
        """The input box the views show: (2, d), the points' box with a margin."""
        return domain_bounds(self.X)

    def view_note(self) -> str | None:
        """One sentence on how the views show data of more than 3 dimensions (through
        principal axes, and with a thinned grid where the full one would be too large for a
        view update); None for 1 to 3 dimensions, which are shown as they are."""
        d = self.d_in
        if d <= 3:
            return None
        lines, samples = grid_plan(d)
        full_lines, full_samples = grid_plan(3)
        how = f"The data has {d} features: the views show it through its top 3 principal axes"
        if (lines, samples) == (full_lines, full_samples):
            return f"{how}."
        n_lines = d * lines ** (d - 1)
        what = "to the edges of the box" if lines == 2 else f"to {lines} lines per axis"
        return (
            f"{how}, and its grid is thinned {what} ({n_lines:,} lines of {samples} points, "
            f"instead of {full_lines} lines per axis) to keep each view update small."
        )

    def message(self) -> dict:
        """The ``data`` message: the points, their labels and what they are."""
        return {
            "type": "data",
            "version": self.version,
            "info": self.info,
            "dim": self.d_in,
            "n_classes": self.n_classes,
            "points": encode(self.X),
            "labels": encode(self.y, np.uint8),
            "n_train": int(len(self.X_train)),
            "domain": self.domain.tolist(),
            "note": self.view_note(),
        }

    def csv(self) -> str:
        """The points as CSV (features, then label), readable by ``load_points``."""
        buf = io.StringIO()
        cols = [f"x{i + 1}" for i in range(self.d_in)]
        buf.write(",".join([*cols, "label"]) + "\n")
        for x, lab in zip(self.X, self.y):
            buf.write(",".join(f"{v:.6g}" for v in x) + f",{int(lab)}\n")
        return buf.getvalue()

    def __repr__(self) -> str:
        what = self.info.get("dataset") or self.info.get("file") or "data"
        return (
            f"SessionData({what}, {len(self.X_train)} training + {len(self.X_test)} test "
            f"points in {self.d_in}-D, version {self.version})"
        )
