"""``isotopy animate``: a run's layers applied gradually, or its training, as GIF/MP4/HTML/PNGs."""

from __future__ import annotations

from . import add_command

WHAT = ("layers", "training")


def register(sub) -> None:
    from ..animate import FORMATS

    p = add_command(
        sub,
        "animate",
        help="animate a run: every layer as a continuous deformation, or training",
        example="isotopy animate runs/da3 --what layers --format gif --out da3.gif",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run folder written by 'isotopy train'")
    p.add_argument(
        "--what",
        default="layers",
        metavar="|".join(WHAT),
        help="layers: the stages applied one after another along their paths; "
        "training: one representation at every recorded step",
    )
    p.add_argument(
        "--stage",
        type=int,
        default=None,
        metavar="K",
        help="layers: animate only stage K (1 = the first stage); training: show "
        "representation K (0 = input; default the last hidden one)",
    )
    p.add_argument("--frames", type=int, default=60, metavar="N", help="number of frames")
    p.add_argument("--fps", type=float, default=20.0, metavar="F", help="frames per second")
    p.add_argument(
        "--format",
        default=None,
        metavar="|".join(FORMATS),
        help="output format (default: from the extension of --out)",
    )
    p.add_argument("--size", type=int, default=480, metavar="PX", help="image width in pixels")
    p.add_argument(
        "--limits",
        default="smooth",
        metavar="smooth|fixed",
        help="view box: following the data smoothly, or fixed for all frames",
    )
    p.add_argument(
        "--at",
        default="readable",
        metavar="final|readable|STEP",
        help="layers: the training state animated: readable (default: the earliest "
        "recorded step that classifies as well as the run ever does, with a "
        "margin, before tanh layers saturate), final or a step number; "
        "training: the last step shown (default: the whole run)",
    )
    p.add_argument(
        "--hold",
        type=float,
        default=1.0,
        metavar="S",
        help="seconds the last frame stays on screen (GIF, MP4, HTML)",
    )
    p.add_argument(
        "--out", required=True, metavar="PATH", help="file to write (a folder for --format png)"
    )
    p.set_defaults(func=run)


def run(args) -> int:
    import math
    from pathlib import Path

    from ..animate import FORMATS, Animation, morph_frames, training_frames
    from ..animate.export import check_output
    from ..errors import InputError, check_positive_int, lookup
    from ..train import load_run
    from ._progress import progress_bar

    what = lookup({w: w for w in WHAT}, args.what, "--what")
    fmt = args.format
    if fmt is None:
        suffix = Path(args.out).suffix.lstrip(".").lower()
        if not suffix:
            raise InputError(
                "give --format (gif, mp4, html or png) or an --out name with "
                "one of those extensions"
            )
        fmt = suffix
    lookup(FORMATS, fmt, "animation format")
    frames = check_positive_int(args.frames, "--frames")
    if frames > 2000:
        raise InputError(f"--frames must be at most 2000, got {frames}")
    if not (math.isfinite(args.fps) and 0 < args.fps <= 120):
        raise InputError(f"--fps must be a number in (0, 120], got {args.fps}")
    size = check_positive_int(args.size, "--size", minimum=160)
    if size > 2048:
        raise InputError(f"--size must be at most 2048 pixels, got {size}")
    lookup({m: m for m in ("smooth", "fixed")}, args.limits, "--limits mode")
    from ..train.readable import parse_at, state_at

    at = parse_at(args.at)
    if not (math.isfinite(args.hold) and 0 <= args.hold <= 60):
        raise InputError(f"--hold must be a number of seconds in [0, 60], got {args.hold}")
    check_output(args.out, fmt)
    run_ = load_run(args.run_dir)
    X, y = run_.X, run_.y
    if what == "layers":
        state = state_at(run_.net, run_.history, run_.X_train, run_.y_train, at, X_edge=X)
        fr = morph_frames(state.net, X, y, frames=frames, stage=args.stage, limits=args.limits)
        fr.titles = [f"{t} ({state.label()})" for t in fr.titles]
        print(f"animated at the {state.describe()}")
    else:
        hist = run_.history
        if at != "readable":
            last = hist.steps_done if at == "final" else at
            if last > hist.steps_done:
                raise InputError(f"step {last} is beyond this run's last step {hist.steps_done}")
            keep = [i for i, s in enumerate(hist.record_steps) if s <= last]
            from dataclasses import replace

            hist = replace(
                hist,
                record_steps=[hist.record_steps[i] for i in keep],
                snapshots=[hist.snapshots[i] for i in keep],
            )
        fr = training_frames(
            run_.net, hist, X, y, stage=args.stage, frames=frames, limits=args.limits
        )
    anim = Animation(fr, fps=args.fps, size=size, hold=args.hold)
    with progress_bar(len(fr), "rendering", unit="frame") as bar:
        path = anim.save(args.out, fmt, progress=bar)
    flagged = int(fr.flagged.sum())
    swaps = fr.meta.get("swaps") or {}
    print(f"{fr!r}")
    for k, (i, j) in swaps.items():
        print(
            f"note: units {i + 1} and {j + 1} of stage {k + 1} were swapped (and the next "
            "layer's inputs) so that its det W > 0; the network's function is unchanged"
        )
    if flagged:
        print(
            f"note: {flagged} frames come from paths that are not homeomorphisms "
            "(flagged in red in the view)"
        )
    print(f"wrote {path} ({len(fr)} frames, {fmt})")
    return 0
