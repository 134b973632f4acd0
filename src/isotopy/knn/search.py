"""Exact k-nearest-neighbour search and classification on the CPU.

For queries q (m, d) and references r (n, d) the squared Euclidean distances are

    |q - r|² = |q|² - 2 q·r + |r|²,

computed a chunk of queries at a time as one matrix product (float32 BLAS), followed by
a two-stage partial sort (block minima, then ``torch.topk`` inside the best blocks). Both
sets are first moved by the references' mean (in float64 when they come in float64), which
leaves distances alone but keeps the expansion from cancelling on data far from the origin.
The search keeps a few more candidates than asked for, recomputes their distances directly
as |q - r| in float64 from the inputs as given (float64 inputs are never rounded to float32
for this step) and sorts them by (distance, reference index). The float32 step has a known
error bound E (a multiple of the float32 unit roundoff times (|q| + max|r|)²); when the
farthest kept candidate is not farther than the k-th by more than 2E, a reference outside
the candidates could still belong to the k nearest (exact ties, or gaps below float32
resolution), and that query is answered by a float64 pass over every reference instead.
The result is the exact k nearest neighbours under float64 distances, and among references
at exactly the same distance at the k-th place the ones with the lowest indices.

scikit-learn (``KNeighborsClassifier(..., algorithm="brute")``) has no fixed rule there:
it keeps the k nearest in a bounded max-heap and, when a nearer reference arrives, drops
whichever tied reference sits at the heap's root, and with several threads it merges the
threads' heaps; which of the tied references survive depends on the heap's layout and on
the thread split. So the two agree on the distances of the k nearest, and on the labels of
every query without a tie across its k-th neighbour, and may differ on the others.
scikit-learn also computes distances with the expansion above in float64 without centring,
so on data whose spread is far below its distance from the origin its neighbours can be
wrong; ours are ranked on |q - r| directly.

Classification follows scikit-learn's ``KNeighborsClassifier``:

    uniform:  score_c(q) = #{j in kNN(q): y_j = c}
    distance: score_c(q) = Σ_{j in kNN(q), y_j = c} 1 / |q - r_j|,
              and if some neighbours are at distance 0, only those vote (weight 1 each),

predicted label = the class with the largest score, the smallest label among ties.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import InputError, check_positive_int, lookup

__all__ = ["knn_search", "knn_predict", "knn_scores", "KNN_WEIGHTS", "KNN_BACKENDS"]

KNN_BACKENDS = {
    "auto": "faiss when it is installed, else torch (the faster on the benchmark)",
    "torch": "chunked matrix product + torch.topk (MKL)",
    "faiss": "FAISS IndexFlatL2 candidates",
}
KNN_WEIGHTS = {
    "uniform": "every neighbour has one vote",
    "distance": "each neighbour votes with weight 1 / distance",
}

# Extra candidates kept from the float32 search before the float64 re-ranking. Swaps caused
# by float32 rounding only involve neighbours whose distances agree to ~1e-6 relative, so a
# handful of spares covers them.
_SPARE = 8
_BLOCK = 128  # columns per block of the two-stage selection (see _smallest)
DEFAULT_CHUNK = 1024  # queries per block: 1024 x 60000 float32 scores = 245 MB


def _as_matrix(a, what: str) -> torch.Tensor:
    """A 2-D float tensor: float64 stays float64 (integers become float64), else float32."""
    if isinstance(a, torch.Tensor):
        t = a.detach()
    else:
        t = torch.from_numpy(np.ascontiguousarray(np.asarray(a)))
    if not (t.is_floating_point() or t.dtype in (torch.int32, torch.int64)):
        raise InputError(f"{what} must be numbers, got dtype {t.dtype}")
    if t.dim() != 2:
        raise InputError(
            f"{what} must be a 2-D array (points, features), got shape {tuple(t.shape)}"
        )
    if t.shape[0] == 0:
        raise InputError(f"{what} is empty")
    wide = t.dtype in (torch.float64, torch.int32, torch.int64)
    t = t.cpu().to(torch.float64 if wide else torch.float32).contiguous()
    if not torch.isfinite(t).all():
        raise InputError(f"{what} contains NaN or infinite values")
    return t


def _as_labels(labels, n: int) -> np.ndarray:
    y = labels.detach().cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    if y.ndim != 1 or len(y) != n:
        raise InputError(
            f"the reference labels must be a 1-D array of {n} labels (one per "
            f"reference point), got shape {y.shape}"
        )
    if y.dtype.kind in "ui":
        return y.astype(np.int64)
    if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
        return y.astype(np.int64)
    raise InputError(f"the reference labels must be integers, got values of dtype {y.dtype}")


def _check_pair(ref, query):
    ref = _as_matrix(ref, "the reference representation")
    query = _as_matrix(query, "the query representation")
    if ref.shape[1] != query.shape[1]:
        raise InputError(
            f"the query representation has {query.shape[1]} features but the "
            f"reference representation has {ref.shape[1]}"
        )
    return ref, query


def _centred32(t: torch.Tensor, centre: torch.Tensor) -> torch.Tensor:
    """t - centre in t's own precision, then float32 for the candidate search."""
    return (t - centre.to(t.dtype)).to(torch.float32).contiguous()


