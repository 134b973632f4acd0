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

Jacobians are computed exactly by forward-mode differentiation, one Jacobian-vector product
per input dimension (d_in <= 3 here), for every stage at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..errors import InputError, check_positive_int

__all__ = ["input_jacobians", "StretchResult", "stretch", "stretch_grid"]


def input_jacobians(net, X, *, directions: torch.Tensor | None = None,
                    upto: int | None = None) -> list[torch.Tensor]:
    """Jacobians of input -> every stage, or their products with given directions.

    Parameters
    ----------
    net : Network
    X : array or tensor (B, d_in), or (N, B, d_in)
    directions : tensor (m, d_in), optional
        Compute J_s v for these m input directions instead of the full J_s (m = d_in
        unit vectors when None). Differentiable with respect to the parameters.
    upto : int, optional
        Only the first ``upto`` stages.

    Returns
    -------
    list of tensors, one per stage s (the input excluded), each (N, B, d_s, m)
    """
    from torch.func import jvp

    x, _ = net._batched(X)
    x = x.contiguous()  # (N, B, d_in); an expanded view cannot carry a tangent
    if directions is None:
        directions = torch.eye(net.d_in, dtype=x.dtype)
    directions = torch.as_tensor(directions, dtype=x.dtype)
    if directions.dim() != 2 or directions.shape[1] != net.d_in:
        raise InputError(f"directions must have shape (m, {net.d_in}), got "
                         f"{tuple(directions.shape)}")

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
            out[name] = {"max": float(sp.max()), "p99": float(np.percentile(sp, 99)),
                         "median": float(np.median(sp)), "fro_max": float(fr.max()),
                         "fro_p99": float(np.percentile(fr, 99))}
        return out

    def __repr__(self) -> str:
        last = self.summary()[self.names[-1]]
        return (f"StretchResult({len(self.names)} stages, {self.points.shape[0]} points, last "
                f"stage max {last['max']:.3g}, p99 {last['p99']:.3g})")


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
        raise InputError("the network has no hidden stage whose stretch could be measured "
                         "(it is a read-out only); pass include_readout=True for its gradient")
    sp, fr = zip(*(_norms(J.double()) for J in Js), strict=True) if Js else ((), ())
    return StretchResult(names, X, np.stack([s.numpy() for s in sp]),
                         np.stack([f.numpy() for f in fr]))


def stretch_grid(net, *, bounds=(-1.2, 1.2), resolution: int = 120, stage: int | str = -1,
                 index: int = 0, norm: str = "spectral") -> dict:
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
