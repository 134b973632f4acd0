"""Each stage's continuous path from the identity (DESIGN idea 1), keyed by stage type.

A :class:`StagePath` maps points x of the stage's input space R^n to h(x, t) in R^D,
D = max(n, m) for a stage R^n -> R^m, with h(x, 0) = x (zero-padded to D) and
h(x, 1) = f(x) (zero-padded to D). Paths by stage type:

- affine, n -> n, det W > 0: x -> p(t') x for t' = 2t in [0, 1/2] (p the GL+(n) path of
  :mod:`isotopy.paths.glplus`), then x -> W x + (2t - 1) b: an ambient isotopy;
- affine, det W < 0 that could not be oriented by a unit swap (e.g. one unit): straight
  path, flagged (it passes through a singular matrix);
- affine with W (numerically) singular: straight path (1 - t) x + t (W x + b), flagged
  "not a homeomorphism";
- affine n -> m, m > n: x -> [x; 0] in R^m, then the square path of [W | N]
  (:func:`complete_to_square`), an isotopy of R^m;
- affine n -> m, m < n: a projection; straight path in R^n to [W x + b; 0], flagged;
- activation σ: (1 - t) x + t σ(x), an isotopy when σ is strictly increasing;
- input features (x1, x2) -> (x1, x2, g(x)) (x1², x1·x2, sin x1, ... as chosen): with x1
  and x2 among them, (x1, x2, t·g(x)), the graph of t·g over the plane, an embedding at
  every t and the restriction of a shear of R^D: an ambient isotopy; without x1 or x2 the
  map folds the plane (:func:`isotopy.nn.stages.features_injective` says where), so the
  straight line, flagged;
- any other registered stage type may register its own (``@register_path("type")``) or
  define ``stage.path(x, t)``; otherwise the straight path, flagged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from .glplus import SINGULAR_RCOND, complete_to_square, gl_plus_path

__all__ = ["StagePath", "STAGE_PATHS", "register_path", "stage_path", "pad"]


def pad(x: np.ndarray, dim: int) -> np.ndarray:
    """Zero-pad the last axis of x to ``dim`` coordinates."""
    if x.shape[-1] == dim:
        return x
    out = np.zeros((*x.shape[:-1], dim), dtype=x.dtype)
    out[..., : x.shape[-1]] = x
    return out


@dataclass
class StagePath:
    """h(x, t) of one stage; x: (B, d_in) -> (B, dim), dim = max(d_in, d_out).

    Attributes
    ----------
    fn : callable (x, t) -> (B, dim)
    d_in, d_out : int
    isotopy : bool
        True when every h(., t) is a homeomorphism of R^dim (onto its image for
        activations): the path is an ambient isotopy.
    kind : str
        "gl+", "embedding", "activation", "singular", "projection", "reflection",
        "straight", or a stage's own word.
    note : str
        One line for the view: what this path is, and why it is flagged when it is.
    """

    fn: Callable[[np.ndarray, float], np.ndarray]
    d_in: int
    d_out: int
    isotopy: bool
    kind: str
    note: str = ""

    @property
    def dim(self) -> int:
        return max(self.d_in, self.d_out)

    def __call__(self, x, t: float) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return self.fn(x, float(np.clip(t, 0.0, 1.0)))

    def __repr__(self) -> str:
        flag = "isotopy" if self.isotopy else "NOT an isotopy"
        return f"StagePath({self.kind}, {self.d_in}→{self.d_out}, {flag}: {self.note})"


STAGE_PATHS: dict[str, Callable] = {}


def register_path(type_name: str):
    """Decorator: ``fn(stage, index) -> StagePath`` is the path of stages of this type."""

    def deco(fn):
        STAGE_PATHS[type_name] = fn
        return fn

    return deco


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().double().cpu().numpy()


def _straight(f, d_in, d_out, kind, note, isotopy=False) -> StagePath:
    dim = max(d_in, d_out)

    def fn(x, t):
        return (1 - t) * pad(x, dim) + t * pad(f(x), dim)

    return StagePath(fn, d_in, d_out, isotopy, kind, note)


@register_path("affine")
def affine_path(stage, index: int = 0) -> StagePath:
    W, b = _np(stage.weight[index]), _np(stage.bias[index])
    n, m = stage.d_in, stage.d_out

    def f(x):
        return x @ W.T + b

    if m < n:
        return _straight(
            f,
            n,
            m,
            "projection",
            f"projection R^{n} → R^{m}: not injective; straight line, not a homeomorphism",
        )
    if m > n:
        M = complete_to_square(W)
        if M is None:
            return _straight(
                f,
                n,
                m,
                "singular",
                f"W ({m}×{n}) has rank < {n}: not an embedding; straight line, not a homeomorphism",
            )
        note = f"R^{n} ⊂ R^{m} (zero padding), then W along a path in GL+({m}), then + b"
        return _square(M, b, n, m, "embedding", note)
    s = np.linalg.svd(W, compute_uv=False)
    if s[-1] <= SINGULAR_RCOND * max(s[0], 1e-300):
        return _straight(
            f,
            n,
            m,
            "singular",
            "W is singular: no isotopy exists; straight line, not a homeomorphism",
        )
    if np.linalg.det(W) < 0:
        return _straight(
            f,
            n,
            m,
            "reflection",
            "det W < 0 and no unit swap is possible: straight line through a "
            "singular matrix, not a homeomorphism at every t",
        )
    return _square(W, b, n, m, "gl+", f"W along a path in GL+({m}), then + b")


def _square(M, b, n, m, kind, note) -> StagePath:
    p = gl_plus_path(M)

    def fn(x, t):
        x = pad(x, m)
        if t <= 0.5:
            return x @ p(2 * t).T
        return x @ M.T + (2 * t - 1) * b

    return StagePath(fn, n, m, True, kind, note)


@register_path("activation")
def activation_path(stage, index: int = 0) -> StagePath:
    act = stage.act

    def fn(x, t):
        return (1 - t) * x + t * act.fn(torch.from_numpy(x)).numpy()

    mono = act.is_homeomorphism
    note = f"(1 − t)·x + t·{act.name}(x)" + (
        "" if mono else f": {act.name} is not injective, so the end is not a homeomorphism"
    )
    return StagePath(fn, stage.d_in, stage.d_out, mono, "activation", note)


@register_path("features")
def features_path(stage, index: int = 0) -> StagePath:
    """The Features stage's own path (:meth:`~isotopy.nn.stages.Features.path`), computed in
    float64, with a note that says what the feature map is."""
    from ..nn.stages import features_injective

    dim = max(stage.d_in, stage.d_out)

    def fn(x, t):
        with torch.no_grad():
            return pad(stage.path(torch.from_numpy(x)[None], t)[0].numpy(), dim)

    labels = ", ".join(stage.labels)
    others = [lab for lab in stage.labels if lab not in ("x1", "x2")]
    embeds = "x1" in stage.names and "x2" in stage.names
    if embeds and not others:
        note = "features (x1, x2): the plane as it is"
    elif embeds:
        g = ", ".join(others)
        note = (
            f"features ({labels}): the graph of ({g}) over the plane, (x1, x2, t·({g})), an "
            f"embedding of the plane in R^{dim} at every t (a shear of R^{dim})"
        )
    else:
        _, why = features_injective(stage.names)
        note = f"features ({labels}) without both x1 and x2: {why}; straight line, not an isotopy"
    return StagePath(fn, stage.d_in, stage.d_out, embeds, "features", note)


def stage_path(stage, index: int = 0) -> StagePath:
    """The path of ``stage`` (network ``index`` of its batch): registry, own method, or straight."""
    maker = STAGE_PATHS.get(getattr(stage, "type_name", None))
    if maker is not None:
        return maker(stage, index)
    if hasattr(stage, "path"):

        def fn(x, t):
            with torch.no_grad():
                xt = (
                    torch.from_numpy(x)
                    .to(torch.get_default_dtype())[None]
                    .expand(stage.n_networks, -1, -1)
                )
                return pad(stage.path(xt, t)[index].double().numpy(), dim)

        dim = max(stage.d_in, stage.d_out)

        homeo = bool(stage.is_homeomorphism()[index])
        return StagePath(
            fn,
            stage.d_in,
            stage.d_out,
            homeo,
            stage.type_name,
            f"the {stage.type_name} stage's own path",
        )

    def f(x):
        with torch.no_grad():
            xt = (
                torch.from_numpy(x)
                .to(torch.get_default_dtype())[None]
                .expand(stage.n_networks, -1, -1)
            )
            return stage(xt)[index].double().numpy()

    return _straight(
        f,
        stage.d_in,
        stage.d_out,
        "straight",
        f"no path is known for {stage.type_name} stages: straight line",
    )
