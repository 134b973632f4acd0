"""One training step with a KNNHead against one with a softmax read-out (ratio).

Run by hand:  PYTHONPATH=src python benchmarks/knn_head_step.py [--batch-size 64]
              [--steps 200] [--networks 1] [--threads 1]

Same conv net (the digits net of ``isotopy experiment knn``), same mini-batches, same
optimiser; a step is what ``fit`` does per step (the head's loss, backward, Adam).
The variants take turns within each repeat (so background load hits them alike); best of
``--repeat``. Prints milliseconds per step and the ratio to softmax.
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--networks", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()

    import torch

    from isotopy.datasets.images import load_digits
    from isotopy.nn import conv_net

    def _objective(net, xb, yb):
        """What fit computes per step: the head's loss and labels of the batch."""
        out = net(xb)
        return net.head.loss_and_labels(out.unsqueeze(0) if out.dim() == 2 else out, yb)

    torch.set_num_threads(a.threads)
    d = load_digits(seed=0)
    variants = [
        ("softmax read-out", None),
        ("KNNHead 1/distance, in-batch (essay)", {"mode": "inverse_distance"}),
        ("KNNHead 1/distance, two-batch", {"variant": "two_batch"}),
        ("KNNHead 1/distance, k = 10", {"k": 10}),
        ("KNNHead temperature (NCA)", {"mode": "temperature"}),
    ]
    print(
        f"training step, digits conv net, batch {a.batch_size}, {a.networks} network(s), "
        f"{a.threads} thread(s), {a.steps} steps, best of {a.repeat}"
    )
    nets = {
        name: conv_net(d.shape, 10, n_networks=a.networks, seed=0, head=head)
        for name, head in variants
    }
    opts = {name: torch.optim.Adam(net.parameters(), lr=1e-3) for name, net in nets.items()}
    X, y = torch.as_tensor(d.X_train), torch.as_tensor(d.y_train)
    g = torch.Generator().manual_seed(0)
    batches = [torch.randint(len(X), (a.batch_size,), generator=g) for _ in range(a.steps)]

    def run(name, idx_list):
        net, opt = nets[name], opts[name]
        t = time.perf_counter()
        for idx in idx_list:
            loss, _ = _objective(net, X[idx], y[idx])
            opt.zero_grad(set_to_none=True)
            loss.sum().backward()
            opt.step()
        return (time.perf_counter() - t) / len(idx_list)

    for name in nets:
        run(name, batches[:5])  # warm-up
    best = {name: float("inf") for name in nets}
    for _ in range(a.repeat):
        for name in nets:
            best[name] = min(best[name], run(name, batches))
    base = best["softmax read-out"]
    for name, t in best.items():
        print(f"  {name:40s} {1000 * t:7.2f} ms/step   {t / base:5.2f} x softmax")


if __name__ == "__main__":
    main()
