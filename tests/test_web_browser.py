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
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None, reason="no Chromium executable on PATH (apt-get install chromium)"
    ),
]


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
    pg.eval_on_selector(
        "#speed", "(e, v) => { e.value = v; e.dispatchEvent(new Event('input')) }", value
    )


def build(pg, hidden):
    pg.fill("#hidden", hidden)
    pg.click("#apply-net")
    pg.wait_for_function(
        "h => window.isotopy.network && window.isotopy.network.hidden.join(',')"
        " === h && window.isotopy.status.step === 0",
        arg=hidden,
    )


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
        "inner_radius",
        "gap",
        "outer_radius",
    ]
    assert pg.is_enabled("#noise")  # the noise has its slider (as in Playground)
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
    pg.wait_for_function(
        "!document.getElementById('anim-slider').disabled || "
        "!document.getElementById('error').hidden",
        timeout=120_000,
    )
    assert pg.is_enabled("#anim-slider"), pg.text_content("#error")
    first = pg.evaluate("document.getElementById('anim-canvas').toDataURL()")
    pg.eval_on_selector(
        "#anim-slider", "e => { e.value = 12; e.dispatchEvent(new Event('input')) }"
    )
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
    pg.goto(
        server.url + "#data=spirals&n=300&seed=4&p.turns=0.9&hidden=4,2&act=relu&init=7"
        "&lr=0.01&batch=32&opt=sgd&view=2&edits=a0.1 0.2 1;a-0.3 0.1 0"
    )
    ready(pg)
    pg.wait_for_function(
        "window.isotopy.network && window.isotopy.network.hidden.join(',')"
        " === '4,2' && window.isotopy.data.labels.length === 302"
    )
    s = pg.evaluate(
        "({info: window.isotopy.data.info, net: window.isotopy.network,"
        " status: window.isotopy.status})"
    )
    assert s["info"]["dataset"] == "spirals" and s["info"]["seed"] == 4
    assert s["info"]["params"]["turns"] == 0.9 and s["info"]["n"] == 300
    assert s["net"]["activation"] == "relu" and s["net"]["seed"] == 7
    pg.wait_for_function(
        "window.isotopy.status.optimizer === 'sgd' && "
        "window.isotopy.status.batch_size === 32 && "
        "window.isotopy.status.stage === 2"
    )
    assert pg.evaluate("window.isotopy.status.lr") == pytest.approx(0.01)
    # the same link in a second tab gives the same data (and its own session)
    other = browser.new_page()
    other.goto(pg.url)
    other.wait_for_function(
        "window.isotopy && window.isotopy.ready && window.isotopy.data &&"
        " window.isotopy.data.labels.length === 302"
    )
    same = other.evaluate("window.isotopy.data.points.b64") == pg.evaluate(
        "window.isotopy.data.points.b64"
    )
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
    pg.set_input_files(
        "#csv", files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": b"1,2,0\nnan,3,1\n"}]
    )
    pg.wait_for_function("document.getElementById('error').textContent.includes('NaN')")
    # the page still works after the errors
    pg.click("#stepbtn")
    pg.wait_for_function("window.isotopy.status.step === 1")
    pg.click("#diagnose")
    pg.wait_for_selector("#diagnostics table", timeout=60_000)
    rows = pg.eval_on_selector_all(
        "#diagnostics table:first-of-type tbody tr", "rs => rs.map(r => r.children[0].textContent)"
    )
    assert rows == pg.evaluate("window.isotopy.network.stages.slice(1).map(s => s.name)")
    shot(pg, "05-diagnostics")


# ------------------------------------------------------------------ interactions (issue 15)
CONTROLS = (
    "aside input:not([type=file]), aside select, aside button, aside label.filebtn, "
    "header button, #views button, #views select, #views input"
)


