"""Certified linking numbers through networks: a value only where it is certain."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from isotopy.datasets import link_cores
from isotopy.nn import Activation, Affine, Network
from isotopy.topology import linking_number, linking_through_network
from isotopy.topology.linking import linking_number_crossings


def _squash(seed: int, scale: float) -> Network:
    """x -> tanh(s Q x + b): a homeomorphism (Q a rotation) that saturates hard for large s."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    net = Network.from_stages([Affine(3, 3), Activation("tanh", 3)])
    with torch.no_grad():
        net.stages[0].weight.copy_(torch.tensor(scale * q, dtype=torch.float32)[None])
        net.stages[0].bias.copy_(
            torch.tensor(rng.normal(size=3) * 0.3 * scale, dtype=torch.float32)[None]
        )
    return net


def _naive(net, stage: int) -> int:
    """The linking number of the 400-vertex image polygons, without any certificate."""
    n64 = net.to(torch.float64)
    a, b = link_cores("linked_tori", samples=400)
    return linking_number_crossings(n64.trace(a)[stage][1], n64.trace(b)[stage][1])


def test_curves_pushed_within_1e_8_are_never_reported_as_0():
    net = _squash(14, 24.0)  # brings the Hopf link's cores within 3e-10 of each other
    assert _naive(net, 2) == 0  # what the unchecked 400-vertex polygons say
    trace = linking_through_network(net, "linked_tori")
    assert trace.homeomorphism[1] and trace.homeomorphism[2]
    assert trace.distance[2] < 1e-8
    assert trace.values[2] is None and trace.status[2] == "touching"
    assert trace.to_dict()["linking"][2] is None
    assert "touching (closest" in trace.table() and "touching (closest" in repr(trace)
    assert abs(trace.values[0]) == 1 and abs(trace.values[1]) == 1


def test_close_but_certified_stage_gets_its_true_value():
    net = _squash(22, 20.0)  # within 1e-7; crossings counted in floats alone said 0 here
    trace = linking_through_network(net, "linked_tori")
    assert trace.distance[2] < 1e-6
    assert trace.status[2] == "resolved" and abs(trace.values[2]) == 1


def test_spent_budget_is_reported_unresolved():
    net = _squash(3, 12.0)  # needs several rounds of refinement
    full = linking_through_network(net, "linked_tori")
    assert full.rounds > 0
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
