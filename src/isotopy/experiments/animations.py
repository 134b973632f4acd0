"""The networks the essay's animations show, and the frames that show them.

The essay's animations ("Continuous Visualization of Layers" and the training pictures of
"Topology of tanh Layers"): one tanh layer applied gradually (the first examples' two-curves
network); four 2-unit hidden layers untangling slightly entangled spirals, and the same
architecture failing on more entangled ones; a 2-unit network training on the disc inside
an annulus (it stalls below 100%) and a 2-unit network on the interval (it succeeds); a
2-D -> 3-D layer separating the disc and annulus with a plane. Each affine layer moves
along a path in GL+(n) (after swapping two units where det W < 0), so every frame is a
homeomorphism; the claim that a tanh layer is a continuous deformation is checked on the
path itself (its determinant along 1,000 values of t, its end, and the animation's last
frame against the layer's output).

Every network is trained with the edge penalty (``TrainConfig``'s, as ``isotopy train``
trains); the disc, interval and two-curves networks are the first examples' own
(:func:`isotopy.experiments.first_examples.train_showcase`, cached).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..topology.saturation import READABLE_EDGE
from ..train.penalties import edge_full_step, edge_step
from ._common import fit_as_run, make_config, setting, tick
from .first_examples import ShowcaseSettings, showcase, showcase_steps
from .verdicts import Verdict

__all__ = ["AnimationsConfig", "SPIRALS", "TRAINING", "run", "run_with_networks"]

NAME = "animations"
SUMMARY = (
    "the networks of the essay's animations (one tanh layer, spirals with four 2-unit "
    "layers, training on the disc and the interval, a 2-D -> 3-D lift) and their frames"
)
EXAMPLE = " --spiral-nets 6 --frames 96"

# (key, turns, words) of the spirals: slightly entangled ones are untangled, more entangled
# ones are not
SPIRALS = [("slight", 0.6, "slightly entangled"), ("entangled", 1.5, "more entangled")]
# (animation, showcase network) watched while training
TRAINING = [("disc_annulus_2_training", "disc_h2"), ("interval_2_training", "interval_h2")]


@dataclass(frozen=True)
class AnimationsConfig(ShowcaseSettings):
    """Settings of :func:`run` (the CLI's and the report's; ``quick()`` for tests). The
    showcase fields are the first examples' (the same networks)."""

    spiral_n: int = setting(400, "spiral points")
    spiral_steps: int = setting(1800, "Adam steps of the spirals' networks")
    spiral_lr: float = setting(
        0.03, "Adam's learning rate for the spirals"
    )  # four 2-unit layers: 0.02 leaves some initialisations short at 1,800 steps
    # 6 initialisations of the spirals' network, the least saturated separating one shown;
    # snapshots every 15 steps let the readable state be found precisely
    spiral_nets: int = setting(6, "initialisations of the spirals' network")
    spiral_record_every: int = setting(15, "steps between the spirals' snapshots")
    frames: int = setting(96, "frames of each animation")  # 6 s at 16 frames a second
    lines: int = setting(17, "grid lines per axis carried along by the morphs")

    @classmethod
    def quick(cls) -> AnimationsConfig:
        """Tiny settings (the report's quick mode, tests): the numbers mean little."""
        return cls(
            steps=300,
            curves_steps=300,
            n=120,
            spiral_n=120,
            spiral_steps=60,
            spiral_nets=2,
            spiral_record_every=10,
            frames=8,
            lines=9,
        )


CONFIG = AnimationsConfig


def _morph(net, X, y, cfg):
    from ..animate import morph_frames

    return morph_frames(net, X, y, frames=cfg.frames, lines=cfg.lines, samples=120)


