"""isotopy.experiments.betti_layers: the tanh part rests on the exact diagnostics, the ReLU
part on a metric reading at layers its homeomorphic control trusts; each rule is checked on
constructed evidence, and a quick run has the stated structure."""

from __future__ import annotations

import pytest

from isotopy import InputError
from isotopy.experiments import betti_layers as bl


def _net(kept, certified=True, accuracy=1.0):
    return {"kept": list(kept), "certified": certified, "accuracy": accuracy}


CFG = bl.BettiLayersConfig()  # trust 0.9, min_accuracy 0.99, min_seeds 10


def test_tanh_rests_on_the_diagnostics():
    ok = bl.judge({"tanh": [_net([True] * 3)] * 12}, CFG)["tanh"]
    assert ok.verdict == "agrees" and "12 of 12" in ok.measured
    one_bad = [_net([True] * 3)] * 11 + [_net([True] * 3, certified=False)]
    assert bl.judge({"tanh": one_bad}, CFG)["tanh"].verdict == "not resolved"
    assert bl.judge({"tanh": [_net([True] * 3)] * 4}, CFG)["tanh"].verdict == "not resolved"
    # a metric reading's change at a certified stage does not touch the verdict
    noisy = [_net([True, False, False])] * 12
    assert bl.judge({"tanh": noisy}, CFG)["tanh"].verdict == "agrees"


def test_relu_comes_out_each_way_against_its_control():
    control = [_net([True, True, False])] * 12  # trusts layers 1 and 2, not layer 3
    change_early = [_net([True, False, False])] * 12
    change_late = [_net([True, True, False])] * 12  # only where the control fails too
    v = bl.judge({"relu": change_early, "leaky_relu": control}, CFG)["relu"]
    assert v.verdict == "agrees" and "layer 1, layer 2" in v.measured
    v = bl.judge({"relu": change_late, "leaky_relu": control}, CFG)["relu"]
    assert v.verdict == "differs"  # no ReLU network changes at a trusted layer
    blind = [_net([False, False, False])] * 12  # the control keeps nothing: no layer trusted
    v = bl.judge({"relu": change_early, "leaky_relu": blind}, CFG)["relu"]
    assert v.verdict == "not resolved" and "none trusted" in v.measured
    dead = [_net([False, False, False], accuracy=0.5)] * 12  # none trained well enough
    assert bl.judge({"relu": dead, "leaky_relu": control}, CFG)["relu"].verdict == "not resolved"
    half = [_net([True, False, True])] * 5 + [_net([True] * 3)] * 7
    v = bl.judge({"relu": half, "leaky_relu": control}, CFG)["relu"]
    assert v.verdict == "not resolved"  # 5 of 12: between none and half
    uncertified = [_net([True, True, False], certified=False)] * 12  # vouches for nothing
    v = bl.judge({"relu": change_early, "leaky_relu": uncertified}, CFG)
    assert "relu" not in v


def test_quick_run_structure_and_bad_settings():
    res = bl.run(bl.BettiLayersConfig.quick())
    assert set(res["results"]) == {"tanh", "relu", "leaky_relu"}
    net = res["results"]["tanh"]["networks"][0]
    assert net["certified"] and net["layers"] == ["tanh1"]
    assert net["topological"]["sources"] == ["read", "carried", "carried"]
    assert len(net["ratios"]) == 2 and len(net["metric"]["betti"]) == 2
    relu = res["results"]["relu"]["networks"][0]
    assert relu["topological"]["sources"] == ["read", "carried", "read"]
    assert {v["verdict"] for v in res["verdicts"].values()} == {"not resolved"}  # 2 seeds
    assert res["summary"] and set(res["shown"]) == {"tanh", "relu"}
    with pytest.raises(InputError, match="trust must be a number in"):
        bl.run(bl.BettiLayersConfig.quick(), trust=0.0)
    with pytest.raises(InputError, match="unknown dataset"):
        bl.run(bl.BettiLayersConfig.quick(), dataset="nope")
