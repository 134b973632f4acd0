"""What a report section gets: a place to put figures and files, and a record of numbers.

A section module (``isotopy.report.sections.<name>``) has ``TITLE`` and
``build(ctx) -> str`` returning an HTML fragment. It saves figures with
:meth:`Context.figure`, other files with :meth:`Context.file`, records every measured number
with :meth:`Context.record` (they all land in ``metrics.json``) and states each claim's
verdict with :meth:`Context.claim`.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Context"]


@dataclass
class Context:
    out: Path  # the report's (temporary) folder; files go in out / "figures"
    quick: bool = False  # smaller settings, for tests
    seed: int = 0
    progress: object = None  # callable(message) or None
    metrics: dict = field(default_factory=dict)
    claims: list = field(default_factory=list)
    figures: list = field(default_factory=list)  # the essay's figures and their counterparts
    section: str = ""
    last_figure: str = ""  # id of the last embedded figure

    def __post_init__(self):
        (self.out / "figures").mkdir(parents=True, exist_ok=True)

    def say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(f"{self.section}: {message}")

    def figure(self, fig, name: str, *, caption: str = "", width: int | None = None) -> str:
        """Save a matplotlib figure as figures/<section>_<name>.png; return an <figure> tag."""
        import matplotlib.pyplot as plt

        rel = f"figures/{self.section}_{name}.png"
        fig.savefig(self.out / rel, dpi=110)
        plt.close(fig)
        return self.embed(rel, caption=caption, width=width)

    def file(self, name: str) -> tuple[Path, str]:
        """A path figures/<section>_<name> to write to, and its relative name for links."""
        rel = f"figures/{self.section}_{name}"
        return self.out / rel, rel

    def embed(self, rel: str, *, caption: str = "", width: int | None = None) -> str:
        w = f' style="max-width:{width}px"' if width else ""
        fid = rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        self.last_figure = fid
        if rel.endswith((".png", ".gif", ".jpg", ".svg")):
            body = f'<img src="{rel}" alt="{html.escape(caption)}"{w}>'
        elif rel.endswith(".mp4"):
            body = f'<video src="{rel}" controls loop muted{w}></video>'
        else:
            body = f'<a href="{rel}">{html.escape(rel)}</a>'
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        return f'<figure id="{html.escape(fid)}">{body}{cap}</figure>'

    def index(self, essay: str | None, _tag: str = "", *, shows: str = "") -> None:
        """List the last embedded figure in the report's figure index as the counterpart of
        the essay's figure described by ``essay`` (None: not an essay figure); ``shows``
        says in a few words what the reader sees in it."""
        if essay:
            self.figures.append(
                {"essay": essay, "id": self.last_figure, "section": self.section, "shows": shows}
            )

    def record(self, key: str, value) -> None:
        """Keep a measured number under ``<section>.<key>`` in metrics.json."""
        self.metrics[f"{self.section}.{key}"] = value

    def claim(
        self,
        claim: str,
        measured: str,
        agrees: bool | None,
        *,
        setting: str = "",
        rule: str = "",
        resolution: str = "",
        verdict=None,
    ) -> None:
        """One claim of the essay: its words, the setting it was measured at, what was
        measured, the resolution of that measurement and the verdict with its rule.

        ``verdict`` (an :class:`isotopy.experiments.verdicts.Verdict`) supplies the rule,
        resolution and verdict when given; otherwise ``agrees`` (True: agrees, False:
        differs, None: not resolved) and ``rule`` state them.
        """
        if verdict is not None:
            rule = rule or verdict.rule
            resolution = resolution or verdict.resolution
            if agrees is not None:
                agrees = verdict.agrees
        word = {True: "agrees", False: "differs", None: "not resolved"}[agrees]
        self.claims.append(
            {
                "section": self.section,
                "claim": claim,
                "measured": measured,
                "agrees": agrees,
                "verdict": word,
                "setting": setting,
                "rule": rule,
                "resolution": resolution,
            }
        )

    @staticmethod
    def table(header: list[str], rows: list[list]) -> str:
        def cell(v):
            if isinstance(v, float):
                return f"{v:.3f}"
            return html.escape(str(v))

        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>" for r in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def timer():
    start = time.perf_counter()
    return lambda: time.perf_counter() - start
