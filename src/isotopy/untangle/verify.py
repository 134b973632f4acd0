"""The verifier: does a saved 3-unit tanh network prove that a link is split?

It decides from the network's numbers and the link's vertices only (numpy and the standard
library; nothing here trains or imports torch), so that anyone can read it in one sitting
or re-implement it from the description below.

The claim
---------
With f = p ∘ s_k ∘ … ∘ s_1 (each stage s either x ↦ Wx + b with W a 3×3 matrix, or
coordinatewise tanh) and the read-out p(y) = w·y + c, the link is split when

1. every W is invertible: det W ≠ 0, computed exactly with rational arithmetic
   (``fractions.Fraction``) on the float64 entries as stored;
2. the read-out vector w is not zero;
3. f > 0 at every point of every class-1 component and f < 0 at every point of every class-0
   component: on the continuous polygons, every point of every edge, not on samples.

(docs/untangle.md gives the argument: f's zero set is then a surface diffeomorphic to an
open piece of a plane, and a sphere made from it separates the classes.)

How condition 3 is checked
--------------------------
Each edge x(t) = p + t(q − p), t in [0, 1], is cut into pieces [t0, t1]. On a piece, a box
(an interval per coordinate) that surely holds every representation is pushed through the
stages with interval arithmetic, and f's interval is read off; the piece is done when that
interval has the component's sign, and is halved otherwise (at most ``max_halvings`` times
per edge and ``max_boxes`` pieces in all; beyond that, "not verified", naming the place). A
piece whose whole interval has the wrong sign is a proof that the network misclassifies a
point there, and ends the check at once.

- The first stage, when it is affine, is exactly affine in t: W x(t) + b = u + t v with
  u = Wp + b and v = W(q − p), so the box of a piece is u + [t0, t1]·v, tight.
- Every float64 operation rounds to nearest, so every computed bound is moved one step
  outward with ``np.nextafter`` after every rounded operation (sum, difference, product):
  the true value of each operation lies within that step.
- tanh is increasing, so tanh([a, b]) = [tanh(a), tanh(b)]; numpy's tanh is not correctly
  rounded (measured within 1.2 units in the last place), so its bounds are moved outward by
  ``TANH_ULPS`` = 8 units in the last place plus ``TANH_ABS`` = 2^-1000, and clipped to
  [−1, 1], where tanh lies.
- A NaN or infinite bound never counts as a sign: such a piece stays undecided.

The least margin reported is the least, over all pieces, of the proven lower bound of
f (class 1) or −f (class 0): a certified lower bound on that quantity over the curves.

The network file
----------------
A network is a JSON file (``network.json``)::

    {"format": "isotopy-untangle-network", "version": 1,
     "tensors": "network.safetensors",
     "stages": [{"type": "affine", "weight": "stage1.weight", "bias": "stage1.bias"},
                {"type": "tanh"}, ...],
     "readout": {"weight": "readout.weight", "bias": "readout.bias"}}

Stages are applied in order to points of R^3. A weight (3×3, row i gives output i: y = Wx + b)
or bias (3,) is either the name of a tensor in the safetensors file ``tensors`` (a path
relative to the JSON file; float64 or float32, little-endian) or the numbers themselves
as (nested) JSON lists. The read-out has a weight of 3 numbers and a bias of 1 (shape (1,)
or a plain number). The safetensors file is read here without the safetensors library: an
8-byte little-endian header length n, n bytes of JSON {name: {"dtype", "shape",
"data_offsets": [begin, end]}}, then the raw data.

The link is the JSON of :class:`isotopy.untangle.link.Link`: components as lists of vertices
(a closed polygon, the first vertex not repeated) and a class (0 or 1) per component.

From the command line: ``python -m isotopy.untangle.verify network.json link.json``.
"""

from __future__ import annotations

import json
import math
import struct
import sys
import time
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = [
    "Affine",
    "PlainNetwork",
    "VerifyResult",
    "verify",
    "verify_curves",
    "load_network",
    "read_safetensors",
    "exact_det",
    "FORMAT",
    "TANH_ULPS",
    "TANH_ABS",
]

