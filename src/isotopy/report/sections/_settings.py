"""Settings of the report's linking section's experiments (linked tori and the unlink).

Quick mode uses each experiment config's ``quick()``; the full report changes these fields of
the config's defaults (fewer seeds and steps than the CLI's ``isotopy experiment NAME``).
"""

from __future__ import annotations

SETTINGS = {
    "linked_tori": {"seeds": 4, "steps": 800, "n": 500, "dense": 5000},
    "unlink": {"seeds": 6, "steps": 1200, "n": 500, "dense": 5000},
}


def opts(ctx, name: str) -> dict:
    """Experiment ``name``'s settings in the report as keywords, with the report's seed."""
    from dataclasses import asdict

    from ...experiments import EXPERIMENTS

    config = EXPERIMENTS[name].config
    cfg = config.quick() if ctx.quick else config(**SETTINGS[name])
    return dict(asdict(cfg), seed=ctx.seed)


def paragraph(text: str) -> str:
    return f"<p>{text}</p>"
