"""The registry of experiments: one module per experiment, one entry per module.

An experiment module defines ``NAME``, ``SUMMARY`` (one line), ``CONFIG`` (its settings: a
frozen dataclass of :func:`~isotopy.experiments._common.setting` fields with a ``quick()``
classmethod), ``EXAMPLE`` (options shown after ``isotopy experiment NAME`` in ``--help``)
and ``run(config=None, *, progress=None, **changes) -> dict`` (numbers, JSON-able, plus a
``"summary"`` list of readable lines). The CLI flags are made from ``CONFIG``'s fields by
:func:`add_config_arguments`: nothing is written twice. Heavy imports stay inside ``run`` so
that listing experiments is instant.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields

from ..errors import InputError, lookup
from ._common import field_types

__all__ = [
    "ExperimentSpec",
    "EXPERIMENTS",
    "run_experiment",
    "add_config_arguments",
    "options_from_text",
]


@dataclass(frozen=True)
class ExperimentSpec:
    name: str
    summary: str  # one line, shown by ``isotopy experiment --list``
    run: Callable[..., dict]
    add_arguments: Callable  # add_arguments(parser): the experiment's CLI options
    config: type  # the settings dataclass
    example: str = ""  # options shown after "isotopy experiment NAME" in --help

    def __repr__(self) -> str:
        return f"ExperimentSpec({self.name!r}, {self.summary!r})"


# ----------------------------------------------------------------- flags from a config
def _shown(value) -> str:
    if isinstance(value, tuple):
        return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _from_text(text: str, tp, elem, optional: bool, flag: str):
    """One flag's text as a value of its field's type; bad text is an InputError."""
    if tp is tuple:
        what, example = {int: ("integers", "'3,4'"), float: ("numbers", "'0,0.1'")}.get(
            elem, ("names", "'a,b'")
        )
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if not parts and optional:
            return None
        try:
            values = tuple(elem(p) for p in parts)
        except ValueError:
            values = ()
        if not values:
            raise InputError(
                f"{flag} must be comma-separated {what} such as {example}, got {text!r}"
            )
        return values
    if tp in (int, float):
        try:
            return tp(text)
        except ValueError:
            what = "an integer" if tp is int else "a number"
            raise InputError(f"{flag} must be {what}, got {text!r}") from None
    return text


def options_from_text(config: type, options: dict) -> dict:
    """The parsed flags of ``config`` (text, or bools for switches) as typed values."""
    types_ = field_types(config)
    return {
        k: v if isinstance(v, bool) else _from_text(v, *types_[k], "--" + k.replace("_", "-"))
        for k, v in options.items()
    }


def add_config_arguments(parser, config: type) -> None:
    """Add one flag per field of ``config``: ``--n-points`` for ``n_points``.

    A bool field is a switch; the others keep their text, which :func:`options_from_text`
    turns into the field's type (int, float, str; a tuple from a comma-separated list) with
    one-sentence errors. Help is the field's ``help`` with its default. Flags that are not
    given are absent from the parsed namespace (``argparse.SUPPRESS``), so the run keeps the
    config's defaults and can tell what was given.
    """
    types_ = field_types(config)
    for f in fields(config):
        tp, elem, optional = types_[f.name]
        flag = "--" + f.name.replace("_", "-")
        default = f.default if f.default is not MISSING else f.default_factory()
        shown = f.metadata.get("shown", _shown(default))
        kw = {"dest": f.name, "default": argparse.SUPPRESS}
        help_ = f.metadata.get("help", "")
        if tp is bool:  # a switch; --x/--no-x when the default is on or None ("not given")
            on_off = default or optional
            kw["action"] = argparse.BooleanOptionalAction if on_off else "store_true"
            if on_off:
                help_ += f" (default: {f.metadata.get('shown', 'on' if default else 'not given')})"
        else:
            kw["metavar"] = "A,B" if tp is tuple else f.name.upper()
            help_ += f" (default: {shown})"
        if "choices" in f.metadata:
            kw["choices"] = list(f.metadata["choices"])
            kw["metavar"] = "|".join(kw["choices"])
        names = [*f.metadata.get("aliases", ()), flag]  # e.g. ("-k",) beside --k
        parser.add_argument(*names, help=help_.replace("%", "%%"), **kw)


# ------------------------------------------------------------------------------ registry
# Module names under isotopy.experiments, in listing order; a new experiment is a new module
# and one line here.
_MODULES = [
    "first_examples",
    "animations",
    "links_drawn",
    "width_sweep",
    "linked_tori",
    "unlink",
    "betti_layers",
    "naitzat",
    "contractive",
    "open_question",
    "tangled_unlinks",
    "untangle",
    "vector_fields",
    "knn",
]


def _spec(m) -> ExperimentSpec:
    config = m.CONFIG

    def add_arguments(parser) -> None:
        add_config_arguments(parser, config)

    add_arguments.example = m.EXAMPLE
    return ExperimentSpec(m.NAME, m.SUMMARY, m.run, add_arguments, config, m.EXAMPLE)


def _load() -> dict[str, ExperimentSpec]:
    out = {}
    for mod_name in _MODULES:
        m = importlib.import_module(f"{__package__}.{mod_name}")
        out[m.NAME] = _spec(m)
    return out


EXPERIMENTS: dict[str, ExperimentSpec] = _load()


def run_experiment(name: str, config=None, **options) -> dict:
    """Run the experiment ``name`` with ``config`` (its settings dataclass; default: its
    defaults) and keyword ``options`` (changes to the config, or ``progress``); an unknown
    name is an InputError."""
    return lookup(EXPERIMENTS, name, "experiment").run(config, **options)
