"""Frame sequences: a network's layers applied gradually, and a network during training.

A :class:`Frames` is plain arrays, one entry per frame, in one display space of dimension
D in {1, 2, 3}: the points, the image of the input domain's grid, the view box, the
read-out's separator where it applies, a title and a note (which says when the frame comes
from a path that is not an isotopy).

**Morph** (:func:`morph_frames`). Stages k = a..b are applied one after another, each along
its own path h_k(x, t) (:mod:`isotopy.paths`), carrying the points and the grid:

    frame(k, t) = h_k(f_{k-1}(x), t),   f_k = stage k ∘ ... ∘ stage 0.

All representations are zero-padded to the widest one, R^M. With M <= 3 the display is R^M
itself; wider networks are drawn through one fixed linear map R^M -> R^3, the top three
principal axes of all stage ends together, chosen once so that motion on screen is motion
in space. Frames are spaced evenly in the *amount of deformation*: the path is sampled
finely, the relative displacement between samples, |Δh| / spread(h) summed over points and
grid, is accumulated, and frames are placed at equal steps of that arc length (plus a small
floor so that nothing is skipped). The first frame is the input, the last is f_b(x) exactly.

**Training** (:func:`~isotopy.animate.training.training_frames`, in :mod:`.training`).
Representation K at each recorded snapshot, the parameters interpolated linearly between
neighbouring snapshots so any frame count works, with the same even-in-deformation spacing
over the recorded steps.

View boxes are either fixed (the union over frames) or smooth: each frame's box (centre,
half-size) is smoothed with a Gaussian over frames, then widened to hold the frame, so the
camera follows the data without jitter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..errors import InputError, check_positive_int
from ..paths import orient_network, pad, stage_path
from ..scene import Scene, domain_bounds, input_grid, separator_geometry
from ..scene.build import stage_words, swapped_at
from ..scene.camera import (
    broad_camera,
    camera_path,
    camera_showing,
    projected_area,
    separating_camera,
)

__all__ = ["Frames", "morph_frames", "view_boxes", "even_spacing"]


@dataclass
class Frames:
    """A sequence of frames in one display space R^D (D in 1..3).

    Attributes
    ----------
    points : ndarray (F, n, D)
    labels : ndarray (n,)
    grid : ndarray (F, L, P, D)
    bounds : ndarray (F, 2, D)
        The view box of every frame (fixed or smoothly changing).
    titles, notes : list of str (F)
    separators : list of (ndarray or None) (F)
        The read-out's line (2, 2) / plane (k, 3) / threshold (1,) where it is shown.
    flagged : ndarray of bool (F,)
        True where the frame comes from a path that is not an isotopy.
    meta : dict
        "kind" ("layers" / "training"), "projection", "swaps", "stages", per-frame "t"...
    """

    points: np.ndarray
    labels: np.ndarray
    grid: np.ndarray
    bounds: np.ndarray
    titles: list
    notes: list
    separators: list
    flagged: np.ndarray
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.points)

    @property
    def dim(self) -> int:
        return int(self.points.shape[-1])

    def scene(self, i: int) -> Scene:
        """Frame i as a :class:`~isotopy.scene.Scene` (for ``draw_scene`` and other renderers)."""
        return Scene(
            self.points[i],
            self.labels,
            self.grid[i],
            self.bounds[i],
            self.separators[i],
            None,
            self.titles[i],
            {
                "note": self.notes[i],
                "flagged": bool(self.flagged[i]),
                **{k: v for k, v in self.meta.items() if not isinstance(v, np.ndarray)},
            },
        )

    def __repr__(self) -> str:
        return (
            f"Frames({self.meta.get('kind', '?')}, frames={len(self)}, dim={self.dim}, "
            f"points={self.points.shape[1]}, grid={tuple(self.grid.shape[1:3])}, "
            f"flagged={int(self.flagged.sum())})"
        )


# ------------------------------------------------------------------------------- timing
def even_spacing(step_amounts, frames: int, *, floor: float = 0.15) -> np.ndarray:
    """Positions u in [0, S] (S = len(step_amounts)) of ``frames`` frames evenly spaced in
    cumulative amount, where step s (from sample s to s + 1) has amount ``step_amounts[s]``.

    A floor of ``floor`` × the mean amount per step keeps still stretches from vanishing.
    Returns (frames,) increasing, first 0, last S.
    """
    a = np.asarray(step_amounts, dtype=np.float64)
    a = np.where(np.isfinite(a), a, 0.0)
    a = a + floor * max(a.mean(), 1e-12) if len(a) else a
    cum = np.concatenate([[0.0], np.cumsum(a)])
    if frames == 1:
        return np.array([float(len(a))])
    targets = np.linspace(0.0, cum[-1], frames)
    u = np.interp(targets, cum, np.arange(len(cum), dtype=np.float64))
    u[0], u[-1] = 0.0, float(len(a))  # exact ends even where the first / last steps are still
    return np.maximum.accumulate(u)


def _spread(x):
    return float(np.sqrt(((x - x.mean(0)) ** 2).sum(1).mean())) + 1e-12


def _displacement(a, b):
    """Relative motion from a to b (same vertices): RMS |b - a| / spread."""
    return float(np.sqrt(((b - a) ** 2).sum(1).mean())) / (0.5 * (_spread(a) + _spread(b)))


# --------------------------------------------------------------------------- view boxes
def view_boxes(
    points, grid=None, *, mode: str = "smooth", margin: float = 0.15, sigma: float | None = None
) -> np.ndarray:
    """View boxes (F, 2, D) holding each frame's points (and grid, when given), with equal
    scale on all axes.

    mode "fixed": one box for all frames; "smooth": a Gaussian-smoothed box per frame. The
    animations frame the data, not the grid: the grid is the image of the whole input box and
    under a stretching layer it reaches far beyond the data, so it is clipped at the view.
    """
    F, D = points.shape[0], points.shape[-1]
    parts = [points.reshape(F, -1, D)] + ([] if grid is None else [grid.reshape(F, -1, D)])
    allp = np.concatenate(parts, axis=1)
    lo = np.nanmin(np.where(np.isfinite(allp), allp, np.nan), axis=1)
    hi = np.nanmax(np.where(np.isfinite(allp), allp, np.nan), axis=1)
    if mode not in ("smooth", "fixed"):
        raise InputError(f"unknown limits mode {mode!r}; choose one of: fixed, smooth")
    if mode == "fixed":
        lo[:] = lo.min(0)
        hi[:] = hi.max(0)
    centre, half = (lo + hi) / 2, (hi - lo) / 2
    size = np.maximum(half.max(1), 1e-6) * (1 + margin)  # (F,)
    if mode == "smooth" and F > 2:
        s = sigma if sigma is not None else max(1.0, F / 25)
        k = np.arange(-int(3 * s), int(3 * s) + 1)
        w = np.exp(-0.5 * (k / s) ** 2)
        idx = np.clip(np.arange(F)[:, None] + k[None], 0, F - 1)
        logsize = (np.log(size)[idx] * w).sum(1) / w.sum()
        centre_s = (centre[idx] * w[None, :, None]).sum(1) / w.sum()
        need = np.max(np.maximum(hi - centre_s, centre_s - lo), axis=1) * (1 + margin)
        size = np.maximum(np.exp(logsize), need)
        # a second light pass removes the kinks the widening may leave
        size = np.maximum((size[idx] * w).sum(1) / w.sum(), need)
        centre = centre_s
    return np.stack([centre - size[:, None], centre + size[:, None]], axis=1)


# ---------------------------------------------------------------------------- the morph
def _select(net, index):
    return net if net.n_networks == 1 else net.select(index)


@torch.no_grad()
def _forward_np(stages, x: np.ndarray) -> np.ndarray:
    h = torch.as_tensor(x, dtype=torch.float32)[None]
    for st in stages:
        h = st(h)
    return h[0].double().numpy()


def _projection(ends: list[np.ndarray], M: int):
    """Display map R^M -> R^D: identity (D = M <= 3) or the top-3 principal axes of ``ends``."""
    if M <= 3:
        return None
    allp = np.concatenate([pad(e, M) for e in ends])
    mean = allp.mean(0)
    _, _, vt = np.linalg.svd(allp - mean, full_matrices=False)
    return {"mean": mean, "basis": vt[:3].T}


def _to_display(x, M, proj):
    x = pad(x, M)
    return x if proj is None else (x - proj["mean"]) @ proj["basis"]


def _stage_range(net, stage):
    n_hidden = len(net.stages) - 1  # the read-out is drawn as a line/plane, not animated
    if stage is None:
        return 0, n_hidden - 1
    k = int(stage)
    if not 1 <= k <= n_hidden:
        raise InputError(
            f"stage {stage} is out of range: this network's stages are 1.."
            f"{n_hidden} ({', '.join(net.names[:-1])})"
        )
    return k - 1, k - 1


def _check_timing(timing) -> None:
    if timing not in ("even", "uniform"):
        raise InputError(f"unknown timing {timing!r}; choose one of: even, uniform")


def _carried_points(X, domain, lines, samples):
    """The data and the input domain's grid, carried together: -> X (n, d) float64, the
    stacked rows (n + L·P, d) and the grid's shape (L, P)."""
    X = np.asarray(X, dtype=np.float64)
    X = X[:, None] if X.ndim == 1 else X
    domain = domain_bounds(X) if domain is None else np.asarray(domain, dtype=np.float64)
    grid0 = input_grid(domain, lines=lines, samples=samples)
    L, P, _ = grid0.shape
    return X, np.concatenate([X, grid0.reshape(L * P, -1)]), (L, P)


