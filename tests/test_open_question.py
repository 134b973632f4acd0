"""The open-question experiment: random links keep their linking numbers; 3-unit layers never
separate a link with lk != 0 on the dense check; the report section builds."""

from __future__ import annotations

import json

import numpy as np
import pytest

from isotopy import link_cores
from isotopy.experiments.open_question import (
    _cores,
    dense_sample,
    instance_data,
    linking_number,
    random_links,
    separation_by_linking,
)


@pytest.mark.parametrize(
    "name,params,expected",
    [
        ("linked_tori", {"linking": 1}, 1),
        ("linked_tori", {"linking": 2}, 2),
        ("linked_tori", {"linking": 3}, 3),
        ("unlink", {}, 0),
    ],
)
def test_gauss_linking_number(name, params, expected):
    a, b = link_cores(name, samples=500, **params)
    assert abs(linking_number(a, b)) == pytest.approx(expected, abs=0.02)


def test_random_family_keeps_linking_numbers():
    insts = random_links(2, linking=(1, 2), seed=3)
    assert [i.kind for i in insts].count("torus") == 4
    for inst in insts:
        lk = linking_number(*_cores(inst, 500))
        assert abs(lk) == pytest.approx(inst.linking, abs=0.03), inst
        assert "lk=" in repr(inst)


def test_embedding_is_orientation_preserving_and_injective_locally():
    inst = random_links(1, linking=(1,), seed=0)[-1]
    phi = inst.embedding()
    x = np.random.default_rng(0).uniform(-1.5, 1.5, (200, 3))
    h = 1e-5
    jac = np.stack([(phi(x + h * e) - phi(x - h * e)) / (2 * h) for e in np.eye(3)], -1)
    assert (np.linalg.det(jac) > 0).all()
    X, y = instance_data(inst, 300)
    assert X.shape == (300, 3) and X.dtype == np.float32 and set(np.unique(y)) == {0, 1}
    Xd, yd = dense_sample(inst, dense=500, core=100)
    assert len(Xd) == 700 and (yd[-100:] == 1).all()


def test_report_section_quick(tmp_path):
    from isotopy.report import build_report

    out = build_report(tmp_path / "rep", quick=True, only=["open_question"])
    claims = {c["claim"][:20]: c for c in out["claims"]}
    assert len(claims) == 1  # the links' claim is the topology section's row
    question = next(c for k, c in claims.items() if k.startswith("Can all unlinks"))
    assert all(kind in question["measured"] for kind in ("threaded", "figure_eight", "nested"))
    # quick settings decide nothing: the verdict is "not resolved", the rule is stated
    assert question["verdict"] == "not resolved" and question["rule"] and question["setting"]
    metrics = json.loads((tmp_path / "rep" / "metrics.json").read_text())["metrics"]
    assert metrics["open_question.linked_separated"] == 0
    for kind in ("threaded", "figure_eight", "nested"):
        assert 0 <= metrics[f"open_question.tangled.{kind}.separated"] <= 1
    html = (tmp_path / "rep" / "index.html").read_text()
    assert "open_question_unlinks.png" in html


def test_separation_summary():
    import pandas as pd

    table = pd.DataFrame(
        {
            "instance": ["a", "a", "b", "b"],
            "kind": ["unlink"] * 2 + ["torus"] * 2,
            "linking": [0, 0, 1, 1],
            "separated": [True, False, False, False],
            "dense_accuracy": [1.0, 0.9, 0.98, 0.97],
            "train_accuracy": [1.0, 0.95, 1.0, 0.99],
        }
    )
    s = separation_by_linking(table).set_index("linking")
    assert s.loc[0, "separated"] == 0.5 and s.loc[0, "instances_separated"] == 1.0
    assert s.loc[1, "separated"] == 0.0 and s.loc[1, "train_perfect"] == 0.5
