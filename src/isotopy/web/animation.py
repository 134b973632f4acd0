"""The explorer's animations: the continuous isotopy of the whole network, training replayed.

Both come from the library's animation module (:mod:`isotopy.animate`): ``morph_frames``
applies every stage along its own path from the identity (affine maps through GL+(n),
activations as (1 - t)x + t·σ(x)), and ``training_frames`` replays the recorded snapshots.
Both show the session's shown network (:meth:`Session.view_net`): when the page shows the
readable state, the isotopy is that state's network and the replay ends at its step. This
module only turns those frames into plain arrays for the page and into GIF / MP4 bytes for
download; files are written inside a private temporary folder under names made
here, read back, and removed.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

from ..errors import InputError
from ..train import History
from .views import GRID_SAMPLES, encode, grid_plan

__all__ = [
    "animation_frames",
    "morph_frames",
    "replay_frames",
    "frames_json",
    "animation_bytes",
    "check_export_size",
    "MAX_ANIMATION_VALUES",
    "MAX_EXPORT_BYTES",
]

# An animation sent to the page holds frames x (points + grid vertices) x 3 numbers: at most
# this many, whatever the data's dimension.
MAX_ANIMATION_VALUES = 6_000_000  # 24 MB of float32 (32 MB as base64)
# A GIF / MP4 is rendered into memory frame by frame before encoding: cap those frames.
MAX_EXPORT_BYTES = 180 * 2**20


def _grid_for(session, n_frames: int) -> tuple[int, int]:
    """Grid lines and samples for an animation of ``n_frames`` frames of this session's
    data, within :data:`MAX_ANIMATION_VALUES`."""
    per_frame = MAX_ANIMATION_VALUES // (3 * max(n_frames, 1)) - len(session.X)
    return grid_plan(session.d_in, GRID_SAMPLES, max_vertices=max(per_frame, 400))


def check_export_size(frames: int, size: int) -> None:
    """Refuse, before any work, a GIF / MP4 whose rendered frames would not fit the cap."""
    side = max(16, size // 16 * 16)
    need = frames * side * side * 3
    if need > MAX_EXPORT_BYTES:
        most = max(2, MAX_EXPORT_BYTES // (side * side * 3))
        raise InputError(
            f"a video of {frames} frames at {size} pixels would need "
            f"{need / 2**20:.0f} MB to render, more than the "
            f"{MAX_EXPORT_BYTES // 2**20} MB the explorer allows; choose at most "
            f"{most} frames at this size, or a smaller size"
        )


def _animate():
    try:
        from .. import animate
    except ImportError:  # pragma: no cover - only before the animation module is present
        raise InputError(
            "animations need the isotopy.animate module, which this install lacks"
        ) from None
    return animate


def morph_frames(session, n_frames: int):
    """Frames of the whole network applied continuously to the data and the input grid."""
    lines, samples = _grid_for(session, n_frames)
    return _animate().morph_frames(
        session.view_net(),
        session.X,
        session.y,
        frames=n_frames,
        domain=session.domain,
        lines=lines,
        samples=samples,
    )


def replay_frames(session, n_frames: int, stage: int | None = None):
    """Frames of representation ``stage`` over training (default: the read-out's input), up
    to the shown state's step."""
    snaps, steps = list(session.snapshots), list(session.snap_steps)
    if session.show == "readable":
        session.view_net()  # the readable state, computed when it is missing
        keep = sum(1 for s in steps if s <= session.state.step)
        snaps, steps = snaps[:keep], steps[:keep]
    if len(snaps) < 2:
        raise InputError("nothing to replay yet: train for a few steps first")
    loss = np.asarray(
        session.loss_curve if len(session.loss_curve) else [np.nan], dtype=np.float64
    )[None]
    acc = np.asarray(session.acc_curve if len(session.acc_curve) else [np.nan], dtype=np.float64)[
        None
    ]
    hist = History(loss=loss, train_accuracy=acc, record_steps=steps, snapshots=snaps)
    k = session.views.readout_in() if stage is None else int(stage)
    if not 0 <= k <= session.views.readout_in():
        raise InputError(f"replay stage {k} is out of range 0..{session.views.readout_in()}")
    lines, samples = _grid_for(session, n_frames)
    fr = _animate().training_frames(
        session.training.cpu_net(),  # the architecture; the snapshots hold the values
        hist,
        session.X,
        session.y,
        stage=k,
        frames=n_frames,
        domain=session.domain,
        lines=lines,
        samples=samples,
    )
    return fr


def animation_frames(session, kind: str, n_frames: int, stage: int | None = None):
    if kind == "isotopy":
        return morph_frames(session, n_frames)
    if kind == "replay":
        return replay_frames(session, n_frames, stage)
    raise InputError(f"unknown animation {kind!r}; choose one of: isotopy, replay")


def frames_json(fr) -> dict:
    """Frames as plain arrays for the page (float32 base64, lists of strings)."""
    seps = []
    for s in fr.separators:
        seps.append(None if s is None else np.asarray(s, dtype=np.float64).tolist())
    return {
        "n_frames": len(fr),
        "dim": fr.dim,
        "points": encode(fr.points),
        "labels": encode(fr.labels, np.uint8),
        "grid": encode(fr.grid),
        "bounds": encode(fr.bounds),
        "titles": list(fr.titles),
        "notes": list(fr.notes),
        "flagged": [bool(f) for f in fr.flagged],
        "separators": seps,
    }


def animation_bytes(
    session,
    kind: str,
    fmt: str,
    *,
    frames: int = 60,
    fps: int = 20,
    size: int = 480,
    stage: int | None = None,
    progress=None,
) -> bytes:
    """GIF or MP4 of the current animation, rendered by the library, as bytes.

    ``progress(i, n)`` is called after each rendered frame (a long job's cancellation check
    raises from it)."""
    if fmt not in ("gif", "mp4"):
        raise InputError(f"unknown animation format {fmt!r}; choose one of: gif, mp4")
    check_export_size(frames, size)
    fr = animation_frames(session, kind, frames, stage)
    anim = _animate().Animation(fr, fps=fps, size=size)
    with tempfile.TemporaryDirectory(prefix="isotopy-web-") as tmp:
        path = os.path.join(tmp, f"animation.{fmt}")  # a name made here, never by the page
        anim.save(path, progress=progress)
        with open(path, "rb") as f:
            return f.read()
