"""Naitzat, Zhitnikov & Lim's reading of Betti numbers: Vietoris–Rips on the hop distance of
a k-nearest-neighbour graph, at a stated number of hops.

Naitzat, Zhitnikov & Lim, "Topology of Deep Neural Networks" (JMLR 21, 2020) read the Betti
numbers of each class at each layer this way, so their claims are claims about this reading.
Their recipe, taken from the code that accompanies the paper (github.com/topnn/
topnn_framework: ``transformers/betti_calc.py`` builds the graph, ``julia_aux2.jl`` runs
Eirene with ``maxrad=2``):

1. Duplicate points are merged (their code takes the unique rows; ReLU layers map many
   points to one).
2. Each point is joined to its k nearest points, the point itself counted among them
   (scikit-learn's ``kneighbors_graph`` of the fitted cloud), so to k - 1 others; the graph
   is undirected (an edge where either end chose the other) and unweighted.
3. d(x, y) is the number of edges on a shortest path between x and y (∞ between
   components).
4. β_k is the rank of H_k(R_ε) of the Vietoris–Rips complex of d at scale ε: a simplex for
   every set of points with pairwise hop distance <= ε.

With integer distances every ε in [2, 3) gives the same complex; their code reads ε = 2,
the scale 2.5 written in later replications of their tables is the same complex. The paper's
k is 14 for its two-dimensional data set; a replication (the one quoted above) used 14 and
19. Defaults here: ``NAITZAT_K`` = 14, ``NAITZAT_SCALE`` = 2.5.

This is a *metric* reading at a stated scale: it answers "what does the class look like
at 2 hops of a 14-neighbour graph", not "did the network change its topology". Because it
counts hops, it does not care how a layer stretches or shrinks space, as long as every
point keeps roughly the same neighbours; it does care how densely a feature is sampled: a
gap narrower than the distance to the 13th neighbour closes, and a hole whose rim is
fewer than about 3ε · k points round fills in. Only pairs within ε hops enter the complex
(sparse distance matrix for ripser), so a reading of 1,600 points takes a fraction of a
second.

Known shapes (``tests/test_topology_geodesic.py``): a circle of 200 points reads (1, 1), a
figure-eight (1, 2), two circles (2, 2), a disc (1, 0).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, check_positive_int

__all__ = ["NAITZAT_K", "NAITZAT_SCALE", "knn_graph", "hop_distances", "geodesic_betti_numbers"]

NAITZAT_K = 14  # neighbours per point, the point itself counted (the paper's 2-D data set)
NAITZAT_SCALE = 2.5  # hops; every ε in [2, 3) gives the complex their code reads at 2
SOURCE = (
    "Naitzat, Zhitnikov & Lim, Topology of Deep Neural Networks, JMLR 21 (2020); their code "
    "github.com/topnn/topnn_framework (transformers/betti_calc.py, julia_include/julia_aux2.jl)"
)


def knn_graph(X, k: int = NAITZAT_K):
    """The undirected, unweighted k-nearest-neighbour graph of the distinct points of X.

    X: (n, d) -> (P (m, d) the distinct points, A scipy CSR (m, m) of 0/1): each point
    joined to its k - 1 nearest other points (k counts the point itself), symmetrised.
    """
    from scipy.sparse import coo_matrix
    from scipy.spatial import cKDTree

    from .homology import _as_cloud

    k = check_positive_int(k, "k", minimum=2)
    P = np.unique(_as_cloud(X), axis=0)
    m = len(P)
    kk = min(k, m)
    if kk < 2:
        return P, coo_matrix((m, m)).tocsr()
    _, idx = cKDTree(P).query(P, k=kk)  # (m, kk), the point itself first
    rows = np.repeat(np.arange(m), kk - 1)
    cols = idx[:, 1:].ravel()
    A = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(m, m)).tocsr()
    A = ((A + A.T) > 0).astype(np.float64)  # an edge where either end chose the other
    return P, A


def hop_distances(A, max_hops: int):
    """Hop distances up to ``max_hops`` as a sparse matrix: A (m, m) -> D (m, m) CSR with
    D[i, j] = the number of edges of a shortest path, stored only where it is <= max_hops
    (and i != j)."""
    from scipy.sparse import csr_matrix

    max_hops = check_positive_int(max_hops, "max_hops")
    reach = A.copy().astype(bool)
    D = A.copy().astype(np.float64)
    frontier = reach
    for h in range(2, max_hops + 1):
        nxt = (frontier @ A).astype(bool)
        new = nxt - nxt.multiply(reach)  # pairs first reached in h hops
        new.setdiag(False)
        new.eliminate_zeros()
        if new.nnz == 0:
            break
        D = D + csr_matrix(new, dtype=np.float64) * h
        reach = (reach + new).astype(bool)
        frontier = new
    D.setdiag(0.0)
    D.eliminate_zeros()
    return D.tocsr()


def geodesic_betti_numbers(
    X,
    *,
    maxdim: int = 1,
    k: int = NAITZAT_K,
    scale: float = NAITZAT_SCALE,
    return_details: bool = False,
):
    """Betti numbers of the Vietoris–Rips complex of the k-NN hop distance at ``scale``.

    Parameters
    ----------
    X : array (n, d)
    maxdim : int
        0, 1 or 2.
    k : int
        Neighbours per point, the point itself counted (module docstring).
    scale : float
        ε in hops (> 0): simplices of points at pairwise hop distance <= ε.
    return_details : bool
        Also return ``{"scale", "k", "diagrams", "points_used", "edges", "reading",
        "rule", "resolved"}`` (``resolved``: every number is what this reading reads at this
        scale; its resolution is the scale itself).

    Returns
    -------
    betti : ndarray of int64, shape (maxdim + 1,)
    details : dict, only with ``return_details``
    """
    from ripser import ripser

    from .homology import betti_from_diagrams, check_maxdim

    maxdim = check_maxdim(maxdim)
    scale = float(scale)
    if not np.isfinite(scale) or scale <= 0:
        raise InputError(f"the geodesic reading's scale must be a number of hops > 0, got {scale}")
    P, A = knn_graph(X, k)
    m = len(P)
    if m == 1:
        dgms = [np.array([[0.0, np.inf]])] + [np.zeros((0, 2))] * maxdim
    else:
        D = hop_distances(A, int(np.floor(scale)))
        # ripser reads a sparse matrix's missing entries as no edge; the diagonal (vertex
        # births) must be present, so it is stored explicitly as zeros
        from scipy.sparse import coo_matrix

        Dc = D.tocoo()
        full = coo_matrix(
            (
                np.r_[Dc.data, np.zeros(m)],
                (np.r_[Dc.row, np.arange(m)], np.r_[Dc.col, np.arange(m)]),
            ),
            shape=(m, m),
        )
        res = ripser(full, maxdim=maxdim, distance_matrix=True, thresh=scale)
        dgms = [np.asarray(d, dtype=np.float64).reshape(-1, 2) for d in res["dgms"]]
    betti = betti_from_diagrams(dgms, scale)
    if not return_details:
        return betti
    return betti, {
        "scale": scale,
        "k": int(k),
        "diagrams": dgms,
        "points_used": int(m),
        "edges": int(A.nnz // 2),
        "reading": "geodesic",
        "rule": rule_text(k, scale),
        "resolved": np.ones(maxdim + 1, dtype=bool),
    }


def rule_text(k: int = NAITZAT_K, scale: float = NAITZAT_SCALE) -> str:
    """One line stating the reading and its parameters."""
    return (
        f"Vietoris–Rips at {scale:g} hops of the unweighted {k}-nearest-neighbour graph (the "
        "point itself counted, duplicates merged): Naitzat, Zhitnikov & Lim's reading"
    )
