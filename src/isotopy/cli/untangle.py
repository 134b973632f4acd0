"""``isotopy untangle``: prove a link split with a 3-unit network, or say why it is not."""

from __future__ import annotations

import sys

from . import add_command

_DESCRIPTION = """\
Decide a link: first the obstructions to splitting (linking numbers, and a hyperbolic
complement where spherogram/SnapPy is installed); if none applies, train 3-unit tanh
networks on the curves and verify them until one proves the link split. Prints exactly one
line: 'split: certified (...)', 'not split: <obstruction>' or 'unknown after N networks',
with exit status 0 for each. With --out, a certified link gets a certificate folder (the
network, the curves, the verification log, an animation, a manifest of SHA-256 sums).
--verify DIR rechecks such a folder from its files alone: 'split: certified (...)' and exit
0, or 'certificate rejected: <reason>' and exit 1. Bad input: one sentence, exit 2."""


def register(sub) -> None:
    p = add_command(
        sub,
        "untangle",
        help="prove a link split with a 3-unit network (a checkable certificate)",
        description=_DESCRIPTION,
        example="isotopy untangle --family threaded --seed 3 --out cert/   |   "
        "isotopy untangle --verify cert/",
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--family", metavar="NAME", help="a link family (isotopy.untangle.families)")
    what.add_argument("--link", metavar="FILE", help="a link file (JSON, see docs/untangle.md)")
    what.add_argument("--verify", metavar="DIR", help="recheck a certificate folder")
    p.add_argument("--seed", type=int, default=0, help="with --family: the instance")
    p.add_argument("--complexity", type=int, default=1, help="with --family: its complexity")
    p.add_argument("--out", metavar="DIR", help="write the certificate here when certified")
    p.add_argument("--networks", type=int, default=96, help="networks trained at most")
    p.add_argument("--steps", type=int, default=1500, help="training steps per network")
    p.add_argument(
        "--depths", default="3,4,5", help="hidden tanh layers of the batches, taken in turn"
    )
    p.add_argument("--search-seed", type=int, default=0, help="seed of the search")
    p.add_argument(
        "--edge-penalty",
        type=float,
        default=1.0,
        metavar="LAMBDA",
        help="λ of the edge penalty while searching: keeps the curves off the edges of the "
        "tanh cube, so the certificate's animation can be read (0: plain, faster)",
    )
    p.add_argument("--no-animation", action="store_true", help="leave the GIF out")
    p.set_defaults(func=run)


def _certified(depth: int, tried: int | None, seconds: float, extra: str = "") -> str:
    tried_text = f"{tried} network{'s' if tried != 1 else ''} tried, " if tried else ""
    return f"split: certified (depth {depth}, {tried_text}verified in {seconds:.3f} s{extra})"


def _verify(args) -> int:
    from ..untangle.certificate import check_certificate

    check = check_certificate(args.verify)
    if not check.accepted:
        print(f"certificate rejected: {check.reason}")
        return 1
    tried = check.log.get("search", {}).get("tried") if isinstance(check.log, dict) else None
    r = check.result
    print(_certified(r.depth, tried if isinstance(tried, int) else None, r.seconds))
    return 0


def _input_link(args):
    from ..errors import InputError, check_positive_int

    if args.family is not None:
        from ..untangle.families import make_link

        if args.seed < 0:
            raise InputError(f"--seed must be an integer >= 0, got {args.seed}")
        return make_link(
            args.family, args.seed, check_positive_int(args.complexity, "--complexity")
        )
    from ..untangle.link import load_link

    return load_link(args.link)


def run(args) -> int:
    from ..errors import InputError, check_positive_int, parse_int_list

    if args.verify is not None:
        if args.out is not None:
            raise InputError("--out writes a new certificate; --verify only reads one")
        return _verify(args)
    from ..files import atomic_dir
    from ..untangle.certificate import is_certificate, write_certificate
    from ..untangle.obstruct import obstruction
    from ..untangle.search import SearchConfig, search

    check_positive_int(args.networks, "--networks")
    check_positive_int(args.steps, "--steps")
    if args.search_seed < 0:
        raise InputError(f"--search-seed must be an integer >= 0, got {args.search_seed}")
    if args.out is not None:  # refused now, not after the search
        atomic_dir(args.out, replace_if=is_certificate, what="certificate folder").check()
    link = _input_link(args)
    reason = obstruction(link)
    if reason is not None:
        print(f"not split: {reason}")
        return 0
    depths = parse_int_list(args.depths, "--depths")
    if not depths:
        raise InputError("--depths must name at least one depth, such as '3,4,5'")
    config = SearchConfig(
        networks=args.networks,
        steps=args.steps,
        depths=depths,
        seed=args.search_seed,
        edge_penalty=args.edge_penalty,
    )
    found = search(link, config, progress=lambda m: print(m, file=sys.stderr))
    if not found.certified:
        print(f"unknown after {found.tried} networks")
        return 0
    r = found.verification
    extra = ""
    if args.out is not None:
        log = {"search": _search_log(found)}
        write_certificate(args.out, link, found.network, r, log, animation=not args.no_animation)
        extra = f"; certificate in {args.out}"
    print(_certified(r.depth, found.tried, r.seconds, extra))
    return 0


def _search_log(found) -> dict:
    return {
        "tried": found.tried,
        "verified": found.verified,
        "seconds": round(found.seconds, 3),
        "batches": found.batches,
        "config": found.config,
    }
