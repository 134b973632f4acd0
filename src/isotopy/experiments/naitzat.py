"""Naitzat, Zhitnikov & Lim, "Topology of Deep Neural Networks" (JMLR 21, 2020), judged
under their own reading of Betti numbers.

Their claims, about networks trained to 100% training accuracy on two-class data whose
classes are topologically complicated and entangled: (1) the Betti numbers of each class
fall through the layers to those of a point, β0 = 1 and β_k = 0, "nearly always"; (2) they
fall faster with ReLU than with tanh (ReLU maps are not homeomorphisms). Their Betti
numbers are those of the Vietoris–Rips complex at 2.5 hops of the unweighted
14-nearest-neighbour graph (:mod:`isotopy.topology.geodesic`), so the claims are judged
with that reading, not with a reading of our own.

**Data of their kind** (defined here, not theirs): ``rings_discs`` (2-D): class 0 four
annuli (radii 0.6-1.0) centred at (±1.7, ±1.7), β = (4, 4); class 1 a disc of radius 0.3
in each, β = (4, 0). ``hopf_pairs`` (3-D): four pairs of Hopf-linked solid tori (core
radius 1, tube 0.3) at the vertices of a tetrahedron (±2.5 per coordinate), one torus of
each pair per class, β = (4, 4) each. Their reading reads these inputs as constructed on
400 fresh points per class (100 per ring or torus) in 4 of 4 samples; at 800 and 1,600
per class a disc of rings_discs grew a spurious loop in 1 of 4 (measured 2 December 2026),
so each class is read on 400 points.

**Networks.** Width 12, 8 hidden layers (theirs: 10-15 units, 8-10 layers), Adam; tanh
trains slower at this depth, so it gets 3,000 steps at lr 0.003 against 1,500 at 0.01
(measured: 1,500 steps left 4-6 of 10 tanh networks under 100%). Per data set and
activation ``seeds`` networks, so each activation has 2 · seeds networks; the claims use
those at 100% training accuracy ("well-trained").

**Statistics** (per network, over its hidden activation layers l = 1..depth): the excess
e_l = Σ over classes of (β0 - 1) + β1, 0 for two points; the last layer's e_depth / e_0
and the *area* mean_l e_l / e_0 (lower: simplified sooner).

**Verdicts** (rules of :mod:`.verdicts`, at least ``min_seeds`` networks a group):

- simplification to a point, per activation (:func:`judge_point`): the share of the
  well-trained networks whose last hidden layer reads β0 = 1, β1 = 0 for both classes,
  "nearly always" taken as ``share``; differs when the exact 95% interval of the share lies
  below it;
- ReLU faster than tanh: :func:`~.verdicts.ordering_verdict` on the area, ReLU smaller;
- the control, "the simplification comes from training, not from depth alone", per
  activation: :func:`~.verdicts.ordering_verdict` of the last layer's e_depth / e_0, trained
  below untrained networks of the same shape and activation (``differs`` when untrained
  networks read simpler: then depth and the reading, not training, do it).

Each verdict is "not resolved" whatever the statistic when the reading misreads the input
of a data set whose networks it uses (the reading, not the networks, would decide). The
untrained tanh and leaky ReLU networks are homeomorphisms at every layer, so the share of
their class readings that keep the constructed numbers is the reading's sensitivity in
deep layers; it is reported beside the verdicts.

**Real data** (``digits``): the k-NN experiment's conv net on 8x8 digits (MNIST when
``$ISOTOPY_MNIST_DIR`` is set and not ``quick``), inspected with :func:`isotopy.inspect`:
leave-one-out k-NN at the input against the last hidden layer (Papernot & McDaniel 2018),
judged by :func:`~.verdicts.difference_verdict`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from ._common import make_config, setting, tick
from .verdicts import Verdict, difference_verdict, ordering_verdict

NAME = "naitzat"
SUMMARY = (
    "Naitzat et al.'s claims under their own reading (Rips at 2.5 hops of the 14-NN graph): "
    "classes simplify to a point, ReLU faster than tanh, against untrained controls"
)
EXAMPLE = " --seeds 10 --depth 8"


@dataclass(frozen=True)
class NaitzatConfig:
    """Settings of :func:`run` (the CLI's and the report's; ``quick()`` for tests)."""

    width: int = setting(12, "units per hidden layer")  # Naitzat et al.: 10-15
    depth: int = setting(8, "hidden layers")  # Naitzat et al.: 8-10
    activations: tuple[str, ...] = setting(("tanh", "relu"), "trained activations compared")
    controls: tuple[str, ...] = setting(
        ("tanh", "leaky_relu", "relu"), "activations of the untrained control networks"
    )  # tanh, leaky ReLU: homeomorphisms (truth known); ReLU: the training control only
    seeds: int = setting(10, "networks per data set and activation")  # 20 per activation
    n_train: int = setting(600, "training points per data set")  # 100% reachable at 8 x 12
    n_test: int = setting(800, "fresh points read per data set (half per class)")
    steps: int = setting(1500, "Adam steps (ReLU, leaky ReLU)")
    lr: float = setting(0.01, "learning rate (ReLU, leaky ReLU)")
    tanh_steps: int = setting(3000, "Adam steps for tanh")  # depth-8 tanh learns slower
    tanh_lr: float = setting(0.003, "learning rate for tanh")
    k: int = setting(14, "neighbours per point of the reading")  # Naitzat et al.'s
    scale: float = setting(2.5, "the reading's scale in hops")  # their complex at 2 hops
    share: float = setting(0.8, "share of networks that counts as 'nearly always'")
    min_seeds: int = setting(10, "networks a group needs for a verdict")
    digits: bool = setting(True, "also the real-data case (conv net on digits)")
    digits_passes: int = setting(20, "training passes of the conv net")
    digits_subsample: int = setting(100, "images per class inspected")
    seed: int = setting(0, "base seed")

    @classmethod
    def quick(cls) -> NaitzatConfig:
        """Tiny settings (the report's quick mode, tests): verdicts are not resolved."""
        return cls(
            width=6,
            depth=3,
            seeds=2,
            n_train=200,
            n_test=200,
            steps=30,
            tanh_steps=30,
            tanh_lr=0.01,
            digits_passes=1,
            digits_subsample=12,
        )


CONFIG = NaitzatConfig


# ----------------------------------------------------------------------------------- data
def _ball_shell(rng, k, dim, a, b):
    v = rng.normal(size=(k, dim))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    r = rng.uniform(a**dim, b**dim, k) ** (1 / dim)  # uniform in the shell's volume
    return v * r[:, None]


def _finish(A, B, rng):
    X = np.concatenate([A, B]).astype(np.float32)
    y = np.r_[np.zeros(len(A)), np.ones(len(B))].astype(np.int64)
    p = rng.permutation(len(y))
    return X[p], y[p]


def make_rings_discs(n: int = 1000, *, seed=None):
    """Four annuli (class 0) each around a disc (class 1) in the plane: (X (n, 2), y (n,))."""
    rng = np.random.default_rng(seed)
    centres = 1.7 * np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]], float)
    k = n // 2
    A = centres[rng.integers(0, 4, k)] + _ball_shell(rng, k, 2, 0.6, 1.0)
    B = centres[rng.integers(0, 4, n - k)] + _ball_shell(rng, n - k, 2, 0.0, 0.3)
    return _finish(A, B, rng)


