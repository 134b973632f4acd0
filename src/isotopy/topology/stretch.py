"""How much each stage stretches space: Jacobian norms of the map input -> stage.

For a network f = f_S ∘ ... ∘ f_1 write F_s = f_s ∘ ... ∘ f_1 for the map from the input to
the representation after stage s. Its Jacobian J_s(x) = ∂F_s/∂x (d_s × d_in) says how a tiny
neighbourhood of the input point x is deformed; we report, per point,

    spectral norm  ||J_s(x)||_2  (the largest stretch factor of any direction),
    Frobenius norm ||J_s(x)||_F  (sqrt of the sum of squared stretch factors).

The essay's "easy way out": a network too narrow to separate the classes can still reach a
high accuracy by pulling the classes apart and stretching the tangled parts very thin; it
shows up as very large derivatives in small regions of the input. A network wide enough to
separate honestly needs no such stretch. We summarise each stage by the maximum and the
99th percentile of the per-point norms over the data or over a grid of the input space.

Raw norms depend on the representation's overall size (a network whose hidden values span
[-1, 1]^d stretches more than one whose values span a tiny corner), so for comparing
networks we divide by the representation's own scale: the *relative stretch* at x is

    ρ(x) = ||J(x)||_2 / (diam F(P) / diam P)

over the points P where it is evaluated, i.e. how much harder x's neighbourhood is
stretched than the map stretches the whole set on average. :func:`stretch_fraction` is the
share of P where ρ exceeds a threshold, and :func:`exceedance` that share at every threshold
of a range (the exceedance curve): a network that stretches a thin region very hard has a
visible share of its input far above its own average; one that bends space smoothly has
almost none. Unlike a ratio of percentiles it cannot be driven by a tiny median. (A
network of homeomorphisms, e.g. tanh layers with invertible weights, never tears space: its
"easy way out" is to stretch a thin band very hard, which is what ρ sees.)

Jacobians are computed exactly by forward-mode differentiation, one Jacobian-vector product
per input dimension (d_in <= 3 here), for every stage at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..errors import InputError, check_positive_int

__all__ = [
    "input_jacobians",
    "StretchResult",
    "stretch",
    "stretch_grid",
    "relative_stretch",
    "stretch_scale",
    "stretch_fraction",
    "exceedance",
    "diameter",
]


def input_jacobians(
    net, X, *, directions: torch.Tensor | None = None, upto: int | None = None
) -> list[torch.Tensor]:
    """Jacobians of input -> every stage, or their products with given directions.

    Parameters
    ----------
    net : Network
    X : array or tensor (B, d_in), or (N, B, d_in)
    directions : tensor (m, d_in), optional
        Compute J_s v for these m input directions instead of the full J_s (m = d_in
        unit vectors when None, made on the points' device; given ones are moved there).
        Differentiable with respect to the parameters.
    upto : int, optional
        Only the first ``upto`` stages.

    Returns
    -------
    list of tensors, one per stage s (the input excluded), each (N, B, d_s, m)
    """
    from torch.func import jvp

    x, _ = net.batched(X)
    x = x.contiguous()  # (N, B, d_in); an expanded view cannot carry a tangent
    if directions is None:  # the unit vectors, made where the points are
        directions = torch.eye(net.d_in, dtype=x.dtype, device=x.device)
    directions = torch.as_tensor(directions, dtype=x.dtype, device=x.device)
    if directions.dim() != 2 or directions.shape[1] != net.d_in:
        raise InputError(
            f"directions must have shape (m, {net.d_in}), got {tuple(directions.shape)}"
        )

    def f(inp):
        return tuple(net.forward_all(inp, upto=upto)[1:])

    cols = []
    for v in directions:
        tangent = v.expand_as(x).contiguous()  # (N, B, d_in)
        _, dout = jvp(f, (x,), (tangent,))
        cols.append(dout)
    return [torch.stack([c[s] for c in cols], dim=-1) for s in range(len(cols[0]))]


@dataclass
class StretchResult:
    """Per-point Jacobian norms of input -> stage, for each stage of one network."""

    names: list[str]  # stage names (the input excluded)
    points: np.ndarray  # (B, d_in) where the norms were evaluated
    spectral: np.ndarray  # (S, B)
    frobenius: np.ndarray  # (S, B)

    def summary(self) -> dict:
        """{stage: {"max", "p99", "median"} of the spectral norm, "fro_max", "fro_p99"}."""
        out = {}
        for s, name in enumerate(self.names):
            sp, fr = self.spectral[s], self.frobenius[s]
            out[name] = {
                "max": float(sp.max()),
                "p99": float(np.percentile(sp, 99)),
                "median": float(np.median(sp)),
                "fro_max": float(fr.max()),
                "fro_p99": float(np.percentile(fr, 99)),
            }
        return out

    def __repr__(self) -> str:
        last = self.summary()[self.names[-1]]
        return (
            f"StretchResult({len(self.names)} stages, {self.points.shape[0]} points, last "
            f"stage max {last['max']:.3g}, p99 {last['p99']:.3g})"
        )


@torch.no_grad()
def _norms(J: torch.Tensor):
    # J: (B, d_s, d_in) -> spectral (B,), frobenius (B,)
    return torch.linalg.matrix_norm(J, ord=2), torch.linalg.matrix_norm(J, ord="fro")


def stretch(net, X, *, include_readout: bool = False, index: int = 0) -> StretchResult:
    """Spectral and Frobenius norms of the Jacobian of input -> each stage at points X.

    Parameters
    ----------
    net : Network
    X : array (B, d_in)
    include_readout : bool
        Whether the read-out's Jacobian (the gradient of the logit) is included.
    index : int
        Which network of a batch.

    Returns
    -------
    StretchResult
    """
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 1 and net.d_in == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != net.d_in or len(X) == 0:
        raise InputError(f"points must have shape (B, {net.d_in}), got {X.shape}")
    if not 0 <= index < net.n_networks:
        raise InputError(f"network index {index} out of range 0..{net.n_networks - 1}")
    Js = [J.detach()[index] for J in input_jacobians(net, X)]  # each (B, d_s, d_in)
    names = list(net.names)
    if not include_readout:
        Js, names = Js[:-1], names[:-1]
    if not Js:
        raise InputError(
            "the network has no hidden stage whose stretch could be measured "
            "(it is a read-out only); pass include_readout=True for its gradient"
        )
    sp, fr = zip(*(_norms(J.double()) for J in Js), strict=True) if Js else ((), ())
    return StretchResult(
        names, X, np.stack([s.numpy() for s in sp]), np.stack([f.numpy() for f in fr])
    )


def stretch_grid(
    net,
    *,
    bounds=(-1.2, 1.2),
    resolution: int = 120,
    stage: int | str = -1,
    index: int = 0,
    norm: str = "spectral",
) -> dict:
    """The stretch of one stage on a grid over a 2-D input space (for a heatmap).

    Parameters
    ----------
    net : Network with d_in == 2
    bounds : (lo, hi) or ((xlo, xhi), (ylo, yhi))
    resolution : int
        Grid points per axis.
    stage : int or str
        A hidden stage by index into ``net.names`` or by name; -1 is the last hidden stage.
    norm : {"spectral", "frobenius"}

    Returns
    -------
    dict with ``xs`` (R,), ``ys`` (R,), ``values`` (R, R) (rows follow ys), ``stage`` name
    """
    if net.d_in != 2:
        raise InputError(f"a stretch heatmap needs a 2-D input, the network takes {net.d_in}")
    resolution = check_positive_int(resolution, "resolution", minimum=2)
    if norm not in ("spectral", "frobenius"):
        raise InputError(f"unknown norm {norm!r}; choose one of: frobenius, spectral")
    (xlo, xhi), (ylo, yhi) = (bounds, bounds) if np.ndim(bounds[0]) == 0 else bounds
    xs, ys = np.linspace(xlo, xhi, resolution), np.linspace(ylo, yhi, resolution)
    gx, gy = np.meshgrid(xs, ys)
    res = stretch(net, np.c_[gx.ravel(), gy.ravel()], index=index)
    names = res.names
    if isinstance(stage, str):
        if stage not in names:
            raise InputError(f"unknown stage {stage!r}; choose one of: {', '.join(names)}")
        s = names.index(stage)
    else:
        if not -len(names) <= stage < len(names):
            raise InputError(f"stage {stage} out of range for {len(names)} hidden stages")
        s = stage % len(names)
    vals = (res.spectral if norm == "spectral" else res.frobenius)[s].reshape(gx.shape)
    return {"xs": xs, "ys": ys, "values": vals, "stage": names[s], "norm": norm}


def diameter(P) -> float:
    """Largest distance between two of the points P (m, d), exact.

    The points are first written in their own principal axes, dropping axes along which
    they do not extend (a flat set); then one axis gives max - min, more axes the largest
    distance between vertices of the convex hull (all pairs, in blocks, where there is no
    hull).
    """
    P = np.asarray(P, dtype=np.float64)
    if P.ndim != 2 or len(P) == 0:
        raise InputError(f"points must have shape (m, d) with m >= 1, got {P.shape}")
    C = P - P.mean(0)
    _, sv, Vt = np.linalg.svd(C, full_matrices=False)  # (d,), (d, d)
    if sv.size == 0 or sv[0] == 0:
        return 0.0
    Q = C @ Vt[sv > sv[0] * 1e-9].T  # (m, rank): same distances up to rounding
    if Q.shape[1] == 1:
        return float(Q.max() - Q.min())
    if Q.shape[1] <= 8 and len(Q) > Q.shape[1] + 1:
        try:
            from scipy.spatial import ConvexHull

            Q = Q[ConvexHull(Q).vertices]
        except Exception:  # nearly flat sets qhull refuses: all pairs
            pass
    best = 0.0
    for i in range(0, len(Q), 1024):
        block = Q[i : i + 1024]
        d2 = ((block[:, None, :] - Q[None, :, :]) ** 2).sum(-1)  # (b, m)
        best = max(best, float(d2.max()))
    return float(np.sqrt(best))


def _hidden_stage(net, stage: int) -> int:
    n_hidden = len(net.names) - 1
    if n_hidden < 1:
        raise InputError("the network has no hidden stage whose stretch could be measured")
    if not -n_hidden <= stage < n_hidden:
        raise InputError(f"stage {stage} out of range for {n_hidden} hidden stages")
    return stage % n_hidden


def _points(net, X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 1 and net.d_in == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != net.d_in or len(X) < 2:
        raise InputError(f"points must have shape (B, {net.d_in}) with B >= 2, got {X.shape}")
    return X


def stretch_scale(net, X, *, stage: int = -1) -> np.ndarray:
    """diam F(X) / diam X of input -> one hidden stage, for every network: (N,).

    The map's overall stretch of the set X, the unit of :func:`relative_stretch` (0 where a
    network maps X to a single point).
    """
    X = _points(net, X)
    s = _hidden_stage(net, stage)
    with torch.no_grad():
        H = net.forward_all(torch.as_tensor(X), upto=s + 1)[-1].double().numpy()  # (N, B, d)
    d_in = diameter(X)
    return np.array([diameter(h) / d_in for h in H])


def relative_stretch(net, X, *, stage: int = -1) -> np.ndarray:
    """ρ = ||J||_2 / (diam F(X) / diam X) of input -> one hidden stage, for every network.

    Parameters
    ----------
    net : Network of N networks
    X : array (B, d_in)
        The points (a dense grid over the data's region, or the data); also the set whose
        diameter and image's diameter set the scale.
    stage : int
        Index into the hidden stages (``net.names`` without the read-out); -1 is the last.

    Returns
    -------
    ndarray (N, B): each network's relative stretch at every point (inf where a network
    maps X to a single point but still stretches somewhere, 0 where it does not stretch).
    """
    X = _points(net, X)
    s = _hidden_stage(net, stage)
    J = input_jacobians(net, X, upto=s + 1)[s].detach().double()  # (N, B, d_s, d_in)
    sp = torch.linalg.matrix_norm(J, ord=2).numpy()  # (N, B)
    scales = stretch_scale(net, X, stage=stage)  # (N,)
    out = np.empty_like(sp)
    for i, scale in enumerate(scales):
        with np.errstate(divide="ignore", invalid="ignore"):
            out[i] = (
                np.where(sp[i] > 0, sp[i] / scale, 0.0)
                if scale > 0
                else np.where(sp[i] > 0, np.inf, 0.0)
            )
    return out


def exceedance(rho, thresholds) -> np.ndarray:
    """Share of points whose relative stretch exceeds each threshold: (N, B) -> (N, T).

    The whole exceedance curve t -> share(ρ > t) of each network, so that two groups of
    networks can be compared at every threshold of a range instead of at one.
    """
    rho = np.atleast_2d(np.asarray(rho, dtype=float))
    ts = np.asarray(thresholds, dtype=float).ravel()
    if rho.ndim != 2 or rho.shape[1] == 0 or len(ts) == 0 or not np.isfinite(ts).all():
        raise InputError(
            f"exceedance needs stretch values (N, B) and finite thresholds, got {rho.shape} "
            f"and {len(ts)} thresholds"
        )
    return (rho[:, :, None] > ts[None, None, :]).mean(1)  # (N, T)


def stretch_fraction(net, X, *, threshold: float = 10.0, stage: int = -1) -> np.ndarray:
    """Share of the points X where the relative stretch exceeds ``threshold``: (N,).

    With X a regular grid over the data's region this is the share of that area (volume)
    that the network stretches more than ``threshold`` times its own average.
    """
    threshold = float(threshold)
    if not np.isfinite(threshold) or threshold <= 0:
        raise InputError(f"threshold must be a finite number > 0, got {threshold!r}")
    return (relative_stretch(net, X, stage=stage) > threshold).mean(axis=1)