def morph_frames(
    net,
    X,
    y,
    *,
    frames: int = 60,
    stage: int | None = None,
    domain=None,
    lines: int | None = None,
    samples: int = 80,
    orient: bool = True,
    index: int = 0,
    limits: str = "smooth",
    timing: str = "even",
    fine: int = 24,
    hold: float = 0.12,
) -> Frames:
    """Frames of the network's stages applied gradually, carrying the data and the grid.

    Parameters
    ----------
    net : Network
    X : array (n, d_in)
    y : array (n,)
    frames : int
        Number of frames (the first is the input, the last the final representation).
    stage : int, optional
        Animate only stage ``stage`` (1-based: the stage producing representation ``stage``
        of ``net.trace``); default: every stage before the read-out.
    domain : array (2, d_in), optional
        The box whose grid is carried (default: the data's box plus a margin).
    lines, samples : int
        Grid lines per axis and vertices per line.
    orient : bool
        Swap two hidden units of any square layer with det W < 0 (and the next layer's
        inputs) so that it has an isotopy; the note of its frames says so.
    index : int
        Which network of a batch.
    limits : {"smooth", "fixed"}
    timing : {"even", "uniform"}
        Even in amount of deformation, or even in each stage's t.
    fine : int
        Samples per stage used to measure the amount of deformation.
    hold : float
        Fraction of the frames spent on the final state with the separator (when shown).

    Returns
    -------
    Frames
    """
    frames = check_positive_int(frames, "the number of frames")
    _check_timing(timing)
    net = _select(net, index)
    swaps = {}
    if orient:
        net, swaps = orient_network(net)
    X = np.asarray(X, dtype=np.float64)
    a, b = _stage_range(net, stage)
    X, base, (L, P) = _carried_points(X, domain, lines, samples)
    n = len(X)
    morph = _StagePaths.through(net, a, b, base, n)
    sep = _readout_separator(net, b, morph.M, morph.proj)
    n_hold = int(round(hold * frames)) if sep is not None and frames >= 8 else 0
    n_move = frames - n_hold
    S = len(morph.paths)
    if timing == "even" and n_move > 1:
        pos = morph.even_positions(n_move, fine, n, L * P)
    else:
        pos = np.linspace(0, S, n_move) if n_move > 1 else np.array([float(S)])
    pos = np.r_[pos, np.full(n_hold, float(S))]
    pts, grids, titles, notes, flagged, ts, stage_of = _morph_states(
        net, swaps, a, morph, pos, n, (L, P)
    )
    bounds = view_boxes(pts, mode=limits)
    seps = [None] * frames
    if sep is not None:
        for i in range(frames - max(n_hold, 1), frames):
            seps[i] = sep(bounds[i])
        for i in range(frames - max(n_hold, 1), frames):
            titles[i] = f"{stage_words(net, b + 1)}: the read-out's separator"
    meta = {
        "kind": "layers",
        "stages": list(range(a + 1, b + 2)),
        "t": np.array(ts),
        "stage_of_frame": np.array(stage_of),
        "swaps": {int(k): v for k, v in swaps.items()},
        "projection": None
        if morph.proj is None
        else "one fixed linear map: the top 3 principal axes of all stage ends",
        "display_dim": int(morph.M if morph.proj is None else 3),
        "network": net,
        "progress": np.minimum(pos / S, 1.0),
        "segments": [j / S for j in range(1, S)],
    }
    if pts.shape[-1] == 3:
        meta.update(_cameras(pts, np.asarray(y), seps, np.array(stage_of)))
    return Frames(pts, np.asarray(y), grids, bounds, titles, notes, seps, np.array(flagged), meta)


