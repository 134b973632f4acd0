"""Editing one parameter by hand: exactly that entry changes, in place; bad edits are refused."""

import math

import numpy as np
import pytest
import torch

from isotopy.errors import InputError
from isotopy.nn import Network
from isotopy.nn.edit import set_parameter


def snapshot(net):
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def changed_entries(before, after):
    """[(name, full index)] of every state-dict entry that differs."""
    out = []
    for k in before:
        diff = (before[k] != after[k]).nonzero().tolist()
        out += [(k, tuple(i)) for i in diff]
    return out


@pytest.mark.parametrize(
    "name, index",
    [("stages.0.weight", [1, 0]), ("stages.2.weight", [0, 2]), ("stages.4.bias", [0])],
)
def test_exactly_one_entry_changes(name, index):
    net = Network(2, (3, 3), seed=0)
    before = snapshot(net)
    old = set_parameter(net, name, index, 3.25)
    after = snapshot(net)
    assert changed_entries(before, after) == [(name, (0, *index))]
    assert after[name][(0, *index)].item() == 3.25
    assert old == pytest.approx(before[name][(0, *index)].item())


def test_in_place_the_function_follows_and_the_optimiser_keeps_the_tensor():
    net = Network(2, (2,), seed=1)
    w = net.stages[0].weight
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    x = torch.randn(5, 2)
    y0 = net(x).detach()
    set_parameter(net, "stages.0.weight", [0, 1], -2.0)
    assert net.stages[0].weight is w and opt.param_groups[0]["params"][0] is w
    assert not torch.allclose(net(x), y0)
    manual = Network(2, (2,), seed=1)
    with torch.no_grad():
        manual.stages[0].weight[0, 0, 1] = -2.0
    torch.testing.assert_close(net(x), manual(x))


def test_batched_networks_index_without_the_network_axis():
    net = Network(2, (2,), n_networks=3, seed=0)
    before = snapshot(net)
    set_parameter(net, "stages.0.bias", [1], 0.5)  # network 0
    set_parameter(net, "stages.0.bias", [1], 1.5, network=2)
    after = snapshot(net)
    assert sorted(changed_entries(before, after)) == [
        ("stages.0.bias", (0, 1)),
        ("stages.0.bias", (2, 1)),
    ]
    assert after["stages.0.bias"][2, 1].item() == 1.5


def test_a_features_network_edits_its_affine_stages():
    net = Network(2, (2,), features=["x1", "x2", "x1x2"])
    assert "stages.1.weight" in net.state_dict() and "stages.0.weight" not in net.state_dict()
    set_parameter(net, "stages.1.weight", [1, 2], 0.75)  # unit 2 reads x1·x2
    assert net.stages[1].weight[0, 1, 2].item() == 0.75


@pytest.mark.parametrize(
    "name, index, value, message",
    [
        ("stages.9.weight", [0, 0], 1.0, "the network has no parameter 'stages.9.weight'; "),
        ("stages.0", [0], 1.0, "its parameters are: stages.0.weight, stages.0.bias"),
        ("stages.0.weight", [0], 1.0, "has 2 axes per network .* needs 2 integers, got 1"),
        ("stages.0.weight", [0, 0, 0], 1.0, "needs 2 integers, got 3"),
        ("stages.0.weight", [3, 0], 1.0, r"out of range .* axis 0 runs from 0 to 2"),
        ("stages.0.weight", [0, -1], 1.0, r"out of range .* axis 1 runs from 0 to 1"),
        ("stages.0.weight", [0, 1.0], 1.0, "must be a list of integers"),
        ("stages.0.weight", "00", 1.0, "must be a list of integers"),
        ("stages.0.weight", 0, 1.0, "must be a list of integers"),
        ("stages.0.bias", [True], 1.0, "must be a list of integers"),
        ("stages.0.weight", [0, 0], math.nan, "must be a finite number, got nan"),
        ("stages.0.weight", [0, 0], math.inf, "must be a finite number, got inf"),
        ("stages.0.weight", [0, 0], 1e300, "beyond the range of torch.float32"),
        ("stages.0.weight", [0, 0], "3", "must be a number, got '3'"),
        ("stages.0.weight", [0, 0], None, "must be a number"),
        ("stages.0.weight", [0, 0], True, "must be a number"),
    ],
)
def test_refusals_are_one_sentence_and_change_nothing(name, index, value, message):
    net = Network(2, (3,), seed=0)
    before = snapshot(net)
    with pytest.raises(InputError, match=message):
        set_parameter(net, name, index, value)
    assert changed_entries(before, snapshot(net)) == []


def test_network_choice_is_checked():
    net = Network(2, (2,), n_networks=2)
    for bad in (2, -1, 1.0, True):
        with pytest.raises(InputError, match="network must be an integer in 0 .. 1"):
            set_parameter(net, "stages.0.bias", [0], 1.0, network=bad)


def test_numpy_numbers_are_accepted():
    net = Network(2, (2,))
    set_parameter(net, "stages.0.weight", np.array([1, 1]), np.float32(0.25))
    assert net.stages[0].weight[0, 1, 1].item() == 0.25