# For each visible control: its box, whether its content overflows its own box (a label cut
# to "Up"), the ancestors that clip it (overflow other than visible) and the controls it
# overlaps (a neighbour painted over it).
LAYOUT_JS = """sel => {
  const els = [...document.querySelectorAll(sel)].filter(e => !e.closest('[hidden]')
    && getComputedStyle(e).display !== 'none');
  const name = e => e.id || e.textContent.trim() || e.name || e.tagName;
  const rects = els.map(e => e.getBoundingClientRect());
  return els.map((e, i) => {
    const r = rects[i], clipped = [], over = [];
    for (let a = e.parentElement; a; a = a.parentElement) {
      const st = getComputedStyle(a);
      if (st.overflowX === 'visible' && st.overflowY === 'visible') continue;
      const q = a.getBoundingClientRect();
      if (r.left < q.left - 0.5 || r.right > q.right + 0.5 || r.top < q.top - 0.5
          || r.bottom > q.bottom + 0.5) clipped.push(a.id || a.tagName);
    }
    els.forEach((f, j) => {
      if (j === i || f.contains(e) || e.contains(f)) return;
      const q = rects[j];
      const w = Math.min(r.right, q.right) - Math.max(r.left, q.left);
      const h = Math.min(r.bottom, q.bottom) - Math.max(r.top, q.top);
      if (w > 1 && h > 1) over.push(name(f));
    });
    const wide = e.tagName !== 'INPUT' && e.tagName !== 'SELECT'
      && (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1);
    return {id: name(e), l: r.left, t: r.top, r: r.right, b: r.bottom, w: r.width,
            h: r.height, overflows: wide, clipped, over};
  });
}"""


def layout_problems(pg, width, height):
    """Every visible control fully inside the viewport, its content inside its own box, not
    clipped by a container and not covered by another control; the page does not scroll
    and the header keeps to one line. Returns what is wrong (empty when all is well)."""
    boxes = pg.evaluate(LAYOUT_JS, CONTROLS)
    assert len(boxes) > 30
    bad = []
    for b in boxes:
        if b["w"] <= 0 or b["h"] <= 0:
            bad.append((b["id"], "no size"))
        elif b["l"] < 0 or b["t"] < 0 or b["r"] > width or b["b"] > height:
            bad.append((b["id"], "outside the viewport"))
        if b["overflows"]:
            bad.append((b["id"], "content cut off"))
        if b["clipped"]:
            bad.append((b["id"], f"clipped by {b['clipped']}"))
        if b["over"]:
            bad.append((b["id"], f"overlaps {b['over']}"))
    for sel in ["#play", "#reset", "#regenerate", "#anim-compute"]:  # buttons on one line
        h = pg.eval_on_selector(sel, "e => e.getBoundingClientRect().height")
        if h >= 34:
            bad.append((sel, f"wraps ({h:.0f} px high)"))
    header = pg.eval_on_selector("header", "e => e.getBoundingClientRect().height")
    if header > 48:
        bad.append(("header", f"{header:.0f} px high"))
    if pg.evaluate("document.documentElement.scrollHeight") > height:
        bad.append(("page", "scrolls"))
    return bad