@dataclass
class _StagePaths:
    """Stages a..b as one path: stage j runs from ``inputs[j]`` along ``paths[j]`` to
    ``ends[j + 1]`` (``ends[0]``: the representation entering stage a), displayed in R^M
    through ``proj`` (None: the identity)."""

    paths: list
    inputs: list
    ends: list
    M: int
    proj: dict | None

    @classmethod
    def through(cls, net, a: int, b: int, base: np.ndarray, n: int) -> _StagePaths:
        """The paths of stages a..b carrying ``base`` (its first n rows are the data)."""
        start = _forward_np(net.stages[:a], base)  # representation entering stage a
        paths, inputs, ends = [], [], [start]
        h = start
        for k in range(a, b + 1):
            p = stage_path(net.stages[k])
            paths.append(p)
            inputs.append(h)
            h = _forward_np(net.stages[k : k + 1], h)
            ends.append(h)
        M = max([start.shape[1], *[p.dim for p in paths]])
        return cls(paths, inputs, ends, M, _projection([e[:n] for e in ends], M))

    def at(self, u, rows=slice(None)):
        """Position u in [0, number of stages] -> (stage j, its t, the rows displayed)."""
        j = min(int(np.floor(u)), len(self.paths) - 1)
        t = u - j
        return j, t, _to_display(self.paths[j](self.inputs[j][rows], t), self.M, self.proj)

    def even_positions(self, frames: int, fine: int, n: int, grid_points: int) -> np.ndarray:
        """Positions of ``frames`` frames evenly spaced in the amount of deformation, measured
        on ``fine`` samples a stage of at most 400 data points and 800 grid vertices."""
        S = len(self.paths)
        us = np.linspace(0, S, S * fine + 1)
        sub = np.r_[
            np.linspace(0, n - 1, min(n, 400)).astype(int),
            n + np.linspace(0, grid_points - 1, min(grid_points, 800)).astype(int),
        ]
        prev, amounts = None, []
        for u in us:
            cur = self.at(u, sub)[2]
            if prev is not None:
                amounts.append(_displacement(prev, cur))
            prev = cur
        return np.interp(even_spacing(amounts, frames), np.arange(len(us)), us)


