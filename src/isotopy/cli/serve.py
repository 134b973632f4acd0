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
    p.add_argument(
        "--device",
        default="cpu",
        metavar="DEVICE",
        help="where each tab's network trains: cpu (default), cuda, cuda:N, mps or auto; "
        "the views and exports read a copy on the CPU",
    )
    p.set_defaults(func=run)


def _session_factory(args):
    """What makes each tab's session: on ``--device``, opened on ``--run`` if given. Both are
    checked before the server starts (a device this machine lacks, a run the page cannot
    show: one sentence, exit 2), by making one session the way every tab will."""
    import functools

    from ..errors import InputError
    from ..web.session import Session
    from ..web.training import explorer_device

    device = explorer_device(args.device)
    if args.run is None:
        make = functools.partial(Session, device=device)
    else:
        from ..train import load_run
        from ..train.readable import parse_at

        opened, at = load_run(args.run), parse_at(args.at)
        make = functools.partial(Session.from_run, opened, at, device=device)
    if args.run is not None or device.type != "cpu":
        try:  # refuses a network the page cannot show; puts one tab's network on the device
            make()
        except RuntimeError as e:  # the device exists but cannot hold or run the network
            if device.type == "cpu":
                raise  # a bug, with its traceback
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise InputError(f"the explorer cannot train on {str(device)!r}: {first}") from None
    return make


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

    new_session = _session_factory(args)

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
