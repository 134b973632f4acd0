"""Input features (TensorFlow Playground's x1, x2, x1², x2², x1·x2, sin x1, sin x2) as a stage:
values, the injectivity rule against witnesses and an independent inverse, the path from
the identity, networks built with them (trace, configs, safetensors, training backends)."""

import itertools
import json
import math
import warnings

import numpy as np
import pytest
import torch

from isotopy.datasets import make_dataset
from isotopy.errors import InputError
from isotopy.nn import Network
from isotopy.nn.stages import (
    FEATURE_NAMES,
    Features,
    feature_collision,
    feature_names,
    features_injective,
    stage_from_spec,
)

SUBSETS = [
    tuple(c) for r in range(1, 8) for c in itertools.combinations(FEATURE_NAMES, r)
]  # all 127
BOXES = [
    [[-1.0, -1.0], [1.0, 1.0]],  # holds 0; sin monotone on both axes
    [[0.2, 0.3], [1.3, 1.1]],  # one sign on both axes
    [[-3.0, -3.0], [3.0, 3.0]],  # sin turns back, ±π not both inside
    [[-4.0, -4.0], [4.0, 4.0]],  # ±π inside
    [[0.5, -2.0], [3.0, -0.4]],  # sin x1 turns back at π/2, 0 in neither interval
    [[-2.5, 0.5], [-0.3, 2.5]],
    [[0.0, -1.0], [1.5, 1.0]],  # x1 = 0 on the edge
    [[-0.2, -1.0], [1.0, 0.3]],  # 0 just inside both intervals
    [[-1.4, 1.7], [1.4, 4.5]],  # sin x2 monotone on [1.7, 4.5] ⊂ [π/2, 3π/2]
    [[-8.0, 5.0], [-6.0, 6.0]],  # sin x1 turns back at −5π/2; sin x2 monotone on [5, 6]
]


def values(names, pts):
    """The features of points (m, 2), float64, as a dict name -> (m,)."""
    x = torch.as_tensor(np.asarray(pts, dtype=np.float64))[None]
    out = Features(names)(x)[0].numpy()
    return dict(zip(feature_names(names), out.T))


def sin_branch(lo, hi):
    """k with [lo, hi] inside [-π/2 + kπ, π/2 + kπ] (sin monotone there), else None."""
    k = math.floor((lo + math.pi / 2) / math.pi)
    return k if hi <= math.pi / 2 + k * math.pi else None


def invert(names, box, F):
    """Recover (x1, x2) from the features F on the box, written independently of the library:
    None when this oracle knows no way to (then the map must not be injective there)."""
    xs = [None, None]
    for i in (0, 1):
        lo, hi = box[0][i], box[1][i]
        v, sq, sn = f"x{i + 1}", f"x{i + 1}sq", f"sinx{i + 1}"
        if v in names:
            xs[i] = F[v]
        elif sq in names and (lo >= 0 or hi <= 0):
            xs[i] = (1.0 if lo >= 0 else -1.0) * np.sqrt(F[sq])
        elif sn in names and sin_branch(lo, hi) is not None:
            k = sin_branch(lo, hi)
            xs[i] = k * math.pi + (-1) ** k * np.arcsin(np.clip(F[sn], -1, 1))
        elif sq in names and sn in names and not (lo <= -math.pi and hi >= math.pi):
            a = np.sqrt(F[sq])
            both = (-a >= lo) & (a <= hi)
            xs[i] = np.where(both, a * np.sign(F[sn]), np.where(a <= hi, a, -a))
    if "x1x2" in names:
        for i in (0, 1):
            j = 1 - i
            lo, hi = box[0][j], box[1][j]
            if xs[i] is None and xs[j] is not None and not lo <= 0 <= hi:
                xs[i] = F["x1x2"] / xs[j]
    return None if xs[0] is None or xs[1] is None else np.stack(xs, 1)