def _tanh_layer(cfg) -> tuple[dict, dict]:
    """The two-curves network's one tanh layer along its path: numbers, verdict, objects."""
    from ..paths import gl_plus_path, orient_network

    run_, state = showcase("curves_h2", cfg)
    net, X, y = state.net, run_.X, run_.y
    oriented, swaps = orient_network(net)
    W = oriented.stages[0].weight[0].detach().double().numpy()
    p = gl_plus_path(W)
    dets = np.linalg.det(p.at(np.linspace(0, 1, 1000)))
    err = float(np.abs(p(1.0 - 1e-12) - W).max())
    fr = _morph(net, X, y, cfg)
    last_err = float(np.abs(fr.points[-1] - oriented.trace(X)[-2][1]).max())
    v = Verdict(
        "agrees" if dets.min() > 0 and err < 1e-6 and last_err < 1e-5 else "differs",
        "agrees if det p(t) > 0 at every sampled t, |p(1) − W| < 1e-6 and the animation's "
        "last frame equals the layer's output within 1e-5; differs otherwise",
        "det sampled at 1,000 values of t; float64",
        f"det W = {np.linalg.det(W):.3g}; min det p(t) over 1000 t = {dets.min():.3g} > 0; "
        f"|p(1) − W| = {err:.1e}; last frame vs trace {last_err:.1e}"
        + ("; two units swapped since det W < 0" if swaps else ""),
    )
    numbers = {
        "det_w": float(np.linalg.det(W)),
        "min_det_along_path": float(dets.min()),
        "path_end_error": err,
        "last_frame_vs_trace": last_err,
        "train_accuracy": state.train_accuracy,
        "units_swapped": bool(swaps),
        "state": state.to_dict(),
    }
    return numbers, {"verdict": v, "frames": fr, "run": run_, "state": state}


def _spiral_verdict(turns, acc, ok) -> Verdict:
    n = len(acc)
    measured = f"{ok} of {n} initialisations ≥ 0.99 (best {acc.max():.3f})"
    resolution = f"one initialisation in {n}"
    if turns < 1:
        verdict = "agrees" if ok > 0 else ("differs" if acc.max() < 0.9 else "not resolved")
        rule = (
            "agrees if some initialisation classifies at least 99% of the training points (the "
            "essay shows one network that does); differs if none reaches 90%; not resolved in "
            "between"
        )
    else:
        verdict = "agrees" if acc.max() < 0.95 else ("differs" if ok > 0 else "not resolved")
        rule = (
            "agrees if no initialisation reaches 95%; differs if one reaches 99%; not resolved "
            "in between"
        )
    return Verdict(verdict, rule, resolution, measured)


def _spiral(cfg, turns: float) -> tuple[dict, dict]:
    """``spiral_nets`` networks of four 2-unit tanh layers on spirals of ``turns`` turns;
    the one shown: of those that separate (or, failing that, the best), the one whose
    readable state has the smallest edge fraction."""
    from ..datasets import make_dataset
    from ..nn import Network
    from ..train import TrainConfig, run_of
    from ..train.readable import state_at

    train = TrainConfig(steps=cfg.spiral_steps, lr=cfg.spiral_lr, seed=cfg.seed)
    X, y = make_dataset("spirals", cfg.spiral_n, seed=cfg.seed, turns=turns)
    net = Network(2, (2, 2, 2, 2), "tanh", n_networks=cfg.spiral_nets, seed=cfg.seed * 100)
    hist = fit_as_run(net, X, y, train, record_every=cfg.spiral_record_every)
    acc = hist.final_train_accuracy
    cands = [j for j in range(len(acc)) if acc[j] >= 0.99] or [int(np.argmax(acc))]
    states = {j: state_at(net, hist, X, y, "readable", index=j) for j in cands}
    i = min(cands, key=lambda j: states[j].max_edge)
    state = states[i]
    ok = int((acc >= 0.99).sum())
    data = {"dataset": "spirals", "params": {"turns": turns}, "n": int(len(X))}
    run_ = run_of(net, hist, X, y, index=i, data=data, train=train)
    numbers = {
        "turns": turns,
        "accuracies": [float(a) for a in acc],
        "separating": ok,
        "shown": i,
        "state": state.to_dict(),
    }
    objects = {
        "verdict": _spiral_verdict(turns, acc, ok),
        "frames": _morph(state.net, X, y, cfg),
        "run": run_,
        "state": state,
    }
    return numbers, objects


