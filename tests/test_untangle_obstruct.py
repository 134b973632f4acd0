"""Obstructions (linking numbers, hyperbolic complements) and the diagram route."""

from __future__ import annotations

import numpy as np
import pytest

from isotopy.topology.linking import linking_number_crossings
from isotopy.untangle.diagram import diagram_route, have_snappy, hyperbolic, project
from isotopy.untangle.families import FAMILIES
from isotopy.untangle.link import Link
from isotopy.untangle.obstruct import obstruction, obstructions

needs_snappy = pytest.mark.skipif(not have_snappy(), reason="SnapPy is not installed")


def _ring(n=40, radius=1.0, centre=(0.0, 0.0, 0.0), plane="xy"):
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    u, v, z = radius * np.cos(a), radius * np.sin(a), np.zeros(n)
    pts = {"xy": np.c_[u, v, z], "xz": np.c_[u, z, v]}[plane]
    return pts + centre


def test_hopf_is_refused_by_its_linking_number():
    for seed in range(3):
        assert obstruction(FAMILIES["hopf"](seed)) == "linking number 1 between components 0 and 1"
    assert obstruction(FAMILIES["torus"](0, 3)).startswith("linking number 3 ")


def test_linking_is_found_between_classes_only():
    # two linked rings of the same class and a far ring of the other: nothing found
    a = _ring()
    b = _ring(centre=(1.0, 0, 0), plane="xz")
    far = _ring(centre=(6.0, 0, 0))
    assert obstructions(Link((a, b, far), (1, 1, 0)), use_snappy=False).found is None
    found = obstruction(Link((a, b, far), (1, 0, 0)), use_snappy=False)
    assert found == "linking number 1 between components 0 and 1"


@pytest.mark.parametrize("name", ["threaded", "figure_eight", "coil", "weave", "chains"])
def test_split_links_have_no_obstruction(name):
    for seed in range(2):
        assert obstruction(FAMILIES[name](seed, 2)) is None


def test_without_snappy_it_says_what_it_could_not_check():
    report = obstructions(FAMILIES["whitehead"](0), use_snappy=False)
    assert report.found is None
    assert report.checked == ["linking numbers between the classes"]
    assert "hyperbolic complement" in report.unchecked[0]


@needs_snappy
@pytest.mark.parametrize("name, volume", [("whitehead", 3.6639), ("borromean", 7.3277)])
def test_whitehead_and_borromean_are_not_split_never_split(name, volume):
    for seed in range(4):
        found = obstruction(FAMILIES[name](seed))
        assert found is not None and "hyperbolic" in found and f"{volume:.4f}" in found
        verdict = diagram_route(FAMILIES[name](seed))
        assert verdict.verdict == "not split"


@needs_snappy
def test_the_pd_code_is_the_link():
    import spherogram

    d = project(FAMILIES["whitehead"](1), seed=3)
    assert len(d.pd) == len(d.signs) == len(d.crossing_components)
    assert hyperbolic(d.pd) == pytest.approx(3.66386, abs=1e-4)
    assert spherogram.Link([list(x) for x in d.pd]).linking_matrix()[0][1] == 0
    for seed in range(3):  # signed: the crossings' handedness is read as SnapPy reads it
        link = FAMILIES["torus"](seed, 2)
        t = project(link, seed=seed)
        lk = linking_number_crossings(*link.components)
        assert abs(lk) == 2 and t.linking_matrix()[0, 1] == lk
        assert spherogram.Link([list(x) for x in t.pd]).linking_matrix()[0][1] == lk


def test_a_projection_without_crossings_is_split_without_snappy():
    link = Link((_ring(), _ring(centre=(3.0, 0, 0))), (1, 0))
    v = diagram_route(link, use_snappy=False)
    assert v.verdict == "split" and v.crossings == 0 and v.seconds >= 0


def test_hopf_is_not_split_by_the_diagram_route():
    v = diagram_route(FAMILIES["hopf"](0), use_snappy=False)
    assert v.verdict == "not split" and "linking number 1" in v.reason


@needs_snappy
def test_an_unlink_drawn_with_crossings_is_split():
    # a small ring threaded down and up through a big one: it crosses it in every view
    for name in ("threaded", "weave"):
        v = diagram_route(FAMILIES[name](0, 2))
        assert v.crossings > 0 and v.verdict == "split", v.line()


def test_without_snappy_a_tangled_diagram_is_unknown():
    v = diagram_route(FAMILIES["threaded"](0), seed=1, use_snappy=False)
    assert v.crossings > 0 and v.verdict == "unknown"