def test_names_in_fixed_order_labels_and_bad_names():
    assert feature_names(["sinx2", "x1x2", "x1"]) == ("x1", "x1x2", "sinx2")
    assert feature_names("x2, x1²,sin x1") == ("x2", "x1sq", "sinx1")
    f = Features(["x1x2", "x2", "x1"])
    assert f.names == ("x1", "x2", "x1x2") and f.labels == ["x1", "x2", "x1·x2"]
    assert f.d_in == 2 and f.d_out == 3 and not list(f.parameters())
    assert f.spec() == {"type": "features", "names": ["x1", "x2", "x1x2"]}
    assert stage_from_spec(f.spec(), n_networks=3).n_networks == 3
    with pytest.raises(InputError, match="unknown input feature 'x3'; choose from: x1, x2"):
        Features(["x1", "x3"])
    with pytest.raises(InputError, match="input feature 'x1' is listed twice"):
        Features(["x1", "x2", "x1"])
    with pytest.raises(InputError, match="choose at least one input feature"):
        Features("")
    with pytest.raises(InputError, match="must be a list of names"):
        Features(3)


def test_values_match_the_formulas_in_any_layout():
    x = torch.randn(3, 40, 2, dtype=torch.float64)
    out = Features(FEATURE_NAMES, n_networks=3)(x)
    a, b = x[..., 0], x[..., 1]
    want = torch.stack([a, b, a * a, b * b, a * b, torch.sin(a), torch.sin(b)], -1)
    assert out.shape == (3, 40, 7)
    torch.testing.assert_close(out, want)
    # point-last storage (as affine stages and the trainer keep their data) gives the same
    xt = x.transpose(1, 2).contiguous().transpose(1, 2)
    torch.testing.assert_close(Features(["x1x2", "sinx2"], n_networks=3)(xt), want[..., [4, 6]])


@pytest.mark.parametrize("names", SUBSETS)
def test_on_the_plane_an_embedding_exactly_with_x1_and_x2(names):
    embeds = "x1" in names and "x2" in names
    ok, sentence = features_injective(names)
    assert ok == embeds
    assert bool(Features(names, n_networks=2).is_homeomorphism().all()) == embeds
    assert Features(names).injective_on() == (ok, sentence)
    if not embeds:
        assert sentence.startswith("the feature map folds the plane: ")


@pytest.mark.parametrize("box", BOXES, ids=[str(b) for b in BOXES])
def test_injectivity_rule_against_witnesses_and_an_inverse(box):
    rng = np.random.default_rng(0)
    lo, hi = np.array(box[0]), np.array(box[1])
    pts = np.concatenate([lo + (hi - lo) * rng.uniform(size=(1500, 2)), np.array(box)])
    pts = np.concatenate([pts, [[lo[0], hi[1]], [hi[0], lo[1]]]])
    outcomes = set()
    for names in SUBSETS:
        ok, sentence = features_injective(names, box)
        hit = feature_collision(names, box)
        assert ok == (hit is None)
        outcomes.add(ok)
        if ok:  # the oracle must know how to invert it, and its inverse must be right
            back = invert(names, box, values(names, pts))
            assert back is not None, (names, sentence)
            np.testing.assert_allclose(back, pts, atol=1e-6, err_msg=str(names))
            assert (
                "injective on the box" in sentence or "embeds" in sentence or "identity" in sentence
            )
        else:  # two distinct points of the box with the same features
            p, q = np.array(hit[0]), np.array(hit[1])
            for r in (p, q):
                assert np.all(r >= lo - 1e-12) and np.all(r <= hi + 1e-12), (names, hit)
            assert np.linalg.norm(p - q) > 1e-3
            fp, fq = values(names, [p]), values(names, [q])
            for n in fp:
                np.testing.assert_allclose(fp[n], fq[n], atol=1e-9, err_msg=str((names, hit)))
            assert sentence.startswith("the feature map folds the box [")
            assert invert(names, box, values(names, pts)) is None, names
    assert outcomes == {True, False}