def test_the_layout_check_finds_a_cut_off_control(server, browser):
    """The check above is not vacuous: a control squeezed to a sliver is reported."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = ctx.new_page()
    try:
        pg.goto(server.url)
        ready(pg)
        assert layout_problems(pg, 1400, 900) == []
        pg.add_style_tag(content=".filebtn { flex: 0 1 0 !important; overflow: hidden; }")
        bad = dict(layout_problems(pg, 1400, 900))
        assert "Upload CSV" in bad, bad
    finally:
        ctx.close()


@pytest.mark.parametrize("width, height", [(1280, 800), (1400, 900)])
def test_every_control_is_inside_the_viewport(server, browser, width, height):
    ctx = browser.new_context(viewport={"width": width, "height": height})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    try:
        pg.goto(server.url)
        ready(pg)
        pg.wait_for_timeout(300)
        assert layout_problems(pg, width, height) == []
        shot(pg, f"06-layout-{width}x{height}")
        # the widest header: the readable state (with Recompute) of a run that trained on
        build(pg, "2,2,2")
        pg.click("#step100")
        pg.wait_for_function("window.isotopy.status.step === 100")
        pg.select_option("#show", "readable")
        pg.wait_for_function("window.isotopy.shown && window.isotopy.shown.kind === 'readable'")
        pg.click("#step100")
        pg.wait_for_function("window.isotopy.status.step === 200")
        pg.click("#anim-compute")
        pg.wait_for_function("window.isotopy.anim")
        pg.wait_for_timeout(300)
        assert layout_problems(pg, width, height) == []
        shot(pg, f"06-layout-readable-{width}x{height}")
    finally:
        ctx.close()


def test_drag_turns_the_3d_stage_view(server, page):
    pg = page
    pg.goto(server.url)
    ready(pg)
    build(pg, "3")  # tanh 2 -> 3: the stage view shows a 3-D representation
    pg.wait_for_function("window.isotopy.stage && window.isotopy.stage.dim === 3")
    pg.wait_for_timeout(300)
    assert "rot" in pg.get_attribute("#stage-canvas", "class")
    before = pg.evaluate("document.getElementById('stage-canvas').toDataURL()")
    box = pg.locator("#stage-canvas").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    pg.mouse.move(x, y)
    pg.mouse.down()
    pg.mouse.move(x + 80, y + 30, steps=8)
    pg.mouse.up()
    after = pg.evaluate("document.getElementById('stage-canvas').toDataURL()")
    assert after != before
    assert pg.evaluate("window.isotopy.rot['stage-canvas'].yaw") == pytest.approx(-0.9 + 0.8)


def _state(pg):
    return pg.evaluate("""() => { const s = window.isotopy;
        return {info: s.data.info, hidden: s.network.hidden, act: s.network.activation,
                seed: s.network.seed, lr: s.status.lr, batch: s.status.batch_size,
                opt: s.status.optimizer, speed: s.status.speed, stage: s.status.stage,
                penalty: s.status.penalty, pw: s.status.penalty_weight,
                points: s.data.points.b64, menu: document.getElementById('dataset').value}; }""")


def _linked(browser, url, expect_points):
    other = browser.new_page(viewport={"width": 1400, "height": 900})
    other.goto(url)
    other.wait_for_function(
        "n => window.isotopy && window.isotopy.ready && window.isotopy.data"
        " && window.isotopy.data.labels.length === n && "
        "location.hash.length > 0 && !window.isotopy.pendingHash",
        arg=expect_points,
    )
    other.wait_for_timeout(500)
    return other


def test_a_link_round_trips_every_control(server, page, browser):
    pg = page
    pg.goto(server.url)
    ready(pg)
    pg.select_option("#dataset", "spirals")
    pg.wait_for_function("window.isotopy.data.info.dataset === 'spirals'")
    pg.fill("#params input[data-param=turns]", "1.1")
    pg.dispatch_event("#params input[data-param=turns]", "change")
    pg.wait_for_function("window.isotopy.data.info.params.turns === 1.1")
    build(pg, "4,2")
    pg.select_option("#activation", "relu")
    pg.wait_for_function("window.isotopy.network.activation === 'relu'")
    for sel, value in [("#lr", "0.02"), ("#batch", "16")]:
        pg.fill(sel, value)
        pg.dispatch_event(sel, "change")
    pg.select_option("#optimizer", "sgd")
    set_speed(pg, 55)
    penalties = pg.evaluate("window.isotopy.registry.penalties")
    if penalties:
        pg.select_option("#penalty", penalties[0])
        pg.fill("#penalty-weight", "0.25")
        pg.dispatch_event("#penalty-weight", "change")
    pg.select_option("#stage", "2")
    pg.wait_for_function(
        "s => { const t = window.isotopy.status; return t.stage === 2 && "
        "t.speed === 55 && t.optimizer === 'sgd' && t.batch_size === 16 && "
        "t.lr === 0.02 && (!s || t.penalty_weight === 0.25); }",
        arg=bool(penalties),
    )
    # a click that removes nothing does not enter the link
    box = pg.locator("#input-canvas").bounding_box()
    pg.mouse.click(box["x"] + 3, box["y"] + 3, button="right")
    pg.wait_for_function("document.getElementById('error').textContent.includes('no training')")
    assert "edits" not in pg.evaluate("location.hash")
    want = _state(pg)
    assert "view=2" in pg.url and "speed=55" in pg.url
    other = _linked(browser, pg.url, len(pg.evaluate("Array.from(window.isotopy.data.labels)")))
    got = _state(other)
    other.close()
    assert got == want

    # an uploaded data set small enough travels in the link, and the menu names it
    csv = "x,y,label\n" + "".join(
        f"{0.1 * i:.1f},{(-1) ** i * 0.3:.1f},{i % 2}\n" for i in range(40)
    )
    pg.set_input_files(
        "#csv", files=[{"name": "mine.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    pg.wait_for_function("window.isotopy.data.info.file && location.hash.includes('csv=')")
    assert pg.evaluate("document.getElementById('dataset').selectedOptions[0].textContent") == (
        "uploaded: mine.csv"
    )
    want = _state(pg)
    other = _linked(browser, pg.url, 40)
    got = _state(other)
    menu = other.evaluate("document.getElementById('dataset').selectedOptions[0].textContent")
    other.close()
    assert got == want and menu == "uploaded: mine.csv"
    assert pg.problems == [], pg.problems


def test_a_refused_field_shows_the_value_in_use(server, page):
    pg = page
    pg.goto(server.url)
    ready(pg)
    for value in ["-1", "0"]:
        pg.fill("#lr", value)
        pg.dispatch_event("#lr", "change")
        pg.wait_for_function(
            "document.getElementById('error').textContent.includes("
            "'learning rate must be more than 0')"
        )
        pg.wait_for_function("document.getElementById('lr').value === '0.03'")
    for value, words in [
        ("20", "at most 16, got 20"),
        ("0", "at least 1, got 0"),
        ("2.5", "whole number, got 2.5"),
    ]:
        pg.fill("#hidden", value)
        pg.click("#apply-net")
        pg.wait_for_function(
            "w => document.getElementById('error').textContent.includes(w)", arg=words
        )
        assert pg.input_value("#hidden") == "3"
        msg = pg.text_content("#error")
        assert msg.count(".") <= 1 and "Input should" not in msg and ":" not in msg, msg
    assert pg.evaluate("window.isotopy.network.hidden") == [3]


def test_widths_being_typed_survive_a_network_that_comes_meanwhile(server, page):
    # a data change answers with the data, then the network: the widths a user has typed
    # and not yet applied stay in their field (a network message used to overwrite them, so
    # that the click then applied the old widths)
    pg = page
    pg.goto(server.url)
    ready(pg)
    pg.fill("#hidden", "4,2")
    pg.evaluate("window.__net = window.isotopy.network")
    pg.select_option("#dataset", "spirals")
    pg.wait_for_function("window.isotopy.network !== window.__net")  # the network came
    assert pg.input_value("#hidden") == "4,2"
    pg.click("#apply-net")
    pg.wait_for_function("window.isotopy.network.hidden.join(',') === '4,2'")
    pg.evaluate("window.__net = window.isotopy.network")
    pg.select_option("#dataset", "two_curves")  # applied: the field follows the server again
    pg.wait_for_function("window.isotopy.network !== window.__net")
    assert pg.input_value("#hidden") == "4,2"
    assert pg.evaluate("window.isotopy.network.hidden") == [4, 2]


def test_the_readable_state_control_labels_the_views(server, page):
    pg = page
    pg.goto(server.url)
    ready(pg)
    build(pg, "3")
    pg.click("#step100")
    pg.wait_for_function("window.isotopy.status.step === 100 && !window.isotopy.status.playing")
    pg.wait_for_function("window.isotopy.shown && window.isotopy.shown.step === 100")
    assert pg.text_content("#state-label").startswith("live network, step 100")
    pg.click("#anim-compute")  # the isotopy panel names the state it shows, first
    anim_note = "t => document.getElementById('anim-note').textContent.startsWith(t)"
    pg.wait_for_function(anim_note, arg="live network, step 100: hidden layer 1")
    pg.select_option("#show", "readable")
    pg.wait_for_function("window.isotopy.shown && window.isotopy.shown.kind === 'readable'")
    label = pg.text_content("#state-label")
    step = pg.evaluate("window.isotopy.shown.step")
    assert label.startswith(f"readable state, step {step} of 100"), label
    # the panel follows the views: computed again for the readable state
    pg.wait_for_function(anim_note, arg=f"readable state, step {step} of 100: hidden layer 1")
    assert pg.evaluate("window.isotopy.anim.shown") == "readable"
    assert "edge fraction" in label
    assert pg.is_visible("#state-refresh")
    pg.wait_for_function(
        "document.getElementById('stage-note').textContent.includes('readable state')"
    )
    assert "hidden layer 1, tanh" in pg.text_content("#stage-note")
    assert "edge fraction" in pg.text_content("#stage-note")
    assert "readable state" in pg.text_content("#input-note")
    pg.wait_for_function("location.hash.includes('show=readable')")
    shot(pg, "07-readable-state")
    pg.select_option("#show", "live")
    pg.wait_for_function("window.isotopy.shown.kind === 'live'")
    assert "show=" not in pg.evaluate("location.hash")
    assert pg.problems == [], pg.problems


# ----------------------------------------------- the page's policy, messages, classes (24)
@pytest.fixture(scope="module")
def strict_server(tmp_path_factory):
    """The server as users get it: its Content-Security-Policy without the harness's
    relaxations (no eval, no inline style)."""
    srv = ServerProcess(tmp_path_factory.mktemp("strict"), max_seconds=300, strict_policy=True)
    yield srv
    srv.stop()


def test_the_page_works_under_its_own_policy(strict_server, browser):
    """Only calls that do not evaluate strings in the page (function predicates, evaluate):
    the page connects, draws, trains, shows a message, downloads, and the browser reports
    no violation of the policy."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    problems = []
    pg.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    pg.on("pageerror", lambda e: problems.append(str(e)))
    try:
        resp = pg.goto(strict_server.url)
        policy = resp.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "style-src 'self';" in policy
        pg.wait_for_function(
            "() => window.isotopy && window.isotopy.ready && !!window.isotopy.data"
        )
        pg.click("#stepbtn")
        pg.wait_for_function("() => window.isotopy.status.step === 1")
        pg.wait_for_function("() => window.isotopy.lastFrameAt > 0 && !!window.isotopy.stage")
        assert pg.evaluate("getComputedStyle(document.querySelector('aside')).display") == "flex"
        pg.fill("#hidden", "2,x")
        pg.click("#apply-net")
        pg.wait_for_selector("#error:not([hidden])")
        with pg.expect_download() as dl:
            pg.click("#dl-data")
        assert dl.value.suggested_filename == "isotopy-data.csv"
        with pg.expect_download() as dl:
            pg.click("button.png[data-canvas=stage-canvas]")
        assert dl.value.suggested_filename.endswith(".png")
        assert problems == [], problems
    finally:
        ctx.close()


