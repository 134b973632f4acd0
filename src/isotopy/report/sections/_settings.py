"""How the report runs its experiments: each experiment's settings dataclass, with the
report's seed.

Quick mode uses the config's ``quick()``; the full report its defaults with the changes a
section names (e.g. the linking section's fewer seeds and steps than the CLI's
``isotopy experiment NAME``, which gives the same numbers with those options).
"""

from __future__ import annotations

from dataclasses import replace


def config(ctx, cls, **full):
    """The settings ``cls`` as this report runs them: ``cls.quick()`` in quick mode, else
    ``cls(**full)``; with the report's seed."""
    cfg = cls.quick() if ctx.quick else cls(**full)
    return replace(cfg, seed=ctx.seed)


def paragraph(text: str) -> str:
    return f"<p>{text}</p>"