def test_sentences_say_which_points_meet():
    ok, s = features_injective(["x1sq", "x2sq"])
    assert not ok
    assert s.startswith(
        "the feature map folds the plane: (x1, x2) and (−x1, x2) land on the same point "
        "(x1² forgets the sign of x1), e.g. (1, 0) and (−1, 0)"
    )
    ok, s = features_injective(["sinx1", "x2"], [[-1, -1], [1, 1]])
    assert ok and "sin is monotone" in s
    ok, s = features_injective(["sinx1", "x2"], [[-3, -1], [3, 1]])
    assert not ok and "sin x1 turns back at x1 = π/2" in s
    ok, s = features_injective(["x2", "x1x2"], [[-1, -1], [1, 1]])
    assert not ok and "x1·x2 vanishes on the line x2 = 0" in s
    ok, s = features_injective(["x2", "x1x2"], [[-1, 0.5], [1, 2]])
    assert ok and "x1 from x1·x2 / x2" in s
    for bad in ([[0, 0], [0, 1]], [[0, 0, 0], [1, 1, 1]], [[0, 0], [1, float("nan")]], "box"):
        with pytest.raises(InputError, match="the domain box must be"):
            features_injective(["x1"], bad)


def test_path_from_the_identity():
    from isotopy.paths import pad, stage_path

    x = np.random.default_rng(1).normal(size=(30, 2))
    for names, isotopy in ((("x1", "x2", "x1x2", "sinx2"), True), (("x1sq", "x2sq"), False)):
        stage = Features(names)
        p = stage_path(stage)
        f = stage(torch.from_numpy(x)[None])[0].numpy()
        assert p.isotopy is isotopy and p.dim == max(2, len(names))
        np.testing.assert_allclose(p(x, 0.0), pad(x, p.dim), atol=1e-6)
        np.testing.assert_allclose(p(x, 1.0), pad(f, p.dim), atol=1e-6)
        if isotopy:  # the graph of t·g over the plane: x1 and x2 never move
            for t in (0.25, 0.6):
                h = p(x, t)
                np.testing.assert_allclose(h[:, :2], x, atol=1e-6)
                np.testing.assert_allclose(h[:, 2:], t * f[:, 2:], atol=1e-6)
    one = stage_path(Features(["sinx1"]))  # one feature: R^2 -> R^1, drawn in R^2
    np.testing.assert_allclose(one(x, 1.0), np.stack([np.sin(x[:, 0]), 0 * x[:, 0]], 1), atol=1e-6)


def test_network_with_features_trace_config_and_errors():
    net = Network(2, (3, 2), features=["x1", "x2", "x1x2"], seed=4)
    assert net.input_features == ("x1", "x2", "x1x2") and Network(2, (3,)).input_features is None
    x = torch.randn(9, 2)
    tr = net.trace(x)
    assert [n for n, _ in tr][:3] == ["input", "features", "affine1"]
    assert tr[1][1].shape == (9, 3)
    np.testing.assert_allclose(tr[1][1][:, 2], (x[:, 0] * x[:, 1]).numpy(), rtol=1e-6)
    assert net.layer_ends()[0] == 0  # the embedded input is a layer of its own
    assert "features (x1, x2, x1·x2) → affine 3→3" in repr(net)
    # features x1, x2 alone: the same function as the plain network of the same seed
    plain, same = Network(2, (3,), seed=2), Network(2, (3,), features="x1,x2", seed=2)
    torch.testing.assert_close(plain(x), same(x))
    batch = Network(2, (3,), features=["x1sq", "x2sq"], n_networks=3, seed=[1, 2, 3])
    torch.testing.assert_close(batch.select(2)(x), batch(x)[2])
    with pytest.raises(InputError, match="input features .* need a 2-D input, got 3-D"):
        Network(3, (2,), features=["x1"])
    with pytest.raises(InputError, match="unknown input feature"):
        Network(2, (2,), features=["x1", "cos x1"])
    with pytest.raises(InputError, match="the features stage holds 1 networks, the network 2"):
        Network(2, (2,), n_networks=2, features=Features(["x1"]))


