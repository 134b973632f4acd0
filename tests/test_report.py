"""The report: every section builds (quick settings), figures exist, numbers are recorded."""

import json
import re

import pytest

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
