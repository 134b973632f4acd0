"""``inspect(model, X, y)``: the essay's questions asked of any PyTorch model and real data.

For every chosen layer (module outputs taken with forward hooks, :mod:`.capture`) and every
class, on a seeded subsample of at most ``subsample`` points per class:

- Betti numbers β_0..β_maxdim of the class's points (Naitzat, Zhitnikov & Lim, "Topology
  of Deep Neural Networks", JMLR 2020, follow them through well-trained networks), read by
  :func:`isotopy.topology.betti_numbers` (``reading="robust"`` by default) on at most
  ``betti_points`` of them;
- leave-one-out k-NN accuracy (Papernot & McDaniel 2018) and linear-probe accuracy on a
  held-out share (Alain & Bengio 2016), per class and over all classes;
- the TwoNN intrinsic dimension (Facco et al. 2017), per class and over all classes;
- stretch: the Jacobian operator norm of input -> layer at ``stretch_points`` points per
  class (median and maximum).

Formulas and their sources are in :mod:`.measures`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from ..errors import InputError, check_positive_int
from .capture import _is_isotopy_network, _modules, capture, layer_chart
from .measures import (
    jacobian_norms,
    knn_loo_predictions,
    probe_predictions,
    probe_split,
    twonn_dimension,
)
from .result import MEASURES, Inspection

__all__ = ["inspect"]


def _betti(Z, maxdim, reading, points, seed, activation=None):
    """β_0..β_maxdim of one class's cloud and whether the sample resolves each: two (K,)
    arrays (-1 and False: a cloud too small or one the reading refuses)."""
    from ..topology import betti_numbers

    none = np.full(maxdim + 1, -1, dtype=np.int64), np.zeros(maxdim + 1, dtype=bool)
    if len(Z) < 2:
        return none
    if len(Z) > points:  # a seeded random subset: farthest-point sampling then evens density
        Z = Z[np.sort(np.random.default_rng(seed).choice(len(Z), points, replace=False))]
    import warnings

    with warnings.catch_warnings():  # ripser's note on clouds with more columns than rows
        warnings.filterwarnings("ignore", message=".*more columns than rows.*")
        try:
            b, det = betti_numbers(
                Z, maxdim=maxdim, reading=reading, activation=activation, return_details=True
            )
        except InputError:  # a cloud the reading refuses (e.g. a disconnected neighbour graph)
            return none
    return np.asarray(b, dtype=np.int64), np.asarray(det["resolved"], dtype=bool)


def _stretch_forward(model, cap_names, module_of):
    """forward(x) -> [output of each representation] with gradients (input: identity)."""
    mods = _modules(model)
    squeeze = _is_isotopy_network(model)
    needed = sorted({module_of[n][0] for n in cap_names if n != "input"})
    rec: dict[str, list] = {}

    def make(name):
        def hook(_m, _i, out):
            if isinstance(out, (tuple, list)):
                out = out[0]
            out = out[0] if squeeze else out
            rec.setdefault(name, []).append(out.reshape(out.shape[0], -1))

        return hook

    def forward(x):
        rec.clear()
        handles, done = [], {}
        for name in needed:
            if id(mods[name]) in done:
                continue
            done[id(mods[name])] = name
            handles.append(mods[name].register_forward_hook(make(name)))
        alias = {name: done[id(mods[name])] for name in needed}
        try:
            model(x)
        finally:
            for h in handles:
                h.remove()
        outs = []
        for n in cap_names:
            if n == "input":
                outs.append(x.reshape(x.shape[0], -1))
            else:
                base, i = module_of[n]
                outs.append(rec[alias[base]][i])
        return outs

    return forward


def _module_of(names) -> dict[str, tuple[str, int]]:
    out = {}
    for n in names:
        base, _, which = n.partition("#")
        out[n] = (base, int(which) - 1 if which else 0)
    return out


def inspect(
    model: torch.nn.Module,
    X,
    y=None,
    layers=None,
    *,
    subsample: int = 500,
    seed: int = 0,
    k: int = 5,
    maxdim: int = 1,
    reading: str = "robust",
    chart: bool = True,
    betti_points: int = 500,
    probe_fraction: float = 0.25,
    twonn_fraction: float = 0.9,
    stretch_points: int = 16,
    measures=None,
    batch_size: int = 256,
    input_shape=None,
    progress=None,
) -> Inspection:
    """Measure every chosen layer of ``model`` on the data, per class.

    Parameters
    ----------
    model : torch.nn.Module
        Any module (an isotopy :class:`~isotopy.nn.Network` holding one network too); run
        in eval mode on its own device, its mode restored afterwards.
    X : array or tensor (n, ...), or an iterable of (x batch, y batch) with ``y=None``
        Arrays are subsampled up front; a stream is subsampled by reservoir sampling, so
        any number of inputs runs in memory bounded by ``subsample`` per class and layer.
    y : array (n,) of int labels
    layers : list of str, optional
        Module names (``model.named_modules()``; an isotopy network's stage names too);
        ``name#i`` is the i-th call of a module the forward pass calls several times (all
        its calls when ``#i`` is left out). Default: every stage of an isotopy network,
        every top-level child of any other model. The input is always layer 0.
    subsample : int
        Points kept per class (every measure uses them).
    seed : int
        Seeds the subsample, the probe's split, the Betti subset and the stretch sample.
    k : int
        Neighbours of the leave-one-out k-NN classifier.
    maxdim : int
        Highest Betti number (0, 1 or 2).
    reading : {"robust", "euclidean", "geodesic"}
        The metric Betti reading (:data:`isotopy.topology.METRIC_READINGS`); any model's
        layers are read from their points (which layers are homeomorphisms is not known
        for a model of any kind, so the topological reading does not apply here).
    chart : bool
        Read each layer's Betti numbers through the inverse of its activation where it has
        one (:func:`~isotopy.inspection.capture.layer_chart`; robust reading only): tanh,
        sigmoid, softplus and leaky ReLU outputs are then read in coordinates where their
        saturation is undone.
    betti_points : int
        Points of each class the Betti numbers are read on (a seeded random subset). The
        default, 500, is what the robust reading needs above 4-D to resolve the annulus of
        ``disc_annulus`` in trained 6- and 8-unit tanh layers (at 300 it was missed in 3-6
        of 10 readings; :mod:`isotopy.topology.robust`, "Resolution"); a smaller sample's
        0 is returned as not resolved.
    probe_fraction : float
        Held-out share of each class for the linear probe.
    twonn_fraction : float
        Share of the smallest ratios mu = r2 / r1 the TwoNN line is fitted on.
    stretch_points : int
        Points per class where the Jacobian norm is evaluated.
    measures : list of str, optional
        A subset of ``MEASURES`` (default: all).
    batch_size : int
        Inputs per forward pass.
    input_shape : tuple, optional
        Reshape each batch to (B, *input_shape) before the model sees it (e.g. flat
        images to (1, 28, 28)).
    progress : callable, optional
        ``progress(phase, done, total)``: phase "forward" counts points (total None for a
        stream), phase "measures" counts (layer, measure) tasks.

    Returns
    -------
    Inspection
    """
    opts = _checked_options(
        model,
        measures=measures,
        k=k,
        maxdim=maxdim,
        reading=reading,
        chart=chart,
        betti_points=betti_points,
        probe_fraction=probe_fraction,
        twonn_fraction=twonn_fraction,
        stretch_points=stretch_points,
        subsample=subsample,
        seed=seed,
        input_shape=input_shape,
    )
    t0 = time.perf_counter()
    cap = capture(
        model,
        X,
        y,
        layers,
        subsample=subsample,
        seed=seed,
        batch_size=batch_size,
        input_shape=input_shape,
        progress=None if progress is None else (lambda d, t: progress("forward", d, t)),
    )
    seconds = {"forward": time.perf_counter() - t0}
    return _measured(model, cap, opts, seconds, progress)


@dataclass(frozen=True)
class _Options:
    """:func:`inspect`'s options, checked (``measures``: the chosen ones, in order)."""

    measures: list
    k: int
    maxdim: int
    reading: str
    chart: bool
    betti_points: int
    probe_fraction: float
    twonn_fraction: float
    stretch_points: int
    subsample: int
    seed: int
    input_shape: tuple | None


def _checked_options(
    model,
    *,
    measures,
    k,
    maxdim,
    reading,
    betti_points,
    stretch_points,
    probe_fraction,
    twonn_fraction,
    **rest,
) -> _Options:
    """The options of :func:`inspect` checked, one InputError sentence for the first that is
    wrong; ``rest`` (chart, subsample, seed, input_shape) is kept as given."""
    from ..errors import lookup
    from ..topology.homology import METRIC_READINGS, check_maxdim

    chosen = list(MEASURES) if measures is None else [str(m) for m in measures]
    for m in chosen:
        lookup(MEASURES, m, "measure")
    k = check_positive_int(k, "k")
    maxdim = check_maxdim(maxdim)
    lookup(METRIC_READINGS, reading, "Betti reading")
    betti_points = check_positive_int(betti_points, "betti_points", minimum=3)
    stretch_points = check_positive_int(stretch_points, "stretch_points")
    probe_fraction = float(probe_fraction)
    if not 0 < probe_fraction < 1:
        raise InputError(f"probe_fraction must be a number in (0, 1), got {probe_fraction}")
    twonn_fraction = float(twonn_fraction)
    if not 0 < twonn_fraction <= 1:
        raise InputError(f"twonn_fraction must be a number in (0, 1], got {twonn_fraction}")
    if not isinstance(model, torch.nn.Module):
        raise InputError(f"the model must be a torch.nn.Module, got {type(model).__name__}")
    return _Options(
        chosen,
        k,
        maxdim,
        reading,
        betti_points=betti_points,
        probe_fraction=probe_fraction,
        twonn_fraction=twonn_fraction,
        stretch_points=stretch_points,
        **rest,
    )


def _measured(model, cap, opts: _Options, seconds: dict, progress) -> Inspection:
    """Every chosen measure of every captured layer, per class and over all classes;
    ``seconds`` (the forward pass's time) gains each measure's."""
    chosen = opts.measures
    yk, classes = cap.y, sorted(int(c) for c in np.unique(cap.y))
    charts = [layer_chart(model, n) if opts.chart else None for n in cap.layers]
    L, C = len(cap.layers), len(classes)
    betti = np.full((L, C, opts.maxdim + 1), -1, dtype=np.int64)
    resolved = np.zeros((L, C, opts.maxdim + 1), dtype=bool)
    arrs = {key: np.full((L, C), np.nan) for key in ("knn", "probe", "twonn", "stretch")}
    arrs["stretch_max"] = np.full((L, C), np.nan)
    alls = {key: np.full(L, np.nan) for key in ("knn_all", "probe_all", "twonn_all")}
    masks = [yk == c for c in classes]
    test = probe_split(yk, opts.probe_fraction, opts.seed) if "probe" in chosen else None
    k_eff = min(opts.k, len(yk) - 1)
    tasks = [(li, m) for li in range(L) for m in chosen if m != "stretch"]
    total = len(tasks) + (1 if "stretch" in chosen else 0)
    for key in chosen:
        seconds[key] = 0.0
    for done, (li, m) in enumerate(tasks, start=1):
        Z = cap.reps[cap.layers[li]]
        ok = np.isfinite(Z).all()
        t = time.perf_counter()
        if ok and not (m == "knn" and k_eff < 1) and not (m == "probe" and C < 2):
            act = charts[li] if opts.reading == "robust" else None
            overall, per_class = _measure(m, Z, yk, masks, test, k_eff, act, opts)
            if m == "betti":
                for ci, (b, r) in enumerate(per_class):
                    betti[li, ci], resolved[li, ci] = b, r
            else:
                alls[f"{m}_all"][li] = overall
                arrs[m][li] = per_class
        seconds[m] += time.perf_counter() - t
        if progress is not None:
            progress("measures", done, total)
    if "stretch" in chosen:
        t = time.perf_counter()
        _stretch(model, cap, classes, opts.stretch_points, opts.seed, opts.input_shape, arrs)
        seconds["stretch"] = time.perf_counter() - t
        if progress is not None:
            progress("measures", total, total)
    return Inspection(
        layers=list(cap.layers),
        dims=[int(cap.reps[n].shape[1]) for n in cap.layers],
        classes=classes,
        counts=[int(m.sum()) for m in masks],
        seen=[int(cap.seen[c]) for c in classes],
        betti=betti,
        betti_resolved=resolved,
        knn_all=alls["knn_all"],
        probe_all=alls["probe_all"],
        twonn_all=alls["twonn_all"],
        settings=_settings(opts, k_eff, charts, betti, cap),
        seconds={key: round(v, 4) for key, v in seconds.items()},
        measures=chosen,
        model=type(model).__name__,
        **arrs,
    )


def _measure(m, Z, yk, masks, test, k_eff, act, opts: _Options):
    """Measure ``m`` of one layer's points Z: -> (over all classes, [each class's value]);
    for "betti" the first is None and each class's value is (β, resolved)."""
    if m == "betti":
        per_class = [
            _betti(Z[mask], opts.maxdim, opts.reading, opts.betti_points, opts.seed + ci, act)
            for ci, mask in enumerate(masks)
        ]
        return None, per_class
    if m == "knn":
        right = knn_loo_predictions(Z, yk, k_eff) == yk
        return right.mean(), [right[mask].mean() for mask in masks]
    if m == "probe":
        right = probe_predictions(Z, yk, test, seed=opts.seed) == yk[test]
        sels = [mask[test] for mask in masks]
        return right.mean(), [right[sel].mean() if sel.any() else np.nan for sel in sels]
    overall = twonn_dimension(Z, fraction=opts.twonn_fraction)  # "twonn"
    return overall, [twonn_dimension(Z[mask], fraction=opts.twonn_fraction) for mask in masks]


def _settings(opts: _Options, k_eff, charts, betti, cap) -> dict:
    """The settings an Inspection records: the options as used, the rules, the sample."""
    return {
        "subsample": int(opts.subsample),
        "seed": int(opts.seed),
        "k": int(k_eff),
        "maxdim": opts.maxdim,
        "reading": opts.reading,
        "reading_rule": _reading_rule(opts.reading),
        "betti_points": opts.betti_points,
        "charts": [None if c is None else getattr(c, "name", c) for c in charts],
        "probe_fraction": opts.probe_fraction,
        "probe": "logistic regression, L2, C = 1, lbfgs, standardised features",
        "twonn_fraction": opts.twonn_fraction,
        "stretch_points": opts.stretch_points,
        "betti_unreadable": int(np.sum(np.all(betti < 0, axis=2)))
        if "betti" in opts.measures
        else 0,
        "max_rows_held": int(cap.max_held),
        "points_forwarded": int(cap.forwarded),
    }


def _reading_rule(reading: str) -> str:
    """One line naming the Betti reading, its scale or thresholds and its resolution."""
    if reading == "robust":
        from ..topology.robust import RESOLUTION, RULE

        return f"robust reading: {RULE}; {RESOLUTION}"
    if reading == "geodesic":
        from ..topology.geodesic import rule_text

        return "geodesic reading: " + rule_text()
    from ..topology.homology import METRIC_READINGS

    return "euclidean reading: " + METRIC_READINGS["euclidean"]


def _stretch(model, cap, classes, points, seed, input_shape, arrs):
    """Fill arrs["stretch"], arrs["stretch_max"] (L, C) from Jacobian norms."""
    from .capture import _device, _dtype

    rng = np.random.default_rng(seed + 7)
    idx, cls = [], []
    for ci, c in enumerate(classes):
        members = np.flatnonzero(cap.y == c)
        pick = members if len(members) <= points else rng.choice(members, points, replace=False)
        idx += list(np.sort(pick))
        cls += [ci] * len(pick)
    idx, cls = np.asarray(idx), np.asarray(cls)
    x = torch.as_tensor(cap.X[idx]).to(device=_device(model), dtype=_dtype(model))
    if input_shape is not None:
        x = x.reshape(len(x), *input_shape)
    forward = _stretch_forward(model, cap.layers, _module_of(cap.layers[1:]) | {"input": ("", 0)})
    was = model.training
    model.eval()
    try:
        with torch.enable_grad():
            norms = jacobian_norms(forward, x, seed=seed)  # (L, P)
    finally:
        model.train(was)
    for ci in range(len(classes)):
        sel = norms[:, cls == ci]
        if sel.shape[1]:
            arrs["stretch"][:, ci] = np.median(sel, axis=1)
            arrs["stretch_max"][:, ci] = sel.max(axis=1)