def make_hopf_pairs(n: int = 1000, *, seed=None):
    """Four Hopf-linked pairs of solid tori in R^3, one torus of each pair per class:
    (X (n, 3), y (n,))."""
    rng = np.random.default_rng(seed)
    centres = 2.5 * np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], float)

    def torus(m, flip):
        t = rng.uniform(0, 2 * np.pi, m)
        core = np.c_[np.cos(t), np.sin(t), np.zeros(m)]  # core circle of radius 1
        v = rng.normal(size=(m, 3))
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        P = core + v * (0.3 * rng.uniform(0, 1, m) ** (1 / 3))[:, None]
        # the partner: the same torus in the xz-plane, shifted by 1 along x (linked once)
        return np.c_[P[:, 0] + 1.0, P[:, 2], P[:, 1]] if flip else P

    k = n // 2
    A = centres[rng.integers(0, 4, k)] + torus(k, False)
    B = centres[rng.integers(0, 4, n - k)] + torus(n - k, True)
    return _finish(A, B, rng)


DATA = {"rings_discs": make_rings_discs, "hopf_pairs": make_hopf_pairs}
# the Betti numbers (β0, β1) of each class of each data set, by construction
KNOWN = {"rings_discs": [[4, 4], [4, 0]], "hopf_pairs": [[4, 4], [4, 4]]}


