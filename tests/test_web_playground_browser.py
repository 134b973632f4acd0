"""What TensorFlow Playground users look for, in the explorer, in real headless Chromium (issue
26): the network drawn unit by unit (one heatmap per unit, weights and biases edited by
clicking), the input features, L1 / L2 regularization, the noise and test-share sliders, the
test-data and discretize toggles, and all of them through the share link.

Same server, browser and page fixtures as ``test_web_browser.py``; screenshots go to
``test-artifacts/web/``.
"""

from __future__ import annotations

import pytest

pytest.importorskip("uvicorn")
pytest.importorskip("playwright.sync_api")

import test_web_browser as _b  # noqa: E402
from test_web_browser import CHROMIUM, build, layout_problems, ready, set_speed, shot  # noqa: E402

server, browser, page = _b.server, _b.browser, _b.page  # the same fixtures

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None, reason="no Chromium executable on PATH (apt-get install chromium)"
    ),
]

# the unit views of the network built last: every layer's width, weights, biases, step
UNITS = """() => { const u = window.isotopy.units; if (!u) return null;
  return {widths: u.layers.map(l => l.n), kinds: u.layers.map(l => l.kind), step: u.step,
          weights: u.weights.length, biases: u.biases.length}; }"""


def units_for(pg, widths):
    """Waits until the diagram shows a network of layer widths ``widths``; returns UNITS."""
    pg.wait_for_function(
        "w => window.isotopy.units && window.isotopy.units.layers.map(l => l.n).join(',') === w"
        " && document.querySelectorAll('#diagram [data-unit]').length === "
        "window.isotopy.units.layers.reduce((a, l) => a + l.n, 0)",
        arg=",".join(map(str, widths)),
    )
    return pg.evaluate(UNITS)


def pixels(pg, selector):
    """A canvas's picture (data URL), to compare before and after."""
    return pg.eval_on_selector(selector, "c => c.toDataURL()")


def click_weight(pg, key):
    """A real mouse click on the weight line ``key`` ("name:j,i"), at a point of it where no
    other line lies on top; returns the editor's description of the weight."""
    at = pg.evaluate(
        """key => { const g = document.querySelector(`[data-weight="${key}"]`);
          const l = g.querySelector('line.wline'), box = g.ownerSVGElement.getBoundingClientRect();
          const [x1, y1, x2, y2] = ['x1', 'y1', 'x2', 'y2'].map(a => +l.getAttribute(a));
          for (let t = 0.5; t > 0.05; t -= 0.05) for (const s of [t, 1 - t]) {
            const x = box.left + x1 + (x2 - x1) * s, y = box.top + y1 + (y2 - y1) * s;
            const hit = document.elementFromPoint(x, y);
            if (hit && hit.closest('[data-weight]') === g) return [x, y];
          }
          return null; }""",
        key,
    )
    assert at is not None, f"no point of weight {key} is on top"
    pg.mouse.click(*at)
    pg.wait_for_selector("#param-editor:not([hidden])")
    return pg.text_content("#param-what")


def test_the_diagram_shows_one_heatmap_per_unit(server, page):
    pg = page
    pg.goto(server.url)
    ready(pg)
    build(pg, "4,2")
    u = units_for(pg, [2, 4, 2, 1])
    assert u["kinds"] == ["input", "hidden", "hidden", "output"]
    assert u["weights"] == 2 * 4 + 4 * 2 + 2 * 1 and u["biases"] == 4 + 2 + 1
    assert pg.locator("#diagram [data-weight]").count() == u["weights"]
    assert pg.locator("#diagram [data-bias]").count() == u["biases"]
    # one element per unit, named layer:unit, each a heatmap (a canvas that is not blank)
    keys = pg.eval_on_selector_all("#diagram [data-unit]", "es => es.map(e => e.dataset.unit)")
    assert keys == [f"{k}:{i}" for k, n in enumerate([2, 4, 2, 1]) for i in range(n)]
    shades = pg.eval_on_selector_all(
        "#diagram [data-unit] canvas",
        """cs => cs.map(c => { const d = c.getContext('2d').getImageData(0, 0, c.width,
          c.height).data; const seen = new Set();
          for (let k = 0; k < d.length; k += 4) seen.add(d[k] * 65536 + d[k + 1] * 256 + d[k + 2]);
          return seen.size; })""",
    )
    assert all(n > 10 for n in shades), shades
    # hover names the value: a unit's range, a weight's and a bias's value
    assert "from" in pg.get_attribute("[data-unit='1:2']", "title")
    w = pg.evaluate("window.isotopy.units.weights[0]")
    title = pg.text_content(f"[data-weight='{w['name']}:{w['index'][0]},{w['index'][1]}'] title")
    assert title.startswith(f"weight {w['name']}[{w['index'][0]}, {w['index'][1]}] = ")
    assert "x1 → hidden 1 (tanh), unit 1" in title
    assert "bias" in pg.get_attribute("[data-bias]", "title")
    # live while training: the heatmaps follow the steps
    set_speed(pg, 20)
    pg.click("#play")
    pg.wait_for_function("window.isotopy.units.step > 30", timeout=60_000)
    pg.click("#play")
    pg.wait_for_function("!window.isotopy.status.playing")
    shot(pg, "26-diagram-4-2")
    # a unit opens large on a click, and closes on another
    pg.click("[data-unit='2:1']")
    pg.wait_for_selector("#unit-big:not([hidden])")
    assert pg.text_content("#unit-big-note").startswith("hidden 2 (tanh), unit 2, step ")
    pg.click("#unit-big")
    pg.wait_for_selector("#unit-big", state="hidden")
    assert pg.problems == [], pg.problems


