"""The report: every section builds (quick settings), figures exist, numbers are recorded."""

import json
import re

import pytest

from _gif import read_gif
from isotopy.errors import InputError
from isotopy.report import SECTIONS, build_report


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep") / "report"
    result = build_report(out, quick=True)
    return out, result


def test_report_has_every_section_figure_and_metric(report):
    out, result = report
    page = (out / "index.html").read_text()
    for name in SECTIONS:
        assert f'<section id="{name}">' in page
    for src in re.findall(r'src="([^"]+)"', page):
        assert (out / src).is_file(), src
    data = json.loads((out / "metrics.json").read_text())
    assert data["quick"] is True and data["metrics"] == result["metrics"]
    assert "first_examples.disc_h3.train_accuracy" in data["metrics"]
    assert all(c["agrees"] in (True, False, None) for c in data["claims"])
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp left


def test_report_refuses_unknown_section_and_foreign_folder(tmp_path):
    with pytest.raises(InputError, match="unknown report section 'nope'"):
        build_report(tmp_path / "r", only=["nope"], quick=True)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="exists and is not empty"):
        build_report(tmp_path / "mine", quick=True)


def test_every_figure_is_indexed_legible_and_ships_a_network_that_redraws(report, tmp_path):
    from PIL import Image

    from isotopy.cli import main
    from isotopy.report.context import MAX_WIDTH_PX
    from isotopy.report.sections._settings import ENCODING
    from isotopy.train import load_run

    out, _ = report
    page = (out / "index.html").read_text()
    data = json.loads((out / "metrics.json").read_text())
    shown = {
        src.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        for src in re.findall(r'<(?:img|video) src="([^"]+)"', page)
    }
    listed = {f["id"] for f in data["figures"]}
    assert shown and shown <= listed  # every figure of the page is in the index
    for f in data["figures"]:
        assert f["essay"] and f["shows"]  # an essay counterpart or "beyond the essay"
        assert f'href="#{f["id"]}"' in page
    for png in (out / "figures").glob("*.png"):
        assert Image.open(png).size[0] <= MAX_WIDTH_PX, png.name
    # every animation in the report's one encoding (full: 640 px, the end held 1.5 s)
    enc = ENCODING[data["quick"]]
    assert ENCODING[False]["size"] >= 640 and ENCODING[False]["hold"] >= 1.0
    gifs = sorted((out / "figures").glob("*.gif"))
    assert len(gifs) >= 8
    for gif in gifs:
        info = read_gif(gif)
        assert info["size"][0] == enc["size"], gif.name
        assert info["last_held_s"] >= enc["hold"], gif.name
    with_runs = {f["id"] for f in data["figures"] if f.get("runs")}
    assert {"first_examples_disc_h3", "linking_unlink_layers", "untangle_hard"} <= with_runs
    shipped = [r for f in data["figures"] for r in f.get("runs", [])]
    assert len({r["run"] for r in shipped}) >= 10  # the networks of the report's pictures
    for r in shipped[::3]:  # every third: each redraw takes a second or two
        run = load_run(out / r["run"])
        assert 0 <= r["step"] <= run.history.steps_done
        if run.net.d_in > 3:  # an image classifier (the digits): not drawn layer by layer
            assert main(["plot", str(out / r["run"]), "--out", str(tmp_path / "wide")]) == 2
            continue
        target = tmp_path / r["run"].replace("/", "_")
        argv = ["plot", str(out / r["run"]), "--at", str(r["step"]), "--out", str(target)]
        assert main(argv) == 0
        assert (target / "strip.png").is_file()
