"""``isotopy experiment NAME [options]``: run one of the essay's experiments and print numbers.

``isotopy experiment --list`` lists them; each experiment has its own options and example
(``isotopy experiment NAME --help``). The options are made from the experiment's settings
dataclass (:func:`isotopy.experiments.registry.add_config_arguments`); options that are not
given are not passed, so the experiment keeps its defaults.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..files import atomic_write
from . import _Formatter, _Parser, add_command


def register(sub) -> None:
    from ..experiments import EXPERIMENTS

    p = add_command(
        sub,
        "experiment",
        help="run one of the essay's experiments",
        example="isotopy experiment --list\n  isotopy experiment width_sweep --dims 2 --seeds 10",
    )
    p.add_argument("--list", action="store_true", help="list the experiments, one line each")
    p.set_defaults(func=run, experiment=None)
    exp_sub = p.add_subparsers(dest="experiment", metavar="NAME", parser_class=_Parser)
    for name, spec in EXPERIMENTS.items():
        e = exp_sub.add_parser(
            name,
            help=spec.summary.replace("%", "%%"),
            description=spec.summary,
            formatter_class=_Formatter,
            epilog=f"example:\n  isotopy experiment {name}{spec.example}",
        )
        spec.add_arguments(e)
        e.add_argument(
            "--json",
            metavar="FILE",
            default=None,
            help="also write the numbers as JSON to FILE ('-' prints them)",
        )
        e.set_defaults(
            func=run,
            experiment=name,
            _options=[a.dest for a in e._actions if a.dest not in ("help", "json")],
        )


def _write_json(path: str, obj) -> None:
    text = json.dumps(obj, indent=2, default=float) + "\n"
    if path == "-":
        print(text, end="")
        return
    atomic_write(path, lambda tmp: tmp.write_text(text))


def run(args) -> int:
    from ..errors import InputError
    from ..experiments import EXPERIMENTS
    from ..experiments.registry import options_from_text
    from ._progress import progress_bar

    if args.list or args.experiment is None:
        if not args.list:
            raise InputError(
                "name an experiment or give --list; experiments are: " + ", ".join(EXPERIMENTS)
            )
        width = max(len(k) for k in EXPERIMENTS)
        for name, spec in EXPERIMENTS.items():
            print(f"{name:<{width}}  {spec.summary}")
        return 0
    spec = EXPERIMENTS[args.experiment]
    if args.json not in (None, "-"):
        parent = Path(args.json).resolve().parent
        if not parent.is_dir():
            raise InputError(f"cannot write {args.json!r}: folder {str(parent)!r} does not exist")
        if Path(args.json).is_dir():
            raise InputError(f"cannot write {args.json!r}: it is a folder")
    options = {k: getattr(args, k) for k in args._options if hasattr(args, k)}
    options = options_from_text(spec.config, options)
    with progress_bar(1, args.experiment, unit="task") as bar:
        result = spec.run(**options, progress=bar)
    if args.json != "-":
        lines = result.get("summary")
        print("\n".join(lines) if lines else json.dumps(result, indent=2, default=float))
    if args.json is not None:
        _write_json(args.json, result)
        if args.json != "-":
            print(f"wrote {args.json}")
    return 0
