"""The result of :func:`isotopy.inspect`: every measure per layer and class, as plain arrays.

``Inspection`` holds arrays indexed [layer, class] (and [layer] for the measures over all
classes together), the settings they were measured with and the seconds each measure took.
It converts to a pandas DataFrame (one row per layer and class, plus a row "all" per layer),
to and from JSON, and draws each measure against depth, one line per class, on matplotlib
figure objects (no global backend is touched).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = ["Inspection", "MEASURES", "PLOTTED"]

# measure name -> what it is, for tables, plots and the CLI's --measures
MEASURES = {
    "betti": "Betti numbers of each class (a metric reading of a subsample, robust by default)",
    "knn": "leave-one-out k-NN accuracy",
    "probe": "linear-probe accuracy on a held-out share",
    "twonn": "TwoNN intrinsic dimension",
    "stretch": "Jacobian operator norm of input -> layer",
}
# the panels of :meth:`Inspection.plot`: (measure key, y label, title)
PLOTTED = [
    ("betti0", "β0", "Components of each class"),
    ("betti1", "β1", "Loops of each class"),
    ("betti2", "β2", "Voids of each class"),
    ("knn", "k-NN accuracy (leave-one-out)", "Nearest neighbours classify"),
    ("probe", "linear-probe accuracy", "A linear read-out classifies"),
    ("twonn", "intrinsic dimension (TwoNN)", "Dimensions the layer uses"),
    ("stretch", "stretch ‖J‖₂ (median)", "How much input → layer stretches"),
]

_PER_CLASS = ["knn", "probe", "twonn", "stretch", "stretch_max"]
_OVERALL = ["knn_all", "probe_all", "twonn_all"]


def _to_jsonable(a):
    """ndarray -> nested lists with None for NaN (strict JSON)."""
    a = np.asarray(a, dtype=float)
    out = a.astype(object)
    out[~np.isfinite(a)] = None
    return out.tolist()


def _from_jsonable(v, shape=None):
    a = np.array(v, dtype=object)
    a = np.where(a == None, np.nan, a).astype(float)  # noqa: E711 (elementwise)
    return a.reshape(shape) if shape is not None else a


@dataclass
class Inspection:
    """Measures of every layer's representation, per class.

    ``betti[l, c, k]`` is β_k of class c at layer l (-1: not measured) and
    ``betti_resolved[l, c, k]`` whether the sample resolves it (False: "not resolved", the
    number is no finding; ``settings["reading_rule"]`` names the reading and its rule);
    ``knn``, ``probe``,
    ``twonn``, ``stretch`` (median over the class's sample) and ``stretch_max`` are
    (L, C) arrays (NaN: not measured); ``knn_all``, ``probe_all``, ``twonn_all`` are (L,),
    over all classes together. Layer 0 is the input.
    """

    layers: list[str]
    dims: list[int]
    classes: list[int]
    counts: list[int]  # points kept per class (the subsample)
    seen: list[int]  # points of each class that went through
    betti: np.ndarray  # (L, C, maxdim + 1) int64
    knn: np.ndarray  # (L, C)
    knn_all: np.ndarray  # (L,)
    probe: np.ndarray  # (L, C)
    probe_all: np.ndarray  # (L,)
    twonn: np.ndarray  # (L, C)
    twonn_all: np.ndarray  # (L,)
    stretch: np.ndarray  # (L, C) median over the sample
    stretch_max: np.ndarray  # (L, C)
    settings: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    measures: list[str] = field(default_factory=list)
    model: str = ""
    betti_resolved: np.ndarray | None = None  # (L, C, maxdim + 1) bool; None: all measured

    def __post_init__(self):
        if self.betti_resolved is None:
            self.betti_resolved = np.asarray(self.betti) >= 0
        self.betti_resolved = np.asarray(self.betti_resolved, dtype=bool)

    def betti_label(self, li: int, ci: int) -> str:
        """Class ci's numbers at layer li: "(1, 0)", "not resolved" in place of a number the
        sample does not resolve, "-" where none was measured."""
        cells = [
            "-" if v < 0 else (str(int(v)) if ok else "not resolved")
            for v, ok in zip(self.betti[li, ci], self.betti_resolved[li, ci], strict=True)
        ]
        return "(" + ", ".join(cells) + ")"

    # ------------------------------------------------------------------------------ JSON
    def to_dict(self) -> dict:
        d = {
            "layers": list(self.layers),
            "dims": [int(v) for v in self.dims],
            "classes": [int(c) for c in self.classes],
            "counts": [int(v) for v in self.counts],
            "seen": [int(v) for v in self.seen],
            "betti": np.asarray(self.betti, dtype=np.int64).tolist(),
            "betti_resolved": np.asarray(self.betti_resolved, dtype=bool).tolist(),
            "settings": self.settings,
            "seconds": self.seconds,
            "measures": list(self.measures),
            "model": self.model,
        }
        for key in _PER_CLASS + _OVERALL:
            d[key] = _to_jsonable(getattr(self, key))
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Inspection:
        try:
            L, C = len(d["layers"]), len(d["classes"])
            kw = {key: _from_jsonable(d[key], (L, C)) for key in _PER_CLASS}
            kw.update({key: _from_jsonable(d[key], (L,)) for key in _OVERALL})
            betti = np.asarray(d["betti"], dtype=np.int64)
            res = d.get("betti_resolved")
            res = None if res is None else np.asarray(res, dtype=bool).reshape(L, C, -1)
            return cls(
                layers=list(d["layers"]),
                dims=list(d["dims"]),
                classes=list(d["classes"]),
                counts=list(d["counts"]),
                seen=list(d["seen"]),
                betti=betti.reshape(L, C, -1),
                settings=dict(d.get("settings", {})),
                seconds=dict(d.get("seconds", {})),
                measures=list(d.get("measures", [])),
                model=d.get("model", ""),
                betti_resolved=res,
                **kw,
            )
        except (KeyError, TypeError, ValueError) as e:
            raise InputError(f"not an inspection result ({type(e).__name__}: {e})") from None

    def to_json(self, path=None) -> str:
        """The result as JSON text (NaN as null); also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=1, allow_nan=False) + "\n"
        if path is not None:
            from ..files import atomic_write

            atomic_write(path, lambda tmp: Path(tmp).write_text(text))
        return text

    @classmethod
    def from_json(cls, source) -> Inspection:
        """Read a result from JSON text or from a file written by :meth:`to_json`."""
        text = str(source)
        if not text.lstrip().startswith("{"):
            p = Path(source)
            if not p.is_file():
                raise InputError(f"inspection file {str(p)!r} does not exist")
            text = p.read_text()
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as e:
            raise InputError(f"inspection JSON cannot be parsed ({e})") from None

    # ----------------------------------------------------------------------------- tables
    def rows(self) -> list[dict]:
        """One dict per (layer, class), plus class "all" per layer."""
        out = []
        maxdim = self.betti.shape[2] - 1
        for li, name in enumerate(self.layers):
            for ci, c in enumerate(self.classes):
                row = {"layer": name, "depth": li, "dim": int(self.dims[li]), "class": c}
                for k in range(maxdim + 1):
                    v, ok = int(self.betti[li, ci, k]), bool(self.betti_resolved[li, ci, k])
                    row[f"betti{k}"] = v if v >= 0 and ok else None
                    row[f"betti{k}_resolved"] = ok
                for key in _PER_CLASS:
                    v = float(getattr(self, key)[li, ci])
                    row[key] = v if np.isfinite(v) else None
                out.append(row)
            row = {"layer": name, "depth": li, "dim": int(self.dims[li]), "class": "all"}
            for k in range(maxdim + 1):
                row[f"betti{k}"] = None
                row[f"betti{k}_resolved"] = None
            for key in _PER_CLASS:
                row[key] = None
            for key in _OVERALL:
                v = float(getattr(self, key)[li])
                row[key.removesuffix("_all")] = v if np.isfinite(v) else None
            out.append(row)
        return out

    def to_dataframe(self):
        """A pandas DataFrame of :meth:`rows` (needs pandas: ``pip install 'isotopy[sweep]'``)."""
        try:
            import pandas as pd
        except ImportError:
            raise InputError(
                "to_dataframe needs pandas, which is not installed; install it with "
                "pip install 'isotopy[sweep]'"
            ) from None
        return pd.DataFrame(self.rows())

    def table(self) -> str:
        """A text table: per layer, its width, k-NN / probe accuracy (all classes), TwoNN
        dimension (all classes) and each class's Betti numbers ("not resolved" where the
        sample does not resolve one), then the line naming the Betti reading."""

        def f(v, fmt):
            return fmt.format(v) if np.isfinite(v) else "-"

        width = max(len(n) for n in self.layers)
        head = f"{'layer':<{width}}  {'dim':>6}  {'k-NN':>6}  {'probe':>6}  {'TwoNN':>6}  Betti"
        lines = [head]
        for li, name in enumerate(self.layers):
            betti = " ".join(self.betti_label(li, ci) for ci in range(len(self.classes)))
            lines.append(
                f"{name:<{width}}  {int(self.dims[li]):>6}  {f(self.knn_all[li], '{:.3f}'):>6}"
                f"  {f(self.probe_all[li], '{:.3f}'):>6}  {f(self.twonn_all[li], '{:.2f}'):>6}"
                f"  {betti}"
            )
        if "reading_rule" in self.settings:
            lines.append(f"Betti: {self.settings['reading_rule']}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"Inspection({len(self.layers)} layers, classes {self.classes}, "
            f"{sum(self.counts)} points kept, measures {self.measures})"
        )

    # ------------------------------------------------------------------------------ plots
    def series(self, key: str) -> np.ndarray:
        """(L, C) values of a plotted measure (NaN where not measured)."""
        if key.startswith("betti"):
            k = int(key[5:])
            if k >= self.betti.shape[2]:
                return np.full((len(self.layers), len(self.classes)), np.nan)
            b = self.betti[:, :, k].astype(float)
            return np.where((b >= 0) & self.betti_resolved[:, :, k], b, np.nan)
        return np.asarray(getattr(self, key), dtype=float)

    def plot(self, keys=None, *, ncols: int = 3):
        """Each measure against depth, one line per class (and a dashed line for all classes
        where there is one). Returns a matplotlib Figure (not attached to pyplot)."""
        from matplotlib.figure import Figure

        panels = [
            (k, label, title)
            for k, label, title in PLOTTED
            if (keys is None or k in keys) and np.isfinite(self.series(k)).any()
        ]
        if not panels:
            raise InputError("nothing to plot: no measure was taken")
        ncols = min(ncols, len(panels))
        nrows = -(-len(panels) // ncols)
        fig = Figure(figsize=(4.2 * ncols, 3.0 * nrows), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        depth = np.arange(len(self.layers))
        for ax, (key, label, title) in zip(axes, panels):
            s = self.series(key)
            for ci, c in enumerate(self.classes):
                ax.plot(depth, s[:, ci], marker="o", ms=3, lw=1.2, label=f"class {c}")
            if key in ("knn", "probe", "twonn"):
                ax.plot(depth, getattr(self, f"{key}_all"), "k--", lw=1.5, label="all classes")
            ax.set_ylabel(label)
            ax.set_title(title, fontsize=10)
            ax.set_xticks(depth)
            ax.set_xticklabels(self.layers, rotation=60, ha="right", fontsize=7)
            ax.grid(alpha=0.3)
            if key == "stretch":
                ax.set_yscale("log")
        for ax in axes[len(panels) :]:
            ax.set_visible(False)
        # one legend for all panels, below them (never over the data); the panel with the
        # most lines (one with the dashed all-classes line, if any) supplies it
        best = max(axes[: len(panels)], key=lambda a: len(a.get_legend_handles_labels()[0]))
        handles, labels = best.get_legend_handles_labels()
        if len(self.classes) <= 12:
            fig.legend(
                handles,
                labels,
                loc="outside lower center",
                ncol=min(len(labels), 6),
                fontsize=8,
                frameon=False,
            )
        return fig