# ------------------------------------------------------------------------------ statistics
def trivial(b) -> bool:
    """Every class reads β0 = 1, β_k = 0.  b: (C, maxdim + 1)."""
    b = np.asarray(b)
    return bool(np.all(b[:, 0] == 1) and np.all(b[:, 1:] == 0))


def excess(b) -> int:
    """Σ over classes of (β0 - 1) + Σ_k>=1 β_k: 0 for points.  b: (C, maxdim + 1)."""
    b = np.asarray(b)
    return int(np.sum(b[..., 0] - 1) + np.sum(b[..., 1:]))


def excess_curve(betti) -> np.ndarray:
    """(1 + depth,) the excess of each layer divided by the input's (at least 1)."""
    e = np.array([excess(b) for b in betti], dtype=float)
    return e / max(e[0], 1.0)


def groups(res: dict) -> list[dict]:
    """Per data set, each trained activation and each untrained control: how many networks,
    how many reach 100% training accuracy ("well-trained"; trained groups only), their median
    test accuracy, how many read as points at the last layer, the medians of ``last`` and
    ``area`` and the quartiles of the excess curve through the layers, all over the
    well-trained networks of a trained group and over every network of a control."""
    s = res["settings"]
    out = []
    for dname in DATA:
        for trained, acts, pool in (
            (True, s["activations"], res["networks"]),
            (False, s["controls"], res["control"]),
        ):
            for act in acts:
                mine = [r for r in pool if r["data"] == dname and r["activation"] == act]
                used = [r for r in mine if r["train"] == 1.0] if trained else mine
                curves = np.array([excess_curve(r["betti"]) for r in used]).reshape(
                    len(used), s["depth"] + 1
                )
                out.append(
                    {
                        "data": dname,
                        "activation": act,
                        "trained": trained,
                        "networks": len(mine),
                        "well": len(used) if trained else None,
                        "test_median": float(np.median([r["test"] for r in mine]))
                        if trained and mine
                        else None,
                        "points": int(sum(r["point"] for r in used)),
                        "last_median": float(np.median([r["last"] for r in used]))
                        if used
                        else None,
                        "area_median": float(np.median([r["area"] for r in used]))
                        if used
                        else None,
                        "curve_quartiles": np.percentile(curves, [25, 50, 75], axis=0).tolist()
                        if used
                        else None,
                    }
                )
    return out


def curve_stats(betti) -> dict:
    """Per network: ``last`` e_depth / e_0, ``area`` mean over hidden layers of e_l / e_0 and
    ``point`` whether the last hidden layer reads a point.  betti: (1 + depth, C, 2)."""
    b = np.asarray(betti)
    e = np.array([excess(b[i]) for i in range(len(b))], dtype=float)
    e0 = max(e[0], 1.0)
    return {"last": float(e[-1] / e0), "area": float(e[1:].mean() / e0), "point": trivial(b[-1])}


# -------------------------------------------------------------------------------- readings
def _read(net, X, y, act: str, cfg) -> list:
    """(1 + depth, C, 2) Betti numbers at the input and after every hidden activation."""
    from ..topology.geodesic import geodesic_betti_numbers

    reps = [Z for name, Z in net.trace(X) if name == "input" or name.startswith(act)]
    return [
        [geodesic_betti_numbers(Z[y == c], k=cfg.k, scale=cfg.scale).tolist() for c in (0, 1)]
        for Z in reps
    ]


def _trained(cfg, data, progress, total):
    import torch

    from ..nn import Network
    from ..train import accuracy, fit

    nets, done = [], 0
    for di, (dname, (X, y, Xt, yt)) in enumerate(data.items()):
        for act in cfg.activations:
            seeds = [cfg.seed + 100 * di + i for i in range(cfg.seeds)]
            net = Network(
                X.shape[1], (cfg.width,) * cfg.depth, act, seed=seeds, n_networks=len(seeds)
            )
            steps, lr = (cfg.tanh_steps, cfg.tanh_lr) if act == "tanh" else (cfg.steps, cfg.lr)
            torch.manual_seed(0)
            fit(net, X, y, steps=steps, lr=lr, record_every=steps, seed=seeds)
            tr, te = accuracy(net, X, y), accuracy(net, Xt, yt)
            for i, sd in enumerate(seeds):
                betti = _read(net.select(i), Xt, yt, act, cfg)
                nets.append(
                    {
                        "data": dname,
                        "activation": act,
                        "seed": sd,
                        "train": float(tr[i]),
                        "test": float(te[i]),
                        "betti": betti,
                        **curve_stats(betti),
                    }
                )
            done += 1
            tick(progress, done, total)
    return nets, done


