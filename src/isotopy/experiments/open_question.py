"""The essay's open question as an experiment: can every unlink be classified by a network
whose layers have only 3 units, while no link can?

Why links cannot: with layers of 3 units, affine maps x -> Wx + b and a strictly monotone
activation (tanh), each layer is a homeomorphism of R^3 onto its image when W is
invertible, so the last representation is an embedded copy of the data and the read-out's
plane pulls back to a surface that would split the two solid tori; two curves with linking
number lk != 0 cannot be split. When some W is singular the layer factors through a plane,
where the images of two linked curves always meet, so again no read-out separates them. So
networks of 3-unit tanh layers can never separate a link with lk != 0 on the continuous
sets; whether gradient descent finds a separation of every *unlink* is the open question.

The family of instances. Each is one of the link datasets moved by a random
orientation-preserving diffeomorphism of R^3,

    φ(x) = Q · diag(s) · (x + Σ_j a_j sin(ω_j · x + c_j)),   Σ_j |a_j| |ω_j| = 0.6 < 1,

(Q a random rotation, s random positive scales; x + g(x) with Lip(g) < 1 is a
diffeomorphism), which keeps every linking number:

- ``unlink``: the ring with an ellipse through its hole (looks tangled, lk = 0), random
  ellipse axes;
- ``apart``: the same ring and ellipse with the ellipse lifted out of the ring (lk = 0, a
  control that any network should separate);
- ``torus``: the torus link T(2, 2k), whose two components have linking number k, random
  radii.

The linking number of every instance is also measured from its moved core curves with the
Gauss integral (:func:`isotopy.topology.linking_number`), a check of the construction.

The dense check. A network "separates" an instance when it classifies every point of a
dense sample of both solid tori (``dense`` points) *and* of both core curves (``core``
vertices each) correctly; the training set alone can be threaded between its points.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..datasets import link_cores, make_dataset
from ..errors import InputError, check_positive_int
from ..topology.linking import linking_number
from ._common import fit_seeds, make_config, one_thread, setting

__all__ = [
    "OpenQuestionConfig",
    "LinkInstance",
    "random_links",
    "instance_data",
    "dense_sample",
    "open_question",
    "separation_by_linking",
]

_LIFT = 2.0  # how far the "apart" instances lift the ellipse (the ring has radius 1)
KINDS = ("unlink", "apart", "torus")


@dataclass(frozen=True)
class LinkInstance:
    """One random link or unlink: a link dataset, its parameters and a random embedding."""

    kind: str  # "unlink", "apart" or "torus"
    linking: int  # |lk| of the two core curves, known by construction
    params: dict = field(hash=False)  # the link dataset's own parameters
    seed: int = 0  # of the random diffeomorphism (and of the data)

    @property
    def dataset(self) -> str:
        return "linked_tori" if self.kind == "torus" else "unlink"

    @property
    def name(self) -> str:
        return f"{self.kind}{'' if self.kind != 'torus' else self.linking}-{self.seed}"

    def embedding(self):
        """The instance's random diffeomorphism φ: (m, 3) -> (m, 3)."""
        rng = np.random.default_rng([self.seed, 7919])
        q, r = np.linalg.qr(rng.standard_normal((3, 3)))
        q = q * np.sign(np.diag(r))
        if np.linalg.det(q) < 0:
            q[:, 0] = -q[:, 0]
        scale = rng.uniform(0.7, 1.4, 3)
        omegas = rng.standard_normal((3, 3))
        omegas *= rng.uniform(1.0, 2.5, (3, 1)) / np.linalg.norm(omegas, axis=1, keepdims=True)
        amps = rng.standard_normal((3, 3))
        amps /= np.linalg.norm(amps, axis=1, keepdims=True)
        weights = rng.uniform(0.5, 1.0, 3)
        lip = 0.6  # Σ |a_j| |ω_j|: the bump field moves points but stays a diffeomorphism
        amps *= (lip * weights / weights.sum() / np.linalg.norm(omegas, axis=1))[:, None]
        phases = rng.uniform(0, 2 * np.pi, 3)
        lift = np.array([0.0, 0.0, _LIFT if self.kind == "apart" else 0.0])

        def phi(x, lift_class=None):
            x = np.asarray(x, dtype=np.float64)
            if lift_class is not None:
                x = x + lift_class[:, None] * lift
            x = x + np.sin(x @ omegas.T + phases) @ amps  # (m, 3)
            return (x * scale) @ q.T

        return phi

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in self.params.items()
        )
        return f"LinkInstance({self.kind}, lk={self.linking}, seed={self.seed}, {shown})"


