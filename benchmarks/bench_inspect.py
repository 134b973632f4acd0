"""Benchmark: ``isotopy.inspect`` on the MNIST conv net, 10,000 MNIST-shaped images, 2 cores.

The model is :func:`isotopy.nn.conv_net` with the k-NN experiment's MNIST settings
(channels 32 and 64, a hidden layer of 256; untrained: the timing does not depend on the
weights). The images are 10,000 fake MNIST images written as IDX files and read back with
:func:`isotopy.datasets.images.load_mnist` (28 x 28, ten classes, each class a fixed random
stroke pattern plus noise, so k-NN and the probe have something to find). ``inspect`` keeps
``--subsample`` images per class and measures all ten representations (the input, the nine
stages). In the same run, on the very same kept points, each measure is computed again by
hand with the libraries a user would call:

    forward   every image through ``net.forward_all`` in batches, nothing kept (inspect gets
              the images as a stream of batches, so all of them pass through its hooks)
    betti     ripser(points, maxdim=1) per class and layer on the same Betti subset (plain,
              no threshold, no whitening: the by-hand call; the numbers may differ since
              the reading is not the same)
    knn       scikit-learn KNeighborsClassifier fitted per left-out point on a subset of
              ``--loo`` points (the literal leave-one-out), scaled to all points
    probe     StandardScaler + LogisticRegression, same split
    twonn     NearestNeighbors(3) and numpy, the same formula
    stretch   torch.func.jacfwd per point and layer and its SVD, on ``--jac``
              points (scaled to all), also checking the power iteration's norms

    OMP_NUM_THREADS=2 PYTHONPATH=src python benchmarks/bench_inspect.py
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def fake_mnist(folder: Path, n: int, seed: int = 0):
    import numpy as np

    from isotopy.datasets.images import MNIST_FILES, write_idx

    rng = np.random.default_rng(seed)
    patterns = rng.uniform(0, 1, (10, 28, 28)) > 0.8
    y = rng.integers(0, 10, n).astype(np.uint8)
    X = (patterns[y] * 180 + rng.uniform(0, 75, (n, 28, 28))).astype(np.uint8)
    write_idx(folder / MNIST_FILES["X_train"], X)
    write_idx(folder / MNIST_FILES["y_train"], y)
    write_idx(folder / MNIST_FILES["X_test"], X[:100])
    write_idx(folder / MNIST_FILES["y_test"], y[:100])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--subsample", type=int, default=200)
    ap.add_argument("--betti-points", type=int, default=100)
    ap.add_argument("--loo", type=int, default=100, help="points of the literal LOO loop")
    ap.add_argument("--jac", type=int, default=4, help="points of the exact Jacobians")
    ap.add_argument("--stretch-points", type=int, default=16, help="per class, in inspect")
    args = ap.parse_args()

    import numpy as np
    import torch

    torch.set_num_threads(2)
    import warnings

    warnings.filterwarnings("ignore", message=".*more columns than rows.*")  # ripser, by hand
    from isotopy.datasets.images import load_mnist
    from isotopy.inspection import inspect, knn_loo_predictions
    from isotopy.inspection.capture import capture
    from isotopy.inspection.core import _module_of, _stretch_forward
    from isotopy.inspection.measures import jacobian_norms, probe_split
    from isotopy.nn import conv_net

    with tempfile.TemporaryDirectory() as tmp:
        fake_mnist(Path(tmp), args.n)
        ds = load_mnist(tmp)
    X, y = ds.X_train, ds.y_train
    net = conv_net(ds.shape, 10, channels=(32, 64), hidden=256, seed=0)
    n_par = sum(p.numel() for p in net.parameters())
    print(f"{len(X)} images {ds.shape}, conv net with {n_par:,} parameters, 2 threads")

    def stream():  # batches as a DataLoader gives them: every image goes through the model
        for a in range(0, len(X), 256):
            yield X[a : a + 256], y[a : a + 256]

    t0 = time.perf_counter()
    res = inspect(
        net,
        stream(),
        subsample=args.subsample,
        betti_points=args.betti_points,
        stretch_points=args.stretch_points,
        seed=0,
    )
    total = time.perf_counter() - t0
    print(res.table())
    held = res.settings["max_rows_held"]
    print(f"inspect total {total:.1f} s; kept {sum(res.counts)} images, {held} rows per layer")

    # ------------------------------------------------------------ the same, by hand
    cap = capture(net, stream(), subsample=args.subsample, seed=0)  # the same kept points
    ref = {}
    t = time.perf_counter()
    with torch.no_grad():  # the model alone on every image, nothing kept
        for xb, _ in stream():
            net.forward_all(xb)
    ref["forward"] = time.perf_counter() - t
    with torch.no_grad():
        reps = [[] for _ in range(len(net.stages) + 1)]
        for a in range(0, len(cap.X), 256):
            for i, h in enumerate(net.forward_all(cap.X[a : a + 256])):
                reps[i].append(h[0].numpy())
    reps = [np.concatenate(r) for r in reps]
    assert all(np.allclose(r, cap.reps[n], atol=1e-5) for r, n in zip(reps, cap.layers))

    from ripser import ripser

    t = time.perf_counter()
    for Z in reps:
        for c in range(10):
            Zc = Z[cap.y == c]
            rng = np.random.default_rng(0 + c)
            if len(Zc) > args.betti_points:
                Zc = Zc[np.sort(rng.choice(len(Zc), args.betti_points, replace=False))]
            ripser(Zc, maxdim=1)
    ref["betti"] = time.perf_counter() - t

    from sklearn.neighbors import KNeighborsClassifier

    k = res.settings["k"]
    t = time.perf_counter()
    Z = reps[-2]
    m = min(args.loo, len(Z))
    by_hand = [
        KNeighborsClassifier(k)
        .fit(np.delete(Z, i, 0), np.delete(cap.y, i))
        .predict(Z[i : i + 1])[0]
        for i in range(m)
    ]
    ref["knn"] = (time.perf_counter() - t) * len(Z) / m * len(reps)
    same = np.array_equal(np.array(by_hand), knn_loo_predictions(Z, cap.y, k)[:m])
    print(f"k-NN, literal leave-one-out on {m} points of relu_fc: the same labels: {same}")

    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    test = probe_split(cap.y, 0.25, 0)
    t = time.perf_counter()
    for Z in reps:
        sc = StandardScaler().fit(Z[~test])
        LogisticRegression(max_iter=500).fit(sc.transform(Z[~test]), cap.y[~test])
    ref["probe"] = time.perf_counter() - t

    from sklearn.neighbors import NearestNeighbors

    t = time.perf_counter()
    for Z in reps:
        for sel in [np.ones(len(Z), bool)] + [cap.y == c for c in range(10)]:
            d, _ = NearestNeighbors(n_neighbors=3).fit(Z[sel]).kneighbors(Z[sel])
            mu = np.sort(d[:, 2] / d[:, 1])
            n = len(mu)
            x, yv = np.log(mu[: int(0.9 * n)]), -np.log(1 - np.arange(1, int(0.9 * n) + 1) / n)
            np.sum(x * yv) / np.sum(x * x)
    ref["twonn"] = time.perf_counter() - t

    x = torch.as_tensor(cap.X[: args.jac])
    fwd = _stretch_forward(net, cap.layers, _module_of(cap.layers[1:]) | {"input": ("", 0)})
    power = jacobian_norms(fwd, x)
    from torch.func import jacfwd

    t = time.perf_counter()
    exact = np.ones_like(power)
    for i in range(len(x)):
        for li in range(1, len(cap.layers)):  # forward mode: one JVP per input pixel

            def f(v, li=li):
                return net.forward_all(v[None])[li][0, 0]

            J = jacfwd(f)(x[i])  # (d_layer, 784)
            exact[li, i] = torch.linalg.matrix_norm(J.detach().double(), 2)
    ref["stretch"] = (time.perf_counter() - t) * res.settings["stretch_points"] * 10 / len(x)
    rel = np.abs(power - exact) / exact
    print(f"power iteration vs exact Jacobian norms: largest relative difference {rel.max():.2e}")

    print(f"\n{'measure':<9} {'inspect s':>10} {'by hand s':>10} {'ratio':>7}")
    for key in ["forward", "betti", "knn", "probe", "twonn", "stretch"]:
        ours = res.seconds[key]
        print(f"{key:<9} {ours:>10.2f} {ref[key]:>10.2f} {ours / ref[key]:>7.2f}")


if __name__ == "__main__":
    main()