def _untrained(cfg, data, progress, done, total):
    from ..nn import Network

    out = []
    for di, (dname, (X, _y, Xt, yt)) in enumerate(data.items()):
        for ci, act in enumerate(cfg.controls):
            seeds = [cfg.seed + 500 + 100 * di + 10 * ci + i for i in range(cfg.seeds)]
            net = Network(
                X.shape[1], (cfg.width,) * cfg.depth, act, seed=seeds, n_networks=len(seeds)
            )
            for i, sd in enumerate(seeds):
                betti = _read(net.select(i), Xt, yt, act, cfg)
                kept = [
                    [bool(b == KNOWN[dname][c]) for c, b in enumerate(layer)] for layer in betti
                ]
                out.append(
                    {"data": dname, "activation": act, "seed": sd, "betti": betti, "kept": kept}
                    | curve_stats(betti)
                )
            done += 1
            tick(progress, done, total)
    return out


# -------------------------------------------------------------------------------- verdicts
def _blind(v: Verdict, misread: list[str]) -> Verdict:
    """The verdict, made "not resolved" when the reading misreads a data set's input."""
    rule = v.rule + " Not resolved whatever the statistic when the reading misreads the input."
    if not misread:
        return Verdict(v.verdict, rule, v.resolution, v.measured)
    note = f"; the input of {', '.join(misread)} is misread"
    return Verdict("not resolved", rule, v.resolution, v.measured + note)


def judge_point(points, *, share: float, min_seeds: int, misread=(), alpha: float = 0.05):
    """ "Each class becomes a point, nearly always": ``points`` holds, per well-trained
    network, whether its last hidden layer reads β0 = 1, β1 = 0 for both classes.

    Agrees when the share of such networks is at least ``share``; differs when the exact
    (Clopper–Pearson) 1 - alpha interval of that share lies wholly below ``share`` (the
    networks exclude "nearly always"); not resolved otherwise or with fewer than
    ``min_seeds`` networks.
    """
    from scipy.stats import binomtest

    n, k = len(points), int(sum(points))
    target = "β0 = 1, β1 = 0 for both classes at the last hidden layer"
    rule = (
        f"agrees if at least {share:.0%} of the well-trained networks read {target}; differs "
        f"if the exact {1 - alpha:.0%} interval of that share lies wholly below {share:.0%}; "
        f"else not resolved; it needs at least {min_seeds} networks."
    )
    if n == 0:
        return _blind(Verdict("not resolved", rule, "", "no network at 100% training"), [])
    hi = float(binomtest(k, n).proportion_ci(1 - alpha, method="exact").high)
    if n < min_seeds:
        verdict = "not resolved"
    elif k / n >= share:
        verdict = "agrees"
    else:
        verdict = "differs" if hi < share else "not resolved"
    measured = f"{k} of {n} networks reach {target} ({1 - alpha:.0%} interval up to {hi:.0%})"
    v = Verdict(verdict, rule, f"one network = {1 / n:.0%}", measured)
    return _blind(v, list(misread))


def _smaller(a, b, *, empty: Verdict, misread, **rule) -> Verdict:
    """:func:`~.verdicts.ordering_verdict` that ``a`` lies below ``b`` (``empty`` when a
    group has no network), made blind where the reading misreads an input."""
    if not len(a) or not len(b):
        return empty
    return _blind(ordering_verdict(a, b, expect="a_smaller", **rule), list(misread))


def judge_faster(relu_area, tanh_area, *, min_seeds: int, misread=()) -> Verdict:
    """ReLU's area (mean excess over hidden layers / the input's) below tanh's."""
    return _smaller(
        relu_area,
        tanh_area,
        empty=Verdict(
            "not resolved",
            "needs well-trained networks of both kinds.",
            "",
            f"well-trained: ReLU {len(relu_area)}, tanh {len(tanh_area)}",
        ),
        misread=misread,
        min_seeds=min_seeds,
        names=("ReLU", "tanh"),
        statistic="the mean over hidden layers of the excess Betti number (Σ over classes of "
        "β0 - 1 + β1) divided by the input's",
    )


