"""Exact k-NN: isotopy's knn_predict against scikit-learn brute force and FAISS IndexFlatL2.

Run by hand:  PYTHONPATH=src python benchmarks/knn_search.py [--queries 10000] [--refs 60000]
              [--dim 128] [--k 5] [--threads 2]

All three run in the same process on the same data (Gaussian clusters, float32) with the same
thread count; the script prints seconds per method, each one's ratio to the fastest reference
(min of scikit-learn and FAISS) and the agreement of predicted labels with scikit-learn.
"""

from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--queries", type=int, default=10_000)
    p.add_argument("--refs", type=int, default=60_000)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--chunk-size", type=int, default=None)
    p.add_argument("--repeat", type=int, default=2, help="best of this many runs")
    a = p.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(a.threads))

    import faiss
    import numpy as np
    import torch
    from sklearn.neighbors import KNeighborsClassifier

    from isotopy.knn import knn_predict
    from isotopy.knn.search import DEFAULT_CHUNK

    torch.set_num_threads(a.threads)
    faiss.omp_set_num_threads(a.threads)
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(10, a.dim)) * 3
    y_ref = rng.integers(0, 10, a.refs)
    y_q = rng.integers(0, 10, a.queries)
    ref = (centres[y_ref] + rng.normal(size=(a.refs, a.dim)) * 2).astype(np.float32)
    query = (centres[y_q] + rng.normal(size=(a.queries, a.dim)) * 2).astype(np.float32)
    chunk = a.chunk_size or DEFAULT_CHUNK

    def sk():
        clf = KNeighborsClassifier(a.k, weights="distance", algorithm="brute", n_jobs=a.threads)
        return clf.fit(ref, y_ref).predict(query)

    def fa():
        index = faiss.IndexFlatL2(a.dim)
        index.add(ref)
        d2, idx = index.search(query, a.k)
        w = 1.0 / np.sqrt(np.maximum(d2, 0)).clip(1e-12)
        scores = np.zeros((a.queries, 10))
        np.add.at(scores, (np.repeat(np.arange(a.queries), a.k), y_ref[idx].ravel()), w.ravel())
        return scores.argmax(1)

    def ours(backend):
        return lambda: knn_predict(
            ref, y_ref, query, k=a.k, weights="distance", chunk_size=chunk, backend=backend
        )

    methods = {
        "scikit-learn brute": sk,
        "FAISS IndexFlatL2": fa,
        f"isotopy knn_predict, torch (chunk {chunk})": ours("torch"),
        "isotopy knn_predict, faiss candidates": ours("faiss"),
    }
    print(
        f"exact k-NN, {a.queries} queries x {a.refs} references x d={a.dim}, k={a.k}, "
        f"{a.threads} threads, best of {a.repeat} (methods take turns)"
    )
    best = {name: float("inf") for name in methods}
    preds = {}
    for _ in range(a.repeat):
        for name, fn in methods.items():
            t = time.perf_counter()
            preds[name] = fn()
            best[name] = min(best[name], time.perf_counter() - t)
    ref_t = min(best["scikit-learn brute"], best["FAISS IndexFlatL2"])
    for name, t in best.items():
        agree = np.mean(preds[name] == preds["scikit-learn brute"])
        print(
            f"  {name:42s} {t:7.2f} s   {t / ref_t:5.2f} x fastest reference   "
            f"labels equal to scikit-learn: {agree:.4f}"
        )


if __name__ == "__main__":
    main()
