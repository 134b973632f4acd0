"""The picture of docs/playground.md: the explorer's network diagram beside its 3-D stage view.

Starts ``isotopy serve`` on a free port, opens the page in headless Chromium at 1280 x 800
(a laptop's window), trains a network of one hidden layer of three tanh units on the disc in
an annulus with the explorer's default settings until it classifies the test points, shows
that layer in the stage view, and takes the three panels of the top row (decision regions,
the 3-D layer, the network unit by unit) at the size they have on that screen, one screen
pixel to one image pixel:

    python tools/playground_screenshot.py                 # docs/img/playground_diagram.png
    python tools/playground_screenshot.py --out other.png --hidden 4,2

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
    """Opens the page, builds and trains the network, and shows its last hidden layer."""
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
    pg.wait_for_function(
        "() => parseFloat(document.getElementById('test-acc').textContent) > 0.97",
        timeout=180_000,
        polling=200,
    )
    pg.click("#play")
    pg.wait_for_function("() => !window.isotopy.status.playing")
    pg.check("#show-test")
    column = pg.evaluate("window.isotopy.units.layers.length - 2")  # the last hidden layer
    pg.click(f".dhead[data-layer='{column}']")  # that layer in the stage view
    pg.wait_for_function("() => !!(window.isotopy.stage && window.isotopy.units)")
    pg.mouse.move(2, 2)  # no hover marks in the picture
    pg.wait_for_timeout(800)  # the last view update and unit views


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "img" / "playground_diagram.png"))
    ap.add_argument("--hidden", default="3", help="hidden widths, as the page takes them")
    args = ap.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise InputError("no Chromium executable on PATH (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    proc, url = start_server()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            pg = browser.new_page(viewport=VIEWPORT)
            drive(pg, url, args.hidden)
            # the top row: from the regions panel to the diagram's, with a small margin
            a = pg.locator("#views > figure").first.bounding_box()
            b = pg.locator("#diagram-panel").bounding_box()
            x, y = a["x"] - 4, a["y"] - 4
            clip = {
                "x": x,
                "y": y,
                "width": min(b["x"] + b["width"] + 4 - x, MAX_WIDTH),
                "height": b["y"] + b["height"] + 4 - y,
            }
            png = pg.screenshot(clip=clip)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    atomic_write(args.out, png)
    print(f"wrote {args.out} ({clip['width']:.0f} x {clip['height']:.0f} px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