def judge_training(trained_last, untrained_last, *, min_seeds: int, misread=()) -> Verdict:
    """The last layer's excess / the input's: trained networks below untrained ones."""
    return _smaller(
        trained_last,
        untrained_last,
        empty=Verdict("not resolved", "needs both groups.", "", "a group is empty"),
        misread=misread,
        min_seeds=min_seeds,
        names=("trained", "untrained"),
        statistic="the last hidden layer's excess Betti number divided by the input's",
    )


# ------------------------------------------------------------------------------------- run
def run(config: NaitzatConfig | None = None, *, progress=None, **changes) -> dict:
    """Train, read and judge (module docstring); a JSON-able dict with ``summary`` lines."""
    return run_with_networks(config, progress=progress, **changes)[0]


def run_with_networks(config=None, *, progress=None, **changes):
    """:func:`run`, also returning ``{"digits": Run}``, the conv net its figure shows."""
    from ..errors import InputError, check_positive_int
    from ..nn import get_activation
    from ..topology.geodesic import geodesic_betti_numbers

    cfg = make_config(NaitzatConfig, config, changes)
    for what in ("width", "depth", "seeds", "n_train", "steps", "tanh_steps", "min_seeds"):
        check_positive_int(getattr(cfg, what), what)
    check_positive_int(cfg.n_test, "n_test", minimum=4)
    for a in (*cfg.activations, *cfg.controls):
        get_activation(a)
    if not 0 < cfg.share <= 1:
        raise InputError(f"share must be a number in (0, 1], got {cfg.share}")
    t0 = time.perf_counter()
    data, inputs = {}, {}
    for di, (dname, make) in enumerate(DATA.items()):
        X, y = make(cfg.n_train, seed=cfg.seed + 10 * di)
        Xt, yt = make(cfg.n_test, seed=cfg.seed + 10 * di + 1)
        data[dname] = (X, y, Xt, yt)
        read = [geodesic_betti_numbers(Xt[yt == c], k=cfg.k, scale=cfg.scale) for c in (0, 1)]
        inputs[dname] = [b.tolist() for b in read]
    misread = [d for d in DATA if inputs[d] != KNOWN[d]]
    total = len(DATA) * (len(cfg.activations) + len(cfg.controls)) + int(cfg.digits)
    nets, done = _trained(cfg, data, progress, total)
    control = _untrained(cfg, data, progress, done, total)
    seconds = {"synthetic": round(time.perf_counter() - t0, 1)}
    well = {
        a: [r for r in nets if r["activation"] == a and r["train"] == 1.0] for a in cfg.activations
    }
    verdicts = {}
    for act in cfg.activations:
        verdicts[f"point.{act}"] = judge_point(
            [r["point"] for r in well[act]],
            share=cfg.share,
            min_seeds=cfg.min_seeds,
            misread=misread,
        )
    if {"relu", "tanh"} <= set(cfg.activations):
        verdicts["faster"] = judge_faster(
            [r["area"] for r in well["relu"]],
            [r["area"] for r in well["tanh"]],
            min_seeds=cfg.min_seeds,
            misread=misread,
        )
    for act in cfg.activations:
        if act in cfg.controls:
            verdicts[f"training.{act}"] = judge_training(
                [r["last"] for r in well[act]],
                [c["last"] for c in control if c["activation"] == act],
                min_seeds=cfg.min_seeds,
                misread=misread,
            )
    digits, runs = None, {}
    if cfg.digits:
        t1 = time.perf_counter()
        digits, runs["digits"], verdicts["knn_deeper"] = _digits(cfg)
        seconds["digits"] = round(time.perf_counter() - t1, 1)
        tick(progress, total, total)
    result = {
        "experiment": NAME,
        "settings": asdict(cfg),
        "inputs": inputs,
        "misread": misread,
        "networks": nets,
        "control": control,
        "sensitivity": sensitivity(control),
        "digits": digits,
        "verdicts": {k: v.to_dict() for k, v in verdicts.items()},
        "seconds": seconds,
    }
    result["groups"] = groups(result)
    result["well_last_median"] = {
        a: float(np.median([r["last"] for r in well[a]])) if well[a] else None
        for a in cfg.activations
    }
    result["summary"] = _summary(result, cfg)
    return result, runs


def sensitivity(control) -> dict:
    """Per homeomorphic control activation: the share of class readings, at the first and at
    the last hidden layer, that keep the constructed numbers, and how many read a point."""
    out = {}
    for act in ("tanh", "leaky_relu"):
        mine = [c for c in control if c["activation"] == act]
        if not mine:
            continue
        out[act] = {
            "first": float(np.mean([k for c in mine for k in c["kept"][1]])),
            "last": float(np.mean([k for c in mine for k in c["kept"][-1]])),
            "points": int(sum(c["point"] for c in mine)),
            "networks": len(mine),
        }
    return out