def random_links(per_kind: int = 3, *, linking=(1, 2), seed: int = 0) -> list[LinkInstance]:
    """A family of random unlinks and links.

    Parameters
    ----------
    per_kind : int
        Instances of each kind: ``unlink``, ``apart`` and one torus link per linking number.
    linking : sequence of int
        Linking numbers k >= 1 of the torus links T(2, 2k).
    seed : int

    Returns
    -------
    list of LinkInstance
    """
    per_kind = check_positive_int(per_kind, "instances per kind")
    rng = np.random.default_rng(seed)
    out = []
    for kind in ["unlink", "apart"]:
        for _ in range(per_kind):
            params = {
                "half_width": float(rng.uniform(0.35, 0.6)),
                "half_height": float(rng.uniform(0.75, 1.1)),
                "thickness": 0.1,
            }
            out.append(LinkInstance(kind, 0, params, int(rng.integers(2**31))))
    for k in linking:
        k = check_positive_int(k, "every linking number")
        for _ in range(per_kind):
            minor = float(rng.uniform(0.4, 0.55))
            params = {
                "linking": k,
                "major_radius": 1.0,
                "minor_radius": minor,
                "thickness": round(0.22 * minor / k, 3),
            }
            out.append(LinkInstance("torus", k, params, int(rng.integers(2**31))))
    return out


def _cores(inst: LinkInstance, samples: int):
    params = {k: v for k, v in inst.params.items() if k != "thickness"}
    a, b = link_cores(inst.dataset, samples=samples, **params)
    phi = inst.embedding()
    return phi(a, np.zeros(len(a))), phi(b, np.ones(len(b)))


def instance_data(inst: LinkInstance, n: int = 800, *, seed: int | None = None):
    """Points of the instance's two solid tori after its embedding: X float32 (n, 3), y (n,)."""
    X, y = make_dataset(inst.dataset, n, seed=inst.seed if seed is None else seed, **inst.params)
    return inst.embedding()(X, y.astype(np.float64)).astype(np.float32), y


def dense_sample(inst: LinkInstance, *, dense: int = 6000, core: int = 1500):
    """The dense check's points: many tube points plus both core curves, labelled."""
    X, y = instance_data(inst, dense, seed=inst.seed + 1)
    a, b = _cores(inst, core)
    Xd = np.concatenate([X, a.astype(np.float32), b.astype(np.float32)])
    yd = np.concatenate([y, np.zeros(len(a), np.int64), np.ones(len(b), np.int64)])
    return Xd, yd


@dataclass(frozen=True)
class OpenQuestionConfig:
    """Settings of :func:`run` and :func:`open_question` (``quick()``: the report's quick mode).

    ``per_kind``, ``linking`` and ``seed`` choose the instances (:func:`random_links`); the
    rest are the networks trained on each and the dense check.
    """

    per_kind: int = setting(2, "random instances of each kind")  # unlink, apart, each link
    linking: tuple[int, ...] = setting((1, 2), "linking numbers of the links")  # Hopf, T(2, 4)
    kinds: tuple[str, ...] = setting(
        KINDS, "kinds of instance trained on (the others are drawn, not trained)"
    )  # the instances stay the same whichever kinds are kept
    width: int = setting(3, "units per hidden layer")  # the essay's question: only 3 units
    depth: int = setting(3, "hidden layers")  # as in the unlink and linked_tori experiments
    seeds: int = setting(16, "networks per instance")  # one network = 6.25% of an instance's
    steps: int = setting(1500, "optimiser steps")  # Adam, full batch, as in unlink
    lr: float = setting(0.02, "Adam's learning rate")  # the library's default rate (fit)
    n: int = setting(800, "training points per instance")  # half per solid torus
    activation: str = setting("tanh", "activation name")  # strictly monotone: homeomorphisms
    dense: int = setting(6000, "tube points of the dense check")  # beside the core vertices
    core: int = setting(1500, "vertices per core curve in the dense check")  # the cores decide
    seed: int = setting(0, "seed of the random embeddings")  # and of the instances' data

    @classmethod
    def quick(cls) -> OpenQuestionConfig:
        """The report's quick mode: one instance of each kind, the Hopf link only, 4 networks."""
        return cls(per_kind=1, linking=(1,), seeds=4, steps=250, n=240, dense=1500, core=400)


