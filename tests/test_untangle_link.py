"""Links as input: the checks, exact segment distances, the JSON file."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from isotopy.errors import InputError
from isotopy.untangle.link import (
    Link,
    check_link,
    close_pairs,
    load_link,
    min_distance,
    save_link,
    segment_distances,
)


def _ring(n=40, radius=1.0, centre=(0.0, 0.0, 0.0)):
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.c_[radius * np.cos(a), radius * np.sin(a), np.zeros(n)] + centre


def _pair(gap=3.0):
    return Link((_ring(), _ring(centre=(gap, 0.0, 0.0))), (1, 0), "pair")


def test_segment_distances_known_cases():
    p0 = np.array([[0.0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]])
    p1 = np.array([[1.0, 0, 0], [1, 0, 0], [1, 0, 0], [1, 0, 0], [0, 0, 0]])
    q0 = np.array([[0.5, -1, 2], [2, 1, 0], [0.25, 1, 0], [0.5, -1, 0], [3, 4, 0]])
    q1 = np.array([[0.5, 1, 2], [3, 1, 0], [2, 1, 0], [0.5, 1, 0], [3, 4, 0]])
    d = segment_distances(p0, p1, q0, q1)
    # crossing above at height 2; end to end; parallel overlapping at 1; crossing; points
    np.testing.assert_allclose(d, [2.0, np.sqrt(2.0), 1.0, 0.0, 5.0], atol=1e-15)


def test_segment_distances_match_dense_sampling():
    rng = np.random.default_rng(0)
    p0, p1, q0, q1 = (rng.standard_normal((40, 3)) for _ in range(4))
    d = segment_distances(p0, p1, q0, q1)
    s = np.linspace(0, 1, 201)
    a = p0[:, None, :] + s[None, :, None] * (p1 - p0)[:, None, :]
    b = q0[:, None, :] + s[None, :, None] * (q1 - q0)[:, None, :]
    brute = np.linalg.norm(a[:, :, None] - b[:, None, :], axis=-1).min((1, 2))
    assert (d <= brute + 1e-12).all()  # exact is never above a sampled bound
    assert (brute - d).max() < 2e-2  # and the sampling comes close to it


def test_close_pairs_holds_every_pair_that_can_be_close():
    rng = np.random.default_rng(1)
    mid, half = rng.uniform(-1, 1, (150, 3)), rng.exponential(0.02, 150)
    half[:4] = 0.9  # a few long segments
    mid_b, half_b = rng.uniform(-1, 1, (120, 3)), rng.exponential(0.02, 120)
    half_b[:2] = 0.7
    d = np.linalg.norm(mid[:, None] - mid_b[None], axis=-1)
    need = set(zip(*np.nonzero(d <= half[:, None] + half_b[None] + 0.01)))
    i, j = close_pairs(mid, half, mid_b, half_b, 0.01)
    assert need <= set(zip(i.tolist(), j.tolist()))
    d = np.linalg.norm(mid[:, None] - mid[None], axis=-1)
    a, b = np.nonzero(d <= half[:, None] + half[None] + 0.01)
    i, j = close_pairs(mid, half, mid, half, 0.01, same=True)
    got = set(zip(i.tolist(), j.tolist()))
    assert {(x, y) for x, y in zip(a.tolist(), b.tolist()) if x < y} <= got
    assert all(x < y for x, y in got) and len(got) < 150 * 149 / 2 / 4  # far fewer than all


def test_a_long_edge_beside_many_short_ones_is_checked_fast():
    t = np.linspace(0, 1, 20_000)
    wiggle = np.c_[t, 0.05 * np.sin(40 * t), np.zeros_like(t)]
    closed = np.r_[wiggle, [[1.0, 1.0, 0.0], [0.0, 1.0, 0.0]]]  # two long edges close it
    far = _ring(centre=(4.0, 0, 0), radius=0.3)
    link = check_link(Link((closed, far), (1, 0)))
    assert min_distance(link) == pytest.approx(4.0 - 0.3 - 1.0, abs=1e-3)
    crossing = np.r_[wiggle, [[1.0, -1.0, 0.0], [0.5, 1.0, 0.0], [0.0, -1.0, 0.0]]]
    with pytest.raises(InputError, match="meets itself"):  # a long edge crosses the wiggle
        check_link(Link((crossing, far), (1, 0)))


def test_check_link_accepts_and_converts():
    link = Link(tuple(c.tolist() for c in _pair().components), [1, 0], "x")
    out = check_link(link)
    assert out.classes == (1, 0) and out.name == "x"
    assert all(c.dtype == np.float64 and c.shape == (40, 3) for c in out.components)


def test_min_distance_exact():
    # the rings' nearest edges: vertices at angle 0 on both, at distance gap - 2
    assert min_distance(_pair(3.0)) == pytest.approx(1.0, abs=1e-12)
    # a square and a segment pair above its edge's middle: the distance is between edges
    square = np.array([[0.0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]])
    tri = np.array([[0.5, -1, 0.3], [0.5, 1, 0.3], [0.5, 0, 5.0]])
    assert min_distance(Link((square, tri), (0, 1))) == pytest.approx(0.3, abs=1e-12)


@pytest.mark.parametrize(
    "components, classes, words",
    [
        ((_ring(), _ring(centre=(3, 0, 0))), (1, 1), "both classes"),
        ((_ring(),), (1,), "at least two components"),
        ((_ring(), _ring(centre=(3, 0, 0))), (1, 2), "0 or 1"),
        ((_ring(), _ring(centre=(3, 0, 0))), (1,), "one class per component"),
        ((_ring()[:2], _ring(centre=(3, 0, 0))), (1, 0), "needs 3"),
        ((_ring()[:, :2], _ring(centre=(3, 0, 0))), (1, 0), "shape (m, 3)"),
        ((np.r_[_ring(), _ring()[:1]], _ring(centre=(3, 0, 0))), (1, 0), "repeats the first"),
        ((_ring(), _ring(centre=(2, 0, 0))), (1, 0), "meet: their least distance is"),
        ((_ring(), _ring(centre=(0.5, 0, 0)) + [0, 0, 0]), (1, 0), "components 0 and 1 meet"),
    ],
)
def test_check_link_refuses(components, classes, words):
    with pytest.raises(InputError, match=words.replace("(", r"\(").replace(")", r"\)")):
        check_link(Link(components, classes))


def test_check_link_refuses_nan_and_self_intersection():
    bad = _ring()
    bad[3, 2] = np.nan
    with pytest.raises(InputError, match="finite"):
        check_link(Link((bad, _ring(centre=(3, 0, 0))), (0, 1)))
    # a figure eight drawn flat: two edges cross at the origin
    t = np.linspace(0, 2 * np.pi, 41, endpoint=False)
    eight = np.c_[np.sin(t), np.sin(t) * np.cos(t), np.zeros_like(t)]
    with pytest.raises(InputError, match="component 0 meets itself"):
        check_link(Link((eight, _ring(centre=(5, 0, 0))), (0, 1)))
    lifted = eight + np.c_[np.zeros_like(t), np.zeros_like(t), 0.1 * np.cos(t)]
    assert check_link(Link((lifted, _ring(centre=(5, 0, 0))), (0, 1))).name == ""
    # an edge that folds straight back along the one before it
    fold = np.array([[0.0, 0, 0], [2, 0, 0], [1, 0, 0], [1, 1, 0]])
    with pytest.raises(InputError, match="meets itself"):
        check_link(Link((fold, _ring(centre=(5, 0, 0))), (0, 1)))


def test_min_distance_between_classes():
    near = _ring(centre=(2.5, 0, 0))  # 0.5 from the first ring, same class
    far = _ring(centre=(6.0, 0, 0))  # 1.5 from near, other class
    link = Link((_ring(), near, far), (1, 1, 0))
    assert min_distance(link) == pytest.approx(0.5, abs=1e-12)
    assert min_distance(link, between_classes=True) == pytest.approx(1.5, abs=1e-12)


def test_close_but_disjoint_components_pass():
    link = Link((_ring(), _ring(centre=(2.0, 0, 0)) + [1e-6, 0, 0]), (1, 0))
    assert min_distance(check_link(link)) == pytest.approx(1e-6, rel=1e-6)


def test_json_round_trip_is_exact(tmp_path):
    rng = np.random.default_rng(3)
    link = Link((_ring() + rng.normal(0, 1e-3, (40, 3)), _ring(centre=(3, 0, 0))), (0, 1), "r")
    path = save_link(link, tmp_path / "link.json")
    back = load_link(path)
    assert back == check_link(link)
    assert json.loads(path.read_text())["format"] == "isotopy.link"


def test_save_link_never_writes_through_a_symlink(tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("keep")
    os.symlink(target, tmp_path / "link.json")
    save_link(_pair(), tmp_path / "link.json")
    assert target.read_text() == "keep"
    assert not os.path.islink(tmp_path / "link.json")


@pytest.mark.parametrize(
    "text, words",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"components": []}', "missing"),
        ('{"components": [[[0,0,0],[1,0,0],[0,1,0]]], "classes": [0]}', "two components"),
        ('{"components": [["a"]], "classes": [0]}', "shape|number"),
        ('{"format": "other", "components": [], "classes": []}', "format"),
    ],
)
def test_load_link_refuses_bad_files(tmp_path, text, words):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(InputError, match=words):
        load_link(path)


def test_load_link_missing_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_link(tmp_path / "nothing.json")