def _summary(res, cfg) -> list[str]:
    lines = [
        f"{', '.join(DATA)}; width {cfg.width}, depth {cfg.depth}, {cfg.seeds} seeds per data "
        f"set and activation; Naitzat et al.'s reading: Rips at {cfg.scale:g} hops of the "
        f"{cfg.k}-nearest-neighbour graph, {cfg.n_test // 2} fresh points per class",
        "input read as constructed: "
        + ", ".join(f"{d} {'yes' if d not in res['misread'] else 'no'}" for d in DATA),
    ]
    for act in cfg.activations:
        mine = [r for r in res["networks"] if r["activation"] == act]
        well = [r for r in mine if r["train"] == 1.0]
        lines.append(
            f"{act}: {len(well)} of {len(mine)} at 100% training accuracy; last layer a point "
            f"in {sum(r['point'] for r in well)}; median area "
            f"{np.median([r['area'] for r in well]) if well else float('nan'):.3f}"
        )
    for act, s in res["sensitivity"].items():
        lines.append(
            f"untrained {act} (homeomorphisms): numbers kept in {s['first']:.0%} of first-layer "
            f"and {s['last']:.0%} of last-layer class readings; read as a point in {s['points']}"
        )
    for key, v in res["verdicts"].items():
        lines.append(f"{key}: {v['verdict']} ({v['measured']})")
    lines.append(f"({sum(res['seconds'].values()):.0f} s)")
    return lines


# ------------------------------------------------------------------------- real-data case
def _digits(cfg):
    """The conv net on digits (or MNIST), inspected; (numbers, its Run, the k-NN verdict)."""
    import math

    from ..datasets.images import load_image_data, mnist_dir_from_env, subset
    from ..inspection import inspect, knn_loo_predictions
    from ..inspection.capture import capture
    from ..nn import conv_net
    from ..train import TrainConfig, accuracy, fit
    from ..train.runs import run_of

    quick = cfg.digits_passes <= 1
    mnist = mnist_dir_from_env()
    name = "mnist" if mnist is not None and not quick else "digits"
    ds = load_image_data(name, mnist_dir=mnist, seed=cfg.seed)
    if name == "mnist":
        ds = subset(ds, n_train=8000, n_test=2000, seed=cfg.seed)
    channels, hidden = ((4, 8), 16) if quick else ((16, 32), 128)
    net = conv_net(ds.shape, ds.n_classes, channels=channels, hidden=hidden, seed=cfg.seed)
    steps = max(1, math.ceil(cfg.digits_passes * len(ds.X_train) / 64))
    hist = fit(
        net, ds.X_train, ds.y_train, steps=steps, lr=1e-3, batch_size=64, seed=cfg.seed,
        record_every=steps,
    )  # fmt: skip
    test_acc = float(accuracy(net, ds.X_test, ds.y_test)[0])
    m = cfg.digits_subsample
    res = inspect(
        net, ds.X_train, ds.y_train, subsample=m, seed=cfg.seed, betti_points=m, stretch_points=4
    )
    cap = capture(net, ds.X_train, ds.y_train, ["relu_fc"], subsample=m, seed=cfg.seed)
    k = res.settings["k"]
    right_in = knn_loo_predictions(cap.reps["input"], cap.y, k) == cap.y
    right_pen = knn_loo_predictions(cap.reps["relu_fc"], cap.y, k) == cap.y
    v = difference_verdict(right_in, right_pen, expect="b_lower", names=("input", "relu_fc"))
    train = TrainConfig(steps=steps, lr=1e-3, batch_size=64, seed=cfg.seed, edge_penalty=0.0)
    about = {"dataset": name, "params": {}, "n": int(len(ds.X_train))}
    run_ = run_of(
        net, hist, ds.X_train, ds.y_train, data=about, train=train, X_test=ds.X_test,
        y_test=ds.y_test,
    )  # fmt: skip
    out = {
        "data": name,
        "channels": list(channels),
        "hidden": hidden,
        "steps": steps,
        "test_accuracy": test_acc,
        "k": int(k),
        "images": int(len(cap.y)),
        "inspection": res.to_dict(),
    }
    return out, run_, v
