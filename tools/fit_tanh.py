"""Fit the rational approximation of tanh used by compiled training.

tanh(x) ≈ x·P(x²)/Q(x²) on |x| <= c, with deg P = 5, deg Q = 3 and Q(0) = 1, chosen for the
smallest maximum relative error of R(t) = P(t)/Q(t) against g(t) = tanh(√t)/√t on [0, c²]:

* linearised least squares (Sanathanan-Koerner): with the previous denominator Q₀ fixed,
  minimise Σ w_k ((P(t_k) - g_k Q(t_k)) / (g_k Q₀(t_k)))², a linear problem in the
  coefficients, solved in the scaled variable s = t / c² for conditioning;
* Lawson-style reweighting (w_k ← w_k · |error_k|^½) pushes the least-squares solution
  towards the equal-ripple (minimax) one; the best iterate is kept.

Prints the coefficients (in powers of t = x²) and the float32 error of the evaluated
approximation, for ``isotopy.train.backends.tanh.TANH_P``/``TANH_Q``:

    python tools/fit_tanh.py
"""

from __future__ import annotations

import numpy as np
import torch

from isotopy.train.backends.tanh import tanh_rational

CLAMP, DEG_P, DEG_Q = 7.9, 5, 3


def fit(
    c: float = CLAMP,
    deg_p: int = DEG_P,
    deg_q: int = DEG_Q,
    iterations: int = 60,
    nodes: int = 40_000,
):
    u = (1 - np.cos(np.linspace(0, np.pi, nodes))) / 2  # dense near both ends
    x = np.maximum(c * u, 1e-6)
    g = np.tanh(x) / x
    s = x * x / (c * c)
    weights, q_prev, best = np.ones(nodes), np.ones(nodes), None
    powers_p = s[:, None] ** np.arange(deg_p + 1)
    powers_q = s[:, None] ** np.arange(1, deg_q + 1)
    for it in range(iterations):
        a = np.concatenate([powers_p, -g[:, None] * powers_q], axis=1)
        scale = np.sqrt(weights) / (g * q_prev)
        coef = np.linalg.lstsq(a * scale[:, None], g * scale, rcond=None)[0]
        p, q = coef[: deg_p + 1], np.concatenate([[1.0], coef[deg_p + 1 :]])
        q_prev = np.polyval(q[::-1], s)
        err = (np.polyval(p[::-1], s) / q_prev - g) / g
        worst = np.abs(err).max()
        if best is None or worst < best[0]:
            best = (worst, p, q)
        if it >= 5:
            weights = weights * np.sqrt(np.abs(err) + 1e-30)
            weights /= weights.mean()
    worst, p, q = best
    to_t = (c * c) ** -np.arange(max(deg_p, deg_q) + 1)  # s^k = t^k / c^(2k)
    return worst, p * to_t[: deg_p + 1], q * to_t[: deg_q + 1]


def float32_error(p, q, c: float = CLAMP) -> float:
    """Largest |approximation - tanh| over a dense float32 grid, evaluated as the package does."""
    x = torch.linspace(-12, 12, 4_000_001, dtype=torch.float32)
    y = tanh_rational(x, tuple(map(float, p)), tuple(map(float, q)), c)
    return float((y.double() - torch.tanh(x.double())).abs().max())


if __name__ == "__main__":
    worst, p, q = fit()
    print(f"fit: max relative error {worst:.2e} on |x| <= {CLAMP}")
    print("TANH_P =", tuple(float(v) for v in p))
    print("TANH_Q =", tuple(float(v) for v in q))
    print(f"float32: max |approximation - tanh| = {float32_error(p, q):.2e}")