def test_another_origin_cannot_frame_the_explorer(strict_server, browser):
    """A page on another local port frames the explorer: the browser refuses to show it, so
    its script never runs and no session is opened."""
    import http.server
    import json
    import threading
    import urllib.request

    frame = f'<html><body><iframe id="f" src="{strict_server.url}#data=spirals"></iframe>'
    frame += "</body></html>"

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server name
            body = frame.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    ctx = browser.new_context()
    pg = ctx.new_page()
    try:
        pg.goto(f"http://127.0.0.1:{other.server_address[1]}/")
        pg.wait_for_timeout(2500)
        child = [f for f in pg.frames if f != pg.main_frame]
        assert child, "the frame element exists"
        with urllib.request.urlopen(strict_server.url + "api/health", timeout=10) as r:
            assert json.loads(r.read())["sessions"] == 0
        # the frame holds the browser's error page, not the explorer
        assert not child[0].url.startswith(strict_server.url), child[0].url
    finally:
        ctx.close()
        other.shutdown()


def _overlaps(pg, sel):
    """Controls whose boxes overlap the element ``sel``."""
    return pg.evaluate(
        """([sel, controls]) => {
      const m = document.querySelector(sel).getBoundingClientRect();
      return [...document.querySelectorAll(controls)].filter(e => !e.closest('[hidden]'))
        .filter(e => { const r = e.getBoundingClientRect();
          return Math.min(r.right, m.right) - Math.max(r.left, m.left) > 0.5
            && Math.min(r.bottom, m.bottom) - Math.max(r.top, m.top) > 0.5; })
        .map(e => e.id || e.textContent.trim() || e.tagName); }""",
        [sel, CONTROLS],
    )