def test_the_diagram_sits_beside_the_3d_stage_view(server, page):
    pg = page
    pg.goto(server.url)
    ready(pg)
    build(pg, "3")
    units_for(pg, [2, 3, 1])
    stage = pg.evaluate("window.isotopy.units.layers[1].name")
    index = pg.evaluate(
        "n => window.isotopy.network.stages.find(s => s.name === n).index", arg=stage
    )
    pg.click(".dhead[data-layer='1']")  # the hidden layer's column shows it in the stage view
    pg.wait_for_function("i => window.isotopy.status.stage === i", arg=index)
    pg.wait_for_function("window.isotopy.stage && window.isotopy.stage.dim === 3")
    assert "shown" in pg.get_attribute(".dhead[data-layer='1']", "class")
    a = pg.locator("#stage-canvas").bounding_box()
    b = pg.locator("#diagram").bounding_box()
    assert b["x"] >= a["x"] + a["width"] and b["x"] - (a["x"] + a["width"]) < 60  # beside it
    assert min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"]) > 200
    assert layout_problems(pg, 1400, 1000) == []


def test_editing_a_weight_moves_its_unit_and_the_regions(server, page):
    pg = page
    pg.goto(server.url)
    ready(pg)
    build(pg, "3")
    units_for(pg, [2, 3, 1])
    pg.click("#step100")
    pg.wait_for_function("window.isotopy.units.step === 100 && !window.isotopy.status.playing")
    pg.select_option("#show", "readable")  # an edit shows the live network again
    pg.wait_for_function("window.isotopy.shown && window.isotopy.shown.kind === 'readable'")
    pg.wait_for_timeout(300)
    w = pg.evaluate("window.isotopy.units.weights.find(w => w.to[0] === 1 && w.to[1] === 1)")
    key = f"{w['name']}:{w['index'][0]},{w['index'][1]}"
    unit = f"[data-unit='1:{w['to'][1]}'] canvas"
    before = {
        "unit": pixels(pg, unit),
        "other": pixels(pg, "[data-unit='0:0'] canvas"),
        "regions": pixels(pg, "#input-canvas"),
        "field": pg.evaluate("Array.from(window.isotopy.inputField.vals)"),
    }
    what = click_weight(pg, key)
    assert what.startswith(f"weight {w['name']}[{w['index'][0]}, {w['index'][1]}]")
    # a value out of range is refused in one sentence, and the editor stays open
    pg.fill("#param-value", "1e6")
    pg.press("#param-value", "Enter")
    pg.wait_for_function("document.getElementById('param-value').getAttribute('aria-invalid')")
    msg = pg.text_content("#error")
    assert msg.count(".") <= 1 and "10000" in msg, msg
    assert pg.is_visible("#param-editor")
    new = -4.0 if w["value"] > 0 else 4.0
    pg.fill("#param-value", str(new))
    pg.press("#param-value", "Enter")
    pg.wait_for_function(
        "([k, v]) => window.isotopy.units.weights.some(w => "
        "`${w.name}:${w.index.join(',')}` === k && w.value === v)",
        arg=[key, new],
    )
    pg.wait_for_selector("#param-editor", state="hidden")
    pg.wait_for_function("window.isotopy.status.show === 'live'")
    pg.wait_for_function(
        "old => window.isotopy.inputField && Array.from(window.isotopy.inputField.vals)"
        ".some((v, i) => v !== old[i])",
        arg=before["field"],
    )
    assert pixels(pg, unit) != before["unit"]  # the unit the weight feeds
    assert pixels(pg, "[data-unit='0:0'] canvas") == before["other"]  # an input: unchanged
    assert pixels(pg, "#input-canvas") != before["regions"]
    # the weight's line is redrawn in its new sign
    colour = pg.get_attribute(f"[data-weight='{key}'] line.wline", "stroke")
    assert colour == ("rgb(214,39,40)" if new < 0 else "rgb(31,119,180)")
    shot(pg, "26-weight-edited")
    assert [p for p in pg.problems if "10000" not in p] == [], pg.problems