def open_question(
    instances: list[LinkInstance],
    config: OpenQuestionConfig | None = None,
    *,
    progress=None,
    **changes,
):
    """Train ``seeds`` networks with layers of ``width`` units on every instance.

    Parameters
    ----------
    instances : list of LinkInstance
    config : OpenQuestionConfig, optional
        The networks (hidden layers (width,) * depth, ``seeds`` per instance trained as one
        batch, ``steps`` full-batch Adam steps at ``lr`` on ``n`` points) and the dense
        check (``dense`` tube points, ``core`` vertices per core curve); its ``per_kind``,
        ``linking`` and ``seed`` are not used here.
    progress : callable, optional
        ``progress(done, total)`` in instances.
    **changes
        Settings changed from ``config`` (``seeds=8``, ...).

    Returns
    -------
    pandas.DataFrame
        One row per (instance, network): kind, linking (by construction), measured_linking
        (Gauss integral), seed, train_accuracy, dense_accuracy, separated (dense accuracy 1).
    """
    import pandas as pd

    from ..train import accuracy, train_test_split

    cfg = make_config(OpenQuestionConfig, config, changes)
    width, depth = cfg.width, cfg.depth
    seeds = check_positive_int(cfg.seeds, "seeds")
    rows = []
    with one_thread():
        for done, inst in enumerate(instances):
            X, y = instance_data(inst, cfg.n)
            Xtr, ytr, _, _ = train_test_split(X, y, 0.0, inst.seed)
            net, hist = fit_seeds(
                Xtr,
                ytr,
                hidden=(width,) * depth,
                activation=cfg.activation,
                seeds=seeds,
                steps=cfg.steps,
                lr=cfg.lr,
                seed=0,
            )
            Xd, yd = dense_sample(inst, dense=cfg.dense, core=cfg.core)
            dense_acc = accuracy(net, Xd, yd)
            lk = linking_number(*_cores(inst, 600))
            for i in range(seeds):
                rows.append(
                    {
                        "instance": inst.name,
                        "kind": inst.kind,
                        "linking": inst.linking,
                        "measured_linking": lk,
                        "seed": i,
                        "width": width,
                        "depth": depth,
                        "train_accuracy": float(hist.final_train_accuracy[i]),
                        "dense_accuracy": float(dense_acc[i]),
                        "separated": bool(dense_acc[i] == 1.0),
                    }
                )
            if progress is not None:
                progress(done + 1, len(instances))
    return pd.DataFrame(rows)


def separation_by_linking(table):
    """Per kind and linking number: instances, networks, fraction of networks separating on
    the dense check, fraction of instances with at least one separating network, best dense
    accuracy, networks perfect on the training set."""
    import pandas as pd

    g = table.groupby(["linking", "kind"], sort=True)
    per_inst = table.groupby(["linking", "kind", "instance"])["separated"].any()
    return pd.DataFrame(
        {
            "instances": g["instance"].nunique(),
            "networks": g.size(),
            "separated": g["separated"].mean(),
            "instances_separated": per_inst.groupby(["linking", "kind"]).mean(),
            "best_dense": g["dense_accuracy"].max(),
            "train_perfect": g["train_accuracy"].apply(lambda a: float((a == 1.0).mean())),
        }
    ).reset_index()


# --------------------------------------------------------------- as a registered experiment
NAME = "open_question"
SUMMARY = (
    "random links and unlinks tried with 3-unit layers: the fraction separated per "
    "linking number (the essay's open question)"
)


EXAMPLE = " --per-kind 2 --linking 1,2 --seeds 16"
CONFIG = OpenQuestionConfig


def run(config: OpenQuestionConfig | None = None, *, progress=None, **changes) -> dict:
    """The open question as an experiment: per kind and linking number, the fraction of
    networks that separate the two solid tori on the dense check."""
    cfg = make_config(OpenQuestionConfig, config, changes)
    check_positive_int(cfg.per_kind, "--per-kind")
    unknown = sorted(set(cfg.kinds) - set(KINDS))
    if unknown or not cfg.kinds:
        raise InputError(
            f"--kinds must name some of {', '.join(KINDS)}, got {','.join(cfg.kinds) or 'none'}"
        )
    instances = [
        i
        for i in random_links(cfg.per_kind, linking=cfg.linking, seed=cfg.seed)
        if i.kind in cfg.kinds
    ]
    table = open_question(instances, cfg, progress=progress)
    summary = separation_by_linking(table)
    lines = [
        f"linking {r.linking} ({r.kind}): {r.separated:.0%} of {r.networks} networks "
        f"separate on the dense check; best dense accuracy {r.best_dense:.4f}"
        for r in summary.itertuples()
    ]
    per_instance = table.groupby("instance")[["linking", "measured_linking"]].first()
    gap = np.abs(np.abs(per_instance["measured_linking"]) - per_instance["linking"])
    return {
        "experiment": NAME,
        "instances": len(instances),
        "linking_numbers": sorted({int(v) for v in table["linking"]}),
        "networks": int(len(table)),
        "separated": int(table["separated"].sum()),
        "train_perfect": int((table["train_accuracy"] == 1.0).sum()),
        # the Gauss integral of the moved cores against the construction
        "linking_as_constructed": bool(np.all(gap < 0.05)),
        "per_linking": summary.to_dict(orient="records"),
        "summary": lines,
    }
