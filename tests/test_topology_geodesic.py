"""Naitzat, Zhitnikov & Lim's reading (Rips at 2.5 hops of the 14-nearest-neighbour graph)
on shapes with known homology, against the recipe computed by hand with dense matrices."""

from __future__ import annotations

import numpy as np
import pytest

from isotopy import InputError
from isotopy.topology import betti_numbers, geodesic_betti_numbers
from isotopy.topology.geodesic import NAITZAT_K, NAITZAT_SCALE, hop_distances, knn_graph


def _circle(rng, n, c=(0.0, 0.0)):
    a = rng.uniform(0, 2 * np.pi, n)
    return np.c_[np.cos(a) + c[0], np.sin(a) + c[1]]


def _disc(rng, n):
    a, r = rng.uniform(0, 2 * np.pi, n), np.sqrt(rng.uniform(0, 1, n))
    return np.c_[r * np.cos(a), r * np.sin(a)]


def _sphere(rng, n):
    v = rng.standard_normal((n, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _by_hand(X, k=NAITZAT_K, eps=NAITZAT_SCALE, maxdim=1):
    """The recipe with dense matrices: the k nearest points (itself counted) of each point,
    undirected unweighted graph, all-pairs hop distance, ripser on the full matrix."""
    from ripser import ripser
    from scipy.sparse.csgraph import shortest_path
    from scipy.spatial.distance import cdist

    X = np.unique(X, axis=0)
    near = np.argsort(cdist(X, X), axis=1)[:, :k]
    A = np.zeros((len(X), len(X)))
    A[np.repeat(np.arange(len(X)), k), near.ravel()] = 1
    np.fill_diagonal(A, 0)
    d = shortest_path(A, directed=False, unweighted=True)
    d[~np.isfinite(d)] = 1000
    dgms = ripser(d, distance_matrix=True, maxdim=maxdim, thresh=eps)["dgms"]
    return [int(np.sum((g[:, 0] <= eps) & (g[:, 1] > eps))) for g in dgms]


@pytest.mark.parametrize(
    "make, truth",
    [
        (lambda rng: _circle(rng, 200), [1, 1]),
        (lambda rng: np.r_[_circle(rng, 200, (-1.0, 0)), _circle(rng, 200, (1.0, 0))], [1, 2]),
        (lambda rng: np.r_[_circle(rng, 200), _circle(rng, 200, (3.0, 0))], [2, 2]),
        (lambda rng: _disc(rng, 400), [1, 0]),
    ],
    ids=["circle", "figure-eight", "two circles", "disc"],
)
def test_known_shapes_at_14_neighbours_and_2_5_hops(make, truth):
    for seed in range(3):
        X = make(np.random.default_rng(seed))
        assert geodesic_betti_numbers(X).tolist() == truth
        assert betti_numbers(X, reading="geodesic").tolist() == truth


def test_a_sphere_has_its_void():
    X = _sphere(np.random.default_rng(0), 500)
    b, det = geodesic_betti_numbers(X, maxdim=2, return_details=True)
    assert b.tolist() == [1, 0, 1] and det["reading"] == "geodesic" and det["k"] == 14


def test_sparse_reading_equals_the_dense_recipe():
    rng = np.random.default_rng(5)
    for X in (_disc(rng, 300), _circle(rng, 150), np.r_[_disc(rng, 150), _circle(rng, 150)]):
        for k, eps in ((14, 2.5), (8, 1.5), (20, 3.5)):
            got = geodesic_betti_numbers(X, k=k, scale=eps).tolist()
            assert got == _by_hand(X, k, eps), (k, eps)


def test_duplicates_are_merged_and_hops_count_edges():
    rng = np.random.default_rng(1)
    X = _circle(rng, 100)
    P, A = knn_graph(np.r_[X, X], k=3)  # each point's two nearest others
    assert len(P) == 100 and (A != A.T).nnz == 0 and A.diagonal().sum() == 0
    D = hop_distances(A, 3)
    assert set(np.unique(D.data)) <= {1.0, 2.0, 3.0}
    order = np.argsort(np.arctan2(P[:, 1], P[:, 0]))
    i, j = order[0], order[3]  # three steps round the circle
    assert 0 < D[i, j] <= 3 and D[order[0], order[1]] == 1


def test_bad_input():
    X = _circle(np.random.default_rng(0), 50)
    with pytest.raises(InputError, match="number of hops > 0"):
        geodesic_betti_numbers(X, scale=0)
    with pytest.raises(InputError, match="k must be an integer >= 2"):
        geodesic_betti_numbers(X, k=1)
    with pytest.raises(InputError, match="only to the geodesic reading"):
        betti_numbers(X, k=5)
    assert geodesic_betti_numbers(np.zeros((5, 2))).tolist() == [1, 0]  # one point
