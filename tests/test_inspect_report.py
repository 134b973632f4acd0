"""The report section "naitzat": a quick build (tiny settings: the verdicts are "not
resolved" by rule) formats what isotopy.experiments.naitzat returns, with its figures
indexed and the conv net it shows shipped."""

from __future__ import annotations

import json

import numpy as np

from isotopy.experiments import naitzat


def test_quick_section_builds_with_claims_figures_and_numbers(tmp_path):
    from PIL import Image

    from isotopy.report import build_report

    res = build_report(tmp_path / "rep", quick=True, only=["naitzat"])
    claims = [c for c in res["claims"] if c["section"] == "naitzat"]
    # a point (tanh, ReLU), ReLU faster, the training control (tanh, ReLU), k-NN deeper
    assert len(claims) == 6
    assert all(c["verdict"] == "not resolved" for c in claims)  # quick settings decide nothing
    assert all(c["rule"] for c in claims)
    assert sum("Control: the simplification comes from training" in c["claim"] for c in claims) == 2
    figs = sorted(p.name for p in (tmp_path / "rep" / "figures").iterdir())
    assert figs == ["naitzat_betti.png", "naitzat_digits.png"]
    for f in figs:
        assert Image.open(tmp_path / "rep" / "figures" / f).size[0] <= 1100
    data = json.loads((tmp_path / "rep" / "metrics.json").read_text())
    indexed = {f["id"] for f in data["figures"]}
    assert {"naitzat_betti", "naitzat_digits"} <= indexed
    assert (tmp_path / "rep" / "runs" / "naitzat_digits" / "config.json").exists()
    metrics = data["metrics"]
    nets = metrics["naitzat.networks"]
    cfg = naitzat.NaitzatConfig.quick()
    assert len(nets) == 2 * 2 * cfg.seeds  # two data sets, two activations
    for r in nets:
        assert np.asarray(r["betti"]).shape == (1 + cfg.depth, 2, 2)
    control = metrics["naitzat.control"]
    assert sorted({(c["data"], c["activation"]) for c in control}) == sorted(
        (d, a) for d in naitzat.DATA for a in cfg.controls
    )
    page = (tmp_path / "rep" / "index.html").read_text()
    assert "What the reading does without training" in page and "real-data case" in page
    assert "14-nearest-neighbour graph" in page
