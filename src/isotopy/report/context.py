"""What a report section gets: a place to put figures and files, and a record of numbers.

A section module (``isotopy.report.sections.<name>``) has ``TITLE`` and
``build(ctx) -> str`` returning an HTML fragment. It saves figures with
:meth:`Context.figure`, other files with :meth:`Context.file`, records every measured number
with :meth:`Context.record` (they all land in ``metrics.json``) and states each claim's
verdict with :meth:`Context.claim`.

Every figure or animation a section embeds is listed in the report's figure index
(:meth:`Context.index`, right after embedding it: its essay counterpart, or None for "beyond
the essay"); the build fails on a figure left out. A figure that shows a network ships it:
``run=`` on :meth:`Context.figure` / :meth:`Context.embed` writes the run folder(s) under
``runs/<figure id>/`` (``isotopy plot`` redraws them, ``isotopy serve --run`` opens them), and
the index entry gives the folder and the step shown. PNGs are at most ``MAX_WIDTH_PX`` wide,
so the page never shrinks them (text drawn at 7 pt or more stays at least 10 px).
"""

from __future__ import annotations

import html
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Context", "MAX_WIDTH_PX", "DPI"]

MAX_WIDTH_PX = 1100  # the page's text column: a wider PNG would be shrunk, its text with it
DPI = 110  # 7 pt text = 10.7 px; a figure may be at most MAX_WIDTH_PX / DPI = 10 in wide
BEYOND = "beyond the essay"


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
    embedded: list = field(default_factory=list)  # ids of every embedded figure, in order
    shipped: dict = field(default_factory=dict)  # figure id -> [{"run": rel path, "step": k}]
    _saved: dict = field(default_factory=dict)  # id(Run) -> (Run, the folder it went to)

    def __post_init__(self):
        (self.out / "figures").mkdir(parents=True, exist_ok=True)

    def say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(f"{self.section}: {message}")

    def ticker(self, what: str):
        """An experiment's ``progress(done, total)`` that says "<what> done/total"."""
        return lambda done, total: self.say(f"{what} {done}/{total}")

    def figure(
        self, fig, name: str, *, caption: str = "", width: int | None = None, run=None, step=None
    ) -> str:
        """Save a matplotlib figure as figures/<section>_<name>.png; return a <figure> tag.

        ``run`` / ``step``: the network(s) the figure shows and the recorded step shown (see
        :meth:`ship`). A figure wider than ``MAX_WIDTH_PX`` is refused (lay it out in rows).
        """
        import matplotlib.pyplot as plt

        px = fig.get_figwidth() * DPI
        if px > MAX_WIDTH_PX + 0.5:
            plt.close(fig)
            raise ValueError(
                f"figure {self.section}_{name} is {px:.0f} px wide; the page shows at most "
                f"{MAX_WIDTH_PX} px (at most {MAX_WIDTH_PX / DPI:.1f} in at {DPI} dpi)"
            )
        rel = f"figures/{self.section}_{name}.png"
        fig.savefig(self.out / rel, dpi=DPI)
        plt.close(fig)
        return self.embed(rel, caption=caption, width=width, run=run, step=step)

    def ship(self, fid: str, run, step=None) -> list[dict]:
        """Write the run folder(s) of figure ``fid`` under ``runs/<fid>/``.

        ``run`` is a :class:`isotopy.train.Run` (or a dict name -> Run for a figure showing
        several networks, written to ``runs/<fid>/<name>/``); ``step`` the recorded step the
        figure shows (an int, or a dict name -> int; default the run's last step).
        """
        from ..train import save_run

        runs = run if isinstance(run, dict) else {"": run}
        steps = step if isinstance(step, dict) else dict.fromkeys(runs, step)
        out = []
        for key, r in runs.items():
            # a run shown by an earlier figure is written once (the entry keeps it alive, so
            # its id cannot be reused)
            rel = self._saved.get(id(r), (None, None))[1]
            if rel is None:
                rel = f"runs/{fid}" + (f"/{key}" if key else "")
                save_run(r, self.out / rel)
                self._saved[id(r)] = (r, rel)
            shown = steps.get(key)
            out.append({"run": rel, "step": int(r.history.steps_done if shown is None else shown)})
        self.shipped[fid] = out
        return out

    def file(self, name: str) -> tuple[Path, str]:
        """A path figures/<section>_<name> to write to, and its relative name for links."""
        rel = f"figures/{self.section}_{name}"
        return self.out / rel, rel

    def embed(
        self, rel: str, *, caption: str = "", width: int | None = None, run=None, step=None
    ) -> str:
        """An HTML <figure> for the file ``rel`` (PNG, GIF, MP4 or a link); ``run`` /
        ``step`` as in :meth:`figure`."""
        w = f' style="max-width:{width}px"' if width else ""
        fid = rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        self.last_figure = fid
        if rel.endswith((".png", ".gif", ".jpg", ".svg", ".mp4")):
            self.embedded.append(fid)
        if run is not None:
            self.ship(fid, run, step)
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
        the essay's figure described by ``essay`` (None: "beyond the essay"); ``shows``
        says in a few words what the reader sees in it. The entry carries the run folder(s)
        and step(s) shipped with the figure."""
        fid = self.last_figure
        entry = {"essay": essay or BEYOND, "id": fid, "section": self.section, "shows": shows}
        runs = self.shipped.get(fid, [])
        if runs:
            entry.update(run=runs[0]["run"], step=runs[0]["step"], runs=runs)
        self.figures.append(entry)

    def unindexed(self) -> list[str]:
        """Ids of embedded figures that are not in the figure index."""
        listed = {f["id"] for f in self.figures}
        return [f for f in self.embedded if f not in listed]

    def record(self, key: str, value) -> None:
        """Keep a measured number under ``<section>.<key>`` in metrics.json (as JSON holds it:
        tuples become lists, numpy numbers plain ones, so the returned metrics equal the
        file's)."""
        self.metrics[f"{self.section}.{key}"] = json.loads(json.dumps(value, default=_plain))

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

    def judged(
        self, claim: str, verdict, *, setting: str, measured: str | None = None, quick=False
    ) -> None:
        """One claim judged by an experiment's rule: ``verdict`` (a
        :class:`~isotopy.experiments.verdicts.Verdict` or its dict) gives the verdict, its
        rule, its resolution and what was measured (unless ``measured`` says it otherwise).
        Quick settings decide nothing, so there the claim is "not resolved" unless ``quick``
        (a check that holds at any size)."""
        from ..experiments.verdicts import Verdict

        v = verdict if isinstance(verdict, Verdict) else Verdict(**verdict)
        agrees = v.agrees if quick or not self.quick else None
        self.claim(
            claim, v.measured if measured is None else measured, agrees, setting=setting, verdict=v
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


def _plain(v):
    """JSON's fallback for numpy numbers and arrays (and anything else: its float)."""
    return v.tolist() if hasattr(v, "tolist") else float(v)


def timer():
    start = time.perf_counter()
    return lambda: time.perf_counter() - start