@pytest.mark.parametrize("width, height", [(1280, 800)])
def test_messages_never_cover_controls_and_captions_are_whole(server, browser, width, height):
    ctx = browser.new_context(viewport={"width": width, "height": height})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    try:
        pg.goto(server.url)
        ready(pg)
        # the 8-D data's information message, and an error
        pg.select_option("#dataset", "nested_spheres")
        pg.wait_for_function("window.isotopy.data.info.dataset === 'nested_spheres'")
        pg.fill("#params input[data-param=dim]", "8")
        pg.dispatch_event("#params input[data-param=dim]", "change")
        pg.wait_for_function("window.isotopy.data.dim === 8")
        pg.wait_for_selector("#error.info:not([hidden])")
        assert "8 features" in pg.text_content("#error")
        pg.wait_for_timeout(300)
        assert _overlaps(pg, "#error") == []
        assert layout_problems(pg, width, height) == []
        shot(pg, "08-info-message-8d")
        pg.fill("#hidden", "2,x")
        pg.click("#apply-net")
        pg.wait_for_function("document.getElementById('error').className === ''")
        assert _overlaps(pg, "#error") == [] and layout_problems(pg, width, height) == []
        # every caption is shown whole (the 8-D stage note is the longest)
        pg.wait_for_function("window.isotopy.stage")
        cut = pg.evaluate(
            """() => [...document.querySelectorAll('.note')].filter(
              e => e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1)
              .map(e => e.id)"""
        )
        assert cut == []
        assert pg.text_content("#input-note").startswith("The data has 8 features")
    finally:
        ctx.close()