def _training(cfg, key: str) -> tuple[dict, dict]:
    """A showcase network watched while it trains, up to its readable state (at least 12
    snapshots)."""
    from dataclasses import replace

    from ..animate import training_frames

    run_, state = showcase(key, cfg)
    hist = run_.history
    keep = max(sum(1 for st in hist.record_steps if st <= state.step), 12)
    short = replace(hist, record_steps=hist.record_steps[:keep], snapshots=hist.snapshots[:keep])
    fr = training_frames(run_.net, short, run_.X, run_.y, frames=cfg.frames)
    edge = fr.meta["edge"]  # per frame (the hidden layer is tanh)
    peak = int(np.argmax(edge))
    t = run_.train
    numbers = {
        "train_accuracy": float(hist.final_train_accuracy[0]),
        "shown_to": int(short.record_steps[-1]),
        "steps": int(hist.steps_done),
        "state": state.to_dict(),
        # the frames on an edge: the run trains plainly before the edge penalty joins
        "edge_peak": float(edge[peak]),
        "edge_peak_step": int(round(fr.meta["steps"][peak])),
        "edge_frames_over": int((edge > READABLE_EDGE).sum()),
        "frames": int(len(edge)),
        "edge_from": edge_step(t.steps, t.edge_start) if t.edge_penalty else None,
        "edge_full": edge_full_step(t.steps, t.edge_start, t.edge_ramp) if t.edge_penalty else None,
    }
    return numbers, {"frames": fr, "run": run_, "state": state}


def _lift(cfg) -> tuple[dict, dict]:
    """The 3-unit disc network: the plane embedded in R^3 and lifted."""
    run_, state = showcase("disc_h3", cfg)
    fr = _morph(state.net, run_.X, run_.y, cfg)
    numbers = {
        "camera": list(fr.meta.get("camera", ())),
        "camera_shows_separation": fr.meta.get("camera_shows_separation"),
        "train_accuracy": float(run_.history.final_train_accuracy[0]),
        "state": state.to_dict(),
    }
    return numbers, {"frames": fr, "run": run_, "state": state}


def run_with_networks(config=None, *, progress=None, **changes):
    """:func:`run`, also returning per animation its ``frames``, ``run`` and ``state`` (and
    the claims' Verdicts under ``verdicts``)."""
    cfg = make_config(AnimationsConfig, config, changes)
    parts = [("tanh_layer", lambda: _tanh_layer(cfg))]
    parts += [(f"spirals_{key}", lambda t=turns: _spiral(cfg, t)) for key, turns, _ in SPIRALS]
    parts += [(name, lambda k=key: _training(cfg, k)) for name, key in TRAINING]
    parts.append(("disc_annulus_3_morph", lambda: _lift(cfg)))
    numbers, objects, verdicts = {}, {}, {}
    for i, (name, part) in enumerate(parts):
        numbers[name], objects[name] = part()
        if "verdict" in objects[name]:
            verdicts[name] = objects[name].pop("verdict")
        tick(progress, i + 1, len(parts))
    result = {
        "experiment": NAME,
        "settings": asdict(cfg),
        "showcase_steps": showcase_steps(cfg),
        "animations": numbers,
        "verdicts": {k: v.to_dict() for k, v in verdicts.items()},
    }
    result["summary"] = _summary(result)
    return result, objects


def run(config: AnimationsConfig | None = None, *, progress=None, **changes) -> dict:
    """Train (or reuse) the animated networks, compute their frames and judge the claims.

    Returns
    -------
    dict
        ``animations``: per animation (``tanh_layer``, ``spirals_slight``,
        ``spirals_entangled``, ``disc_annulus_2_training``, ``interval_2_training``,
        ``disc_annulus_3_morph``) its numbers and the readable ``state`` shown; ``verdicts``
        (the tanh layer's path, the two spiral claims); ``summary`` lines.
    """
    return run_with_networks(config, progress=progress, **changes)[0]


def _summary(res) -> list[str]:
    a = res["animations"]
    t = a["tanh_layer"]
    lines = [
        f"one tanh layer: det W {t['det_w']:.3g}, min det along the path "
        f"{t['min_det_along_path']:.3g}, last frame vs trace {t['last_frame_vs_trace']:.1e}"
    ]
    for key, turns, words in SPIRALS:
        s = a[f"spirals_{key}"]
        lines.append(
            f"spirals, {turns} turns ({words}): {s['separating']} of {len(s['accuracies'])} "
            f"initialisations at 99% or more (best {max(s['accuracies']):.3f})"
        )
    for name, _ in TRAINING:
        lines.append(f"{name}: final train accuracy {a[name]['train_accuracy']:.3f}")
    lines.append(
        f"disc_annulus, 3 units: train accuracy {a['disc_annulus_3_morph']['train_accuracy']:.3f}"
    )
    lines += [f"{k}: {v['verdict']} ({v['measured']})" for k, v in res["verdicts"].items()]
    return lines
