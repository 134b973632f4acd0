"""Paths of matrices from the identity: the linear part of a layer applied gradually.

For W with det W > 0 the path stays in GL+(n) (so every intermediate map is a
homeomorphism of R^n) and is built from the polar decomposition W = Q S, Q orthogonal with
det Q = +1, S symmetric positive definite (from the SVD W = U Σ V^T: Q = U V^T,
S = V Σ V^T):

    p(t) = Q(t) · ((1 - t) I + t S),      t in [0, 1],

where Q(t) = exp(t log Q) is the geodesic of SO(n) from I to Q. log Q is read off the real
Schur form Q = Z R Z^T, R block-diagonal with 2×2 rotations by θ_k in (-π, π] and ±1 on
the diagonal; the −1 entries of an SO(n) matrix come in pairs and each pair is a rotation
by π in the plane of its two Schur vectors, so angles at or near π are handled exactly
(there a general matrix logarithm has no principal real value and is ill-conditioned).
det p(t) = det Q(t)·det S(t) > 0 because det Q(t) = 1 and (1 - t) I + t S is positive
definite. p(0) = I, p(1) = W.

When det W < 0 no path of invertible matrices from I reaches W; swapping two rows (two
hidden units) gives P W with det > 0, and the network computes the same function once the
next stage's inputs are swapped too (see :mod:`isotopy.paths.orient`). When W is singular
no isotopy exists;
the straight path (1 - t) I + t W is the honest fallback and is flagged as such.
"""

from __future__ import annotations

import numpy as np

from ..nn.stages import HOMEOMORPHISM_RTOL

__all__ = [
    "polar",
    "so_log_blocks",
    "rotation_path",
    "gl_plus_path",
    "straight_path",
    "complete_to_square",
    "SINGULAR_RCOND",
]

# Below this ratio of smallest to largest singular value a matrix counts as singular: the
# intermediate maps would be homeomorphisms only in exact arithmetic. The same rule as the
# stages' own ``is_homeomorphism`` (one tolerance for the whole library).
SINGULAR_RCOND = HOMEOMORPHISM_RTOL


def polar(W) -> tuple[np.ndarray, np.ndarray]:
    """Polar decomposition W = Q S. W: (n, n) -> Q (n, n) orthogonal, S (n, n) symmetric PSD."""
    W = np.asarray(W, dtype=np.float64)
    U, s, Vt = np.linalg.svd(W)
    return U @ Vt, (Vt.T * s) @ Vt


def so_log_blocks(Q) -> tuple[np.ndarray, list[tuple[int, int, float]]]:
    """Rotation planes and angles of Q in SO(n): Q = Z (⊕ R(θ_k) ⊕ I) Z^T.

    Returns Z (n, n) orthogonal and a list of (i, j, θ) meaning "rotate by θ in the plane
    spanned by columns i and j of Z" (θ in (-π, π]).
    """
    import scipy.linalg  # the viz extra; imported here so that isotopy.paths loads without it

    Q = np.asarray(Q, dtype=np.float64)
    n = len(Q)
    T, Z = scipy.linalg.schur(Q, output="real")
    planes, minus, i = [], [], 0
    while i < n:
        if i + 1 < n and abs(T[i + 1, i]) > 1e-12:
            theta = float(np.arctan2(T[i + 1, i] - T[i, i + 1], T[i, i] + T[i + 1, i + 1]))
            planes.append((i, i + 1, theta))
            i += 2
        else:
            if T[i, i] < 0:
                minus.append(i)
            i += 1
    if len(minus) % 2:
        raise ValueError("the matrix has det -1: it is not in SO(n)")
    for a, b in zip(minus[::2], minus[1::2], strict=False):
        planes.append((a, b, float(np.pi)))
    return Z, planes


def rotation_path(Q, t) -> np.ndarray:
    """exp(t log Q) for Q in SO(n) and scalar t: (n, n)."""
    Z, planes = so_log_blocks(Q)
    return _rotation_at(Z, planes, float(t))


def _rotation_at(Z, planes, t):
    n = len(Z)
    R = np.eye(n)
    for i, j, theta in planes:
        c, s = np.cos(t * theta), np.sin(t * theta)
        R[i, i] = R[j, j] = c
        R[j, i], R[i, j] = s, -s
    return Z @ R @ Z.T


class gl_plus_path:
    """The path p(t) = Q(t)((1 - t) I + t S) from I to W in GL+(n) (det W > 0 required).

    ``p = gl_plus_path(W); p(0.3)`` -> (n, n). Vectorised over t: ``p.at(ts)`` -> (T, n, n).
    """

    def __init__(self, W):
        W = np.asarray(W, dtype=np.float64)
        if W.ndim != 2 or W.shape[0] != W.shape[1]:
            raise ValueError(f"a GL+ path needs a square matrix, got shape {W.shape}")
        if np.linalg.det(W) <= 0:
            raise ValueError("a GL+ path needs det W > 0; permute two rows first")
        self.W = W
        self.Q, self.S = polar(W)
        # det Q = sign det W = +1 up to rounding; make it exact for the Schur pairing
        self.Z, self.planes = so_log_blocks(self.Q)

    def __call__(self, t) -> np.ndarray:
        t = float(t)
        n = len(self.W)
        if t >= 1.0:
            return self.W.copy()
        if t <= 0.0:
            return np.eye(n)
        return _rotation_at(self.Z, self.planes, t) @ ((1 - t) * np.eye(n) + t * self.S)

    def at(self, ts) -> np.ndarray:
        return np.stack([self(t) for t in np.atleast_1d(ts)])

    def __repr__(self) -> str:
        angles = ", ".join(f"{np.degrees(th):.1f}°" for _, _, th in self.planes) or "none"
        det = np.linalg.det(self.W)
        return f"gl_plus_path(n={len(self.W)}, det={det:.3g}, rotations: {angles})"


def straight_path(W, t) -> np.ndarray:
    """(1 - t) I + t W: passes through singular matrices in general (not an isotopy)."""
    W = np.asarray(W, dtype=np.float64)
    return (1 - t) * np.eye(len(W)) + t * W


def complete_to_square(W) -> np.ndarray | None:
    """An m×m matrix [W | N] with det > 0 for W (m, n), m > n, of full column rank.

    N is an orthonormal basis of the orthogonal complement of W's column space, one column
    negated if needed, so [W | N] [x; 0] = W x: embedding R^n in R^m by zero padding and
    then applying [W | N] is W. None when W does not have full column rank.
    """
    W = np.asarray(W, dtype=np.float64)
    m, n = W.shape
    U, s, _ = np.linalg.svd(W, full_matrices=True)
    if s[-1] <= SINGULAR_RCOND * max(s[0], 1e-300):
        return None
    M = np.concatenate([W, U[:, n:]], axis=1)
    if np.linalg.det(M) < 0:
        M[:, -1] *= -1
    return M