def test_the_header_state_label_keeps_to_one_line(server, page):
    pg = page
    pg.goto(server.url)
    ready(pg)
    build(pg, "2,2,2")
    pg.click("#step100")
    pg.wait_for_function("window.isotopy.status.step === 100")
    pg.select_option("#show", "readable")
    pg.wait_for_function("window.isotopy.shown && window.isotopy.shown.kind === 'readable'")
    # Training goes on past the readable state: the longest label. It stands only while
    # training runs (a finished step request recomputes the readable state), so play.
    pg.click("#play")
    pg.wait_for_function(
        "document.getElementById('state-label').textContent.includes('training at')"
    )
    h = pg.eval_on_selector("#state-label", "e => e.getBoundingClientRect().height")
    size = pg.eval_on_selector("#state-label", "e => parseFloat(getComputedStyle(e).fontSize)")
    title = pg.get_attribute("#state-label", "title")
    header = pg.eval_on_selector("header", "e => e.getBoundingClientRect().height")
    pg.click("#play")  # pause
    assert h < 2 * size, (h, size)  # one line of text
    assert "training is at step" in title and title.startswith("readable state, step"), title
    assert header <= 48


def test_classes_the_page_can_label_and_no_more(server, page):
    pg = page
    pg.goto(server.url)
    ready(pg)

    def upload(name, text):
        pg.set_input_files(
            "#csv", files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode()}]
        )

    rows = "".join(f"{i % 7 / 7:.3f},{i % 5 / 5:.3f},{i % 11}\n" for i in range(220))
    upload("eleven.csv", rows)
    pg.wait_for_function("document.getElementById('error').textContent.includes('classes')")
    assert pg.text_content("#error") == "data has 11 classes; the explorer takes at most 10"
    rows = "".join(f"{i % 7 / 7:.3f},{i % 5 / 5:.3f},{i % 4}\n" for i in range(200))
    upload("four.csv", rows)
    pg.wait_for_function("window.isotopy.data.n_classes === 4")
    radios = pg.eval_on_selector_all("input[name=cls]", "es => es.map(e => e.value)")
    assert radios == ["0", "1", "2", "3"]
    assert pg.text_content("#click-classes").split() == ["click", "adds", "A", "B", "C", "D"]
    n0 = pg.evaluate("window.isotopy.data.labels.length")
    pg.check("input[name=cls][value='2']")
    box = pg.locator("#input-canvas").bounding_box()
    pg.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    pg.wait_for_function("n => window.isotopy.data.labels.length === n + 1", arg=n0)
    assert pg.evaluate("window.isotopy.data.labels[window.isotopy.data.n_train - 1]") == 2
    # a file under the size limit whose message would not be: refused before it is sent
    odd = "0.5,0.5,0\n" + "\x01" * 1_000_000 + "\n"
    upload("odd.csv", odd)
    pg.wait_for_function("document.getElementById('error').textContent.startsWith('this file')")
    msg = pg.text_content("#error")
    assert "characters" in msg and "once written as a message" in msg, msg
    assert pg.evaluate("window.isotopy.data.n_classes") == 4  # nothing changed
    assert pg.problems == [], pg.problems