FORMAT = "isotopy-untangle-network"
VERSION = 1
TANH_ULPS = 8  # numpy's tanh measured within 1.2 ulp of the exact value; 8 leaves room
TANH_ABS = 2.0**-1000  # and an absolute amount for results near 0 (subnormals)
MAX_HALVINGS = 40  # per edge: pieces down to 2^-40 of an edge
MAX_BOXES = 4_000_000  # pieces in all, over every edge
_DTYPES = {"F64": "<f8", "F32": "<f4"}


# ----------------------------------------------------------------------------- networks
@dataclass(frozen=True)
class Affine:
    """x ↦ weight @ x + bias on R^3 (weight (3, 3), bias (3,), float64)."""

    weight: np.ndarray
    bias: np.ndarray


@dataclass(frozen=True)
class PlainNetwork:
    """Stages (:class:`Affine` or the string ``"tanh"``) and the read-out w·y + c."""

    stages: tuple
    readout_weight: np.ndarray
    readout_bias: float

    def __post_init__(self):
        stages = []
        for i, s in enumerate(self.stages, start=1):
            if isinstance(s, str) and s == "tanh":
                stages.append("tanh")
            elif isinstance(s, Affine):
                w = _array(s.weight, (3, 3), f"stage {i}'s weight")
                stages.append(Affine(w, _array(s.bias, (3,), f"stage {i}'s bias")))
            else:
                raise InputError(f"stage {i} must be an affine map or 'tanh', got {s!r}")
        object.__setattr__(self, "stages", tuple(stages))
        w = _array(self.readout_weight, (3,), "the read-out weight")
        object.__setattr__(self, "readout_weight", w)
        c = self.readout_bias
        c = _array(c if np.ndim(c) else [c], (1,), "the read-out bias")
        object.__setattr__(self, "readout_bias", float(c[0]))

    @property
    def depth(self) -> int:
        """The number of tanh stages (hidden layers)."""
        return sum(1 for s in self.stages if s == "tanh")

    def affines(self) -> list[Affine]:
        return [s for s in self.stages if isinstance(s, Affine)]

    def __call__(self, x) -> np.ndarray:
        """f at points x (m, 3), in plain float64 (no rounding control): (m,)."""
        h = np.asarray(x, dtype=np.float64)
        for s in self.stages:
            h = np.tanh(h) if s == "tanh" else h @ s.weight.T + s.bias
        return h @ self.readout_weight + self.readout_bias


def _array(value, shape, what) -> np.ndarray:
    try:
        a = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be numbers of shape {shape}") from None
    if a.shape != shape:
        raise InputError(f"{what} must have shape {shape}, got {a.shape}")
    if not np.isfinite(a).all():
        raise InputError(f"{what} contains NaN or infinite values")
    a.setflags(write=False)
    return a


def exact_det(w) -> Fraction:
    """The determinant of a 3×3 matrix of float64 entries, exactly (as a Fraction)."""
    (a, b, c), (d, e, f), (g, h, i) = [[Fraction(float(v)) for v in row] for row in w]
    return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)


