"""The HTML report that reproduces the essay with numbers: ``build_report(out)``.

Sections are modules of ``isotopy.report.sections`` listed in ``SECTIONS``; each returns an
HTML fragment and records its numbers and claims in the shared :class:`Context`. The whole
report is built in a temporary folder and renamed into place.
"""

from __future__ import annotations

import html
import importlib
import json
import time
from pathlib import Path

from ..errors import lookup
from .context import Context
from .sections import SECTIONS

__all__ = ["build_report", "SECTIONS", "Context"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.5}
h1{font-weight:600}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
figure{margin:1em 0;display:inline-block;vertical-align:top}
figure img,figure video{max-width:100%;border:1px solid #eee}
figure:target{outline:3px solid #f0c040}
figcaption{font-size:.9em;color:#555;max-width:900px}
table{border-collapse:collapse;margin:1em 0;font-size:.92em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left}
.ok{color:#17702a;font-weight:600}.bad{color:#b00020;font-weight:600}.na{color:#666}
.meta{color:#666;font-size:.9em}
table.claims td{text-align:left;vertical-align:top}.rule{color:#555;font-size:.85em}
"""


def is_report(path: Path) -> bool:
    return (path / "index.html").exists() and (path / "metrics.json").exists()


def build_report(
    out, *, quick: bool = False, seed: int = 0, only: list[str] | None = None, progress=None
) -> dict:
    """Build the report in folder ``out`` (replacing an older report there).

    Parameters
    ----------
    out : path
        Folder to write ``index.html``, ``metrics.json`` and ``figures/`` into.
    quick : bool
        Smaller settings everywhere (for tests); the numbers are then not the report's.
    seed : int
        Base seed of every section.
    only : list of str, optional
        Build only these sections (names from ``SECTIONS``).
    progress : callable, optional
        Called with a short message as each step starts.

    Returns
    -------
    dict
        ``{"metrics": ..., "claims": ..., "seconds": ..., "path": ...}``
    """
    names = list(SECTIONS)
    if only:
        valid = {n: n for n in SECTIONS}
        names = [lookup(valid, n, "report section") for n in only]
    import matplotlib
    import torch

    # the report only writes files: every section draws with Agg, set here once
    matplotlib.use("Agg")

    start = time.perf_counter()
    threads = torch.get_num_threads()
    # Networks of a few units: a second thread only adds synchronisation to every tiny op.
    torch.set_num_threads(1)
    try:
        return _build(out, names, quick, seed, progress, start)
    finally:
        torch.set_num_threads(threads)


def _build(out, names, quick, seed, progress, start) -> dict:
    from ..train import atomic_dir

    with atomic_dir(out, replace_if=is_report, what="report folder") as tmp:
        ctx = Context(tmp, quick=quick, seed=seed, progress=progress)
        parts, timings = [], {}
        for name in names:
            mod = importlib.import_module(f"{__name__}.sections.{name}")
            ctx.section = name
            t0 = time.perf_counter()
            ctx.say("start")
            body = mod.build(ctx)
            timings[name] = round(time.perf_counter() - t0, 1)
            parts.append(
                f'<section id="{name}"><h2>{html.escape(mod.TITLE)}</h2>{body}'
                f'<p class="meta">section time {timings[name]} s</p></section>'
            )
        missing = ctx.unindexed()
        if missing:
            raise RuntimeError(f"figures missing from the figure index: {', '.join(missing)}")
        seconds = round(time.perf_counter() - start, 1)
        page = _page(parts, ctx, names, seconds, quick)
        (tmp / "index.html").write_text(page)
        (tmp / "metrics.json").write_text(
            json.dumps(
                {
                    "metrics": ctx.metrics,
                    "claims": ctx.claims,
                    "figures": ctx.figures,
                    "section_seconds": timings,
                    "seconds": seconds,
                    "quick": quick,
                    "seed": seed,
                },
                indent=2,
                default=float,
            )
            + "\n"
        )
    return {"metrics": ctx.metrics, "claims": ctx.claims, "seconds": seconds, "path": Path(out)}


def _page(parts, ctx, names, seconds, quick) -> str:
    from .. import __version__

    def verdict(a):
        return {
            True: '<span class="ok">agrees</span>',
            False: '<span class="bad">differs</span>',
            None: '<span class="na">not resolved</span>',
        }[a]

    def cell(text):
        return html.escape(text) if text else '<span class="na">—</span>'

    rows = "".join(
        f"<tr><td>{html.escape(c['claim'])}</td><td>{cell(c.get('setting', ''))}</td>"
        f"<td>{html.escape(c['measured'])}</td><td>{cell(c.get('resolution', ''))}</td>"
        f"<td>{verdict(c['agrees'])}<br><span class='rule'>{cell(c.get('rule', ''))}</span>"
        f"</td></tr>"
        for c in ctx.claims
    )
    n_ok = sum(1 for c in ctx.claims if c["agrees"] is True)
    n_bad = sum(1 for c in ctx.claims if c["agrees"] is False)
    summary = (
        f"<h2>The essay's claims, measured</h2><p>One row per claim: the essay's words, "
        f"the setting it was measured at, what was measured (with its spread over "
        f"seeds where there are seeds), the finest difference the measurement can "
        f"tell apart, and the verdict with the rule that gave it. An effect below the "
        f"resolution is 'not resolved'. {n_ok} agree, {n_bad} differ, "
        f"{len(ctx.claims) - n_ok - n_bad} not resolved.</p><table class='claims'>"
        f"<thead><tr><th>claim</th><th>setting</th><th>measured</th><th>resolution"
        f"</th><th>verdict and rule</th></tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else ""
    )
    figs = "".join(
        f'<tr><td>{html.escape(f["essay"])}</td><td><a href="#{html.escape(f["id"])}">'
        f"{html.escape(f['id'])}</a></td><td>{html.escape(f['shows'])}</td></tr>"
        for f in ctx.figures
    )
    index = (
        f"<h2>The essay's figures and their counterparts here</h2><table class='claims'>"
        f"<thead><tr>"
        f"<th>the essay's figure</th><th>here</th><th>what it shows here</th></tr>"
        f"</thead><tbody>{figs}</tbody></table>"
        if figs
        else ""
    )
    titles = {n: importlib.import_module(f"{__name__}.sections.{n}").TITLE for n in names}
    toc = "".join(f'<li><a href="#{n}">{html.escape(titles[n])}</a></li>' for n in names)
    note = " (quick settings: not the report's numbers)" if quick else ""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>isotopy report</title>"
        f"<style>{_CSS}</style></head><body><h1>Neural networks, manifolds and topology, "
        f"reproduced</h1><p class='meta'>isotopy {__version__}; seed {ctx.seed}; built in "
        f"{seconds} s{note}. Every number below was measured by this build; the essay is "
        f'"Neural Networks, Manifolds, and Topology" (2014).</p><ul>{toc}</ul>{index}'
        f"{summary}"
        f"{''.join(parts)}</body></html>\n"
    )