@pytest.mark.slow
def test_each_essay_datasets_live_picture_stays_off_the_edges(server, page):
    """With the page's defaults (3 tanh units, the edge penalty ramped in as isotopy train
    does), every essay dataset trained 3,000 steps shows its live network with at most 20%
    of its points on an edge of the tanh cube, as the header says."""
    pg = page
    pg.goto(server.url)
    ready(pg)
    assert pg.evaluate("window.isotopy.status.penalty") == "edge"
    assert pg.eval_on_selector("#penalty", "e => e.value") == "edge"
    for name in ("two_curves", "spirals", "disc_annulus", "interval", "linked_tori", "unlink"):
        if pg.evaluate("window.isotopy.data.info.dataset") != name:
            pg.select_option("#dataset", name)
            pg.wait_for_function(
                "n => window.isotopy.data.info.dataset === n && window.isotopy.status.step === 0",
                arg=name,
            )
        set_speed(pg, 200)
        train_until(pg, "parseInt(document.getElementById('step').textContent) >= 3000")
        pg.wait_for_function(
            "window.isotopy.shown && window.isotopy.shown.kind === 'live' && "
            "window.isotopy.shown.step >= 3000 && window.isotopy.status.step >= 3000"
        )
        edge = pg.evaluate("window.isotopy.shown.max_edge")
        assert edge <= 0.2, (name, edge)
        label = pg.text_content("#state-label")
        assert "edge fraction" in label, label
    shot(pg, "edge-penalty-unlink")


def test_serve_opens_a_report_figures_run(tmp_path, browser):
    """``isotopy serve --run DIR --at STEP`` opens every tab on the run a figure ships: its
    points and its network at that step, ready to train on."""
    from isotopy.train import save_run, train_run

    run = train_run("disc_annulus", hidden=(3,), steps=300, n=200, seed=0, record_every=20)
    save_run(run, tmp_path / "run")
    srv = ServerProcess(
        tmp_path / "exports", max_seconds=300, extra=("--run", str(tmp_path / "run"), "--at", "200")
    )
    try:
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.goto(srv.url)
        ready(pg)
        assert pg.evaluate("window.isotopy.network.hidden.join(',')") == "3"
        assert pg.evaluate("window.isotopy.data.labels.length") == len(run.X)
        info = pg.evaluate("window.isotopy.data.info")
        assert info["run"] == str(tmp_path / "run") and "step 200 of 300" in info["opened"]
        assert "Opened: disc_annulus from the run" in pg.text_content("#input-note")
        pg.click("#step100")
        pg.wait_for_function("window.isotopy.status.step === 100")
        pg.close()
    finally:
        srv.stop()
