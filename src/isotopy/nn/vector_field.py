"""The essay's vector-field layer: move space along a learned field of Gaussian bumps.

The field is a sum of radial basis functions centred at anchor points c_i,

    v(x) = Σ_i v_i · g_i(x),      g_i(x) = exp(-|x - c_i|² / (2 σ_i²)),

with learnable vectors v_i (and optionally learnable widths σ_i and anchors c_i). The stage
moves each point along it in one of two ways:

    "residual":  x -> x + v(x)                 path: x + t·v(x),   t in [0, 1]
    "flow":      x -> φ_1(x), dφ_t/dt = v(φ_t)  path: φ_t(x)        (integrated with torchdiffeq)

Homeomorphism. |∇g_i(x)| = g_i(x)·|x - c_i| / σ_i² is largest at |x - c_i| = σ_i, where it is
e^{-1/2} / σ_i, so the field is Lipschitz with constant at most

    L = e^{-1/2} · Σ_i |v_i| / σ_i.

If L < 1, x -> x + t·v(x) is injective for every t in [0, 1] (|x + t v(x) - y - t v(y)| >=
(1 - tL)|x - y|) and onto (the map y -> y' - t·v(y) is a contraction, Banach), so the whole
path is an isotopy; its inverse is that fixed-point iteration (:meth:`VectorField.inverse`).
``max_lipschitz=λ < 1`` enforces it by scaling all v_i by min(1, λ / L) inside the forward
pass (a reparametrisation, so gradient descent cannot leave the safe set). The flow of a
smooth, globally Lipschitz field is a diffeomorphism at every time, whatever L is.

Shapes: x (N, B, d) -> (N, B, d) for N networks; anchors (N, M, d), vectors (N, M, d),
log σ (N, M).

Optional dependencies: scipy (k-means anchors) and torchdiffeq (the flow) are not core
dependencies of the package. Importing this module needs neither; constructing a
:class:`VectorField` without them raises one :class:`~isotopy.errors.InputError` sentence
that names the extra to install (``pip install 'isotopy[knn]'``, the extra of
pyproject.toml that declares both).
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import warnings

import numpy as np
import torch
from torch import nn

from ..errors import InputError, check_positive_int, lookup
from .stages import Stage, register_stage

__all__ = [
    "VectorField",
    "VECTOR_FIELD_MODES",
    "ANCHOR_METHODS",
    "OPTIONAL_MODULES",
    "check_installed",
    "kmeans",
    "init_anchors",
]

VECTOR_FIELD_MODES = {
    "residual": "x -> x + v(x); a homeomorphism when Lip(v) < 1",
    "flow": "x -> flow of v for unit time; always a homeomorphism",
}
ANCHOR_METHODS = {
    "random": "a random subset of the points",
    "kmeans": "k-means centres of the points (Lloyd, k-means++ start)",
}
_E_HALF = math.exp(-0.5)
# the optional modules the stage uses, each with the extra of pyproject.toml that declares it
OPTIONAL_MODULES = {"scipy": "knn", "torchdiffeq": "knn"}  # the knn extra holds both

# torchdiffeq's integration methods (the ``method`` names of ``torchdiffeq.odeint``): those on
# a fixed grid take ``options={"step_size": h}``, the adaptive ones a tolerance.
FIXED_GRID_SOLVERS = (
    "euler",
    "midpoint",
    "heun2",
    "heun3",
    "rk4",
    "explicit_adams",
    "implicit_adams",
    "fixed_adams",
)
ADAPTIVE_SOLVERS = ("dopri5", "dopri8", "bosh3", "fehlberg2", "adaptive_heun")
ODE_SOLVERS = {
    **dict.fromkeys(FIXED_GRID_SOLVERS, "fixed grid"),
    **dict.fromkeys(ADAPTIVE_SOLVERS, "adaptive"),
}


def _missing_sentence(missing) -> str:
    extras = ",".join(sorted({OPTIONAL_MODULES[m] for m in missing}))
    verb = "is" if len(missing) == 1 else "are"
    return (
        f"the vector-field stage needs {' and '.join(OPTIONAL_MODULES)}, and "
        f"{' and '.join(missing)} {verb} not installed: pip install 'isotopy[{extras}]'"
    )


def check_installed() -> None:
    """Raise one InputError sentence naming the extra to install when scipy or torchdiffeq
    is missing (the vector-field stage needs both)."""
    missing = [m for m in OPTIONAL_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise InputError(_missing_sentence(missing))


def _optional(module: str):
    """``module`` (part of scipy or torchdiffeq) imported, or the sentence of
    :func:`check_installed` where it cannot be."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputError(_missing_sentence([module.partition(".")[0]])) from None


