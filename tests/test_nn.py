"""Stages and networks: shapes, trace, activations, batching over networks, configs."""

import numpy as np
import pytest
import torch

from isotopy.errors import InputError
from isotopy.nn import ACTIVATIONS, Activation, Affine, Network


def test_trace_names_and_shapes():
    net = Network(2, (3, 2), "tanh")
    x = torch.randn(7, 2)
    tr = net.trace(x)
    assert [n for n, _ in tr] == ["input", "affine1", "tanh1", "affine2", "tanh2", "readout"]
    assert [r.shape for _, r in tr] == [(7, 2), (7, 3), (7, 3), (7, 2), (7, 2), (7, 1)]
    np.testing.assert_allclose(tr[-1][1], net(x).detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(tr[2][1], np.tanh(tr[1][1]), atol=1e-6)


def test_layer_ends_are_inputs_of_affine_stages():
    net = Network(2, (3, 2), "tanh")
    assert net.layer_ends() == [1, 3]  # after tanh1 and tanh2


def test_multiclass_readout_and_proba():
    net = Network(2, (4,), "relu", n_classes=3)
    p = net.predict_proba(torch.randn(5, 2))
    assert p.shape == (5, 3)
    np.testing.assert_allclose(p.sum(1), 1, atol=1e-6)
    p2 = Network(2, (2,)).predict_proba(torch.randn(5, 2))
    assert p2.shape == (5, 2)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_inverse_and_homeomorphism_flag(name):
    spec = ACTIVATIONS[name]
    x = torch.linspace(-3, 3, 101, dtype=torch.float64)
    y = spec.fn(x)
    if spec.is_homeomorphism:
        assert torch.all(torch.diff(y) > 0)
        torch.testing.assert_close(spec.inverse(y), x, atol=1e-8, rtol=1e-6)
    else:
        assert spec.inverse is None and torch.any(torch.diff(y) == 0)


def test_batched_networks_match_individual_networks():
    batch = Network(2, (3,), n_networks=4, seed=[5, 6, 7, 8])
    x = torch.randn(9, 2)
    out = batch(x)
    assert out.shape == (4, 9, 1)
    for i, s in enumerate([5, 6, 7, 8]):
        single = Network(2, (3,), seed=s)
        torch.testing.assert_close(out[i], single(x))
        torch.testing.assert_close(batch.select(i)(x), single(x))


def test_config_round_trip_and_repr():
    net = Network(3, "4,3", "softplus", n_classes=4, seed=11)
    net2 = Network.from_config(net.config())
    net2.load_state_dict(net.state_dict())
    x = torch.randn(6, 3)
    torch.testing.assert_close(net(x), net2(x))
    assert "affine 3→4 → softplus" in repr(net) and "n_classes=4" in repr(net)


def test_homeomorphism_flags_of_affine():
    a = Affine(2, 2)
    with torch.no_grad():
        a.weight[0] = torch.tensor([[1.0, 2.0], [2.0, 4.0]])  # singular
    assert not bool(a.is_homeomorphism()[0])
    with torch.no_grad():
        a.weight[0] = torch.tensor([[0.0, 1.0], [1.0, 0.0]])  # det -1, still a homeomorphism
    assert bool(a.is_homeomorphism()[0])
    assert not bool(Affine(3, 2).is_homeomorphism()[0])
    assert bool(Activation("tanh", 2).is_homeomorphism()[0])
    assert not bool(Activation("relu", 2).is_homeomorphism()[0])


def test_bad_network_inputs():
    with pytest.raises(InputError, match="unknown activation 'swish'; choose one of: .*tanh"):
        Network(2, (2,), "swish")
    with pytest.raises(InputError, match="every entry of the hidden widths must be an integer"):
        Network(2, (2, 0))
    with pytest.raises(InputError, match="comma-separated integers"):
        Network(2, "two")
    with pytest.raises(InputError, match="input has 3 features, the network expects 2"):
        Network(2, (2,))(torch.zeros(4, 3))
    with pytest.raises(InputError, match="number of classes must be an integer >= 2, got 1"):
        Network(2, (2,), n_classes=1)
