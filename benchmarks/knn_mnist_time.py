"""Time one seed of the k-NN experiment on MNIST-shaped data (8,000 / 2,000 images, 28x28).

Real MNIST is not needed: the script writes IDX files of the MNIST shape (scikit-learn's 8x8
digits scaled to 20x20, placed in a 28x28 frame with a random shift and a little noise) to a
temporary folder and runs the k-NN experiment (``isotopy.experiments.knn.run``) on "mnist"
with one seed and 8,000 / 2,000 images at the MNIST defaults. The errors it prints mean
nothing (the test images are copies of training digits); the time is the point. It reports
wall time, CPU time of the process (all threads), the torch thread count and the load average
before and after, since wall time on a shared machine says little on its own.

    PYTHONPATH=src python benchmarks/knn_mnist_time.py [--threads N] [--epochs P] [--essay-head]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def write_fake_mnist(folder: Path, n_train: int = 8000, n_test: int = 2000, seed: int = 0):
    from scipy.ndimage import shift, zoom
    from sklearn.datasets import load_digits

    from isotopy.datasets.images import MNIST_FILES, write_idx

    digits = load_digits()
    rng = np.random.default_rng(seed)
    for part, n in (("train", n_train), ("test", n_test)):
        idx = rng.integers(0, len(digits.images), n)
        images = np.empty((n, 28, 28), np.float32)
        for j, i in enumerate(idx):
            frame = np.zeros((28, 28))
            frame[4:24, 4:24] = zoom(digits.images[i] / 16.0, 2.5, order=1)
            frame = shift(frame, rng.uniform(-2, 2, 2), order=1)
            images[j] = np.clip(frame + rng.normal(0, 0.05, frame.shape), 0, 1)
        write_idx(folder / MNIST_FILES[f"X_{part}"], (images * 255).astype(np.uint8))
        write_idx(folder / MNIST_FILES[f"y_{part}"], digits.target[idx].astype(np.uint8))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument("--epochs", type=float, default=None, help="passes (default: MNIST's)")
    p.add_argument("--essay-head", action="store_true", help="also train (c')")
    args = p.parse_args()
    import torch

    from isotopy.experiments.knn import run

    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        write_fake_mnist(Path(tmp))
        load0 = os.getloadavg()
        wall, cpu = time.perf_counter(), time.process_time()
        res = run(
            data="mnist",
            mnist_dir=tmp,
            seeds=1,
            n_train=8000,
            n_test=2000,
            epochs=args.epochs,
            essay_head=args.essay_head or None,
        )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        load1 = os.getloadavg()
    print("\n".join(res["summary"]))
    print(f"per network (training + its evaluation), s: {res['train_seconds']}")
    print(
        f"one seed: wall {wall:.1f} s, CPU {cpu:.1f} s, torch threads "
        f"{torch.get_num_threads()}, load average before {load0[0]:.2f} {load0[1]:.2f}, "
        f"after {load1[0]:.2f} {load1[1]:.2f} (cores: {os.cpu_count()})"
    )


if __name__ == "__main__":
    main()
