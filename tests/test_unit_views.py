"""Unit views: every unit's value over the input box, the layout, and the weights as lines."""

import numpy as np
import pytest
import torch

from isotopy.errors import InputError
from isotopy.nn import Network
from isotopy.nn.edit import set_parameter
from isotopy.scene.build import field_lattice
from isotopy.scene.units import unit_grids

BOX = [[-1.5, -1.0], [1.0, 2.0]]


def by_hand(net, box, res):
    """Each representation of the network at the lattice points, computed stage by stage."""
    pts = torch.as_tensor(field_lattice(np.asarray(box), res), dtype=torch.float32)[None]
    reps, h = [pts[0]], pts
    for stage in net.stages:
        h = stage(h)
        reps.append(h[0])
    return [r.detach().numpy() for r in reps]


def test_layout_values_and_lines_of_a_2_6_6_1_network():
    net = Network(2, (6, 6), "tanh", seed=3)
    u = unit_grids(net, BOX, 9)
    layers = u["layers"]
    assert [(L["name"], L["kind"], len(L["labels"])) for L in layers] == [
        ("input", "input", 2),
        ("tanh1", "hidden", 6),
        ("tanh2", "hidden", 6),
        ("readout", "output", 1),
    ]
    assert layers[1]["activation"] == "tanh" and "pre" not in layers[1]
    reps = by_hand(net, BOX, 9)
    for L in layers:
        assert L["values"].dtype == np.float32 and L["values"].shape == (len(L["labels"]), 9, 9)
        want = reps[L["stage"]].T.reshape(-1, 9, 9)
        np.testing.assert_allclose(L["values"], want, rtol=1e-6, atol=1e-6)
    # lattice order: columns follow x1, rows follow x2 from the bottom
    np.testing.assert_allclose(layers[0]["values"][0, 4], np.linspace(-1.5, 1.0, 9), rtol=1e-6)
    np.testing.assert_allclose(layers[0]["values"][1, :, 0], np.linspace(-1.0, 2.0, 9), rtol=1e-6)
    assert len(u["weights"]) == 2 * 6 + 6 * 6 + 6 and len(u["biases"]) == 6 + 6 + 1
    sd = net.state_dict()
    for w in u["weights"]:
        j, i = w["index"]
        assert w["value"] == pytest.approx(sd[w["name"]][(0, j, i)].item())
        assert w["to"] == [w["from"][0] + 1, j] and w["from"][1] == i
    for b in u["biases"]:
        assert b["value"] == pytest.approx(sd[b["name"]][(0, *b["index"])].item())
        assert b["unit"] == b["index"][0]
    assert {w["name"] for w in u["weights"]} == {
        "stages.0.weight",
        "stages.2.weight",
        "stages.4.weight",
    }
    assert u["box"] == BOX and u["resolution"] == 9 and u["network"] == 0


def test_preactivations_and_features():
    net = Network(2, (3,), "relu", features=["x1", "x2", "x1sq", "sinx2"], seed=0)
    u = unit_grids(net, BOX, 7, preactivations=True)
    names = [L["name"] for L in u["layers"]]
    assert names == ["input", "features", "relu1", "readout"]
    feats = u["layers"][1]
    assert feats["kind"] == "features" and feats["labels"] == ["x1", "x2", "x1²", "sin x2"]
    x1 = u["layers"][0]["values"][0]
    np.testing.assert_allclose(feats["values"][2], x1**2, rtol=1e-6)
    hidden = u["layers"][2]
    assert hidden["pre_stage"] == "affine1"
    np.testing.assert_allclose(hidden["values"], np.maximum(hidden["pre"], 0), atol=1e-7)
    # lines join the features to the hidden layer, and the hidden layer to the output
    froms = {tuple(w["from"][:1]) + tuple(w["to"][:1]) for w in u["weights"]}
    assert froms == {(1, 2), (2, 3)}
    assert {w["name"] for w in u["weights"]} == {"stages.1.weight", "stages.3.weight"}


def test_an_edited_weight_shows_in_the_units_it_feeds():
    net = Network(2, (2, 2), seed=0)
    a = unit_grids(net, BOX, 6)
    set_parameter(net, "stages.2.weight", [1, 0], 4.0)
    b = unit_grids(net, BOX, 6)
    same = [np.array_equal(x["values"], y["values"]) for x, y in zip(a["layers"], b["layers"])]
    assert same == [True, True, False, False]
    assert np.array_equal(a["layers"][2]["values"][0], b["layers"][2]["values"][0])  # unit 1
    edited = [w for w in b["weights"] if w["name"] == "stages.2.weight" and w["index"] == [1, 0]]
    assert edited[0]["value"] == 4.0


def test_batched_networks_show_the_chosen_one():
    net = Network(2, (3,), n_networks=3, seed=[4, 5, 6])
    u = unit_grids(net, BOX, 5, network=2)
    one = unit_grids(net.select(2), BOX, 5)
    for x, y in zip(u["layers"], one["layers"]):
        np.testing.assert_allclose(x["values"], y["values"], rtol=1e-6, atol=1e-7)
    assert [w["value"] for w in u["weights"]] == pytest.approx([w["value"] for w in one["weights"]])


def test_multiclass_output_units():
    u = unit_grids(Network(2, (2,), n_classes=3), BOX, 4)
    assert u["layers"][-1]["labels"] == ["logit 1", "logit 2", "logit 3"]
    assert u["layers"][-1]["values"].shape == (3, 4, 4)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"box": [[0, 0], [0, 1]]}, "the input box must be"),
        ({"box": [[0, 0, 0], [1, 1, 1]]}, "the input box must be"),
        ({"box": "box"}, "the input box must be"),
        ({"resolution": 1}, "resolution must be an integer >= 2"),
        ({"resolution": 1000}, "resolution must be at most 256"),
        ({"network": 1}, r"network must be an integer in 0 .. 0"),
        ({"network": "0"}, r"network must be an integer in 0 .. 0"),
    ],
)
def test_bad_requests(kwargs, message):
    args = {"box": BOX, "resolution": 8, **kwargs}
    with pytest.raises(InputError, match=message):
        unit_grids(Network(2, (2,)), args.pop("box"), args.pop("resolution"), **args)


def test_only_2d_inputs():
    with pytest.raises(InputError, match="unit views need a network on 2-D inputs"):
        unit_grids(Network(3, (2,)), BOX, 8)
