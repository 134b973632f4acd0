"""Errors that mean "the input is wrong", as opposed to a bug.

Every check of user input in the library raises :class:`InputError` with one sentence that
names the problem and, where there is a finite set of valid choices, lists them. The CLI
turns an ``InputError`` (and the usual file errors) into that sentence on stderr and exit
status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

__all__ = ["InputError", "lookup", "check_positive_int"]

T = TypeVar("T")


class InputError(ValueError):
    """Bad input: one sentence saying what is wrong and what would be right."""


def lookup(registry: Mapping[str, T], name: str, what: str) -> T:
    """Return ``registry[name]`` or raise :class:`InputError` listing the valid names."""
    try:
        return registry[name]
    except (KeyError, TypeError):
        raise InputError(
            f"unknown {what} {name!r}; choose one of: {', '.join(sorted(registry))}"
        ) from None


def check_positive_int(value, what: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int if it is an integer >= ``minimum``, else raise InputError."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int,))
        and not (hasattr(value, "__index__"))
    ):
        raise InputError(f"{what} must be an integer >= {minimum}, got {value!r}")
    value = int(value)
    if value < minimum:
        raise InputError(f"{what} must be an integer >= {minimum}, got {value}")
    return value


def parse_int_list(text: str | Iterable[int], what: str, *, minimum: int = 1) -> tuple[int, ...]:
    """Parse ``"2,3,2"`` (or a sequence of ints) into a tuple of ints >= ``minimum``.

    An empty string gives ``()``: no hidden layer at all.
    """
    if isinstance(text, str):
        parts = [p.strip() for p in text.split(",")] if text.strip() else []
        values = []
        for p in parts:
            try:
                values.append(int(p))
            except ValueError:
                raise InputError(
                    f"{what} must be comma-separated integers such as '2,2', got {text!r}"
                ) from None
    else:
        values = list(text)
    return tuple(check_positive_int(v, f"every entry of {what}", minimum=minimum) for v in values)