def test_editing_a_bias_by_clicking(server, page):
    pg = page
    pg.goto(server.url)
    ready(pg)
    build(pg, "2")
    units_for(pg, [2, 2, 1])
    b = pg.evaluate("window.isotopy.units.biases.find(b => b.layer === 2)")  # the read-out's
    before = pg.evaluate("Array.from(window.isotopy.inputField.vals)")
    evals = pg.evaluate("window.isotopy.curves.evals.length")
    loss = pg.text_content("#loss")
    pg.click(f"[data-bias='{b['name']}:{b['index'][0]}']")
    pg.wait_for_selector("#param-editor:not([hidden])")
    assert "bias of output" in pg.text_content("#param-what")
    pg.fill("#param-value", "2.5")
    pg.click("#param-set")
    pg.wait_for_function(
        "n => window.isotopy.units.biases.some(b => b.name === n && b.value === 2.5)",
        arg=b["name"],
    )
    # a larger read-out bias moves the regions toward class B (the field is its probability)
    pg.wait_for_function(
        "old => { const v = Array.from(window.isotopy.inputField.vals); "
        "return v.reduce((a, x) => a + x, 0) > old.reduce((a, x) => a + x, 0); }",
        arg=before,
    )
    # the curves too: an evaluation of the edited network at the same step
    pg.wait_for_function("n => window.isotopy.curves.evals.length > n", arg=evals)
    assert pg.evaluate("window.isotopy.curves.evals.slice(-1)[0][0]") == 0
    assert pg.text_content("#loss") != loss
    assert pg.problems == [], pg.problems


def _controls(pg):
    """What the Playground controls show, and what the server says it uses."""
    return pg.evaluate(
        """() => { const s = window.isotopy.status, $ = id => document.getElementById(id);
        return {feat: [...document.querySelectorAll('#features input:checked')].map(e => e.value),
          noise: $('noise').value, test: $('test-share').value, reg: $('reg').value,
          rate: $('reg-rate').value, showtest: $('show-test').checked,
          disc: $('discretize').checked,
          server: {features: s.features, noise: s.noise, test_size: s.test_size,
            regularization: s.regularization, reg_rate: s.reg_rate},
          n_train: window.isotopy.data.n_train, n: window.isotopy.data.labels.length,
          dataset: window.isotopy.data.info.dataset}; }"""
    )


def _slide(pg, sel, value):
    pg.eval_on_selector(
        sel,
        "(e, v) => { e.value = v; e.dispatchEvent(new Event('input'));"
        " e.dispatchEvent(new Event('change')); }",
        value,
    )


