"""How the report runs its experiments: each experiment's settings dataclass, with the
report's seed.

Quick mode uses the config's ``quick()``; the full report its defaults with the changes a
section names (e.g. the linking section's fewer seeds and steps than the CLI's
``isotopy experiment NAME``, which gives the same numbers with those options).
"""

from __future__ import annotations

from dataclasses import replace

# how the report's animations are encoded: quick, full (96 frames at 16 per second: a 6 s
# loop, then the end state held 1.5 s; 640 px wide)
ENCODING = {
    True: {"size": 192, "fps": 16, "hold": 0.5},
    False: {"size": 640, "fps": 16, "hold": 1.5},
}


def config(ctx, cls, **full):
    """The settings ``cls`` as this report runs them: ``cls.quick()`` in quick mode, else
    ``cls(**full)``; with the report's seed."""
    cfg = cls.quick() if ctx.quick else cls(**full)
    return replace(cfg, seed=ctx.seed)


def paragraph(text: str) -> str:
    return f"<p>{text}</p>"
