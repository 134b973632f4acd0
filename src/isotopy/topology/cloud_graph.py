"""The robust reading's graphs: a whitened cloud's neighbour graph, its components, and
the Rips filtration of each component above 4-D.

:func:`sparse_graph` gives the Delaunay graph up to 4-D (its flag complex filtered by edge
length is the Delaunay-Rips complex) and the Euclidean minimum spanning tree above;
:func:`count_components` reads β0 from the bridges of the spanning tree;
:func:`rips_per_component` gives H_1, H_2 above 4-D, where no sparse graph keeps the edges
across a hole. The rules and their measurements: :mod:`.robust`.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .homology import farthest_point_sample

__all__ = [
    "BRIDGE_RATIO",
    "MIN_SHARE",
    "DELAUNAY_MAX_DIM",
    "RIPS_MAX_POINTS",
    "sparse_graph",
    "count_components",
    "rips_per_component",
]

BRIDGE_RATIO = 2.0  # a spanning-tree edge this many times the spacing on both sides splits
MIN_SHARE = 0.02  # a component holds at least this share of the points (and 3 points)
DELAUNAY_MAX_DIM = 4  # above: the Euclidean minimum spanning tree and Rips per component
RIPS_MAX_POINTS = (400, 150)  # above: full Rips per component, for H_1 / up to H_2


def sparse_graph(P):
    """Edges of the cloud's graph: P (n, r) -> i, j, lengths, kind.

    The Delaunay graph for 2 <= r <= 4 (its flag complex filtered by edge length is the
    Delaunay-Rips complex; it holds the Euclidean minimum spanning tree, so β0 is the Rips
    one), the sorted chain for r = 1, all pairs for n <= r + 2 (the flag complex of these
    three is what ripser filters), else the Euclidean minimum spanning tree alone (kind
    "mst": it gives β0; H_1 and H_2 then come from :func:`rips_per_component`).
    """
    from scipy.spatial import Delaunay

    n, r = P.shape
    if n <= max(r + 2, 3):
        i, j = np.triu_indices(n, 1)
        kind = "complete"
    elif r == 1:
        o = np.argsort(P[:, 0], kind="stable")
        i, j = o[:-1], o[1:]
        kind = "chain"
    elif r <= DELAUNAY_MAX_DIM:
        from scipy.spatial import QhullError

        try:
            dt = Delaunay(P)
        except QhullError:  # nearly degenerate (saturated) clouds: joggle the input
            dt = Delaunay(P, qhull_options="QJ Qbb Qc Qz Q12")
        tri = dt.simplices
        m = tri.shape[1]
        pairs = [tri[:, [a, b]] for a in range(m) for b in range(a + 1, m)]
        # points Qhull left out of the triangulation (nearly coincident or coplanar with
        # others) join the vertices of the simplex they lie in
        cop = np.asarray(dt.coplanar, dtype=np.int64).reshape(-1, 3)
        pairs += [np.c_[cop[:, 0], tri[cop[:, 1], a]] for a in range(m)]
        pairs = np.concatenate(pairs)
        pairs = pairs[pairs[:, 0] != pairs[:, 1]]
        code = np.unique(np.sort(pairs, axis=1) @ np.array([n, 1], dtype=np.int64))
        i, j = code // n, code % n
        kind = "delaunay"
    else:
        from scipy.sparse.csgraph import minimum_spanning_tree
        from scipy.spatial.distance import pdist, squareform

        D = squareform(pdist(P))
        D[D == 0] = np.finfo(float).tiny  # coincident points: an edge of length ~0, not none
        np.fill_diagonal(D, 0.0)
        mst = minimum_spanning_tree(D).tocoo()
        i, j = mst.row.astype(np.int64), mst.col.astype(np.int64)
        kind = "mst"
    return i, j, np.linalg.norm(P[i] - P[j], axis=1), kind


def count_components(
    n, i, j, lengths, weights=None, *, ratio=BRIDGE_RATIO, min_share=MIN_SHARE, return_labels=False
):
    """β0 by bridges of the minimum spanning tree, and the cloud's spacing.

    Kruskal's merges in order of length: the merge of parts A and B by an edge of length L
    is a bridge if both hold at least ``min_share`` of the weight (and 3 points) and
    L >= ratio · max(s_A, s_B), s = the longest non-bridge edge inside the part. β0 = 1 +
    the number of bridges. Returns β0, the spacing (the longest non-bridge tree edge) and
    the bridge lengths; with ``return_labels`` also each point's component (0 .. β0 - 1).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components, minimum_spanning_tree

    if n < 2:
        return (1, 0.0, [], np.zeros(n, dtype=np.int64)) if return_labels else (1, 0.0, [])
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    tree = minimum_spanning_tree(coo_matrix((lengths, (i, j)), shape=(n, n)).tocsr()).tocoo()
    order = np.argsort(tree.data, kind="stable")
    parent, size, spacing = np.arange(n), w.copy(), np.zeros(n)
    need = max(3.0, min_share * w.sum())

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    bridge = np.zeros(len(order), dtype=bool)
    for e in order:
        a, b = find(tree.row[e]), find(tree.col[e])
        length, inside = float(tree.data[e]), max(spacing[a], spacing[b])
        bridge[e] = (
            min(size[a], size[b]) >= need
            and min(spacing[a], spacing[b]) > 0
            and length >= ratio * inside
        )
        parent[b] = a
        size[a] += size[b]
        spacing[a] = inside if bridge[e] else max(inside, length)
    if len(tree.data) < n - 1:  # the graph was not connected: cannot happen for Delaunay
        raise InputError("the neighbour graph of the cloud is not connected")

    def parts():  # each point's part of the tree without its bridges: 0 .. bridges
        keep = ~bridge
        graph = coo_matrix((np.ones(keep.sum()), (tree.row[keep], tree.col[keep])), (n, n))
        return connected_components(graph, directed=False)[1]

    # a bridge must also exceed ratio x the spacing of the parts it joins in the end: a longer
    # edge that joined one of them later (to a piece too small to count) voids it
    while bridge.any():
        roots = parts()
        spacing = np.zeros(n)
        np.maximum.at(spacing, roots[tree.row[~bridge]], tree.data[~bridge])
        ends = np.flatnonzero(bridge)
        inside = np.maximum(spacing[roots[tree.row[ends]]], spacing[roots[tree.col[ends]]])
        void = tree.data[ends] < ratio * inside
        if not void.any():
            break
        bridge[ends[void]] = False
    inner = tree.data[~bridge]
    out = (
        1 + int(bridge.sum()),
        float(inner.max()) if len(inner) else 0.0,
        sorted(tree.data[bridge].tolist(), reverse=True),
    )
    return (*out, parts()) if return_labels else out