# --------------------------------------------------------------------------- file format
def read_safetensors(path) -> dict[str, np.ndarray]:
    """The float tensors of a safetensors file as float64 arrays (standard library + numpy)."""
    data = Path(path).read_bytes()
    if len(data) < 8:
        raise InputError(f"{str(path)!r} is not a safetensors file (too short)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise InputError(f"{str(path)!r} is not a safetensors file (header length {n})")
    try:
        header = json.loads(data[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"{str(path)!r} is not a safetensors file (unreadable header)") from None
    if not isinstance(header, dict):
        raise InputError(f"{str(path)!r} is not a safetensors file (header is not an object)")
    body, out = data[8 + n :], {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype = _DTYPES[spec["dtype"]]
            shape = tuple(int(k) for k in spec["shape"])
            begin, end = (int(k) for k in spec["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise InputError(
                f"tensor {name!r} of {str(path)!r} is not float32/float64 with a valid entry"
            ) from None
        count = math.prod(shape)
        if not 0 <= begin <= end <= len(body) or end - begin != count * np.dtype(dtype).itemsize:
            raise InputError(f"tensor {name!r} of {str(path)!r} has inconsistent offsets")
        out[name] = np.frombuffer(body[begin:end], dtype=dtype).astype(np.float64).reshape(shape)
    return out


def _value(spec, tensors, where, what):
    if isinstance(spec, str):
        if tensors is None:
            raise InputError(f"{what} names tensor {spec!r} but {where} gives no tensors file")
        if spec not in tensors:
            raise InputError(f"{what} names tensor {spec!r}, which the tensors file lacks")
        return tensors[spec]
    return spec


def load_network(path) -> PlainNetwork:
    """The network of a ``network.json`` (or of a folder holding one), checked."""
    path = Path(path)
    if path.is_dir():
        path = path / "network.json"
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{str(path)!r} is not valid JSON ({e})") from None
    if not isinstance(cfg, dict) or cfg.get("format") != FORMAT:
        raise InputError(f"{str(path)!r} is not an {FORMAT} file (its 'format' differs)")
    if cfg.get("version") != VERSION:
        raise InputError(f"{str(path)!r} has version {cfg.get('version')!r}; this reads {VERSION}")
    tensors = None
    if cfg.get("tensors") is not None:
        name = str(cfg["tensors"])
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise InputError(f"the tensors file {name!r} must be a name beside {str(path)!r}")
        tensors = read_safetensors(path.parent / name)
    stages = cfg.get("stages")
    readout = cfg.get("readout")
    if not isinstance(stages, list) or not isinstance(readout, dict):
        raise InputError(f"{str(path)!r} needs a list 'stages' and an object 'readout'")
    out = []
    for i, s in enumerate(stages, start=1):
        kind = s.get("type") if isinstance(s, dict) else None
        if kind == "tanh":
            out.append("tanh")
        elif kind == "affine":
            w = _value(s.get("weight"), tensors, path, f"stage {i}'s weight")
            b = _value(s.get("bias"), tensors, path, f"stage {i}'s bias")
            out.append(Affine(_array(w, (3, 3), f"stage {i}'s weight"), b))
        else:
            raise InputError(f"stage {i} of {str(path)!r} must have type 'affine' or 'tanh'")
    w = _value(readout.get("weight"), tensors, path, "the read-out weight")
    c = _value(readout.get("bias"), tensors, path, "the read-out bias")
    return PlainNetwork(tuple(out), w, c)


# ---------------------------------------------------------------------- interval arithmetic
def _down(x):
    return np.nextafter(x, -np.inf)


def _up(x):
    return np.nextafter(x, np.inf)


def _times(a, lo, hi):
    """Point a times interval [lo, hi], outward: (lo, hi) broadcast."""
    p, q = a * lo, a * hi
    return _down(np.minimum(p, q)), _up(np.maximum(p, q))


def _interval_times(alo, ahi, blo, bhi):
    """[alo, ahi] · [blo, bhi], outward."""
    c = np.stack([alo * blo, alo * bhi, ahi * blo, ahi * bhi])
    return _down(c.min(0)), _up(c.max(0))


def _matvec(w, bias, lo, hi):
    """{w x + bias : x in box [lo, hi]} enclosed: w (r, 3), boxes (K, 3) -> (K, r)."""
    plo, phi = _times(w[None, :, :], lo[:, None, :], hi[:, None, :])  # (K, r, 3)
    out_lo = np.broadcast_to(bias, plo.shape[:2]).copy()
    out_hi = out_lo.copy()
    for j in range(w.shape[1]):  # summed one term at a time, each sum rounded outward
        out_lo = _down(out_lo + plo[:, :, j])
        out_hi = _up(out_hi + phi[:, :, j])
    return out_lo, out_hi


def _tanh(lo, hi):
    a, b = np.tanh(lo), np.tanh(hi)
    a = _down(_down(a - TANH_ULPS * np.spacing(np.abs(a))) - TANH_ABS)
    b = _up(_up(b + TANH_ULPS * np.spacing(np.abs(b))) + TANH_ABS)
    return np.maximum(a, -1.0), np.minimum(b, 1.0)


@dataclass
class _Edges:
    """The edges of the curves, each as u + t v (t in [0, 1]) after the first stage."""

    comp: np.ndarray  # (E,) component of each edge
    index: np.ndarray  # (E,) vertex index of its start
    sign: np.ndarray  # (E,) +1 (class 1: f > 0) or -1 (class 0: f < 0)
    u: tuple  # (lo, hi) (E, 3)
    v: tuple  # (lo, hi) (E, 3)
    start: int  # the first stage still to apply


def _edges(net: PlainNetwork, components, classes) -> _Edges:
    p = np.concatenate(components)
    q = np.concatenate([np.roll(c, -1, axis=0) for c in components])
    d = q - p
    d_lo, d_hi = _down(d), _up(d)
    first = net.stages[0] if net.stages else None
    if isinstance(first, Affine):
        u = _matvec(first.weight, first.bias, p, p)
        v = _matvec(first.weight, np.zeros(3), d_lo, d_hi)
        start = 1
    else:
        u, v, start = (p, p), (d_lo, d_hi), 0
    comp = np.concatenate([np.full(len(c), j) for j, c in enumerate(components)])
    index = np.concatenate([np.arange(len(c)) for c in components])
    sign = np.where(np.asarray(classes)[comp] == 1, 1.0, -1.0)
    return _Edges(comp, index, sign, u, v, start)


def _bounds(net: PlainNetwork, edges: _Edges, e, t0, t1):
    """Enclosure (lo, hi) of f over pieces t in [t0, t1] of edges e: each (K,)."""
    tlo, thi = _interval_times(t0[:, None], t1[:, None], edges.v[0][e], edges.v[1][e])
    lo, hi = _down(edges.u[0][e] + tlo), _up(edges.u[1][e] + thi)
    for s in net.stages[edges.start :]:
        lo, hi = _tanh(lo, hi) if s == "tanh" else _matvec(s.weight, s.bias, lo, hi)
    flo, fhi = _matvec(net.readout_weight[None, :], np.array([net.readout_bias]), lo, hi)
    return flo[:, 0], fhi[:, 0]


# ---------------------------------------------------------------------------- the result
@dataclass
class VerifyResult:
    """What the verifier found.

    ``verified``: all three conditions hold; ``reason``: why not (one sentence) otherwise;
    ``boxes``: pieces of edges whose bounds were computed; ``margin``: the certified least
    value of f on class-1 curves and of −f on class-0 curves (None unless verified);
    ``seconds``: the time taken; ``determinants``: det W of each affine stage (rounded to
    float from the exact value); ``edges``: edges checked; ``depth``: tanh stages.
    """

    verified: bool
    reason: str | None
    boxes: int = 0
    margin: float | None = None
    seconds: float = 0.0
    determinants: list = field(default_factory=list)
    edges: int = 0
    depth: int = 0
    where: dict | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        if self.verified:
            return (
                f"verified: {self.edges} edges in {self.boxes} boxes, least margin "
                f"{self.margin:.3g}, {self.seconds:.3f} s"
            )
        return f"not verified: {self.reason}"


def _check_curves(components, classes):
    comps = [_curve(c, j) for j, c in enumerate(components)]
    classes = [int(k) for k in classes]
    if len(classes) != len(comps):
        raise InputError(f"{len(comps)} components but {len(classes)} classes")
    if set(classes) != {0, 1}:
        raise InputError("the curves need components of both classes, 0 and 1")
    return comps, classes


def _curve(c, j):
    a = np.asarray(c, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != 3 or len(a) < 3:
        raise InputError(f"component {j} must be at least 3 vertices in R^3, got {a.shape}")
    if not np.isfinite(a).all():
        raise InputError(f"component {j} contains NaN or infinite values")
    return a


def verify(net: PlainNetwork, link, **options) -> VerifyResult:
    """:func:`verify_curves` on a :class:`~.link.Link`, first checked to be a link
    (:func:`~.link.check_link`: closed polygons, none meeting itself or another)."""
    from .link import check_link

    link = check_link(link)
    return verify_curves(net, link.components, link.classes, **options)


def verify_curves(
    net: PlainNetwork,
    components,
    classes,
    *,
    max_halvings: int = MAX_HALVINGS,
    max_boxes: int = MAX_BOXES,
) -> VerifyResult:
    """Check the three conditions for ``net`` on closed polygons ``components`` (each
    (m_i, 3), the first vertex not repeated) with ``classes`` (0 or 1 each).

    Only shapes and finiteness of the curves are checked here; :func:`verify` also checks
    that they form a link. ``max_halvings`` and ``max_boxes`` bound the work (see the
    module docstring)."""
    start = time.perf_counter()
    comps, classes = _check_curves(components, classes)
    dets = [exact_det(s.weight) for s in net.affines()]
    out = VerifyResult(False, None, determinants=[float(d) for d in dets], depth=net.depth)
    out.edges = sum(len(c) for c in comps)
    singular = [i for i, d in enumerate(dets, start=1) if d == 0]
    if singular:
        out.reason = f"affine map {singular[0]} is singular (its determinant is exactly 0)"
    elif not np.any(net.readout_weight != 0):
        out.reason = "the read-out vector is zero"
    else:
        _check_edges(net, _edges(net, comps, classes), out, max_halvings, max_boxes)
    out.seconds = time.perf_counter() - start
    return out


def _check_edges(net, edges, out: VerifyResult, max_halvings: int, max_boxes: int) -> None:
    """Condition 3 by halving undecided pieces, all edges at once; fills ``out``."""
    e = np.arange(len(edges.comp))
    t0, t1 = np.zeros(len(e)), np.ones(len(e))
    least = np.inf
    for level in range(max_halvings + 1):
        flo, fhi = _bounds(net, edges, e, t0, t1)
        out.boxes += len(e)
        s = edges.sign[e]
        low, high = np.where(s > 0, flo, -fhi), np.where(s > 0, fhi, -flo)  # bounds of s·f
        wrong = high < 0
        if wrong.any():
            k = int(np.flatnonzero(wrong)[0])
            out.where = _place(edges, e[k], t0[k], t1[k], flo[k], fhi[k])
            out.reason = f"the read-out has the wrong sign on {out.where['text']}"
            return
        done = low > 0
        if done.any():
            least = min(least, float(low[done].min()))
        e, t0, t1 = e[~done], t0[~done], t1[~done]
        if len(e) == 0:
            out.verified, out.margin = True, least
            return
        tm = t0 + (t1 - t0) / 2
        stuck = (tm <= t0) | (tm >= t1)
        if level == max_halvings or stuck.any() or out.boxes + 2 * len(e) > max_boxes:
            k = int(np.argmin(np.where(s[~done] > 0, flo[~done], -fhi[~done])))
            out.where = _place(edges, e[k], t0[k], t1[k], flo[~done][k], fhi[~done][k])
            why = (
                f"{out.boxes} boxes"
                if out.boxes + 2 * len(e) > max_boxes
                else f"{level} halvings of an edge"
            )
            out.reason = f"the sign is undecided after {why} on {out.where['text']}"
            return
        e, t0, t1 = np.concatenate([e, e]), np.concatenate([t0, tm]), np.concatenate([tm, t1])


def _place(edges, e, t0, t1, flo, fhi) -> dict:
    comp, index = int(edges.comp[e]), int(edges.index[e])
    cls = 1 if edges.sign[e] > 0 else 0
    text = (
        f"component {comp} (class {cls}), edge {index} (from vertex {index} to the next), "
        f"t in [{t0:.6g}, {t1:.6g}], where f lies in [{flo:.3g}, {fhi:.3g}]"
    )
    return {
        "component": comp,
        "edge": index,
        "t": [float(t0), float(t1)],
        "f": [float(flo), float(fhi)],
        "text": text,
    }


def main(argv=None) -> int:
    """``python -m isotopy.untangle.verify network.json link.json``: verified or not."""
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 2:
        print("usage: python -m isotopy.untangle.verify NETWORK.json LINK.json", file=sys.stderr)
        return 2
    try:
        from .link import load_link

        result = verify(load_network(args[0]), load_link(args[1]))
    except (InputError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(result.summary())
    return 0 if result.verified else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
