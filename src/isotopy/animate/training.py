"""Frames of a network during training: one representation at every recorded snapshot.

Representation K is drawn at each snapshot of a :class:`~isotopy.train.History`, the
parameters interpolated linearly between neighbouring snapshots so any frame count works,
with the frames spaced evenly in the amount of change (:func:`.frames.even_spacing`) and the
read-out's separator drawn where it reads representation K. The frames are a
:class:`~isotopy.animate.frames.Frames`, as the morph's are.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, check_positive_int
from ..paths import orient_network, permute_units
from ..scene import separator_geometry
from ..scene.build import stage_words
from ..topology.saturation import bounded_image, edge_fraction
from .frames import (
    Frames,
    _carried_points,
    _check_timing,
    _displacement,
    _forward_np,
    _projection,
    _select,
    _to_display,
    even_spacing,
    view_boxes,
)

__all__ = ["training_frames"]


def _lerp_state(snapshots, u):
    i = min(int(np.floor(u)), len(snapshots) - 2) if len(snapshots) > 1 else 0
    s = u - i
    if len(snapshots) == 1 or s <= 0:
        return snapshots[i]
    return {k: (1 - s) * snapshots[i][k] + s * snapshots[i + 1][k] for k in snapshots[i]}


def training_frames(
    net,
    history,
    X,
    y,
    *,
    stage: int | None = None,
    frames: int | None = None,
    domain=None,
    lines: int | None = None,
    samples: int = 80,
    index: int = 0,
    limits: str = "smooth",
    timing: str = "even",
) -> Frames:
    """Frames of representation ``stage`` over training, with the read-out's separator.

    Parameters
    ----------
    net : Network
        The trained network (its architecture; parameters come from the snapshots).
    history : History
    X, y : arrays
    stage : int, optional
        Representation index as in ``net.trace`` (0 = input); default the last hidden one,
        which the read-out reads, so its separating line/plane is drawn.
    frames : int, optional
        Default: one per snapshot.
    limits : {"smooth", "fixed"}
    timing : {"even", "uniform"}
        Even in amount of change of the representation, or even in training steps.

    Returns
    -------
    Frames
    """
    snaps = history.snapshots
    if not snaps:
        raise InputError("this history has no snapshots to animate")
    n_rep = len(net.stages)  # representations 0..n_rep; n_rep is the read-out's output
    k = n_rep - 1 if stage is None else int(stage)
    if not 0 <= k <= n_rep - 1:
        raise InputError(
            f"stage {stage} is out of range 0..{n_rep - 1} for training "
            f"frames ({', '.join(['input', *net.names[:-1]])})"
        )
    frames = len(snaps) if frames is None else check_positive_int(frames, "the number of frames")
    _check_timing(timing)
    replay = _Replay(net, snaps, index)
    X, base, (L, P) = _carried_points(X, domain, lines, samples)
    n = len(X)
    replay.orient()
    n_s = len(snaps)
    reps = [replay.state(i, k, base) for i in range(n_s)]
    d = reps[0].shape[1]
    proj = _projection([reps[-1][:n]], d)
    if timing == "even" and n_s > 1 and frames > 1:
        amounts = [
            _displacement(_to_display(reps[i][:n], d, proj), _to_display(reps[i + 1][:n], d, proj))
            for i in range(n_s - 1)
        ]
        pos = even_spacing(amounts, frames, floor=0.3)
    else:
        pos = np.linspace(0, n_s - 1, frames)
    steps = np.asarray(history.record_steps, dtype=np.float64)
    separated = k == n_rep - 1 and net.n_classes == 2 and proj is None
    pts, grids, titles, seps_fn, step_of, edges = [], [], [], [], [], []
    acc = history.train_accuracy[index]
    # a bounded activation's frames say how many points sit on an edge of its square: plain
    # training presses them there before an edge penalty eases them back
    image = bounded_image(net.stages[k - 1]) if k > 0 else None
    for u in pos:
        raw = replay.state(u, k, base)
        cur = _to_display(raw, d, proj)
        pts.append(cur[:n])
        grids.append(cur[n:].reshape(L, P, -1))
        step = float(np.interp(u, np.arange(n_s), steps))
        a = acc[min(max(int(round(step)), 0), len(acc) - 1)]  # acc[s]: after s updates
        said = f"batch accuracy {a:.2f}"
        if image is not None:
            edges.append(edge_fraction(raw[:n], image))
            said += f", edge fraction {edges[-1]:.2f}"
        titles.append(f"{stage_words(replay.work, k)}, step {int(round(step))} ({said})")
        step_of.append(step)
        seps_fn.append(replay.readout() if separated else None)
    pts, grids = np.stack(pts), np.stack(grids)
    bounds = view_boxes(pts, mode=limits)
    seps = [
        None if s is None else separator_geometry(s[0], s[1], bounds[i])
        for i, s in enumerate(seps_fn)
    ]
    note = (
        "the read-out's separating " + {1: "threshold", 2: "line", 3: "plane"}.get(d, "set")
        if seps_fn[0] is not None
        else ""
    )
    meta = {
        "kind": "training",
        "stage": k,
        "words": stage_words(replay.work, k),
        "steps": np.array(step_of),
        # per frame, the share of points on an edge of a bounded activation's image (or None)
        "edge": np.array(edges) if image is not None else None,
        "progress": np.array(step_of) / max(steps[-1], 1.0),
        "projection": None if proj is None else "top 3 principal axes of the last snapshot",
    }
    return Frames(
        pts,
        np.asarray(y),
        grids,
        bounds,
        titles,
        [note] * frames,
        seps,
        np.zeros(frames, dtype=bool),
        meta,
    )


class _Replay:
    """A copy of network ``index`` of ``net`` at any point u of its recorded snapshots (the
    parameters interpolated linearly between neighbours), seen with the units swapped that
    :func:`~isotopy.paths.orient_network` swaps for the last snapshot: the static views and
    the morph swap those, so every view of the run shares one set of coordinates."""

    def __init__(self, net, snaps, index: int):
        import copy

        self.snaps, self.index, self.batched = snaps, index, net.n_networks > 1
        self.work = copy.deepcopy(_select(net, index) if net.n_networks > 1 else net)
        self.swaps = {}

    def orient(self) -> None:
        """Find the swaps: those of the last snapshot."""
        self.load(len(self.snaps) - 1)
        self.swaps = orient_network(self.work)[1]

    def load(self, u) -> None:
        sd = _lerp_state(self.snaps, u)
        if self.batched:
            sd = {key: v[self.index : self.index + 1] for key, v in sd.items()}
        self.work.load_state_dict(sd)

    def oriented(self):
        shown = self.work
        for s_k, (i, j) in self.swaps.items():
            shown = permute_units(shown, s_k, i, j)
        return shown

    def state(self, u, k: int, base: np.ndarray) -> np.ndarray:
        """Representation k of ``base`` at snapshot position u."""
        self.load(u)
        return _forward_np(self.oriented().stages[:k], base)

    def readout(self):
        """The read-out's weights and bias as loaded (it reads the swapped units)."""
        ro = self.oriented().stages[-1]
        return ro.weight[0, 0].detach().double().numpy().copy(), float(ro.bias[0, 0].detach())