def rips_per_component(P, tree_lengths, labels, maxdim):
    """Persistence diagrams of the full Rips filtration of each component, pooled.

    Above DELAUNAY_MAX_DIM no sparse graph was found that holds the edges across a hole (a
    k-NN graph's flag complex never kills the hole's loop). Each component found by the β0
    rule gets the full Rips filtration instead, of a farthest-point subsample of its points
    (even spacing, so the hole's death / birth stays high): H_1 from at most
    RIPS_MAX_POINTS[0], H_2 from at most RIPS_MAX_POINTS[1] (a separate, smaller filtration:
    H_2 of 400 points is too slow, and H_1 of 150 misses a torus's loops). H_0 is the
    spanning tree's: one class per tree edge, dying at its length. Also returns, per
    dimension 1..maxdim, the most points any component's filtration used.
    """
    from ripser import ripser
    from scipy.spatial.distance import pdist, squareform

    dgms = [np.r_[np.c_[np.zeros(len(tree_lengths)), np.sort(tree_lengths)], [[0.0, np.inf]]]]
    dgms += [[] for _ in range(maxdim)]
    used = [0] * maxdim
    for c in range(int(labels.max()) + 1 if maxdim else 0):
        Q = P[labels == c]
        if len(Q) < 3:
            continue
        for k in range(1, maxdim + 1):
            R = Q[farthest_point_sample(Q, RIPS_MAX_POINTS[k - 1])[0]] if len(Q) > 3 else Q
            used[k - 1] = max(used[k - 1], len(R))
            d = ripser(squareform(pdist(R)), maxdim=k, distance_matrix=True)["dgms"][k]
            dgms[k].append(np.asarray(d, dtype=np.float64).reshape(-1, 2))
    out = [dgms[0]] + [np.concatenate(d) if d else np.zeros((0, 2)) for d in dgms[1:]]
    return out, used