def _exact_rows(ref: torch.Tensor, q: torch.Tensor, k: int, skip: int | None):
    """The k nearest references of one query q (d,) by direct float64 distances.

    Equal distances are ordered by reference index. ``skip``: a reference row to leave out.
    Returns (distances (k,) float64, indices (k,) int64).
    """
    d2 = (ref.double() - q.double()).pow(2).sum(1)  # (n,)
    if skip is not None:
        d2[skip] = math.inf
    kth = torch.kthvalue(d2, k).values
    below = torch.nonzero(d2 < kth).flatten()  # ascending indices
    tied = torch.nonzero(d2 == kth).flatten()[: k - len(below)]
    pick = torch.cat([below, tied])
    pick = pick.sort().values
    dist, order = d2[pick].sort(stable=True)
    return torch.from_numpy(np.sqrt(dist.numpy())), pick[order]  # numpy's sqrt is correctly rounded


def _smallest(score: torch.Tensor, kc: int, nb: int) -> torch.Tensor:
    """Columns of the kc smallest entries of each row of score (c, nb·_BLOCK).

    The kc smallest entries lie in the kc blocks (of _BLOCK columns) with the smallest
    minima: each of them lies in a block whose minimum is at most the kc-th smallest value,
    and only kc block minima can be that small (barring exact ties). So one pass of block
    minima, a top-k over nb minima and one over kc·_BLOCK entries replace a top-k over the
    whole row (about three times faster for 60,000 columns).
    """
    c = score.shape[0]
    blocks = score.view(c, nb, _BLOCK)  # (c, nb, _BLOCK)
    keep = torch.topk(blocks.amin(-1), kc, dim=1, largest=False, sorted=False).indices
    sub = blocks.gather(1, keep.unsqueeze(-1).expand(-1, -1, _BLOCK)).reshape(c, -1)
    local = torch.topk(sub, kc, dim=1, largest=False, sorted=False).indices  # (c, kc)
    return keep.gather(1, local // _BLOCK) * _BLOCK + local % _BLOCK


def knn_search(
    ref,
    query,
    *,
    k: int,
    chunk_size: int = DEFAULT_CHUNK,
    exclude_self: bool = False,
    backend: str = "auto",
) -> tuple[np.ndarray, np.ndarray]:
    """The exact k nearest references of every query, ties to the lowest reference index.

    Parameters
    ----------
    ref : array, shape (n, d)
        float64 (or integer) inputs are ranked in float64 as given; others in float32
        converted exactly to float64.
    query : array, shape (m, d)
    k : int
        1 <= k <= n (n - 1 with ``exclude_self``).
    chunk_size : int
        Queries per block; memory is about chunk_size * n * 4 bytes.
    exclude_self : bool
        ``query`` is ``ref`` itself and a point must not be its own neighbour (leave-one-out).
    backend : {"auto", "torch", "faiss"}
        Who finds the float32 candidates: a chunked matrix product and ``torch.topk``, or
        FAISS ``IndexFlatL2``; both are re-ranked exactly in float64. "auto" takes FAISS
        when it is installed (on 2 cores it measured about as fast as plain FAISS and a
        little faster than the torch path) and torch otherwise.

    Returns
    -------
    dist : ndarray float64, shape (m, k)
        Euclidean distances, ascending.
    index : ndarray int64, shape (m, k)
        Row numbers into ``ref``; among equal distances the lower row number comes first
        and is the one kept at the k-th place.
    """
    ref, query, k, chunk_size, limit, backend = _checked_search(
        ref, query, k, chunk_size, exclude_self, backend
    )
    kc = min(limit, k + _SPARE)
    # the float32 candidate search runs on centred copies; the ranking uses ref and query
    centre = ref.double().mean(0)  # (d,)
    ref32, query32 = _centred32(ref, centre), _centred32(query, centre)
    # bound on the error of a float32 squared distance (expansion, centring and rounding):
    # (2d + 16) u (|q| + max|r|)², u the float32 unit roundoff
    ref_norm = float(ref32.double().norm(dim=1).max())
    q_norm = query32.double().norm(dim=1)  # (m,)
    err = (2 * ref.shape[1] + 16) * 2.0**-24 * (q_norm + ref_norm) ** 2  # (m,)
    out_d = np.empty((query.shape[0], k), dtype=np.float64)
    out_i = np.empty((query.shape[0], k), dtype=np.int64)
    if backend == "torch":
        candidates = _TorchCandidates(ref32, kc, min(chunk_size, query.shape[0]), exclude_self)
    else:
        candidates = _FaissCandidates(ref32, query32, kc, exclude_self)
    with torch.no_grad():
        for s in range(0, query.shape[0], chunk_size):
            cand = candidates(query32[s : s + chunk_size], s)
            qx = query[s : s + chunk_size].double()  # (c, d), the inputs as given
            d2 = (ref[cand].double() - qx.unsqueeze(1)).pow(2).sum(-1)  # (c, kc), float64
            # stable sort on (distance, index) so equal distances resolve to the lower index
            cand, order0 = cand.sort(dim=1)
            d2 = d2.gather(1, order0)
            d2, order = d2.sort(dim=1, stable=True)
            cand = cand.gather(1, order)
            out_d[s : s + chunk_size] = np.sqrt(d2[:, :k].numpy())  # correctly rounded
            out_i[s : s + chunk_size] = cand[:, :k].numpy()
            if kc == limit:
                continue  # every reference was a candidate
            # a reference left out is farther than every candidate up to 2 err; where the
            # farthest candidate is not clearly beyond the k-th, search every reference
            doubt = d2[:, -1] - 2 * err[s : s + chunk_size] <= d2[:, k - 1]  # (c,)
            for j in torch.nonzero(doubt).flatten().tolist():
                dist, idx = _exact_rows(ref, query[s + j], k, s + j if exclude_self else None)
                out_d[s + j], out_i[s + j] = dist.numpy(), idx.numpy()
    return out_d, out_i


def _checked_search(ref, query, k, chunk_size, exclude_self, backend):
    """:func:`knn_search`'s arguments checked: -> ref, query (tensors), k, chunk_size, the
    most neighbours there are (n, or n - 1 with ``exclude_self``) and the backend ("auto"
    resolved)."""
    ref, query = _check_pair(ref, query)
    n = ref.shape[0]
    if exclude_self and query.shape[0] != n:
        raise InputError("exclude_self needs the queries to be the reference points themselves")
    limit = n - 1 if exclude_self else n
    k = check_positive_int(k, "k")
    if k > limit:
        raise InputError(f"k = {k} is larger than the {limit} reference points available")
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    lookup(KNN_BACKENDS, backend, "k-NN backend")
    if backend == "auto":
        try:
            import faiss  # noqa: F401

            backend = "faiss"
        except ImportError:
            backend = "torch"
    return ref, query, k, chunk_size, limit, backend


class _TorchCandidates:
    """The kc nearest centred float32 references of a chunk of queries, by one matrix
    product into a reused buffer and a (block) top-k."""

    def __init__(self, ref32: torch.Tensor, kc: int, rows: int, exclude_self: bool):
        n, dim = ref32.shape
        # Pad the references to whole blocks of _BLOCK; padding scores +inf, never chosen.
        self.nb = -(-n // _BLOCK)
        pad = self.nb * _BLOCK - n
        ref_sq = (ref32 * ref32).sum(1)  # (n,)
        self.ref_p = torch.cat([ref32, ref32.new_zeros(pad, dim)])
        self.ref_sq_p = torch.cat([ref_sq, ref_sq.new_full((pad,), math.inf)])
        self.buffer = torch.empty(rows, self.nb * _BLOCK)
        self.blocked = kc <= self.nb // 4  # the block search pays off when few blocks are kept
        self.kc, self.exclude_self = kc, exclude_self

    def __call__(self, q: torch.Tensor, s: int) -> torch.Tensor:
        """Candidates (c, kc) of queries q (c, d), rows s.. of the query set."""
        # |r|² - 2 q·r (the |q|² term does not change the ranking), written into
        # one reused buffer: a fresh chunk x n block per chunk costs page faults
        score = self.buffer[: q.shape[0]]  # (c, nb·_BLOCK)
        torch.addmm(self.ref_sq_p.unsqueeze(0), q, self.ref_p.T, alpha=-2.0, out=score)
        if self.exclude_self:
            rows = torch.arange(q.shape[0])
            score[rows, rows + s] = math.inf
        if self.blocked:
            return _smallest(score, self.kc, self.nb)
        return torch.topk(score, self.kc, dim=1, largest=False, sorted=False).indices


class _FaissCandidates:
    """The kc nearest centred float32 references of every query, found by FAISS
    ``IndexFlatL2`` in one call up front (FAISS blocks queries and references itself)."""

    def __init__(self, ref32: torch.Tensor, query32: torch.Tensor, kc: int, exclude_self: bool):
        import faiss

        index = faiss.IndexFlatL2(ref32.shape[1])
        index.add(ref32.numpy())
        _, found = index.search(query32.numpy(), kc + (1 if exclude_self else 0))
        self.found = torch.from_numpy(found)
        self.kc, self.exclude_self = kc, exclude_self

    def __call__(self, q: torch.Tensor, s: int) -> torch.Tensor:
        """Candidates (c, kc) of queries q (c, d), rows s.. of the query set."""
        cand = self.found[s : s + q.shape[0]]
        if self.exclude_self:  # drop each point itself (or, if absent, the farthest)
            rows = torch.arange(q.shape[0]) + s
            keep = cand != rows[:, None]
            keep[keep.all(1), -1] = False
            cand = cand[keep].reshape(q.shape[0], self.kc)
        return cand


def knn_scores(
    dist: np.ndarray, neighbour_labels: np.ndarray, n_classes: int, *, weights: str = "distance"
) -> np.ndarray:
    """Class scores from neighbours: (m, k) distances and class indices -> (m, n_classes)."""
    lookup(KNN_WEIGHTS, weights, "k-NN weighting")
    m = dist.shape[0]
    if weights == "uniform":
        w = np.ones_like(dist)
    else:
        with np.errstate(divide="ignore"):
            w = 1.0 / dist
        inf = np.isinf(w)
        rows = inf.any(1)
        w[rows] = inf[rows]  # exact matches vote alone, one vote each
    scores = np.zeros((m, n_classes))
    np.add.at(scores, (np.repeat(np.arange(m), dist.shape[1]), neighbour_labels.ravel()), w.ravel())
    return scores


def knn_predict(
    ref_repr,
    ref_labels,
    query_repr,
    *,
    k: int = 5,
    weights: str = "distance",
    chunk_size: int = DEFAULT_CHUNK,
    exclude_self: bool = False,
    backend: str = "auto",
    return_scores: bool = False,
):
    """Classify queries by their k nearest references (exact), like scikit-learn.

    Parameters
    ----------
    ref_repr : array, shape (n, d)
        Representation of the reference (training) points.
    ref_labels : array of int, shape (n,)
    query_repr : array, shape (m, d)
    k : int
        Number of neighbours, 1 <= k <= n.
    weights : {"distance", "uniform"}
        1 / distance votes, or one vote each.
    chunk_size : int
        Queries per block of the search.
    exclude_self : bool
        Leave-one-out: the queries are the references and nobody votes for itself.
    backend : {"auto", "torch", "faiss"}
        Candidate search (see :func:`knn_search`); the results are the same.
    return_scores : bool
        Also return the normalised class scores (m, n_labels) over ``np.unique(ref_labels)``.

    Returns
    -------
    labels : ndarray int64, shape (m,)
        Predicted labels (values taken from ``ref_labels``), those of
        ``KNeighborsClassifier(k, weights=weights, algorithm="brute").predict`` for every
        query whose k-th and (k+1)-th nearest references are not at exactly the same
        distance. At such a tie this function keeps the lowest reference indices, while
        scikit-learn keeps whichever its heap and thread split leave (no fixed rule), so
        the labels there may differ. Where scikit-learn's float64 distance expansion is
        coarser than the gaps between neighbours (data far from the origin compared with
        its spread), its neighbours can differ from these exact ones.
    """
    lookup(KNN_WEIGHTS, weights, "k-NN weighting")
    ref, query = _check_pair(ref_repr, query_repr)
    y = _as_labels(ref_labels, ref.shape[0])
    classes, y_idx = np.unique(y, return_inverse=True)
    dist, idx = knn_search(
        ref, query, k=k, chunk_size=chunk_size, exclude_self=exclude_self, backend=backend
    )
    scores = knn_scores(dist, y_idx[idx], len(classes), weights=weights)
    pred = classes[scores.argmax(1)]
    if return_scores:
        return pred, scores / scores.sum(1, keepdims=True)
    return pred
