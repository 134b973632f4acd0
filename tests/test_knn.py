"""k-NN search, the differentiable k-NN head and k-NN networks, against scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors

from isotopy.errors import InputError
from isotopy.knn import (
    KNNHead,
    knn_classify,
    knn_log_probs,
    knn_predict,
    knn_search,
    representation,
)
from isotopy.nn import Activation, Affine, Network
from isotopy.train import fit


def _knn_net(stages, n_classes, head=None, seed=0):
    """A network whose head is a k-NN head with options ``head``."""
    return Network.from_stages(
        stages, n_classes, head=KNNHead(n_classes, **(head or {})), seed=seed
    )


def _blobs(n, d, k=4, seed=0, spread=1.5):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * 2
    y = rng.integers(0, k, n)
    return (centres[y] + rng.normal(size=(n, d)) * spread).astype(np.float32), y


@pytest.mark.parametrize("weights", ["distance", "uniform"])
@pytest.mark.parametrize("k", [1, 4, 11])
def test_knn_predict_matches_sklearn(weights, k):
    X, y = _blobs(900, 16, seed=1)
    Q, _ = _blobs(300, 16, seed=2)
    ours, scores = knn_predict(
        X, y * 3 + 1, Q, k=k, weights=weights, chunk_size=64, return_scores=True
    )
    clf = KNeighborsClassifier(k, weights=weights, algorithm="brute").fit(X, y * 3 + 1)
    np.testing.assert_array_equal(ours, clf.predict(Q))
    np.testing.assert_allclose(scores, clf.predict_proba(Q), atol=1e-6)


def test_knn_search_is_exact_and_leave_one_out():
    X, _ = _blobs(500, 8, seed=3)
    d, i = knn_search(X, X[:50], k=6)
    ref_d, ref_i = NearestNeighbors(n_neighbors=6, algorithm="brute").fit(X).kneighbors(X[:50])
    np.testing.assert_array_equal(i, ref_i)
    np.testing.assert_allclose(d, ref_d, rtol=1e-5, atol=1e-5)
    d2, i2 = knn_search(X, X, k=5, exclude_self=True, chunk_size=37)
    assert not (i2 == np.arange(500)[:, None]).any()
    np.testing.assert_array_equal(i2, NearestNeighbors(n_neighbors=5).fit(X).kneighbors()[1])


@pytest.mark.parametrize("exclude_self", [False, True])
def test_faiss_backend_gives_the_same_neighbours(exclude_self):
    pytest.importorskip("faiss")
    X, _ = _blobs(700, 12, seed=11)
    Q = X if exclude_self else _blobs(90, 12, seed=12)[0]
    a = knn_search(X, Q, k=7, exclude_self=exclude_self, chunk_size=100)
    b = knn_search(X, Q, k=7, exclude_self=exclude_self, chunk_size=100, backend="faiss")
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_allclose(a[0], b[0])
    with pytest.raises(InputError, match="choose one of: auto, faiss, torch"):
        knn_search(X, Q, k=1, backend="annoy")


@pytest.mark.parametrize("k, exclude_self", [(1, False), (3, False), (2, True)])
def test_block_selection_on_a_large_reference_set(k, exclude_self):
    # 6000 references = 47 blocks of 128: the two-stage selection is used (k + 8 <= 47 // 4)
    X, _ = _blobs(6000, 5, seed=13)
    Q = X if exclude_self else _blobs(300, 5, seed=14)[0]
    d, i = knn_search(X, Q, k=k, exclude_self=exclude_self, chunk_size=512)
    nn = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(X)
    ref_d, ref_i = nn.kneighbors(None if exclude_self else Q)
    np.testing.assert_array_equal(i, ref_i)
    np.testing.assert_allclose(d, ref_d, rtol=1e-5, atol=1e-6)


def test_exact_duplicates_vote_alone_like_sklearn():
    X = np.array([[0, 0], [1, 0], [0, 1], [5, 5]], np.float32)
    y = np.array([0, 1, 1, 1])
    Q = np.array([[0, 0], [4, 4]], np.float32)
    clf = KNeighborsClassifier(3, weights="distance").fit(X, y)
    np.testing.assert_array_equal(knn_predict(X, y, Q, k=3), clf.predict(Q))
    assert knn_predict(X, y, Q, k=3)[0] == 0


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda X, y: knn_predict(X, y, X, k=11), "larger than the 10 reference points"),
        (
            lambda X, y: knn_predict(X, y, X[:, :2], k=1),
            "has 2 features but the reference representation has 3",
        ),
        (lambda X, y: knn_predict(X, y + 0.5, X, k=1), "must be integers"),
        (lambda X, y: knn_predict(X, y[:5], X, k=1), "one per reference point"),
        (lambda X, y: knn_predict(X, y, X, k=1, weights="gauss"), "distance, uniform"),
        (lambda X, y: knn_predict(X, y, X, k=0), "k must be an integer >= 1"),
        (lambda X, y: knn_search(X, X, k=10, exclude_self=True), "larger than the 9"),
        (lambda X, y: knn_predict(np.full((10, 3), np.nan), y, X, k=1), "NaN"),
    ],
)
def test_knn_bad_input(call, match):
    X = np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32)
    y = np.arange(10) % 2
    with pytest.raises(InputError, match=match):
        call(X, y)


# ------------------------------------------------------------------------------ the head
def test_head_inverse_distance_with_k_is_sklearn_distance_knn():
    X, y = _blobs(200, 5, seed=4)
    Q, _ = _blobs(80, 5, seed=5)
    head = KNNHead(4, k=7, softening=0)
    lp = head.classify(torch.tensor(Q)[None], torch.tensor(X)[None], torch.tensor(y))
    clf = KNeighborsClassifier(7, weights="distance").fit(X, y)
    np.testing.assert_array_equal(lp[0].argmax(-1).numpy(), clf.predict(Q))
    np.testing.assert_allclose(lp[0].exp().numpy(), clf.predict_proba(Q), atol=1e-5)


def test_head_low_temperature_is_hard_1nn_and_high_is_uniform_knn():
    X, y = _blobs(150, 4, seed=6)
    z, yt = torch.tensor(X, dtype=torch.float64)[None], torch.tensor(y)
    cold = KNNHead(4, mode="temperature", temperature=1e-4).log_probs(z, yt)[0].argmax(-1)
    loo1 = KNeighborsClassifier(1).fit(X, y).kneighbors(return_distance=False)[:, 0]
    np.testing.assert_array_equal(cold.numpy(), y[loo1])
    hot = KNNHead(4, mode="temperature", temperature=1e6, k=5).log_probs(z, yt)[0].exp()
    idx = NearestNeighbors(n_neighbors=5).fit(X).kneighbors(return_distance=False)
    votes = np.stack([np.bincount(y[r], minlength=4) / 5 for r in idx])
    np.testing.assert_allclose(hot.numpy(), votes, atol=1e-4)


def test_softening_bounds_the_weight_of_coincident_points():
    # points 0 and 1 coincide (class 0); points 2, 3 (class 1) are at distance 1 from them
    z = torch.tensor([[[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]], dtype=torch.float64)
    y = torch.tensor([0, 0, 1, 1])
    plain = KNNHead(2, softening=0).log_probs(z, y)[0, 0].exp()
    assert plain[0] > 1 - 1e-6
    soft = KNNHead(2, softening=0.01).log_probs(z, y)[0, 0].exp()
    eps = 0.01 * math.sqrt((0 + 0 + 1 + 1) / 4)  # RMS distance of point 0 to the batch
    w_same, w_other = 1 / eps, 1 / math.sqrt(1 + eps**2)
    assert soft[0].item() == pytest.approx(w_same / (w_same + 2 * w_other), rel=1e-9)


def test_head_in_batch_excludes_self_and_two_batch_splits():
    z = torch.tensor([[[0.0], [0.1], [5.0], [5.2]]])
    y = torch.tensor([0, 1, 1, 0])
    lp = KNNHead(2, softening=0).log_probs(z, y)[0].exp()
    # point 0's nearest other point (0.1) is class 1: its class-1 probability dominates
    assert lp[0, 1] > 0.9 and lp[3, 1] > 0.9
    two = KNNHead(2, variant="two_batch", softening=0).log_probs(z, y)[0].exp()
    # first half {0, 0.1} is classified by {5, 5.2} and the other way round
    expected0 = (1 / 5.0) / (1 / 5.0 + 1 / 5.2)
    assert two[0, 1].item() == pytest.approx(expected0, rel=1e-5)


@pytest.mark.parametrize(
    "mode, k, soft",
    [("inverse_distance", None, 0.0), ("temperature", 3, 0.0), ("inverse_distance", 4, 0.05)],
)
def test_head_gradcheck_float64(mode, k, soft):
    g = torch.Generator().manual_seed(0)
    zq = torch.randn(2, 6, 3, dtype=torch.float64, generator=g, requires_grad=True)
    zr = torch.randn(2, 9, 3, dtype=torch.float64, generator=g, requires_grad=True)
    yr = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2])
    assert torch.autograd.gradcheck(
        lambda a, b: knn_log_probs(
            a, b, yr, 3, mode=mode, k=k, temperature=0.7, softening=soft
        ).exp(),
        (zq, zr),
    )


def test_head_bad_options():
    with pytest.raises(InputError, match="inverse_distance, temperature"):
        KNNHead(3, mode="cosine")
    with pytest.raises(InputError, match="in_batch, two_batch"):
        KNNHead(3, variant="pairs")
    with pytest.raises(InputError, match="temperature must be"):
        KNNHead(3, mode="temperature", temperature=0)
    with pytest.raises(InputError, match="softening must be"):
        KNNHead(3, softening=-1)
    with pytest.raises(InputError, match="4 features but the references have 3"):
        KNNHead(3).classify(torch.zeros(1, 2, 4), torch.zeros(1, 2, 3), torch.zeros(2))


# ------------------------------------------------------------------------------ networks
def _body(d_in, width, n_networks=1):
    return [
        Affine(d_in, width, n_networks=n_networks),
        Activation("tanh", width, n_networks=n_networks),
        Affine(width, width, n_networks=n_networks),
    ]


def test_knn_network_trains_with_fit_and_classifies():
    X, y = _blobs(300, 6, k=3, seed=7, spread=2.0)
    head = {"mode": "temperature", "k": 10}
    net = _knn_net(_body(6, 8, n_networks=2), 3, head, seed=0)
    before = _knn_net(_body(6, 8, n_networks=2), 3, head, seed=0)
    hist = fit(
        net,
        X[:200],
        y[:200],
        steps=150,
        lr=0.01,
        batch_size=64,
        seed=0,
        X_test=X[200:],
        y_test=y[200:],
        record_every=50,
    )
    assert hist.loss.shape == (2, 150) and hist.test_accuracy.shape == (2, 4)
    assert (hist.loss[:, -20:].mean(1) < hist.loss[:, :20].mean(1)).all()
    net.set_reference(X[:200], y[:200])
    pred = net.predict(X[200:])
    assert pred.shape == (2, 100)
    before.set_reference(X[:200], y[:200])
    assert (pred == y[200:]).mean() >= (before.predict(X[200:]) == y[200:]).mean()
    one = net.select(1)
    assert isinstance(one.head, KNNHead) and one.head.k == 10
    np.testing.assert_array_equal(one.predict(X[200:]), pred[1])
    again = Network.from_config(net.config())
    assert isinstance(again.head, KNNHead) and again.config() == net.config()
    assert "head=knn" in repr(net) and again.names[-1] == "embedding"


def test_knn_network_large_eval_is_blocked_yet_identical(monkeypatch):
    import isotopy.knn.head as knn_head

    monkeypatch.setattr(knn_head, "EVAL_BLOCK", 64)
    X, y = _blobs(300, 3, k=3, seed=8)
    net = _knn_net(_body(3, 4), 3, {"k": 5})
    z = net(torch.tensor(X)).unsqueeze(0)
    with torch.no_grad():
        loss_b, pred_b = net.head.loss_and_labels(z, torch.tensor(y))
    with torch.enable_grad():
        loss_f, pred_f = net.head.loss_and_labels(z, torch.tensor(y))
    torch.testing.assert_close(loss_b, loss_f.detach(), rtol=1e-5, atol=1e-6)
    assert (pred_b == pred_f).float().mean() > 0.999


def test_test_time_knn_on_any_stage_matches_sklearn():
    X, y = _blobs(200, 2, k=2, seed=9)
    net = Network(2, (5, 3), "tanh", 2, n_networks=2, seed=1)
    for stage in (None, "tanh1", 1, "input"):
        pred = knn_classify(net, X[:150], y[:150], X[150:], stage=stage, k=3)
        z = representation(net, X, stage=stage)
        for i in range(2):
            clf = KNeighborsClassifier(3, weights="distance").fit(z[i, :150], y[:150])
            np.testing.assert_array_equal(pred[i], clf.predict(z[i, 150:]))
    with pytest.raises(InputError, match="unknown stage 'relu9'"):
        knn_classify(net, X, y, X, stage="relu9")
    with pytest.raises(InputError, match=r"must be \(n, 2\)"):
        knn_classify(net, X[:, :1], y, X)
    with pytest.raises(InputError, match="no reference set"):
        _knn_net(_body(2, 3), 2).predict(X)


def test_plain_networks_train_exactly_as_before():
    # a linear read-out trains as the plain torch loop would (the eager backend's tanh is
    # torch's within 2e-7)
    X, y = _blobs(120, 2, k=2, seed=10)
    net = Network(2, (3,), "tanh", 2, seed=0)
    h = fit(net, X, y, steps=30, lr=0.05, seed=0)
    manual = Network(2, (3,), "tanh", 2, seed=0)
    opt = torch.optim.Adam(manual.parameters(), lr=0.05)
    for _ in range(30):
        loss = manual.loss(manual(torch.tensor(X)), torch.tensor(y))
        opt.zero_grad()
        loss.sum().backward()
        opt.step()
    torch.testing.assert_close(net.stages[0].weight, manual.stages[0].weight)
    assert h.loss.shape == (1, 30)


def test_head_takes_per_network_labels():
    # fit draws each network's mini-batch separately, so labels come as (N, B)
    g = torch.Generator().manual_seed(1)
    z = torch.randn(2, 10, 3, generator=g)
    y = torch.randint(0, 3, (2, 10), generator=g)
    for variant in ("in_batch", "two_batch"):
        head = KNNHead(3, variant=variant)
        both = head.log_probs(z, y)
        for i in range(2):
            torch.testing.assert_close(both[i], head.log_probs(z[i : i + 1], y[i])[0])
        torch.testing.assert_close(head(z, y)[1], head(z[1:], y[1])[0])


# ------------------------------------------------------------------- ties and precision
def _grid_data(seed, n=1000, m=1000, side=20):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, side, (n, 2)).astype(np.float64)
    return X, rng.integers(0, 3, n), rng.integers(0, side, (m, 2)).astype(np.float64)


def _lowest_index_neighbours(X, Q, k, exclude_self=False):
    d2 = ((Q[:, None, :] - X[None, :, :]) ** 2).sum(-1)  # exact for small integers
    if exclude_self:
        np.fill_diagonal(d2, np.inf)
    return np.argsort(d2, axis=1, kind="stable")[:, :k]  # ties: lower index first


@pytest.mark.parametrize("backend", ["torch", "faiss"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_ties_at_the_kth_neighbour_go_to_the_lowest_index(backend, dtype):
    if backend == "faiss":
        pytest.importorskip("faiss")
    X, _, Q = _grid_data(0)  # 400 grid nodes for 1,000 points: ties at many k-th places
    d, i = knn_search(X.astype(dtype), Q.astype(dtype), k=5, backend=backend, chunk_size=300)
    np.testing.assert_array_equal(i, _lowest_index_neighbours(X, Q, 5))
    d, i = knn_search(X.astype(dtype), X.astype(dtype), k=4, exclude_self=True, backend=backend)
    np.testing.assert_array_equal(i, _lowest_index_neighbours(X, X, 4, exclude_self=True))


@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_grid_data_agrees_with_sklearn_except_at_ties_across_the_kth(weights):
    tied_total = differ_tied = 0
    for seed in range(2):
        X, y, Q = _grid_data(seed)
        clf = KNeighborsClassifier(5, weights=weights, algorithm="brute").fit(X, y)
        ref_d, ref_i = clf.kneighbors(Q)
        d, i = knn_search(X, Q, k=5)
        np.testing.assert_array_equal(d, ref_d)  # integer data: every distance is exact
        d2 = np.sort(((Q[:, None, :] - X[None]) ** 2).sum(-1), axis=1)
        tied = d2[:, 4] == d2[:, 5]  # the 5th and 6th nearest at the same distance
        assert 100 < tied.sum() < len(Q)  # both kinds of query occur
        np.testing.assert_array_equal(np.sort(i[~tied], 1), np.sort(ref_i[~tied], 1))
        ours, ref = knn_predict(X, y, Q, k=5, weights=weights), clf.predict(Q)
        np.testing.assert_array_equal(ours[~tied], ref[~tied])
        tied_total += int(tied.sum())
        differ_tied += int((ours[tied] != ref[tied]).sum())
    assert differ_tied < tied_total  # at ties the two rules may part, not always


def test_float64_inputs_below_float32_resolution_are_ranked_exactly():
    # offset 1000, spread 1e-4: float32 cannot tell these points apart (its step is 6e-5)
    rng = np.random.default_rng(3)
    Xc, Qc = rng.normal(size=(800, 3)) * 1e-4, rng.normal(size=(500, 3)) * 1e-4
    y = rng.integers(0, 2, 800)
    X, Q = Xc + 1000.0, Qc + 1000.0
    d, i = knn_search(X, Q, k=5)
    exact = np.sqrt(((Qc[:, None, :] - Xc[None]) ** 2).sum(-1))  # centred: no cancellation
    np.testing.assert_array_equal(i, np.argsort(exact, axis=1, kind="stable")[:, :5])
    np.testing.assert_allclose(d, np.take_along_axis(exact, i, 1), rtol=1e-6)
    # scikit-learn agrees on the centred copy, where its float64 expansion is accurate
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        ref = KNeighborsClassifier(5, algorithm="brute").fit(Xc, y).predict(Qc)
    np.testing.assert_array_equal(knn_predict(X, y, Q, k=5, weights="uniform"), ref)
    # the same data rounded to float32 would not do: most neighbours collapse
    lost = knn_search(X.astype(np.float32), Q.astype(np.float32), k=5)[1]
    assert (np.sort(lost, 1) != np.sort(i, 1)).any(1).mean() > 0.5
