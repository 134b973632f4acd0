"""The explorer in real headless Chromium, driven by Playwright, against a real server.

Screenshots go to ``test-artifacts/web/`` (git-ignored). Skipped only when no Chromium
executable is installed (``apt-get install chromium``); Playwright's own browser download
is not needed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")

from _webserver import ServerProcess  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "web"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = [pytest.mark.browser, pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium executable on PATH (apt-get install chromium)")]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = ServerProcess(tmp_path_factory.mktemp("exports"), max_seconds=600)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    pg.problems = []
    pg.on("console", lambda m: pg.problems.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.problems.append(str(e)))
    yield pg
    ctx.close()


def shot(pg, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def ready(pg):
    pg.wait_for_function("window.isotopy && window.isotopy.ready && window.isotopy.data")


def set_speed(pg, value=200):
    pg.eval_on_selector("#speed", "(e, v) => { e.value = v; e.dispatchEvent(new Event('input')) }",
                        value)


def build(pg, hidden):
    pg.fill("#hidden", hidden)
    pg.click("#apply-net")
    pg.wait_for_function("h => window.isotopy.network && window.isotopy.network.hidden.join(',')"
                         " === h && window.isotopy.status.step === 0", arg=hidden)


def train_until(pg, condition, arg=None):
    pg.click("#play")
    pg.wait_for_function(condition, arg=arg, timeout=120_000, polling=100)
    pg.click("#play")  # pause
    pg.wait_for_function("!window.isotopy.status.playing")


def test_explorer_end_to_end(server, page, tmp_path):
    pg = page
    pg.goto(server.url)
    ready(pg)
    assert pg.title() == "isotopy explorer"
    options = pg.eval_on_selector_all("#dataset option", "os => os.map(o => o.value)")
    assert "disc_annulus" in options and "linked_tori" in options
    pg.select_option("#dataset", "spirals")
    pg.wait_for_function("window.isotopy.data.info.dataset === 'spirals'")
    pg.select_option("#dataset", "disc_annulus")
    pg.wait_for_function("window.isotopy.data.info.dataset === 'disc_annulus'")
    assert pg.eval_on_selector_all("#params input", "es => es.map(e => e.dataset.param)") == [
        "inner_radius", "gap", "outer_radius", "noise"]
    set_speed(pg)

    # one hidden layer of width 3 separates the disc from the annulus
    build(pg, "3")
    train_until(pg, "parseFloat(document.getElementById('test-acc').textContent) > 0.95")
    acc3 = float(pg.text_content("#test-acc"))
    steps3 = int(pg.text_content("#step"))
    assert acc3 > 0.95
    shot(pg, "01-width3-trained")

    # width 2 cannot, however long it trains
    build(pg, "2")
    target = max(1500, 3 * steps3)
    train_until(pg, "n => parseInt(document.getElementById('step').textContent) >= n", target)
    pg.wait_for_timeout(300)  # the last view update
    acc2 = float(pg.text_content("#test-acc"))
    assert acc2 < 0.95, acc2
    shot(pg, "02-width2-stuck")

    # add a point by clicking the input view
    n0 = pg.evaluate("window.isotopy.data.labels.length")
    pg.check("input[name=cls][value='1']")
    box = pg.locator("#input-canvas").bounding_box()
    pg.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    pg.wait_for_function("n => window.isotopy.data.labels.length === n + 1", arg=n0)
    assert pg.evaluate("window.isotopy.data.labels[window.isotopy.data.n_train - 1]") == 1
    assert "edits=a" in pg.evaluate("location.hash")

    # export a PNG of the stage view
    with pg.expect_download() as dl:
        pg.click("button.png[data-canvas=stage-canvas]")
    png = tmp_path / dl.value.suggested_filename
    dl.value.save_as(png)
    from PIL import Image

    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(png) as im:
        w, h = im.size
        assert w >= 300 and w == h
        colours = np.unique(np.asarray(im.convert("RGB")).reshape(-1, 3), axis=0)
        assert len(colours) > 20  # a picture, not a blank canvas

    # the continuous isotopy: scrub the slider, the view changes
    pg.fill("#anim-frames", "24")
    pg.click("#anim-compute")
    pg.wait_for_function("!document.getElementById('anim-slider').disabled || "
                         "!document.getElementById('error').hidden", timeout=120_000)
    assert pg.is_enabled("#anim-slider"), pg.text_content("#error")
    first = pg.evaluate("document.getElementById('anim-canvas').toDataURL()")
    pg.eval_on_selector("#anim-slider", "e => { e.value = 12; e.dispatchEvent(new Event('input'))"
                                        " }")
    mid = pg.evaluate("document.getElementById('anim-canvas').toDataURL()")
    assert mid != first
    assert pg.text_content("#anim-label") == "13/24"
    shot(pg, "03-isotopy-scrubbed")

    # export the animation as a GIF
    with pg.expect_download(timeout=120_000) as dl:
        pg.click("#dl-gif")
    gif = tmp_path / "anim.gif"
    dl.value.save_as(gif)
    assert gif.read_bytes()[:6] in (b"GIF89a", b"GIF87a")
    import imageio.v3 as iio

    frames = iio.imread(gif, index=None)
    assert frames.shape[0] == 24 and frames.shape[-1] in (3, 4)
    assert not np.all(frames[0] == frames[12])
    assert pg.problems == [], pg.problems


def test_shared_link_reproduces_the_state(server, page, browser):
    pg = page
    pg.goto(server.url + "#data=spirals&n=300&seed=4&p.turns=0.9&hidden=4,2&act=relu&init=7"
                         "&lr=0.01&batch=32&opt=sgd&view=2&edits=a0.1 0.2 1;a-0.3 0.1 0")
    ready(pg)
    pg.wait_for_function("window.isotopy.network && window.isotopy.network.hidden.join(',')"
                         " === '4,2' && window.isotopy.data.labels.length === 302")
    s = pg.evaluate("({info: window.isotopy.data.info, net: window.isotopy.network,"
                    " status: window.isotopy.status})")
    assert s["info"]["dataset"] == "spirals" and s["info"]["seed"] == 4
    assert s["info"]["params"]["turns"] == 0.9 and s["info"]["n"] == 300
    assert s["net"]["activation"] == "relu" and s["net"]["seed"] == 7
    pg.wait_for_function("window.isotopy.status.optimizer === 'sgd' && "
                         "window.isotopy.status.batch_size === 32 && "
                         "window.isotopy.status.stage === 2")
    assert pg.evaluate("window.isotopy.status.lr") == pytest.approx(0.01)
    # the same link in a second tab gives the same data (and its own session)
    other = browser.new_page()
    other.goto(pg.url)
    other.wait_for_function("window.isotopy && window.isotopy.ready && window.isotopy.data &&"
                            " window.isotopy.data.labels.length === 302")
    same = other.evaluate("window.isotopy.data.points.b64") == pg.evaluate(
        "window.isotopy.data.points.b64")
    other.close()
    assert same
    shot(pg, "04-shared-link")
    assert pg.problems == [], pg.problems


def test_bad_input_on_the_page_is_one_sentence(server, page):
    pg = page
    pg.goto(server.url)
    ready(pg)
    pg.fill("#hidden", "2,x")
    pg.click("#apply-net")
    pg.wait_for_selector("#error:not([hidden])")
    assert "whole numbers" in pg.text_content("#error")
    pg.fill("#hidden", "99")
    pg.click("#apply-net")
    pg.wait_for_function("document.getElementById('error').textContent.includes('16')")
    pg.set_input_files("#csv", files=[{"name": "bad.csv", "mimeType": "text/csv",
                                       "buffer": b"1,2,0\nnan,3,1\n"}])
    pg.wait_for_function("document.getElementById('error').textContent.includes('NaN')")
    # the page still works after the errors
    pg.click("#stepbtn")
    pg.wait_for_function("window.isotopy.status.step === 1")
    pg.click("#diagnose")
    pg.wait_for_selector("#diagnostics table", timeout=60_000)
    rows = pg.eval_on_selector_all("#diagnostics table:first-of-type tbody tr",
                                   "rs => rs.map(r => r.children[0].textContent)")
    assert rows == pg.evaluate("window.isotopy.network.stages.slice(1).map(s => s.name)")
    shot(pg, "05-diagnostics")