def test_saves_and_loads_through_safetensors_and_its_spec(tmp_path):
    from safetensors.torch import load_file, save_file

    net = Network(2, (4,), features=["x1", "x2", "x1sq", "sinx2"], seed=7)
    with torch.no_grad():
        net.stages[1].weight.mul_(1.7)
    save_file(net.state_dict(), str(tmp_path / "w.safetensors"))
    (tmp_path / "c.json").write_text(json.dumps(net.config()))
    back = Network.from_config(json.loads((tmp_path / "c.json").read_text()))
    back.load_state_dict(load_file(str(tmp_path / "w.safetensors")))
    x = torch.randn(11, 2)
    torch.testing.assert_close(back(x), net(x))
    assert back.input_features == net.input_features


def test_run_folder_round_trip(tmp_path):
    from isotopy.train import fit
    from isotopy.train.runs import TrainConfig, load_run, run_of, save_run

    X, y = make_dataset("xor", 120, seed=0)
    net = Network(2, (3,), features=["x1", "x2", "x1x2"], seed=0)
    hist = fit(net, X, y, steps=20, lr=0.05)
    run = run_of(net, hist, X, y, data={"dataset": "xor", "params": {}}, train=TrainConfig())
    back = load_run(save_run(run, tmp_path / "run"))
    assert back.net.input_features == ("x1", "x2", "x1x2")
    torch.testing.assert_close(back.net(X), net(X))


def test_fit_and_trainer_eager_learn_xor_through_the_product_feature():
    from isotopy.train import fit
    from isotopy.train.trainer import Trainer

    X, y = make_dataset("xor", 300, seed=0)
    net = Network(2, (2,), features=["x1", "x2", "x1x2"], n_networks=2, seed=0)
    hist = fit(net, X, y, steps=300, lr=0.05)
    assert np.all(hist.final_train_accuracy > 0.97)
    tr = Trainer(Network(2, (2,), features=["x1x2"], seed=1), X, y, lr=0.05)
    tr.step(300)
    assert tr.backend_used == "eager"
    _, acc = tr.evaluate(X, y)
    assert np.all(np.asarray(acc) > 0.97)


def test_fused_backend_hands_features_to_torch_compile_with_one_sentence():
    from isotopy.train.backends import step_objective

    net = Network(2, (2,), features=["x1", "x2", "x1sq"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, used = step_objective(net, "fused", (1, 50, 2))
    assert used == "compile"
    msgs = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(msgs) == 1 and msgs[0].startswith("the fused kernel does not support this network")


@pytest.mark.slow
def test_compiled_backend_agrees_with_eager():
    from isotopy.train import fit

    try:
        torch.compile(lambda t: t * 2 + 1)(torch.ones(3))
    except Exception as e:  # noqa: BLE001 - any failure means this machine cannot compile
        pytest.skip(f"torch.compile cannot build code on this machine ({e})")
    X, y = make_dataset("disc_annulus", 200, seed=0)
    runs = []
    for backend in ("eager", "compile"):
        net = Network(2, (3,), features=["x1", "x2", "x1sq", "x2sq"], n_networks=2, seed=0)
        hist = fit(net, X, y, steps=30, lr=0.02, backend=backend)
        runs.append((net, hist))
    np.testing.assert_allclose(runs[0][1].loss, runs[1][1].loss, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(runs[0][0](X), runs[1][0](X), rtol=1e-4, atol=1e-4)


def test_stage_views_show_the_embedded_input():
    from isotopy.scene import layer_scenes, stage_scene

    X, y = make_dataset("disc_annulus", 100, seed=0)
    net = Network(2, (2,), features=["x1", "x2", "x1sq"], seed=0)
    sc = stage_scene(net, X, y, "features", camera=False)
    assert sc.dim == 3 and "features (x1, x2, x1²)" in sc.title
    np.testing.assert_allclose(sc.points[:, 2], X[:, 0].astype(np.float64) ** 2, rtol=1e-5)
    assert [s.meta["stage"] for s in layer_scenes(net, X, y, camera=False)][:2] == [
        "input",
        "features",
    ]
