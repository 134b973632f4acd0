"""Tangled unlinks: linking number 0, no separating plane, kinds that differ; the experiment."""

from __future__ import annotations

import numpy as np
import pytest

from isotopy.datasets.links import (
    UNLINK_KINDS,
    make_tangled_unlink,
    plane_separable,
    tangled_unlink_labels,
    unlink_cores,
)
from isotopy.errors import InputError
from isotopy.topology import linking_number


@pytest.mark.parametrize("kind", sorted(UNLINK_KINDS))
def test_every_instance_is_an_unsplittable_by_plane_unlink(kind):
    assert len(UNLINK_KINDS) >= 3
    for seed in range(6):
        a, b = unlink_cores(kind, seed, samples=300)
        assert abs(linking_number(a, b)) < 1e-6  # Gauss integral
        assert not plane_separable(a, b)
        assert plane_separable(a, b + [4.0, 0.0, 0.0])  # pulled apart: a plane exists
    x0 = unlink_cores(kind, 0)[1]
    assert not np.allclose(x0, unlink_cores(kind, 1)[1])  # instances are random
    np.testing.assert_array_equal(x0, unlink_cores(kind, 0)[1])  # and seeded


def _planar(c):
    return np.linalg.svd(c - c.mean(0), compute_uv=False)[2] < 1e-9


def test_the_kinds_differ():
    shape = {}
    for kind in UNLINK_KINDS:
        a, b = unlink_cores(kind, 2)
        shape[kind] = (_planar(a), _planar(b), _planar(np.r_[a, b]))
    assert shape["threaded"] == (True, True, False)  # two flat curves in different planes
    assert shape["nested"] == (True, True, True)  # both in one plane
    assert shape["figure_eight"] == (True, False, False)  # the loop is not flat
    assert len(set(shape.values())) == len(shape)


def test_threaded_unlink_of_the_registry_is_not_plane_separable():
    from isotopy.datasets import link_cores

    assert not plane_separable(*link_cores("unlink"))


@pytest.mark.parametrize("kind", sorted(UNLINK_KINDS))
def test_tangled_unlink_points_lie_in_their_tori(kind):
    X, y = make_tangled_unlink(400, kind=kind, instance=3, seed=0)
    assert X.dtype == np.float32 and y.dtype == np.int64 and set(y) == {0, 1}
    np.testing.assert_array_equal(tangled_unlink_labels(X, kind=kind, instance=3), y)


def test_tangled_unlink_bad_input():
    with pytest.raises(InputError, match="choose one of: figure_eight, nested, threaded"):
        unlink_cores("whitehead", 0)
    with pytest.raises(InputError, match="makes the two tori touch"):
        make_tangled_unlink(100, kind="threaded", thickness=0.5)


def test_tangled_unlink_experiment_quick():
    from isotopy.experiments.unlink import TangledUnlinkConfig, tangled_unlinks

    r = tangled_unlinks(TangledUnlinkConfig.quick())
    assert set(r["per_kind"]) == set(UNLINK_KINDS)
    assert r["setting"]["width"] == 3 and r["setting"]["steps"] == 100
    for row in r["instances"]:
        assert row["separated"] == (max(row["dense_accuracy"]) == 1.0)
    for kind, v in r["per_kind"].items():
        mine = [row for row in r["instances"] if row["kind"] == kind]
        assert v["instances"] == len(mine) == 1
        assert v["separated"] == np.mean([row["separated"] for row in mine])
    assert len(r["summary"]) == 1 + len(UNLINK_KINDS)
