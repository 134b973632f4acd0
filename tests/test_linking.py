"""Certified linking numbers through networks: a value only where it is certain."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from isotopy.datasets import link_cores
from isotopy.nn import Activation, Affine, Network
from isotopy.topology import linking_number, linking_through_network
from isotopy.topology.linking import linking_number_crossings


def _squash(seed: int, scale: float, act: str = "tanh", flip: bool = False) -> Network:
    """x -> σ(s Q x + b): a homeomorphism for tanh (Q a rotation, or a reflection with
    ``flip``) that saturates hard for large s; ReLU folds instead."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    if (np.linalg.det(q) < 0) != flip:
        q[:, 0] = -q[:, 0]
    net = Network.from_stages([Affine(3, 3), Activation(act, 3)])
    with torch.no_grad():
        net.stages[0].weight.copy_(torch.tensor(scale * q, dtype=torch.float32)[None])
        net.stages[0].bias.copy_(
            torch.tensor(rng.normal(size=3) * 0.3 * scale, dtype=torch.float32)[None]
        )
    return net


def test_a_homeomorphism_carries_the_value_however_close_the_curves_come():
    net = _squash(14, 24.0)  # brings the Hopf link's cores within 3e-10 of each other
    trace = linking_through_network(net, "linked_tori")
    assert trace.homeomorphism[1] and trace.homeomorphism[2]
    assert trace.distance[2] < 1e-8  # the boxes cannot certify this stage
    assert trace.status[:3] == ["resolved", "resolved", "carried"]
    assert trace.values[2] == trace.values[1] and abs(trace.values[1]) == 1  # tanh keeps sign
    d = trace.to_dict()
    assert d["carried_stages"] == ["activation2"] and d["touching_stages"] == []
    assert d["linking"][2] == trace.values[1]
    assert "(carried)" in trace.table() and "touching" not in trace.table()


def test_an_orientation_reversing_stage_flips_the_carried_sign():
    net = _squash(14, 24.0, flip=True)  # det W < 0, then tanh
    trace = linking_through_network(net, "linked_tori")
    assert trace.values[1] == -trace.values[0]  # certified directly at the affine stage
    assert trace.status[2] in ("resolved", "carried")
    assert trace.values[2] == trace.values[1]  # tanh keeps orientation


def test_touching_only_after_a_stage_that_is_not_a_homeomorphism():
    net = _squash(1, 3.0, act="relu")  # ReLU folds parts of both cores onto the same faces
    trace = linking_through_network(net, "linked_tori")
    assert not trace.homeomorphism[2]
    assert trace.status[2] == "touching" and trace.values[2] is None
    assert trace.distance[2] < 1e-6 * trace.extent[2]
    assert "touching (closest" in trace.table() and "touching (closest" in repr(trace)
    assert trace.to_dict()["touching_stages"] == ["activation2"]


def test_close_but_certified_stage_gets_its_true_value():
    net = _squash(22, 20.0)  # within 1e-7; crossings counted in floats alone said 0 here
    trace = linking_through_network(net, "linked_tori")
    assert trace.distance[2] < 1e-6
    assert trace.status[2] == "resolved" and abs(trace.values[2]) == 1


def test_spent_budget_is_reported_unresolved():
    net = _squash(1, 3.0, act="relu")  # needs 3 rounds of refinement to find the contact
    assert linking_through_network(net, "linked_tori").rounds > 0
    cut = linking_through_network(net, "linked_tori", max_rounds=0)
    assert cut.budget_spent and cut.status[2] == "unresolved" and cut.values[2] is None
    assert cut.to_dict()["unresolved_stages"] == ["activation2"]
    assert "unresolved (closest" in cut.table()


@pytest.mark.parametrize(
    "dataset, params, expect",
    [("linked_tori", {"linking": 1}, 1), ("linked_tori", {"linking": 2}, 2), ("unlink", {}, 0)],
)
def test_known_links_through_a_mild_network(dataset, params, expect):
    net = Network(3, (3, 3), "tanh", seed=1)
    trace = linking_through_network(net, dataset, **params)
    assert all(st == "resolved" for st, d in zip(trace.status, trace.dims) if d == 3)
    assert [abs(v) for v in trace.values if v is not None] == [expect] * 5
    a, b = link_cores(dataset, **params)
    assert round(abs(linking_number(a, b))) == expect


def test_crossing_count_is_exact_on_saturated_polygons():
    # saturated tanh puts stretches of both image polygons on the same cube edges; counting
    # crossings in floats alone gave 0 for projection seeds 0 and 1 here
    n64 = _squash(22, 20.0).to(torch.float64)
    a, b = link_cores("linked_tori", samples=400)
    za, zb = n64.trace(a)[2][1], n64.trace(b)[2][1]
    gauss = linking_number(za, zb)
    assert abs(gauss - round(gauss)) < 1e-6 and abs(round(gauss)) == 1
    assert [linking_number_crossings(za, zb, seed=s) for s in range(5)] == [round(gauss)] * 5
    # the k-d tree path for long polygons gives the same count
    assert linking_number_crossings(za, zb, chunk=1000) == round(gauss)
