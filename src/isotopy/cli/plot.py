"""``isotopy plot``: PNGs (and rotatable HTML for 3-D) of every layer of a saved run."""

from __future__ import annotations

from . import add_command


def register(sub) -> None:
    p = add_command(
        sub,
        "plot",
        help="draw every layer of a saved run",
        example="isotopy plot runs/da3 --out figs/da3 --size 600",
    )
    p.add_argument("run", metavar="RUN_DIR", help="a run folder written by 'isotopy train'")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the figures")
    p.add_argument(
        "--size", type=int, default=500, metavar="PX", help="pixel size of each square panel"
    )
    p.add_argument("--no-html", action="store_true", help="skip the plotly HTML of 3-D layers")
    p.add_argument(
        "--at",
        default="readable",
        metavar="final|readable|STEP",
        help="the training state drawn: readable (default: the earliest recorded "
        "step that classifies as well as the run ever does, with a margin, "
        "before tanh layers saturate), final (the last step) or a step number",
    )
    p.set_defaults(func=run)


def _is_plot_dir(path) -> bool:
    return (path / "strip.png").exists()


def run(args) -> int:
    from ..errors import check_positive_int
    from ..train import atomic_dir, load_run
    from ..train.readable import parse_at
    from .plotting import write_run_figures

    at = parse_at(args.at)
    check_positive_int(args.size, "--size", minimum=50)
    if args.size > 4000:
        from ..errors import InputError

        raise InputError(f"--size must be at most 4000 pixels, got {args.size}")
    target = atomic_dir(args.out, replace_if=_is_plot_dir, what="figure folder")
    target.check()
    run_ = load_run(args.run)
    with target as tmp:
        written, state = write_run_figures(run_, tmp, size=args.size, html=not args.no_html, at=at)
    print(f"drawn at the {state.describe()}")
    print(f"wrote {len(written)} files to {args.out}: {', '.join(written)}")
    return 0
