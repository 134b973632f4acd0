"""The picture of docs/playground.md: the explorer's network diagram beside its 3-D stage view.

Starts ``isotopy serve`` on a free port, opens the page in headless Chromium at 1280 x 800
(a laptop's window), trains a network of one hidden layer of three tanh units on the disc in
an annulus with the explorer's default settings past its edge-penalty schedule, shows that
layer at the run's readable state in the stage view, and takes the three panels of the top
row (decision regions, the 3-D layer, the network unit by unit) at the size they have on that
screen, one screen pixel to one image pixel:

    python tools/playground_screenshot.py                 # docs/img/playground_diagram.png
    python tools/playground_screenshot.py --out other.png --hidden 4,2
    python tools/playground_screenshot.py --measure 10    # what the diagram costs the page

Needs the ``web`` extra, Playwright for Python and a Chromium executable on PATH (as the
browser tests do). The image is written through the project's safe writer.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from isotopy.errors import InputError
from isotopy.files import atomic_write
from isotopy.web.settings import EXPLORER

ROOT = Path(__file__).resolve().parents[1]
VIEWPORT = {"width": 1280, "height": 800}
MAX_WIDTH = 1100  # the docs' pictures are at most this wide


def start_server() -> tuple[subprocess.Popen, str]:
    """``isotopy serve --port 0`` in a subprocess; returns it and the URL it prints."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "isotopy", "serve", "--port", "0"]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stdout.readline()
        m = re.search(r"(http://[^\s/]+:\d+/)", line)
        if m:
            return proc, m.group(1)
        if proc.poll() is not None:
            break
    proc.terminate()
    raise RuntimeError("isotopy serve did not start")


def drive(pg, url: str, hidden: str) -> None:
    """Opens the page, builds and trains the network, and shows its last hidden layer at
    the run's readable state."""
    pg.goto(url)
    pg.wait_for_function("() => window.isotopy && window.isotopy.ready && !!window.isotopy.data")
    pg.select_option("#dataset", "disc_annulus")
    pg.wait_for_function("() => window.isotopy.data.info.dataset === 'disc_annulus'")
    pg.fill("#hidden", hidden)
    pg.click("#apply-net")
    pg.wait_for_function(
        "h => window.isotopy.network.hidden.join(',') === h && !!window.isotopy.units",
        arg=hidden,
    )
    pg.eval_on_selector("#speed", "e => { e.value = 60; e.dispatchEvent(new Event('input')); }")
    pg.click("#play")
    # past the explorer's edge-penalty schedule (plain, then ramped in), so the readable
    # state can keep the hidden points off the cube's edges
    done = EXPLORER.edge_plain + EXPLORER.edge_ramp
    pg.wait_for_function(
        "n => parseInt(document.getElementById('step').textContent) >= n"
        " && parseFloat(document.getElementById('test-acc').textContent) > 0.97",
        arg=done,
        timeout=300_000,
        polling=200,
    )
    pg.click("#play")
    pg.wait_for_function("() => !window.isotopy.status.playing")
    # the readable state: of the snapshots that classify as well, the one with the fewest
    # points on an edge of the tanh cube (the live network presses them into its edges)
    pg.select_option("#show", "readable")
    pg.wait_for_function("() => window.isotopy.shown && window.isotopy.shown.kind === 'readable'")
    pg.check("#show-test")
    column = pg.evaluate("window.isotopy.units.layers.length - 2")  # the last hidden layer
    pg.click(f".dhead[data-layer='{column}']")  # that layer in the stage view
    pg.wait_for_function("() => !!(window.isotopy.stage && window.isotopy.units)")
    pg.mouse.move(2, 2)  # no hover marks in the picture
    pg.wait_for_timeout(800)  # the last view update and unit views


