"""``isotopy reproduce``: build the HTML report that reproduces the essay with numbers."""

from __future__ import annotations

import sys

from . import add_command


def register(sub) -> None:
    from ..report import SECTIONS

    p = add_command(sub, "reproduce", help="build the report that reproduces the essay",
                    example="isotopy reproduce --out report")
    p.add_argument("--out", required=True, metavar="DIR", help="report folder to write")
    p.add_argument("--quick", action="store_true", help="small settings (for tests)")
    p.add_argument("--seed", type=int, default=0, help="base seed of every section")
    p.add_argument("--only", default=None, metavar="S1,S2",
                   help=f"only these sections: {', '.join(SECTIONS)}")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..report import _is_report, build_report
    from ..train import atomic_dir

    atomic_dir(args.out, replace_if=_is_report, what="report folder").check()
    only = [s.strip() for s in args.only.split(",") if s.strip()] if args.only else None

    def progress(message):
        print(f"  {message}", file=sys.stderr, flush=True)

    result = build_report(args.out, quick=args.quick, seed=args.seed, only=only,
                          progress=progress)
    claims = result["claims"]
    agree = sum(1 for c in claims if c["agrees"] is True)
    print(f"wrote {args.out}/index.html in {result['seconds']} s; "
          f"{agree} of {len(claims)} claims agree with the essay")
    return 0
