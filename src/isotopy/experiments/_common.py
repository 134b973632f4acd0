"""Helpers shared by the experiments: batched training over seeds, dense-grid accuracy."""

from __future__ import annotations

import contextlib

import numpy as np

from ..errors import InputError, check_positive_int

__all__ = ["train_seeds", "grid_points", "grid_accuracy", "check_seeds", "tick", "one_thread"]


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


def train_seeds(
    dataset: str,
    *,
    hidden,
    activation: str = "tanh",
    seeds: int = 10,
    steps: int = 2000,
    lr: float = 0.02,
    n: int = 400,
    seed: int = 0,
    contractive: float = 0.0,
    params: dict | None = None,
    record_every: int | None = None,
    compile: bool | None = None,
):
    """Train ``seeds`` networks of one architecture at once on one sample of ``dataset``.

    Network i is initialised with seed ``seed + i``; the data sample uses ``seed``.
    ``record_every`` (default: ``steps``) sets the snapshots kept in the history;
    ``compile`` is passed to :func:`isotopy.train.fit`.

    Returns
    -------
    net : Network holding ``seeds`` networks
    X, y : the training sample, (n, d) and (n,)
    history : History
    """
    from ..datasets import make_dataset
    from ..nn import Network
    from ..train import fit

    params = dict(params or {})
    X, y = make_dataset(dataset, n, seed=seed, **params)
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
    )
    return net, X, y, hist


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
