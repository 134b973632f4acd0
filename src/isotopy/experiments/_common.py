"""Helpers shared by the experiments: their settings as typed dataclasses, batched training
over seeds, dense-grid accuracy.

Each experiment declares its settings once, as a frozen dataclass whose fields are made by
:func:`setting` (a default and one line of help) and whose ``quick()`` gives the tiny
settings of the report's quick mode and the tests. :func:`make_config` applies keyword
changes to a config and checks every value against its field's type (tuples of numbers,
never strings such as ``"3,4"``: parsing text is the CLI's job, see
:func:`isotopy.experiments.registry.add_config_arguments`).
"""

from __future__ import annotations

import contextlib
import types
import typing
from dataclasses import field, fields, replace

import numpy as np

from ..errors import InputError, check_positive_int

__all__ = [
    "setting",
    "make_config",
    "given_settings",
    "claims_result",
    "field_types",
    "train_seeds",
    "fit_seeds",
    "fit_as_run",
    "train_config",
    "grid_points",
    "grid_accuracy",
    "check_seeds",
    "tick",
    "one_thread",
]


def setting(default, help: str, **metadata):
    """A config field: its default and one line of ``help`` (the CLI flag's help).

    ``metadata`` may add ``choices`` (the valid values, for the CLI), ``shown`` (how the
    help shows a default that is not a plain value, e.g. None meaning "per dimension") and
    ``aliases`` (more option strings, e.g. ``("-k",)``).
    """
    return field(default=default, metadata={"help": help, **metadata})


def field_types(cls) -> dict[str, tuple[type, type | None, bool]]:
    """Each field's (type, element type of a tuple or None, whether None is allowed)."""
    out = {}
    for name, tp in typing.get_type_hints(cls).items():
        optional = False
        if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            optional, tp = True, args[0]
        elem = None
        if typing.get_origin(tp) is tuple:
            elem, tp = typing.get_args(tp)[0], tuple
        out[name] = (tp, elem, optional)
    return out


def _check_value(value, tp, elem, optional: bool, what: str):
    if value is None and optional:
        return None
    if tp is tuple:
        if isinstance(value, str):
            raise InputError(
                f"{what} must be a sequence such as (3, 4), not the string {value!r} (only the "
                "command line reads comma-separated text)"
            )
        try:
            items = list(value)
        except TypeError:
            raise InputError(f"{what} must be a sequence such as (3, 4), got {value!r}") from None
        return tuple(_check_value(v, elem, None, False, f"every entry of {what}") for v in items)
    if tp is bool:
        if not isinstance(value, (bool, np.bool_)):
            raise InputError(f"{what} must be True or False, got {value!r}")
        return bool(value)
    if tp is int:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise InputError(f"{what} must be an integer, got {value!r}")
        return int(value)
    if tp is float:
        if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)
        ):
            raise InputError(f"{what} must be a number, got {value!r}")
        return float(value)
    if tp is str and not isinstance(value, str):
        raise InputError(f"{what} must be a name (a string), got {value!r}")
    return value


def make_config(cls, config=None, changes: dict | None = None):
    """``config`` (default ``cls()``) with ``changes`` applied, every field's type checked.

    Integers given for float fields become floats and lists become tuples; strings for
    tuple fields, unknown names and values of the wrong type are :class:`InputError`.
    """
    if config is None:
        config = cls()
    elif not isinstance(config, cls):
        raise InputError(f"the settings must be a {cls.__name__}, got {type(config).__name__}")
    names = [f.name for f in fields(cls)]
    unknown = sorted(set(changes or {}) - set(names))
    if unknown:
        raise InputError(
            f"{cls.__name__} has no setting {unknown[0]!r}; its settings are: {', '.join(names)}"
        )
    config = replace(config, **(changes or {}))
    types_ = field_types(cls)
    return replace(
        config,
        **{n: _check_value(getattr(config, n), *types_[n], n) for n in names},
    )