def test_playground_controls_work_and_round_trip_through_the_link(server, page, browser):
    pg = page
    pg.goto(server.url)
    ready(pg)
    # L1 and L2 are the regularization control's, not the penalty menu's
    menu = pg.eval_on_selector_all("#penalty option", "os => os.map(o => o.value)")
    assert "l1" not in menu and "l2" not in menu
    pg.select_option("#dataset", "xor")
    pg.wait_for_function("window.isotopy.data.info.dataset === 'xor'")
    # noise and the test share make new data
    _slide(pg, "#noise", "0.1")
    pg.wait_for_function("window.isotopy.status.noise === 0.1")
    assert pg.text_content("#noise-val") == "0.10"
    _slide(pg, "#test-share", "30")
    pg.wait_for_function("window.isotopy.status.test_size === 0.3")
    c = _controls(pg)
    assert c["n"] - c["n_train"] == round(0.3 * c["n"])
    # features: a stage of its own, named in the diagram; x1·x2 keeps the map an embedding
    pg.check("#features input[value=x1x2]")
    pg.wait_for_function("(window.isotopy.status.features || []).join() === 'x1,x2,x1x2'")
    units_for(pg, [2, 3, 3, 1])
    assert pg.evaluate("window.isotopy.units.layers[1].kind") == "features"
    assert pg.is_hidden("#features-note")
    assert "features" in pg.eval_on_selector_all("#stage option", "os => os.map(o => o.text)")[1]
    # x1² without x1 folds the plane: the server says so and the page shows it
    pg.check("#features input[value=x1sq]")
    pg.wait_for_function("(window.isotopy.status.features || []).includes('x1sq')")
    pg.uncheck("#features input[value=x1]")
    pg.wait_for_function("window.isotopy.status.features_note")
    assert pg.is_visible("#features-note")
    assert "x1²" in pg.text_content("#features-note")
    # regularization and rate, applied without a reset
    pg.click("#step100")
    pg.wait_for_function("window.isotopy.status.step === 100 && !window.isotopy.status.playing")
    pg.select_option("#reg", "l2")
    pg.fill("#reg-rate", "0.01")
    pg.dispatch_event("#reg-rate", "change")
    pg.wait_for_function(
        "window.isotopy.status.regularization === 'l2' && window.isotopy.status.reg_rate === 0.01"
    )
    assert pg.evaluate("window.isotopy.status.step") == 100
    # test data and discretize: drawn by the page
    regions = pixels(pg, "#input-canvas")
    pg.check("#show-test")
    with_test = pixels(pg, "#input-canvas")
    assert with_test != regions
    pg.check("#discretize")
    assert pixels(pg, "#input-canvas") != with_test
    pg.wait_for_function("location.hash.includes('disc=1')")
    shot(pg, "26-playground-controls")
    want = _controls(pg)
    assert want["showtest"] and want["disc"] and want["reg"] == "l2"
    url = pg.url
    for key in [
        "feat=x2%2Cx1sq%2Cx1x2",
        "noise=0.1",
        "test=0.3",
        "reg=l2",
        "rate=0.01",
        "showtest=1",
        "disc=1",
    ]:
        assert key in url, (key, url)
    other = browser.new_page(viewport={"width": 1400, "height": 900})
    other.goto(url)
    other.wait_for_function(
        "window.isotopy && window.isotopy.ready && !window.isotopy.pendingHash && "
        "window.isotopy.status.regularization === 'l2' && window.isotopy.status.features"
    )
    other.wait_for_timeout(500)
    got = _controls(other)
    other.close()
    assert got == want
    assert pg.problems == [], pg.problems


def test_the_discretized_regions_are_flat(server, page):
    """With discretize on, the decision field has no shades between the two regions' colours
    (the probability of B blends them), where shaded it has many pixels of them."""
    pg = page
    pg.goto(server.url)
    ready(pg)
    build(pg, "3")
    pg.click("#step100")
    pg.wait_for_function("window.isotopy.status.step === 100 && !window.isotopy.status.playing")
    pg.wait_for_timeout(300)
    blends = """() => { const c = document.getElementById('input-canvas');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;  // pixels of A's colour (246,201,201) blended with B's (201,220,240)
      for (let k = 0; k < d.length; k += 4) {
        const p = (246 - d[k]) / 45;
        if (p > 0.05 && p < 0.95 && Math.abs(d[k + 1] - (201 + 19 * p)) <= 2
            && Math.abs(d[k + 2] - (201 + 39 * p)) <= 2) n++;
      }
      return n; }"""
    shaded = pg.evaluate(blends)
    pg.check("#discretize")
    flat = pg.evaluate(blends)
    assert shaded > 2000 and flat < shaded / 50, (shaded, flat)


def test_data_off_the_plane_has_noise_but_no_features_and_no_unit_views(server, page):
    """Linked tori (3-D): the noise slider works (every dataset takes noise), the feature
    boxes are off, the features in use are dropped (the server says so), and the diagram
    says why it is empty; back on 2-D data, the unit views come again."""
    pg = page
    pg.goto(server.url)
    ready(pg)
    pg.check("#features input[value=x1x2]")
    pg.wait_for_function("(window.isotopy.status.features || []).includes('x1x2')")
    pg.select_option("#dataset", "linked_tori")
    pg.wait_for_function("window.isotopy.data.info.dataset === 'linked_tori'")
    pg.wait_for_function("window.isotopy.status.features === null")
    assert pg.is_enabled("#noise") and pg.text_content("#noise-val") == "0.00"
    _slide(pg, "#noise", "0.05")
    pg.wait_for_function("window.isotopy.status.noise === 0.05")
    assert pg.eval_on_selector_all("#features input", "es => es.every(e => e.disabled)")
    assert "were dropped" in pg.text_content("#error")
    pg.wait_for_selector("#diagram .dempty")
    assert "3 features" in pg.text_content("#diagram")
    assert pg.locator("#diagram [data-unit]").count() == 0
    pg.select_option("#dataset", "spirals")
    pg.wait_for_function("window.isotopy.data.info.dataset === 'spirals'")
    assert pg.is_enabled("#noise") and pg.is_enabled("#features input[value=x1x2]")
    hidden = pg.evaluate("window.isotopy.network.hidden")
    units_for(pg, [2, *hidden, 1])
    assert pg.problems == [], pg.problems
