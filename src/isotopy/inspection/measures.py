"""The measures taken at every layer: k-NN and linear-probe accuracy, intrinsic dimension,
and Jacobian stretch (Betti numbers come from :func:`isotopy.topology.betti_numbers`).

**Leave-one-out k-NN accuracy** (Papernot & McDaniel's Deep k-NN, 2018, classify by k-NN at
every layer): point i is labelled by the majority label of its k nearest other points
(Euclidean; a tie goes to the smallest label, as scikit-learn's ``KNeighborsClassifier``
with uniform weights breaks it), and the accuracy is the share labelled right. It equals
fitting scikit-learn's classifier on all points but i and predicting i, for every i.

**Linear-probe accuracy** (Alain & Bengio, 2016): a multinomial logistic regression
(scikit-learn, L2 penalty C = 1, lbfgs, features standardised on the training part) fitted
on a stratified, seeded share of the points and scored on the rest.

**TwoNN intrinsic dimension** (Facco, d'Errico, Rodriguez & Laio, Sci. Rep. 2017): with r1,
r2 a point's distances to its first and second neighbours, mu = r2 / r1 follows a Pareto law
F(mu) = 1 - mu^(-d) on a d-dimensional manifold of locally uniform density. With the mu
values sorted and F(mu_(i)) = i / N, the slope of -log(1 - F) against log(mu) through the
origin, fitted on the smallest ``fraction`` of the mu values (the largest are the most
affected by curvature and noise; Facco et al. keep 90%), is the estimate:

    d = Σ_i log(mu_i) · (-log(1 - i/N)) / Σ_i log(mu_i)²,   i = 1 .. ⌊fraction · N⌋.

Points with a duplicate (r1 = 0) are left out.

**Stretch**: the operator norm ||J(x)||_2 of the Jacobian of the map input -> layer at x,
exact (an SVD of J) when the input has at most ``EXACT_DIM`` coordinates, else from
``POWER_STEPS`` steps of power iteration on JᵀJ (a lower bound that converges to the
norm; products J v come from differentiating the vector-Jacobian product Jᵀu, which is
linear in u, with respect to u).
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import InputError

__all__ = [
    "knn_loo_predictions",
    "knn_loo_accuracy",
    "probe_split",
    "probe_predictions",
    "twonn_dimension",
    "jacobian_norms",
    "EXACT_DIM",
    "POWER_STEPS",
]

EXACT_DIM = 16  # up to this many input coordinates the full Jacobian is cheap
POWER_STEPS = 30  # power-iteration steps: the estimate's error shrinks like (σ2/σ1)^(2·steps)


def knn_loo_predictions(Z, y, k: int) -> np.ndarray:
    """Leave-one-out k-NN labels. Z: (n, d), y: (n,) -> (n,) predicted labels."""
    from sklearn.neighbors import NearestNeighbors

    Z = np.asarray(Z, dtype=np.float64)
    y = np.asarray(y)
    n = len(Z)
    if n < k + 1:
        raise InputError(f"k-NN with k = {k} needs more than {k} points, got {n}")
    nn = NearestNeighbors(n_neighbors=k + 1).fit(Z)
    dist, ind = nn.kneighbors(Z)
    # drop the point itself; where a duplicate came first, drop it where it sits
    own = ind == np.arange(n)[:, None]
    drop = np.where(own.any(1), own.argmax(1), k)
    mask = np.ones_like(ind, dtype=bool)
    mask[np.arange(n), drop] = False
    neigh = ind[mask].reshape(n, k)
    classes = np.unique(y)
    lab = np.searchsorted(classes, y[neigh])  # (n, k) class indices
    votes = np.zeros((n, len(classes)), dtype=np.int64)
    np.add.at(votes, (np.repeat(np.arange(n), k), lab.ravel()), 1)
    return classes[votes.argmax(1)]


def knn_loo_accuracy(Z, y, k: int) -> float:
    """Share of points labelled right by leave-one-out k-NN (module docstring)."""
    return float(np.mean(knn_loo_predictions(Z, y, k) == np.asarray(y)))


def probe_split(y, fraction: float, seed: int) -> np.ndarray:
    """Boolean mask of the held-out points: ``fraction`` of each class, seeded."""
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        k = int(round(fraction * len(idx)))
        k = min(max(k, 1), len(idx) - 1) if len(idx) > 1 else 0
        test[rng.choice(idx, size=k, replace=False)] = True
    return test


def probe_predictions(Z, y, test_mask, *, seed: int = 0) -> np.ndarray:
    """Predictions of a logistic-regression probe on the held-out points.

    Z: (n, d), y: (n,), test_mask: (n,) bool -> predicted labels of Z[test_mask].
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    Z = np.asarray(Z, dtype=np.float64)
    tr = ~test_mask
    if len(np.unique(y[tr])) < 2:
        raise InputError("a linear probe needs points of at least two classes")
    scaler = StandardScaler().fit(Z[tr])
    clf = LogisticRegression(C=1.0, max_iter=500, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(scaler.transform(Z[tr]), y[tr])
    return clf.predict(scaler.transform(Z[test_mask]))


def twonn_dimension(Z, *, fraction: float = 0.9) -> float:
    """TwoNN estimate of the intrinsic dimension of a cloud (module docstring).

    Z: (n, d) -> float (NaN with fewer than 3 distinct points).
    """
    from sklearn.neighbors import NearestNeighbors

    fraction = float(fraction)
    if not 0 < fraction <= 1:
        raise InputError(f"the TwoNN fit fraction must be in (0, 1], got {fraction}")
    Z = np.asarray(Z, dtype=np.float64)
    if len(Z) < 3:
        return float("nan")
    dist, _ = NearestNeighbors(n_neighbors=3).fit(Z).kneighbors(Z)
    r1, r2 = dist[:, 1], dist[:, 2]
    ok = r1 > 0
    mu = np.sort(r2[ok] / r1[ok])
    n = len(mu)
    if n < 3:
        return float("nan")
    m = max(2, int(np.floor(fraction * n)))
    m = min(m, n - 1)  # F = 1 at i = N: log(1 - F) is infinite
    x = np.log(mu[:m])
    yv = -np.log(1.0 - np.arange(1, m + 1) / n)
    den = float(np.sum(x * x))
    return float(np.sum(x * yv) / den) if den > 0 else float("nan")


def jacobian_norms(forward, x: torch.Tensor, *, steps: int = POWER_STEPS, seed: int = 0):
    """||∂z/∂x||_2 at every point of x, for each output z of ``forward``.

    Parameters
    ----------
    forward : callable
        ``forward(x) -> list of tensors (B, d_l)``, each row depending only on its own input
        row (the model in eval mode).
    x : tensor (B, ...)
    steps : int
        Power-iteration steps when x has more than ``EXACT_DIM`` coordinates per point.

    Returns
    -------
    ndarray (L, B) float64
    """
    x = x.detach().clone().requires_grad_(True)
    outs = forward(x)
    B = x.shape[0]
    d_in = int(np.prod(x.shape[1:]))
    norms = np.zeros((len(outs), B))
    gen = torch.Generator().manual_seed(seed)
    for li, z in enumerate(outs):
        if not z.requires_grad:  # does not depend on the input
            continue
        u0 = torch.zeros_like(z, requires_grad=True)
        (g,) = torch.autograd.grad(z, x, u0, create_graph=True)  # g = Jᵀu0, linear in u0

        def jv(v, g=g, u0=u0):  # (B, ...) -> (B, d_l)
            return torch.autograd.grad(g, u0, v, retain_graph=True)[0]

        if d_in <= EXACT_DIM:
            cols = []
            for j in range(d_in):
                e = torch.zeros(B, d_in, dtype=x.dtype)
                e[:, j] = 1
                cols.append(jv(e.reshape(x.shape)).reshape(B, -1))
            J = torch.stack(cols, -1).double()  # (B, d_l, d_in)
            norms[li] = torch.linalg.matrix_norm(J, ord=2).numpy()
            continue
        v = torch.randn(x.shape, generator=gen, dtype=x.dtype)
        v = v / v.reshape(B, -1).norm(dim=1).clamp_min(1e-30).reshape(B, *[1] * (x.dim() - 1))
        sigma = torch.zeros(B, dtype=torch.float64)
        for _ in range(max(1, int(steps))):
            u = jv(v)  # (B, d_l)
            sigma = u.reshape(B, -1).norm(dim=1).double()
            w = torch.autograd.grad(z, x, u, retain_graph=True)[0]  # JᵀJ v
            wn = w.reshape(B, -1).norm(dim=1).clamp_min(1e-30)
            v = (w / wn.reshape(B, *[1] * (x.dim() - 1))).detach()
        norms[li] = sigma.numpy()
    return norms
