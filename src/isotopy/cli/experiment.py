"""``isotopy experiment NAME [options]`` and ``isotopy experiment --list``.

Each experiment of ``isotopy.experiments.EXPERIMENTS`` gets a sub-command of its own with
its own options (added by its ``add_arguments``) and an example in its --help. The result
dict's ``"summary"`` is printed; ``--json FILE`` also writes the whole result.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import sys
from pathlib import Path

from . import add_command

_OWN = {"command", "func", "experiment", "list", "json"}


def register(sub) -> None:
    from ..experiments import EXPERIMENTS

    p = add_command(sub, "experiment", help="run one of the essay's experiments and print "
                    "its numbers", example="isotopy experiment --list\n  "
                    + next(iter(EXPERIMENTS.values())).example)
    p.add_argument("--list", action="store_true", help="list the experiments and exit")
    names = p.add_subparsers(dest="experiment", metavar="NAME", parser_class=type(p))
    for spec in EXPERIMENTS.values():
        q = add_command(names, spec.name, help=spec.summary,
                        example=spec.example or f"isotopy experiment {spec.name}")
        spec.add_arguments(q)
        q.add_argument("--json", default=None, metavar="FILE",
                       help="also write the full result as JSON to FILE")
    p.set_defaults(func=run, experiment=None)


def run(args) -> int:
    from ..errors import InputError
    from ..experiments import EXPERIMENTS

    if args.list or args.experiment is None:
        width = max(len(n) for n in EXPERIMENTS)
        for spec in EXPERIMENTS.values():
            print(f"{spec.name:{width}s}  {spec.summary}")
        if not args.list:
            print("\nrun one with: isotopy experiment NAME [options]  (NAME --help for its "
                  "options)", file=sys.stderr)
        return 0
    spec = EXPERIMENTS[args.experiment]
    options = {k: v for k, v in vars(args).items() if k not in _OWN}
    target = None
    if args.json is not None:
        target = Path(args.json)
        if target.is_dir():
            raise InputError(f"--json {str(target)!r} is a folder, not a file")
        if not target.parent.exists():
            raise InputError(f"--json: folder {str(target.parent)!r} does not exist")
    if "progress" in inspect.signature(spec.run).parameters:
        with contextlib.ExitStack() as stack:
            result = spec.run(**options, progress=_lazy_bar(stack, f"experiment {spec.name}"))
    else:
        result = spec.run(**options)
    print(result.get("summary") or json.dumps(result, indent=2, default=_plain))
    if target is not None:
        tmp = target.with_name("." + target.name + ".tmp")
        tmp.write_text(json.dumps(result, indent=2, default=_plain) + "\n")
        os.replace(tmp, target)
        print(f"wrote {target}")
    return 0


def _lazy_bar(stack, desc):
    """A progress(done, total) callback whose bar appears at the first call, so input errors
    found before any work print no bar."""
    from ._progress import progress_bar

    state = {}

    def update(done, total):
        if "bar" not in state:
            state["bar"] = stack.enter_context(progress_bar(total, desc))
        state["bar"](done, total)

    return update


def _plain(v):
    import numpy as np

    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    return str(v)