def shoot(pg, url: str, hidden: str) -> tuple[bytes, dict]:
    """The picture (PNG bytes) and its clip: the top row, from the regions panel to the
    diagram's, with a small margin."""
    drive(pg, url, hidden)
    a = pg.locator("#views > figure").first.bounding_box()
    b = pg.locator("#diagram-panel").bounding_box()
    x, y = a["x"] - 4, a["y"] - 4
    clip = {
        "x": x,
        "y": y,
        "width": min(b["x"] + b["width"] + 4 - x, MAX_WIDTH),
        "height": b["y"] + b["height"] + 4 - y,
    }
    return pg.screenshot(clip=clip), clip


# counts the messages the page receives, by type: how many, their characters, when
_RECORD = """() => { const S = window.isotopy; S.rec = [];
  S.ws.addEventListener('message', e => { const t = JSON.parse(e.data).type;
    if (t === 'unit_views') S.lastUnits = e.data; S.rec.push([t, e.data.length, performance.now()]);
  }); }"""
# the page's whole handling of one unit_views message (parse, decode, draw), 50 times
_HANDLE = """() => { const S = window.isotopy, rec = S.rec, by = {};
  for (const [t, n] of rec) { by[t] = by[t] || [0, 0]; by[t][0]++; by[t][1] += n; }
  const span = (rec[rec.length - 1][2] - rec[0][2]) / 1000, times = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now(); S.ws.onmessage({data: S.lastUnits});
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return {by, span, median_ms: times[25], max_ms: times[49]}; }"""


def measure(pg, url: str, seconds: float) -> dict:
    """One tab training a 2-6-6-1 tanh network with all seven features on the XOR data for
    ``seconds``: unit views and view updates per second, their mean size, and the time the
    page takes to handle one unit views message."""
    pg.goto(url)
    pg.wait_for_function("() => window.isotopy && window.isotopy.ready && !!window.isotopy.data")
    pg.select_option("#dataset", "xor")
    pg.wait_for_function("() => window.isotopy.data.info.dataset === 'xor'")
    for name in ["x1sq", "x2sq", "x1x2", "sinx1", "sinx2"]:
        pg.check(f"#features input[value={name}]")
        pg.wait_for_function("n => (window.isotopy.status.features || []).includes(n)", arg=name)
    pg.fill("#hidden", "6,6")
    pg.click("#apply-net")
    pg.wait_for_function(
        "() => window.isotopy.units && "
        "window.isotopy.units.layers.map(l => l.n).join() === '2,7,6,6,1'"
    )
    pg.evaluate(_RECORD)
    pg.click("#play")
    pg.wait_for_timeout(seconds * 1000)
    pg.click("#play")
    r = pg.evaluate(_HANDLE)
    out = {"seconds": round(r["span"], 1)}
    out["handle_ms"] = (round(r["median_ms"], 1), round(r["max_ms"], 1))
    for kind in ["frame", "unit_views"]:
        n, chars = r["by"].get(kind, [0, 0])
        out[kind] = {"per_s": round(n / r["span"], 1), "kB": round(chars / max(n, 1) / 1e3, 1)}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "img" / "playground_diagram.png"))
    ap.add_argument("--hidden", default="3", help="hidden widths, as the page takes them")
    ap.add_argument(
        "--measure",
        type=float,
        metavar="SECONDS",
        help="no picture: measure one tab training a 2-6-6-1 network with 7 features",
    )
    args = ap.parse_args(argv)
    if not re.fullmatch(r"[1-9][0-9]?(,[1-9][0-9]?)*", args.hidden):
        raise InputError(f"--hidden must be widths such as 3 or 4,2, got {args.hidden!r}")
    if args.measure is not None and not 1 <= args.measure <= 600:
        raise InputError(f"--measure must be 1 to 600 seconds, got {args.measure:g}")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise InputError("no Chromium executable on PATH (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    proc, url = start_server()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            pg = browser.new_page(viewport=VIEWPORT)
            if args.measure is not None:
                print(measure(pg, url, args.measure))
                return 0
            png, clip = shoot(pg, url, args.hidden)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    atomic_write(args.out, png)
    print(f"wrote {args.out} ({clip['width']:.0f} x {clip['height']:.0f} px)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except InputError as e:
        print(f"playground_screenshot: {e}", file=sys.stderr)
        sys.exit(2)
