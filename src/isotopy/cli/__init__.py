"""The ``isotopy`` command line: thin over the library, one module per command.

Each command module in ``COMMANDS`` has ``register(subparsers)``, which adds its parser and
sets ``func`` to a function ``run(args) -> int``. Bad input of any kind ends with one
sentence on stderr and exit status 2; a bug keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import InputError

__all__ = ["main", "COMMANDS", "build_parser"]

# Module names under isotopy.cli; a new command is a new module and one entry here.
COMMANDS = [
    "datasets",
    "train",
    "plot",
    "reproduce",
    "animate",
    "topology",
    "experiment",
    "sweep",
    "serve",
    "inspect",
    "untangle",
]


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one sentence and exit status 2."""

    def error(self, message: str):  # noqa: D401
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


class _Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    pass


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = _Parser(
        prog="isotopy",
        formatter_class=_Formatter,
        description="See and measure what low-dimensional neural networks do to space.",
        epilog="example:\n  isotopy train --dataset disc_annulus --hidden 3 "
        "--out runs/da3\n  isotopy plot runs/da3 --out figs/",
    )
    parser.add_argument("--version", action="version", version=f"isotopy {__version__}")
    sub = parser.add_subparsers(
        dest="command", required=True, parser_class=_Parser, metavar="COMMAND"
    )
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def add_command(sub, name: str, *, help: str, example: str, description: str | None = None):
    """Add a sub-command whose --help ends with an example."""
    return sub.add_parser(
        name,
        help=help,
        description=description or help,
        epilog=f"example:\n  {example}",
        formatter_class=_Formatter,
    )


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except InputError as e:
        print(f"isotopy: error: {e}", file=sys.stderr)
    except FileNotFoundError as e:
        print(f"isotopy: error: no such file or folder: {e.filename}", file=sys.stderr)
    except (PermissionError, IsADirectoryError, NotADirectoryError) as e:
        print(f"isotopy: error: cannot use {e.filename!r}: {e.strerror}", file=sys.stderr)
    except KeyboardInterrupt:
        print("isotopy: interrupted", file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
