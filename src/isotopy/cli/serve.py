"""``isotopy serve``: the local web explorer."""

from __future__ import annotations

from . import add_command


def register(sub) -> None:
    p = add_command(
        sub,
        "serve",
        help="start the web explorer on this machine",
        example="isotopy serve --port 8000 --open   |   isotopy serve --run report/runs/X",
    )
    p.add_argument("--port", type=int, default=8000, help="TCP port (0: any free port)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on; anything but a loopback address exposes the "
        "page to the network and then requires the secret token printed in "
        "its URL",
    )
    p.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a further name the page may be addressed by (a DNS name or proxy in "
        "front of this machine); repeatable",
    )
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    p.add_argument(
        "--export-dir",
        default=None,
        metavar="DIR",
        help="also keep a copy of every export (GIF, MP4, weights, data) here",
    )
    p.add_argument(
        "--run",
        default=None,
        metavar="RUN_DIR",
        help="open every tab on a saved run (a run folder of isotopy train, or one a report "
        "figure ships under report/runs/): its data and its network at --at",
    )
    p.add_argument(
        "--at",
        default="readable",
        metavar="STATE",
        help="with --run: readable (default), final or a step number",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import InputError

    if not 0 <= args.port <= 65535:
        raise InputError(f"--port must be between 0 and 65535, got {args.port}")
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise InputError(
            "the web explorer needs fastapi and uvicorn: pip install 'isotopy[web]'"
        ) from None
    import sys

    from ..web import serve

    new_session = None
    if args.run is not None:  # checked before the server starts: one sentence, exit 2
        import functools

        from ..train import load_run
        from ..train.readable import parse_at
        from ..web.session import Session

        opened = load_run(args.run)
        at = parse_at(args.at)
        Session.from_run(opened, at)  # refuses a network the page cannot show
        new_session = functools.partial(Session.from_run, opened, at)

    def ready(url):
        print(f"isotopy explorer at {url}  (Ctrl+C stops it)", flush=True)

    def warn(text):
        print(f"isotopy: warning: {text}", file=sys.stderr, flush=True)

    serve(
        args.host,
        args.port,
        open_browser=args.open,
        export_dir=args.export_dir,
        ready=ready,
        warn=warn,
        allow_hosts=args.allow_host,
        new_session=new_session,
    )
    return 0