def _morph_states(net, swaps, a, morph: _StagePaths, pos, n, grid_shape):
    """Each frame's points and grid (stacked), title, note, whether its path is an isotopy's
    opposite (flagged), its t and its stage."""
    L, P = grid_shape
    S = len(morph.paths)
    pts, grids, titles, notes, flagged, ts, stage_of = [], [], [], [], [], [], []
    for u in pos:
        j, t, cur = morph.at(u)
        if u >= S:
            j, t = S - 1, 1.0
            cur = _to_display(pad(morph.ends[-1], morph.paths[-1].dim), morph.M, morph.proj)
        pts.append(cur[:n])
        grids.append(cur[n:].reshape(L, P, -1))
        k = a + j
        p = morph.paths[j]
        titles.append(stage_words(net, k + 1))
        note = p.note
        pair = swapped_at(net, swaps, k + 1)
        if pair is not None:
            i1, i2 = pair
            note = (
                f"units {i1 + 1} ↔ {i2 + 1} swapped (with the next layer's inputs): "
                f"same function, det W > 0. " + note
            )
        notes.append(note)
        flagged.append(not p.isotopy)
        ts.append(t)
        stage_of.append(k + 1)
    return np.stack(pts), np.stack(grids), titles, notes, flagged, ts, stage_of


def _cameras(pts, y, seps, stage_of) -> dict:
    """The cameras of a 3-D morph: ``camera`` (elevation, azimuth, roll) for its end, one that
    shows the read-out's plane between the classes where there is one (else one that sees
    the final sheet's face and bending); when that view would see an earlier frame edge-on
    (the linear part of a layer can hold the sheet parallel to the final plane), the frames
    before the last stage are seen from a broad camera and the view turns to the end's
    camera during the last stage (``cameras``: one matrix per frame)."""
    end = None
    if seps[-1] is not None and seps[-1].ndim == 2 and len(seps[-1]) >= 3:
        end = separating_camera(pts[-1], y, seps[-1])
    out = {"camera": end if end is not None else camera_showing(pts[-1])}
    out["camera_shows_separation"] = end is not None
    earlier = pts[stage_of < stage_of[-1]][:: max(len(pts) // 12, 1)]
    if end is None or not len(earlier):
        return out
    area = min(projected_area(q, end) for q in earlier)
    start = broad_camera(earlier)
    if area >= 0.5 * min(projected_area(q, start) for q in earlier):
        return out  # the end's camera sees every earlier frame broadly enough
    last = np.flatnonzero(stage_of == stage_of[-1])
    u = np.zeros(len(pts))
    u[last] = np.linspace(0.0, 1.0, len(last))
    u[last[-1] :] = 1.0
    out["cameras"] = camera_path(start, end, u)
    out["camera_start"] = start
    return out


def _readout_separator(net, b, M, proj):
    """A function bounds -> separator geometry, when stage b's output is the read-out's input."""
    if b != len(net.stages) - 2 or net.n_classes != 2 or proj is not None:
        return None
    ro = net.stages[-1]
    w = pad(ro.weight[0, 0].detach().double().numpy()[None], M)[0]
    c = float(ro.bias[0, 0].detach())
    return lambda bounds: separator_geometry(w, c, bounds)
