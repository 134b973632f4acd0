"""``isotopy serve``: the local web explorer."""

from __future__ import annotations

from . import add_command


def register(sub) -> None:
    p = add_command(
        sub,
        "serve",
        help="start the web explorer on this machine",
        example="isotopy serve --port 8000 --open",
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
    )
    return 0
