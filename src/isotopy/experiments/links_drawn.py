"""Two linked tori pushed through a network of 3-unit layers and one of 4-unit layers.

The essay's linked tori cannot be pulled apart by any homeomorphism of R^3, so a network of
3-unit layers with invertible weights can only press them together: it moves them closer
and closer where they must pass each other. A 4th unit gives the room to lift one torus past
the other. For the best of ``nets`` 3-3 and 4-4 tanh networks (trained with the edge
penalty, as runs train) this follows the two core circles (the tori's centre lines) through
every representation, in the coordinates the animations use (units swapped where det W < 0):
the cores' closest approach (absolute, and relative to the representation's diameter), the
closest points and whether a hyperplane separates the cores (a linear programme on the core
vertices); and the 3-3 network's stages applied gradually to the two cores (frames).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ._common import fit_as_run, make_config, setting, tick

__all__ = [
    "LinksDrawnConfig",
    "WIDTHS",
    "closest_approach",
    "core_trace",
    "run",
    "run_with_networks",
]

NAME = "links_drawn"
SUMMARY = (
    "linked tori through a 3-3 and a 4-4 tanh network: the core circles' closest approach "
    "and whether a hyperplane separates them at every representation"
)
EXAMPLE = " --nets 4 --steps 2000"

WIDTHS = {"w3": (3, 3), "w4": (4, 4)}  # key -> hidden widths


@dataclass(frozen=True)
class LinksDrawnConfig:
    """Settings of :func:`run` (the CLI's and the report's; ``quick()`` for tests)."""

    # 1,200 points and 2,000 full-batch steps: width 4 separates the tori (sample accuracy
    # 1.0) in most initialisations; 4 initialisations per width, the best one is shown
    n: int = setting(1200, "training points")
    steps: int = setting(2000, "Adam steps")
    nets: int = setting(4, "initialisations per width (the best one is drawn)")
    samples: int = setting(500, "vertices per core circle")
    frames: int = setting(96, "frames of the 3-3 network's animation on the cores")
    seed: int = setting(0, "seed of data and networks")

    @classmethod
    def quick(cls) -> LinksDrawnConfig:
        """Tiny settings (the report's quick mode, tests): the numbers mean little."""
        return cls(n=200, steps=80, nets=2, samples=150, frames=8)


CONFIG = LinksDrawnConfig


def closest_approach(a: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Smallest distance between two point sets (n, d), (m, d) and the two closest points."""
    from scipy.spatial import cKDTree

    d, j = cKDTree(b).query(a)
    i = int(np.argmin(d))
    return float(d[i]), a[i], b[int(j[i])]


def _size(Z: np.ndarray) -> float:
    return float(np.linalg.norm(Z.max(0) - Z.min(0))) + 1e-12


def core_trace(net, cores) -> list[dict]:
    """For each representation of ``net``: the two pushed cores, their closest approach
    (absolute and relative to the representation's diameter), the closest points and a
    separating hyperplane (w, c) or None."""
    import torch

    from ..datasets.links import separating_plane

    rows = []
    with torch.no_grad():
        traces = [net.trace(torch.as_tensor(c, dtype=torch.float32)) for c in cores]
    for k, ((name, za), (_, zb)) in enumerate(zip(*traces, strict=True)):
        if name == "readout":
            continue
        za, zb = np.asarray(za, np.float64), np.asarray(zb, np.float64)
        d, pa, pb = closest_approach(za, zb)
        rows.append(
            {
                "k": k,
                "name": name,
                "a": za,
                "b": zb,
                "distance": d,
                "relative": d / _size(np.concatenate([za, zb])),
                "pa": pa,
                "pb": pb,
                "plane": (plane := separating_plane(za, zb)),
                "separable": plane is not None,
            }
        )
    return rows


def _train(cfg, X, y, hidden):
    """The best of ``nets`` tanh networks of widths ``hidden`` (edge penalty, as runs train):
    (that network, its Run, every network's final accuracy)."""
    from ..nn import Network
    from ..train import TrainConfig, run_of

    train = TrainConfig(steps=cfg.steps, seed=cfg.seed)
    net = Network(3, hidden, "tanh", n_networks=cfg.nets, seed=cfg.seed * 100)
    hist = fit_as_run(net, X, y, train, record_every=max(cfg.steps // 100, 1))
    acc = hist.final_train_accuracy
    i = int(np.argmax(acc))
    data = {"dataset": "linked_tori", "params": {}, "n": int(len(X))}
    return net.select(i), run_of(net, hist, X, y, index=i, data=data, train=train), acc


def run_with_networks(config=None, *, progress=None, **changes):
    """:func:`run`, also returning ``nets`` {key: the network drawn}, ``runs`` {key: Run},
    ``rows`` {key: :func:`core_trace`}, ``cores`` (the two core circles) and ``frames``
    (the 3-3 network applied gradually to the cores)."""
    from ..animate import morph_frames
    from ..datasets import make_dataset
    from ..datasets.links import link_cores
    from ..paths import orient_network
    from ..topology.saturation import saturation_by_stage

    cfg = make_config(LinksDrawnConfig, config, changes)
    X, y = make_dataset("linked_tori", cfg.n, seed=cfg.seed)
    cores = link_cores("linked_tori", samples=cfg.samples)
    nets, runs, accs = {}, {}, {}
    for i, (key, hidden) in enumerate(WIDTHS.items()):
        nets[key], runs[key], accs[key] = _train(cfg, X, y, hidden)
        tick(progress, i + 1, len(WIDTHS) + 1)
    # in the coordinates the animations use (units swapped where det W < 0)
    rows = {key: core_trace(orient_network(net)[0], cores) for key, net in nets.items()}
    numbers = {}
    for key, hidden in WIDTHS.items():
        acc = accs[key]
        numbers[key] = {
            "hidden": list(hidden),
            "names": [r["name"] for r in rows[key]],
            "closest_relative": [r["relative"] for r in rows[key]],
            "train_accuracy": float(acc[int(np.argmax(acc))]),
            "accuracies": [float(a) for a in acc],
            "separable": [r["separable"] for r in rows[key]],
            "edge_fraction": float(max(saturation_by_stage(nets[key], X).values())),
        }
    pts = np.concatenate(cores)
    lab = np.repeat([0, 1], [len(c) for c in cores])
    frames = morph_frames(nets["w3"], pts, lab, frames=cfg.frames, lines=5, samples=60)
    tick(progress, len(WIDTHS) + 1, len(WIDTHS) + 1)
    result = {"experiment": NAME, "settings": asdict(cfg), "networks": numbers}
    result["summary"] = _summary(result)
    objects = {"nets": nets, "runs": runs, "rows": rows, "cores": cores, "frames": frames}
    return result, objects


def run(config: LinksDrawnConfig | None = None, *, progress=None, **changes) -> dict:
    """Train the 3-3 and 4-4 networks on the linked tori and follow the cores through them.

    Returns
    -------
    dict
        ``networks``: per width (``w3``, ``w4``) the representations' ``names``, the cores'
        ``closest_relative`` approach and whether a hyperplane separates them (``separable``)
        at each, the drawn network's ``train_accuracy`` and ``edge_fraction``, every
        initialisation's ``accuracies``; ``summary`` lines.
    """
    return run_with_networks(config, progress=progress, **changes)[0]


def _summary(res) -> list[str]:
    lines = []
    for m in res["networks"].values():
        label = "-".join(map(str, m["hidden"]))
        lines.append(
            f"{label} network (best of {len(m['accuracies'])}, train accuracy "
            f"{m['train_accuracy']:.3f}, edge fraction {m['edge_fraction']:.2f}):"
        )
        for name, rel, sep in zip(m["names"], m["closest_relative"], m["separable"], strict=True):
            lines.append(
                f"  {name}: closest approach {rel:.2e} of the size; "
                + ("a hyperplane separates the cores" if sep else "no hyperplane separates them")
            )
    return lines
