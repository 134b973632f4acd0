"""Link families: valid, deterministic, tangled where they should be, exact shears."""

from __future__ import annotations

import numpy as np
import pytest

from isotopy.datasets.links import plane_separable, unlink_cores
from isotopy.errors import InputError
from isotopy.topology.linking import linking_number_crossings
from isotopy.untangle.families import (
    FAMILIES,
    SPLIT,
    SUMMARIES,
    USES_COMPLEXITY,
    _grid_value,
    make_link,
    pl_shear,
)
from isotopy.untangle.link import Link, check_link

HARD = ["sheared_pair", "coil", "weave", "chains"]


def test_registries_agree():
    assert set(FAMILIES) == set(SPLIT) == set(SUMMARIES) == set(USES_COMPLEXITY)
    assert {n for n, s in SPLIT.items() if not s} == {"hopf", "torus", "whitehead", "borromean"}
    assert len([n for n in HARD if SPLIT[n] and USES_COMPLEXITY[n]]) >= 3


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_family_passes_check_link_for_seeds_0_to_20(name):
    for seed in range(21):
        link = FAMILIES[name](seed)
        assert check_link(link) == link  # already checked, nothing changes
        assert set(link.classes) == {0, 1} and str(seed) in link.name
        assert np.abs(np.concatenate(link.components)).max() < 3.0  # placed near the origin


@pytest.mark.parametrize("name", HARD + ["torus"])
def test_complexity_two_and_three_pass_check_link(name):
    for seed in range(3):
        for complexity in (2, 3):
            check_link(FAMILIES[name](seed, complexity))


def test_same_seed_same_link_other_seed_other_link():
    for name in FAMILIES:
        a, b = FAMILIES[name](4), FAMILIES[name](4)
        assert a == b
        c = FAMILIES[name](5)
        assert any(not np.array_equal(x, y) for x, y in zip(a.components, c.components))


def test_tangled_kinds_are_the_datasets_instances():
    link = FAMILIES["figure_eight"](7)
    for mine, theirs in zip(link.components, unlink_cores("figure_eight", 7, samples=160)):
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("name", HARD)
def test_split_families_are_not_separated_by_a_plane(name):
    for seed in range(4):
        link = FAMILIES[name](seed, 2)
        a = np.concatenate([link.components[i] for i in link.component_indices(1)])
        b = np.concatenate([link.components[i] for i in link.component_indices(0)])
        assert not plane_separable(a, b), (name, seed)


def test_complexity_grows_the_instances():
    for name in ("coil", "weave", "chains"):
        sizes = [sum(map(len, FAMILIES[name](0, c).components)) for c in (1, 2, 3)]
        assert sizes[0] < sizes[1] < sizes[2], name
    assert len(FAMILIES["chains"](0, 3).components) == 8


def test_linking_numbers_of_the_controls_and_the_split_pairs():
    for k in (1, 2, 3):
        a, b = FAMILIES["torus"](1, k).components
        assert abs(linking_number_crossings(a, b)) == k
    a, b = FAMILIES["whitehead"](2).components
    assert linking_number_crossings(a, b) == 0
    rings = FAMILIES["borromean"](3).components
    assert all(linking_number_crossings(rings[i], rings[j]) == 0 for i, j in [(0, 1), (0, 2)])
    for name in HARD:
        link = FAMILIES[name](0, 2)
        for i in link.component_indices(1):
            for j in link.component_indices(0):
                assert linking_number_crossings(link.components[i], link.components[j]) == 0


def test_chains_are_chains():
    link = FAMILIES["chains"](0, 2)  # 3 rings per class, consecutive ones linked
    ones = link.component_indices(1)
    assert len(ones) == 3
    lks = [
        abs(linking_number_crossings(link.components[a], link.components[b]))
        for a, b in [(ones[0], ones[1]), (ones[1], ones[2]), (ones[0], ones[2])]
    ]
    assert lks == [1, 1, 0]


def test_pl_shear_is_exact_on_every_cut_edge():
    rng = np.random.default_rng(0)
    t = np.linspace(0, 2 * np.pi, 37, endpoint=False)
    curve = np.c_[np.cos(t), np.sin(t), 0.3 * np.sin(3 * t)] + rng.normal(0, 0.05, (37, 3))
    origin, cell = np.array([-1.3, -0.5]), np.array([0.4, 0.3])
    values = rng.normal(0, 1.0, (8, 5))
    axes = (0, 2, 1)  # y += g(x, z)
    cut = pl_shear(curve, axes, origin, cell, np.zeros_like(values))  # the cut polygon
    image = pl_shear(curve, axes, origin, cell, values)
    assert len(cut) == len(image) > len(curve)

    def shear(points):
        out = points.copy()
        out[:, 1] += _grid_value(
            values, (points[:, 0] - origin[0]) / cell[0], (points[:, 2] - origin[1]) / cell[1]
        )
        return out

    np.testing.assert_allclose(image, shear(cut), atol=1e-12)
    for s in (0.25, 0.5, 0.8):  # along every cut edge the shear is affine
        inner = cut + s * (np.roll(cut, -1, axis=0) - cut)
        chord = image + s * (np.roll(image, -1, axis=0) - image)
        np.testing.assert_allclose(shear(inner), chord, atol=1e-9)
    # without the cuts the chord would miss the image: the test can fail
    plain = shear(curve)
    mids = shear((curve + np.roll(curve, -1, axis=0)) / 2)
    assert np.abs((plain + np.roll(plain, -1, axis=0)) / 2 - mids).max() > 1e-3


def test_grid_value_is_continuous_and_constant_outside():
    values = np.random.default_rng(1).normal(size=(4, 3))
    u = np.linspace(-1, 5, 601)
    for v in (-0.5, 0.3, 1.0, 2.7):
        g = _grid_value(values, u, np.full_like(u, v))
        assert np.abs(np.diff(g)).max() < 0.2  # no jumps on a 0.01 step
    assert _grid_value(values, np.array([9.0]), np.array([-4.0]))[0] == values[3, 0]


def test_bad_arguments_are_one_sentence():
    with pytest.raises(InputError, match="seed"):
        FAMILIES["coil"](-1)
    with pytest.raises(InputError, match="complexity"):
        FAMILIES["weave"](0, 0)
    with pytest.raises(InputError, match="unknown link family 'nope'; choose one of"):
        make_link("nope")
    assert isinstance(make_link("hopf", 2), Link)
