"""``isotopy reproduce``: build the HTML report that reproduces the essay with numbers."""

from __future__ import annotations

import sys

from . import add_command


def register(sub) -> None:
    from ..report import SECTIONS

    p = add_command(
        sub,
        "reproduce",
        help="build the report that reproduces the essay",
        example="isotopy reproduce --out report",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="report folder to write")
    p.add_argument("--quick", action="store_true", help="small settings (for tests)")
    p.add_argument("--seed", type=int, default=0, help="base seed of every section")
    p.add_argument(
        "--mnist-dir",
        default=None,
        metavar="DIR",
        help="a folder of the four MNIST IDX files: the k-NN section then runs on "
        "8,000/2,000 MNIST images instead of scikit-learn's digits (also read "
        "from $ISOTOPY_MNIST_DIR)",
    )
    p.add_argument(
        "--only", default=None, metavar="S1,S2", help=f"only these sections: {', '.join(SECTIONS)}"
    )
    p.set_defaults(func=run)


def run(args) -> int:
    import os
    from pathlib import Path

    from ..errors import InputError
    from ..report import build_report, is_report
    from ..train import atomic_dir

    atomic_dir(args.out, replace_if=is_report, what="report folder").check()
    if args.mnist_dir is not None:
        if not Path(args.mnist_dir).is_dir():
            raise InputError(f"--mnist-dir {args.mnist_dir!r} is not a folder")
        os.environ["ISOTOPY_MNIST_DIR"] = str(Path(args.mnist_dir).resolve())
    only = [s.strip() for s in args.only.split(",") if s.strip()] if args.only else None

    def progress(message):
        print(f"  {message}", file=sys.stderr, flush=True)

    result = build_report(args.out, quick=args.quick, seed=args.seed, only=only, progress=progress)
    claims = result["claims"]
    agree = sum(1 for c in claims if c["agrees"] is True)
    differ = sum(1 for c in claims if c["agrees"] is False)
    print(
        f"wrote {args.out}/index.html in {result['seconds']} s; of {len(claims)} claims, "
        f"{agree} agree with the essay, {differ} differ, {len(claims) - agree - differ} "
        "not resolved"
    )
    return 0