def kmeans(X: np.ndarray, k: int, *, seed: int = 0, iters: int = 50) -> np.ndarray:
    """k-means centres (k, d) of points X (n, d): scipy's k-means++ start, then Lloyd steps."""
    kmeans2 = _optional("scipy.cluster.vq").kmeans2
    X = np.asarray(X, dtype=np.float64)
    with warnings.catch_warnings():  # an empty cluster keeps its centre, as intended here
        warnings.filterwarnings("ignore", message="One of the clusters is empty")
        centres, _ = kmeans2(X, int(k), iter=iters, minit="++", seed=np.random.default_rng(seed))
    return centres


@register_stage
class VectorField(Stage):
    """x -> x + Σ_i v_i exp(-|x - c_i|² / (2σ_i²)) (or the flow of that field for unit time).

    x: (N, B, d) -> (N, B, d).

    Parameters
    ----------
    dim : int
        Dimension d of the space it moves.
    n_anchors : int
        Number M of Gaussian bumps.
    sigma : float
        Initial width of every bump.
    mode : {"residual", "flow"}
    learn_sigma, learn_anchors : bool
        Make σ_i / c_i trainable (v_i always are).
    max_lipschitz : float or None
        Keep the field's Lipschitz bound at most this (< 1 keeps "residual" a homeomorphism);
        None leaves the field free.
    solver : str
        torchdiffeq method of the flow ("rk4", "euler", "midpoint", "dopri5", ...).
    flow_steps : int
        Fixed steps of the flow's solver over unit time (ignored by adaptive solvers).
    n_networks : int

    Needs scipy and torchdiffeq: without them, one InputError sentence naming the extra to
    install (:func:`check_installed`).
    """

    type_name = "vector_field"

    def __init__(
        self,
        dim: int,
        n_anchors: int = 16,
        *,
        sigma: float = 0.5,
        mode: str = "residual",
        learn_sigma: bool = False,
        learn_anchors: bool = False,
        max_lipschitz: float | None = 0.9,
        solver: str = "rk4",
        flow_steps: int = 8,
        n_networks: int = 1,
    ):
        super().__init__()
        check_installed()
        self.d_in = self.d_out = check_positive_int(dim, "a vector field's dimension")
        self.n_anchors = check_positive_int(n_anchors, "the number of anchors")
        self.n_networks = check_positive_int(n_networks, "the number of networks")
        lookup(VECTOR_FIELD_MODES, mode, "vector-field mode")
        self.mode = mode
        sigma = float(sigma)
        if not math.isfinite(sigma) or sigma <= 0:
            raise InputError(f"the anchors' width sigma must be a number > 0, got {sigma}")
        self.sigma0 = sigma
        if max_lipschitz is not None:
            max_lipschitz = float(max_lipschitz)
            if not math.isfinite(max_lipschitz) or max_lipschitz <= 0:
                raise InputError(f"max_lipschitz must be a number > 0 or None, got {max_lipschitz}")
        self.max_lipschitz = max_lipschitz
        self.learn_sigma, self.learn_anchors = bool(learn_sigma), bool(learn_anchors)
        self.solver = solver
        self.flow_steps = check_positive_int(flow_steps, "the flow's solver steps")
        if mode == "flow":
            lookup(ODE_SOLVERS, solver, "ODE solver")
        n, m, d = self.n_networks, self.n_anchors, self.d_in
        anchors = torch.zeros(n, m, d)
        log_sigma = torch.full((n, m), math.log(sigma))
        self.vectors = nn.Parameter(torch.zeros(n, m, d))
        # Fixed anchors and widths are parameters without gradient (not buffers), so every
        # tool that copies a network's parameters (select, snapshots) carries them along.
        self.anchors = nn.Parameter(anchors, requires_grad=self.learn_anchors)
        self.log_sigma = nn.Parameter(log_sigma, requires_grad=self.learn_sigma)
        self.reset_parameters([None] * n)

    # ------------------------------------------------------------------------ parameters
    def reset_parameters(self, generators) -> None:
        # Anchors start at standard normal points (replace them with data points through
        # set_anchors / init_anchors); the vectors start at 0, so the stage starts as the
        # identity map and every network begins from the same, undeformed space.
        with torch.no_grad():
            for i, g in enumerate(generators):
                self.anchors[i].copy_(torch.randn(self.n_anchors, self.d_in, generator=g))
                self.vectors[i].zero_()
                self.log_sigma[i].fill_(math.log(self.sigma0))

    def set_anchors(self, points, *, method: str = "kmeans", seed: int = 0) -> VectorField:
        """Place the anchors on data: points (n, d) or (N, n, d), one set per network.

        ``method``: "random" (a random subset, network i drawing with seed + i) or "kmeans".
        """
        lookup(ANCHOR_METHODS, method, "anchor method")
        P = (
            points.detach().cpu().numpy()
            if isinstance(points, torch.Tensor)
            else np.asarray(points)
        )
        if P.ndim == 2:
            P = np.broadcast_to(P, (self.n_networks, *P.shape))
        if P.ndim != 3 or P.shape[0] != self.n_networks or P.shape[2] != self.d_in:
            raise InputError(
                f"anchor points must be (n, {self.d_in}) or "
                f"({self.n_networks}, n, {self.d_in}), got {P.shape}"
            )
        if P.shape[1] < self.n_anchors:
            raise InputError(
                f"{self.n_anchors} anchors need at least as many points, got {P.shape[1]}"
            )
        out = []
        for i in range(self.n_networks):
            if method == "random":
                rng = np.random.default_rng(seed + i)
                out.append(P[i][rng.choice(P.shape[1], self.n_anchors, replace=False)])
            else:
                out.append(kmeans(P[i], self.n_anchors, seed=seed + i))
        with torch.no_grad():
            self.anchors.copy_(torch.as_tensor(np.stack(out), dtype=self.anchors.dtype))
        return self

    @property
    def sigma(self) -> torch.Tensor:
        """(N, M) widths."""
        return self.log_sigma.exp()

    def lipschitz_bound(self, raw: bool = False) -> torch.Tensor:
        """(N,) upper bound e^{-1/2} Σ_i |v_i| / σ_i on the field's Lipschitz constant.

        ``raw=True`` ignores the ``max_lipschitz`` rescaling (the bound of the stored v_i).
        """
        bound = _E_HALF * (self.vectors.norm(dim=-1) / self.sigma).sum(-1)  # (N,)
        if raw or self.max_lipschitz is None:
            return bound
        return torch.minimum(bound, torch.full_like(bound, self.max_lipschitz))

    def effective_vectors(self) -> torch.Tensor:
        """(N, M, d) vectors after the max_lipschitz rescaling (what the forward pass uses)."""
        if self.max_lipschitz is None:
            return self.vectors
        bound = self.lipschitz_bound(raw=True)  # (N,)
        scale = torch.clamp(self.max_lipschitz / bound.clamp_min(1e-12), max=1.0)
        return self.vectors * scale[:, None, None]

    # --------------------------------------------------------------------------- the map
    def field(self, x: torch.Tensor) -> torch.Tensor:
        """v(x): (N, B, d) -> (N, B, d)."""
        diff = x.unsqueeze(2) - self.anchors.unsqueeze(1)  # (N, B, M, d)
        s2 = self.sigma.pow(2).unsqueeze(1)  # (N, 1, M)
        g = torch.exp(-diff.pow(2).sum(-1) / (2 * s2))  # (N, B, M)
        return torch.bmm(g, self.effective_vectors())  # (N, B, d)

    def _flow(self, x: torch.Tensor, t: float, *, sign: float = 1.0) -> torch.Tensor:
        """φ_t(x) (sign -1: φ_{-t}), integrated with torchdiffeq."""
        odeint = _optional("torchdiffeq").odeint
        if t == 0:
            return x
        times = torch.tensor([0.0, float(t)], dtype=x.dtype)
        fixed = self.solver in FIXED_GRID_SOLVERS
        options = {"step_size": float(t) / self.flow_steps} if fixed else None
        return odeint(
            lambda _t, h: sign * self.field(h),
            x,
            times,
            method=self.solver,
            options=options,
            rtol=1e-7,
            atol=1e-9,
        )[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "flow":
            return self._flow(x, 1.0)
        return x + self.field(x)

    def path(self, x: torch.Tensor, t: float) -> torch.Tensor:
        """The continuous deformation at time t in [0, 1]: x + t·v(x), or the flow φ_t(x)."""
        t = float(t)
        if not 0 <= t <= 1:
            raise InputError(f"a path's time must be in [0, 1], got {t}")
        x = torch.as_tensor(x, dtype=self.vectors.dtype)
        if self.mode == "flow":
            return self._flow(x, t)
        return x + t * self.field(x)

    @torch.no_grad()
    def inverse(self, y: torch.Tensor, *, iters: int = 200, tol: float = 1e-10) -> torch.Tensor:
        """The preimage of y: fixed point of x = y - v(x) (residual), or the reversed flow.

        Exact up to ``tol`` when the field's Lipschitz bound is < 1 (residual mode).
        """
        y = torch.as_tensor(y, dtype=self.vectors.dtype)
        if self.mode == "flow":
            return self._flow(y, 1.0, sign=-1.0)
        if (self.lipschitz_bound() >= 1).any():
            raise InputError(
                "the field's Lipschitz bound is not below 1, so x + v(x) may not "
                "be invertible; use max_lipschitz < 1 or the flow mode"
            )
        x = y.clone()
        for _ in range(iters):
            new = y - self.field(x)
            if (new - x).abs().max() <= tol:
                return new
            x = new
        return x

    def is_homeomorphism(self, rtol: float | None = None) -> torch.Tensor:
        """(N,): always for the flow; for the residual map when the Lipschitz bound is < 1
        (a sufficient condition: False means "not certified")."""
        if self.mode == "flow":
            return torch.ones(self.n_networks, dtype=torch.bool)
        return self.lipschitz_bound().detach() < 1

    @torch.no_grad()
    def jacobian_norm(self, x) -> torch.Tensor:
        """Largest spectral norm of the field's Jacobian over points x (B, d): (N,), a lower
        bound of its Lipschitz constant that :meth:`lipschitz_bound` must exceed."""
        x = torch.as_tensor(x, dtype=self.vectors.dtype)
        x = x.unsqueeze(0).expand(self.n_networks, -1, -1) if x.dim() == 2 else x
        diff = x.unsqueeze(2) - self.anchors.unsqueeze(1)  # (N, B, M, d)
        s2 = self.sigma.pow(2)[:, None, :, None]  # (N, 1, M, 1)
        g = torch.exp(-diff.pow(2).sum(-1, keepdim=True) / (2 * s2))  # (N, B, M, 1)
        grad = -g * diff / s2  # (N, B, M, d): ∇g_i
        jac = torch.einsum("nmd,nbme->nbde", self.effective_vectors(), grad)  # (N, B, d, d)
        return torch.linalg.matrix_norm(jac, ord=2).amax(-1)

    # --------------------------------------------------------------------------- describe
    def spec(self) -> dict:
        return {
            "type": self.type_name,
            "dim": self.d_in,
            "n_anchors": self.n_anchors,
            "sigma": self.sigma0,
            "mode": self.mode,
            "learn_sigma": self.learn_sigma,
            "learn_anchors": self.learn_anchors,
            "max_lipschitz": self.max_lipschitz,
            "solver": self.solver,
            "flow_steps": self.flow_steps,
        }

    def short(self) -> str:
        return f"{'flow' if self.mode == 'flow' else 'field'} {self.d_in}d×{self.n_anchors}"

    def extra_repr(self) -> str:
        lip = "free" if self.max_lipschitz is None else f"Lip≤{self.max_lipschitz:g}"
        return (
            f"dim={self.d_in}, anchors={self.n_anchors}, sigma={self.sigma0:g}, "
            f"mode={self.mode}, {lip}, n_networks={self.n_networks}"
        )


def init_anchors(net, X, *, method: str = "kmeans", seed: int = 0) -> None:
    """Place the anchors of every vector-field stage of ``net`` on the training points X
    (n, d_in) as they arrive at that stage (their representation there at the current
    parameters), stage by stage from the input."""
    with torch.no_grad():
        h, _ = net.batched(X)
        for stage in net.stages:
            if isinstance(stage, VectorField):
                stage.set_anchors(h, method=method, seed=seed)
            h = stage(h)


# ------------------------------------------------------------------------- views as arrays
def _domain(domain, points) -> tuple[float, float, float, float]:
    if domain is not None:
        x0, x1, y0, y1 = (float(v) for v in domain)
        if not (x0 < x1 and y0 < y1):
            raise InputError(f"a domain is (xmin, xmax, ymin, ymax) with min < max, got {domain}")
        return x0, x1, y0, y1
    if points is None:
        return -1.5, 1.5, -1.5, 1.5
    P = np.asarray(points, dtype=np.float64)
    lo, hi = P.min(0), P.max(0)
    pad = 0.15 * (hi - lo).max()
    return lo[0] - pad, hi[0] + pad, lo[1] - pad, hi[1] + pad


def _check_2d(stage: VectorField, network: int) -> None:
    if stage.d_in != 2:
        raise InputError(f"field views draw 2-D fields; this one is {stage.d_in}-D")
    if not 0 <= network < stage.n_networks:
        raise InputError(f"network index {network} out of range 0..{stage.n_networks - 1}")


@torch.no_grad()
def field_on_grid(
    stage: VectorField, *, network: int = 0, domain=None, points=None, resolution: int = 25
) -> tuple[np.ndarray, ...]:
    """The field v sampled on a regular grid: (X, Y, U, V), each (resolution, resolution).

    ``domain`` = (xmin, xmax, ymin, ymax), else the box around ``points`` (or [-1.5, 1.5]²).
    """
    _check_2d(stage, network)
    resolution = check_positive_int(resolution, "the grid resolution", minimum=2)
    x0, x1, y0, y1 = _domain(domain, points)
    X, Y = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    P = torch.as_tensor(np.stack([X.ravel(), Y.ravel()], 1), dtype=stage.vectors.dtype)
    V = stage.field(P.unsqueeze(0).expand(stage.n_networks, -1, -1))[network].numpy()
    return X, Y, V[:, 0].reshape(X.shape), V[:, 1].reshape(X.shape)


@torch.no_grad()
def deformed_grid(
    stage: VectorField,
    *,
    network: int = 0,
    t: float = 1.0,
    domain=None,
    points=None,
    n_lines: int = 15,
    samples: int = 80,
) -> list[np.ndarray]:
    """Images of the grid lines under the stage's path at time t: list of (samples, 2)."""
    _check_2d(stage, network)
    n_lines = check_positive_int(n_lines, "the number of grid lines", minimum=2)
    x0, x1, y0, y1 = _domain(domain, points)
    s = np.linspace(0, 1, samples)
    lines = [
        np.stack([np.full_like(s, x), y0 + s * (y1 - y0)], 1) for x in np.linspace(x0, x1, n_lines)
    ]
    lines += [
        np.stack([x0 + s * (x1 - x0), np.full_like(s, y)], 1) for y in np.linspace(y0, y1, n_lines)
    ]
    P = torch.as_tensor(np.concatenate(lines), dtype=stage.vectors.dtype)
    out = stage.path(P.unsqueeze(0).expand(stage.n_networks, -1, -1), t)[network].numpy()
    return np.split(out, len(lines))