@contextlib.contextmanager
def one_thread():
    """Run torch on one thread inside the block, then restore the previous count.

    Tiny networks cost about a millisecond of Python per step whatever their number, and
    OpenMP's second thread buys nothing there; on a busy two-core machine its waiting made
    the fused kernel's training 5 to 8 times slower (measured: 20 networks of 4 units,
    4,000 points, 1,000 steps: 2.6 s of CPU on one thread, 18 s on two).
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def check_seeds(seeds) -> int:
    return check_positive_int(seeds, "the number of seeds")


def given_settings(cfg, changes: dict, keys) -> dict:
    """The values of ``keys`` in ``cfg`` that were given: named in ``changes`` or different
    from the defaults of ``type(cfg)`` (how a claims mode takes the options meant for it)."""
    default = type(cfg)()
    return {
        k: getattr(cfg, k) for k in keys if k in changes or getattr(cfg, k) != getattr(default, k)
    }


def claims_result(
    name: str, mode: str, cfg, start: float, verdicts: dict, summary, note: str, **parts
):
    """The result of a claims run: ``experiment``, ``mode``, ``settings`` (``cfg`` as a dict),
    ``parts``, ``verdicts`` (Verdict dicts), ``seconds`` since ``start`` (a perf_counter
    reading) and ``summary`` lines: ``summary(result)``, then one line per verdict with its
    field ``note`` in brackets, then the seconds."""
    import time
    from dataclasses import asdict

    out = {
        "experiment": name,
        "mode": mode,
        "settings": asdict(cfg),
        **parts,
        "verdicts": {k: v.to_dict() for k, v in verdicts.items()},
        "seconds": round(time.perf_counter() - start, 1),
    }
    out["summary"] = summary(out) + [
        f"{claim}: {v['verdict']} ({v[note]})" for claim, v in out["verdicts"].items()
    ]
    out["summary"].append(f"({out['seconds']} s)")
    return out


def train_seeds(
    dataset: str,
    *,
    hidden,
    activation: str = "tanh",
    seeds: int = 10,
    steps: int | None = None,
    lr: float | None = None,
    n: int = 400,
    seed: int = 0,
    contractive: float = 0.0,
    params: dict | None = None,
    record_every: int | None = None,
    compile: bool | None = None,
    edge_penalty: float = 0.0,
):
    """Train ``seeds`` networks of one architecture at once on one sample of ``dataset``.

    Network i is initialised with seed ``seed + i``; the data sample uses ``seed``.
    ``steps`` and ``lr`` default to :class:`isotopy.train.TrainConfig`'s; ``record_every``
    (default: ``steps``) sets the snapshots kept in the history; ``compile`` and
    ``edge_penalty`` are passed to :func:`isotopy.train.fit`.

    Returns
    -------
    net : Network holding ``seeds`` networks
    X, y : the training sample, (n, d) and (n,)
    history : History
    """
    from ..datasets import make_dataset

    X, y = make_dataset(dataset, n, seed=seed, **dict(params or {}))
    net, hist = fit_seeds(
        X,
        y,
        hidden=hidden,
        activation=activation,
        seeds=seeds,
        steps=steps,
        lr=lr,
        seed=seed,
        record_every=record_every,
        contractive=contractive,
        compile=compile,
        edge_penalty=edge_penalty,
    )
    return net, X, y, hist


def fit_seeds(
    X,
    y,
    *,
    hidden,
    activation: str = "tanh",
    seeds: int = 10,
    steps: int | None = None,
    lr: float | None = None,
    seed=0,
    record_every: int | None = None,
    contractive: float = 0.0,
    compile: bool | None = None,
    edge_penalty: float = 0.0,
):
    """Train ``seeds`` networks (input dim ``X.shape[1]``, 2 classes) on ``X, y`` as one batch.

    ``seed`` is the seed of network 0 (network i gets ``seed + i``) or one seed per network,
    and also the seed of :func:`isotopy.train.fit`; ``steps`` and ``lr`` default to
    :class:`isotopy.train.TrainConfig`'s. Returns ``(net, history)``.
    """
    from ..nn import Network
    from ..train import TrainConfig, fit

    defaults = TrainConfig()
    steps = defaults.steps if steps is None else steps
    lr = defaults.lr if lr is None else lr
    net = Network(X.shape[1], hidden, activation, 2, n_networks=check_seeds(seeds), seed=seed)
    hist = fit(
        net,
        X,
        y,
        steps=steps,
        lr=lr,
        seed=seed,
        record_every=record_every or steps,
        contractive=contractive,
        compile=compile,
        edge_penalty=edge_penalty,
    )
    return net, hist


def fit_as_run(net, X, y, train, *, record_every: int):
    """:func:`isotopy.train.fit` (full batch) with a run's settings ``train`` (a
    :class:`isotopy.train.TrainConfig`: its steps, rate and seed, and its edge penalty, as
    ``isotopy train`` trains), a snapshot every ``record_every`` steps. Returns the history."""
    from ..train import fit

    return fit(
        net,
        X,
        y,
        steps=train.steps,
        lr=train.lr,
        seed=train.seed,
        record_every=record_every,
        edge_penalty=train.edge_penalty,
        edge_bound=train.edge_bound,
        edge_start=train.edge_start,
        edge_ramp=train.edge_ramp,
    )


def train_config(dataset: str, cfg, *, hidden, **options):
    """:func:`train_seeds` with an experiment config's training settings.

    Reads ``seeds``, ``steps``, ``lr``, ``n``, ``seed`` and ``activation`` (tanh when the
    config has none) from ``cfg``; ``options`` (``params``, ``contractive``, ...) pass on.
    """
    return train_seeds(
        dataset,
        hidden=hidden,
        activation=getattr(cfg, "activation", "tanh"),
        seeds=cfg.seeds,
        steps=cfg.steps,
        lr=cfg.lr,
        n=cfg.n,
        seed=cfg.seed,
        **options,
    )


def grid_points(dataset: str, *, resolution: int, params: dict | None = None):
    """A regular grid over the bounding box of the continuous sets, with their labels.

    Only grid points inside one of the sets are kept (labels_fn != -1).

    Returns
    -------
    P : ndarray float32 (m, d)
    labels : ndarray int64 (m,)
    """
    from ..datasets import DATASETS, dataset_params
    from ..errors import lookup

    spec = lookup(DATASETS, dataset, "dataset")
    if spec.labels_fn is None:
        raise InputError(f"dataset {dataset!r} has no continuous sets to put a grid on")
    params = {**dataset_params(dataset), **(params or {})}
    dim = spec.dim or int(params["dim"])
    r = float(params.get("outer_radius", 1.0))
    axis = np.linspace(-r, r, check_positive_int(resolution, "resolution", minimum=2))
    P = np.stack(np.meshgrid(*([axis] * dim), indexing="ij"), -1).reshape(-1, dim)
    labels = spec.labels_fn(P, **params)
    keep = labels >= 0
    return P[keep].astype(np.float32), labels[keep]


def grid_accuracy(net, P, labels, *, balanced: bool = True) -> np.ndarray:
    """Accuracy of each network on grid points: (N,).

    ``balanced``: the mean of the per-class accuracies, i.e. each set weighted equally like
    the balanced samples (otherwise each set counts by its volume: in R^3 the shell has ten
    times the ball's volume).
    """
    import torch

    pred = np.atleast_2d(net.predict(torch.as_tensor(P)))  # (N, m)
    hit = pred == labels[None, :]
    if not balanced:
        return hit.mean(1)
    return np.mean([hit[:, labels == c].mean(1) for c in np.unique(labels)], axis=0)


def tick(progress, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


def link_certificate(
    net, dataset: str, *, params: dict | None = None, samples: int = 600, X_dense=None, y_dense=None
) -> dict:
    """What a single network does to a link dataset's two core curves, stage by stage.

    Returns the linking number at every 3-D stage, whether every hidden stage is a
    homeomorphism, and how many vertices of each core curve the read-out puts on the wrong
    side: a plane cannot split two curves whose linking number is not 0, so a network of
    homeomorphisms must misclassify part of a linked pair's cores, while an unlink's cores
    can all be classified correctly.
    """
    import torch

    from ..datasets import link_cores
    from ..topology import linking_through_network, stage_diagnostics

    params = dict(params or {})
    trace = linking_through_network(net, dataset, samples=samples, **params)
    diags = stage_diagnostics(net, include_readout=False)
    cores = link_cores(dataset, samples=samples, **params)
    wrong = [
        int((net.predict(torch.as_tensor(c, dtype=torch.float32)) != k).sum())
        for k, c in enumerate(cores)
    ]
    out = {
        "linking": trace.to_dict(),
        "all_homeomorphisms": all(d.homeomorphism for d in diags),
        "min_condition": min((d.condition for d in diags if d.condition), default=None),
        "max_condition": max((d.condition for d in diags if d.condition), default=None),
        "core_vertices": samples,
        "core_misclassified": wrong,
        "linking_3d": [
            v for v, t in zip(trace.rounded, trace.touching, strict=True) if v is not None and not t
        ],
        "touching_stages": [n for n, t in zip(trace.names, trace.touching, strict=True) if t],
    }
    if X_dense is not None:
        out["dense_accuracy"] = float((net.predict(torch.as_tensor(X_dense)) == y_dense).mean())
    return out
