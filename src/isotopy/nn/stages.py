"""Stages: the pieces a network is made of, each with a geometric meaning.

Every stage maps representations of one network batch to the next:

    x: (N, B, d_in) -> (N, B, d_out)

where N is the number of networks trained together (parameters carry this leading axis;
a single network is N = 1) and B the number of points. A stage states whether it is a
homeomorphism onto its image, can describe itself as a JSON-able ``spec()`` and is rebuilt
from one by :func:`stage_from_spec` through the ``STAGE_TYPES`` registry, so new stage
types (vector fields, k-NN heads) plug in by registering themselves. :class:`Features`, an
optional first stage of TensorFlow Playground's input features of a planar input, comes with
the exact rule for where it is injective (:func:`features_injective`).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import InputError, check_positive_int, lookup
from .activations import get_activation

__all__ = [
    "Stage",
    "Affine",
    "Activation",
    "STAGE_TYPES",
    "register_stage",
    "stage_from_spec",
    "HOMEOMORPHISM_RTOL",
    "Features",
    "FEATURE_NAMES",
    "FEATURE_LABELS",
    "feature_names",
    "feature_collision",
    "features_injective",
]

STAGE_TYPES: dict[str, type] = {}

# The one rule for "this affine stage is a homeomorphism onto its image" that paths,
# topology, the explorer and the CLI all read: d_out >= d_in and s_min > rtol · s_max for
# the singular values of W. With float32 weights (relative precision 6e-8) a smaller ratio
# leaves the inverse map with no correct digits in the squeezed direction.
HOMEOMORPHISM_RTOL = 1e-6


def register_stage(cls):
    """Class decorator: make ``cls`` loadable from a spec whose ``type`` is ``cls.type_name``."""
    STAGE_TYPES[cls.type_name] = cls
    return cls


def stage_from_spec(spec: dict, *, n_networks: int = 1) -> Stage:
    """Build a stage from the dict its ``spec()`` returned (parameters freshly initialised)."""
    spec = dict(spec)
    cls = lookup(STAGE_TYPES, spec.pop("type", None), "stage type")
    return cls(**spec, n_networks=n_networks)


class Stage(nn.Module):
    """Base class. Subclasses set ``type_name``, ``d_in``, ``d_out``, ``n_networks``."""

    type_name = "stage"
    d_in: int
    d_out: int
    n_networks: int

    def spec(self) -> dict:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def is_homeomorphism(self, rtol: float = HOMEOMORPHISM_RTOL) -> torch.Tensor:
        """Bool tensor (N,): whether this stage is a homeomorphism onto its image, per network
        (``rtol``: the numerical tolerance of stages that have one, see HOMEOMORPHISM_RTOL)."""
        raise NotImplementedError

    def reset_parameters(self, generators: list[torch.Generator]) -> None:
        """Initialise network i's parameters from ``generators[i]`` (nothing for fixed stages)."""

    def short(self) -> str:
        return self.type_name


@register_stage
class Affine(Stage):
    """x -> W x + b.

    W: (N, d_out, d_in), b: (N, d_out); x: (N, B, d_in) -> (N, B, d_out). With d_out = d_in
    it is a homeomorphism of R^n exactly when det W != 0; with d_out > d_in it is an
    embedding when W has full column rank; with d_out < d_in it never is one.
    """

    type_name = "affine"

    def __init__(self, d_in: int, d_out: int, *, n_networks: int = 1):
        super().__init__()
        self.d_in = check_positive_int(d_in, "an affine stage's input width")
        self.d_out = check_positive_int(d_out, "an affine stage's output width")
        self.n_networks = check_positive_int(n_networks, "the number of networks")
        self.weight = nn.Parameter(torch.empty(self.n_networks, self.d_out, self.d_in))
        self.bias = nn.Parameter(torch.empty(self.n_networks, self.d_out))
        self.reset_parameters([None] * self.n_networks)

    def reset_parameters(self, generators) -> None:
        # Glorot-uniform weights: tiny tanh networks start neither saturated nor flat.
        bound = math.sqrt(6.0 / (self.d_in + self.d_out))
        with torch.no_grad():
            for i, g in enumerate(generators):
                w = torch.rand(self.d_out, self.d_in, generator=g) * 2 - 1
                self.weight[i].copy_(w * bound)
                b = torch.rand(self.d_out, generator=g) * 2 - 1
                self.bias[i].copy_(b * 0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (N, B, d_in); weight: (N, d_out, d_in) -> (N, B, d_out). Computed as
        # W x^T + b in the point-last layout (N, d_out, B) and returned as a transposed view:
        # with widths of 2-4 units a contiguous point axis makes every later element-wise op
        # (activations, their gradients) run over long rows, about 2-3 times faster than
        # the (N, B, d) layout for thousands of networks.
        out = torch.baddbmm(self.bias.unsqueeze(2), self.weight, x.transpose(1, 2))
        return out.transpose(1, 2)  # (N, B, d_out), stored as (N, d_out, B)

    def is_homeomorphism(self, rtol: float = HOMEOMORPHISM_RTOL) -> torch.Tensor:
        w = self.weight.detach().double().cpu()
        if self.d_out < self.d_in:
            return torch.zeros(self.n_networks, dtype=torch.bool)
        s = torch.linalg.svdvals(w)  # (N, min(d_in, d_out))
        return s[:, -1] > rtol * s[:, 0].clamp_min(1e-300)

    def spec(self) -> dict:
        return {"type": self.type_name, "d_in": self.d_in, "d_out": self.d_out}

    def short(self) -> str:
        return f"affine {self.d_in}→{self.d_out}"

    def extra_repr(self) -> str:
        return f"{self.d_in} -> {self.d_out}, n_networks={self.n_networks}"


@register_stage
class Activation(Stage):
    """x -> σ(x) coordinate-wise, σ from the ``ACTIVATIONS`` registry.

    x: (N, B, d) -> (N, B, d). A homeomorphism onto its image when σ is strictly monotone.
    """

    type_name = "activation"

    def __init__(self, name: str, dim: int, *, n_networks: int = 1):
        super().__init__()
        self.act = get_activation(name)
        self.d_in = self.d_out = check_positive_int(dim, "an activation's width")
        self.n_networks = n_networks

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 2:
            return self.act.fn(x)
        # Applied in the point-last order (…, d, B) in which Affine stores its outputs: every
        # element-wise pass then runs along the long point axis.
        return self.act.fn(x.transpose(-1, -2)).transpose(-1, -2)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        if self.act.inverse is None:
            raise InputError(f"activation {self.act.name!r} is not injective and has no inverse")
        return self.act.inverse(y)

    def is_homeomorphism(self, rtol: float = HOMEOMORPHISM_RTOL) -> torch.Tensor:
        return torch.full((self.n_networks,), self.act.is_homeomorphism, dtype=torch.bool)

    def spec(self) -> dict:
        return {"type": self.type_name, "name": self.act.name, "dim": self.d_in}

    def short(self) -> str:
        return self.act.name

    def extra_repr(self) -> str:
        return f"{self.act.name}, dim={self.d_in}"


# ------------------------------------------------------------------------ input features
# TensorFlow Playground's seven input features of a point (x1, x2) of the plane, in the fixed
# order in which a Features stage lists them; the short names are what specs, links and the
# command line use, the labels what a view shows.
FEATURE_NAMES = ("x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2")
FEATURE_LABELS = {
    "x1": "x1",
    "x2": "x2",
    "x1sq": "x1²",
    "x2sq": "x2²",
    "x1x2": "x1·x2",
    "sinx1": "sin x1",
    "sinx2": "sin x2",
}
_FEATURE_FNS = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1sq": lambda a, b: a * a,
    "x2sq": lambda a, b: b * b,
    "x1x2": lambda a, b: a * b,
    "sinx1": lambda a, b: torch.sin(a),
    "sinx2": lambda a, b: torch.sin(b),
}


def feature_names(names) -> tuple[str, ...]:
    """The features ``names`` asks for, in the order of ``FEATURE_NAMES``.

    ``names``: a sequence of short names or labels (``["x1", "x2", "x1x2"]``, ``["sin x1"]``)
    or one comma-separated string (``"x1,x2,x1x2"``). Unknown, repeated or no names raise
    InputError.
    """
    if isinstance(names, str):
        names = [p.strip() for p in names.split(",") if p.strip()]
    try:
        names = list(names)
    except TypeError:
        raise InputError(f"input features must be a list of names, got {names!r}") from None
    by_label = {label: key for key, label in FEATURE_LABELS.items()}
    chosen: set[str] = set()
    for name in names:
        key = (
            name
            if name in FEATURE_LABELS
            else by_label.get(name)
            if isinstance(name, str)
            else None
        )
        if key is None:
            raise InputError(
                f"unknown input feature {name!r}; choose from: {', '.join(FEATURE_NAMES)}"
            )
        if key in chosen:
            raise InputError(f"input feature {name!r} is listed twice")
        chosen.add(key)
    if not chosen:
        raise InputError(f"choose at least one input feature of: {', '.join(FEATURE_NAMES)}")
    return tuple(key for key in FEATURE_NAMES if key in chosen)


@register_stage
class Features(Stage):
    """(x1, x2) -> the chosen features among x1, x2, x1², x2², x1·x2, sin x1, sin x2.

    x: (N, B, 2) -> (N, B, k), the features in the order of ``FEATURE_NAMES`` whatever the
    order asked for. No trainable parameters. It is an embedding of the plane (a
    homeomorphism onto its image) exactly when x1 and x2 are both among the features: then
    it is the graph of the other features over the plane, whose inverse is the projection to
    the first two coordinates; without one of them it identifies two points somewhere
    (:func:`feature_collision` finds them). On a bounded domain box the rule is finer:
    :func:`features_injective` (a continuous injective map of a compact box is a
    homeomorphism onto its image, so there "injective" and "embedding" agree).

    Its path from the identity (:meth:`path`, what the animation shows) blends the inclusion
    x -> (x1, x2, 0, ...) of the plane into R^D, D = max(2, k), with the feature map:
    h(x, t) = (1 - t)·[x; 0] + t·[f(x); 0]. With x1 and x2 present the features start with
    them, so h(x, t) = (x1, x2, t·g(x)) with g the other features: the graph of t·g, an
    embedding at every t, and the restriction of the shear (x, z) -> (x, z + t·g(x)), a
    homeomorphism of R^D, to the plane: an ambient isotopy, as for an affine embedding
    R^2 -> R^D. Without x1 or x2 the path is the straight line, flagged as no isotopy.
    """

    type_name = "features"

    def __init__(self, names, *, n_networks: int = 1):
        super().__init__()
        self.names = feature_names(names)
        self.d_in = 2
        self.d_out = len(self.names)
        self.n_networks = check_positive_int(n_networks, "the number of networks")
        self._fns = [_FEATURE_FNS[n] for n in self.names]

    @property
    def labels(self) -> list[str]:
        """The features as a view names them: "x1", "x1²", "x1·x2", "sin x1", ..."""
        return [FEATURE_LABELS[n] for n in self.names]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # computed in the point-last layout (…, 2, B) that Affine stages store, as they do
        xt = x.transpose(-1, -2)
        a, b = xt[..., 0, :], xt[..., 1, :]
        return torch.stack([fn(a, b) for fn in self._fns], dim=-2).transpose(-1, -2)

    def path(self, x: torch.Tensor, t: float) -> torch.Tensor:
        """h(x, t) = (1 - t)·[x; 0] + t·[f(x); 0] in R^max(2, k): x (N, B, 2) -> (N, B, D)."""
        f = self(x)
        out = x.new_zeros(*x.shape[:-1], max(2, self.d_out))
        out[..., :2] += (1 - t) * x
        out[..., : self.d_out] += t * f
        return out

    def is_homeomorphism(self, rtol: float = HOMEOMORPHISM_RTOL) -> torch.Tensor:
        embeds = "x1" in self.names and "x2" in self.names
        return torch.full((self.n_networks,), embeds, dtype=torch.bool)

    def injective_on(self, box=None) -> tuple[bool, str]:
        """:func:`features_injective` of this stage's features on ``box`` (None: the plane)."""
        return features_injective(self.names, box)

    def spec(self) -> dict:
        return {"type": self.type_name, "names": list(self.names)}

    def short(self) -> str:
        return f"features ({', '.join(self.labels)})"

    def extra_repr(self) -> str:
        return f"{', '.join(self.names)}, n_networks={self.n_networks}"


# Where a feature map of the plane is injective. On a box I1 × I2 (intervals, possibly the
# whole line) write g_i for the features of x_i alone (x_i, x_i², sin x_i among them).
# g_i is injective on I_i exactly when: x_i is a feature; or x_i² is, and I_i holds no pair
# ±s, s > 0 (0 is not inside I_i); or sin x_i is, and no turning point π/2 + kπ of sin lies
# inside I_i; or x_i² and sin x_i both are, and I_i does not hold both π and -π (then ±s
# differ in sin unless s is a multiple of π). Without x1·x2 the map is the product g1 × g2,
# injective exactly when both factors are. With x1·x2: when both g_i are injective it is;
# when only g_i is, it is exactly when 0 is not in I_i (then x_j = x1·x2 / x_i, else the
# line x_i = 0 is folded by g_j); when neither is, it never is (along x_i = 0, or, with 0 in
# neither interval, through a pair of points symmetric about turning points, or centres, of
# both coordinates whose products agree). Injective on a compact box means embedded there.


def _num(v: float) -> str:
    return f"{v:.3g}".replace("-", "−")


def _point(p) -> str:
    return f"({_num(p[0])}, {_num(p[1])})"


def _turn_words(k: int) -> str:
    """The turning point π/2 + kπ of sin in words: "π/2", "−π/2", "3π/2", ..."""
    m = 2 * k + 1
    return ("−" if m < 0 else "") + ("" if abs(m) == 1 else str(abs(m))) + "π/2"


def _turning_point(lo: float, hi: float) -> int | None:
    """k of a turning point π/2 + kπ of sin strictly inside (lo, hi) (the nearest to the
    interval's middle, or to 0 on the whole line), or None."""
    mid = (lo + hi) / 2 if math.isfinite(lo + hi) else 0.0
    k = round((mid - math.pi / 2) / math.pi)
    if math.isfinite(lo):
        k = max(k, math.floor((lo - math.pi / 2) / math.pi) + 1)
    if math.isfinite(hi):
        k = min(k, math.ceil((hi - math.pi / 2) / math.pi) - 1)
    return k if lo < math.pi / 2 + k * math.pi < hi else None


def _coordinate(i: int, names, lo: float, hi: float) -> dict:
    """How the features of x_i alone behave on [lo, hi]: {"how": words} when they determine
    x_i, else {"fold": (u, v), "words": (a, b), "why": words} with u != v in [lo, hi] that
    they do not tell apart (u = c - s, v = c + s about a centre c)."""
    x = f"x{i}"
    sq, sn = f"{x}sq" in names, f"sin{x}" in names
    if x in names:
        return {"how": f"{x} is a feature"}
    whole = not math.isfinite(lo)
    if sq and sn:
        if lo <= -math.pi and hi >= math.pi:
            why = f"{x}² and sin {x} agree at {x} = π and {x} = −π"
            return {"fold": (-math.pi, math.pi), "words": ("−π", "π"), "why": why}
        return {"how": f"{x} from {x}² and sin {x} (the box does not hold both π and −π)"}
    if sq:
        if lo < 0 < hi:
            s = 1.0 if whole else min(-lo, hi)
            return {"fold": (s, -s), "words": (x, f"−{x}"), "why": f"{x}² forgets the sign of {x}"}
        return {"how": f"{x} from {x}² ({x} keeps one sign on the box)"}
    if sn:
        k = _turning_point(lo, hi)
        if k is None:
            return {"how": f"{x} from sin {x} (sin is monotone for {x} in the box)"}
        c, turn = math.pi / 2 + k * math.pi, _turn_words(k)
        s = min(c - lo, hi - c, math.pi / 2)
        why = f"sin {x} turns back at {x} = {turn}"
        return {"fold": (c - s, c + s), "words": (f"{turn} − s", f"{turn} + s"), "why": why}
    u, v = (0.0, 1.0) if whole else (lo, hi)
    return {"fold": (u, v), "words": (x, f"{x}′"), "why": f"no feature depends on {x} alone"}


def _check_box(box):
    if box is None:
        return [(-math.inf, math.inf)] * 2
    try:
        b = [[float(v) for v in row] for row in box]
    except (TypeError, ValueError):
        b = None
    if (
        b is None
        or len(b) != 2
        or any(len(row) != 2 for row in b)
        or not all(math.isfinite(v) for row in b for v in row)
        or not (b[0][0] < b[1][0] and b[0][1] < b[1][1])
    ):
        raise InputError(
            "the domain box must be [[x1_lo, x2_lo], [x1_hi, x2_hi]] of finite numbers with "
            f"lo < hi, got {box!r}"
        )
    return [(b[0][0], b[1][0]), (b[0][1], b[1][1])]


def _placed(i: int, a, b):
    """A pair with coordinate i (0 or 1) equal to a and the other to b."""
    return (a, b) if i == 0 else (b, a)


def _pair_words(i: int, a: str, b: str) -> str:
    """A point in words with coordinate i (0 or 1) written a and the other b."""
    return "({}, {})".format(*_placed(i, a, b))


def feature_collision(names, box=None):
    """Two distinct points of ``box`` with the same features, or None when there are none.

    ``names``: as :func:`feature_names`; ``box``: [[x1_lo, x2_lo], [x1_hi, x2_hi]] (as
    :func:`isotopy.scene.domain_bounds` gives it) or None for the whole plane. Returns None
    when the feature map is injective on the box, else ``(p, q, pattern, why)``: the points
    p and q as (x1, x2) tuples, the family of such pairs in words ("(x1, x2) and (−x1, x2)")
    and the reason ("x1² forgets the sign of x1"). The rule is exact; see the comment above.
    """
    names = feature_names(names)
    box = _check_box(box)
    co = [_coordinate(i + 1, names, *box[i]) for i in (0, 1)]
    folds = [c for c in (0, 1) if "fold" in co[c]]
    if not folds:
        return None
    if "x1x2" not in names:  # the product of the two coordinates' maps
        i = folds[0]
        lo, hi = box[1 - i]
        other = 0.0 if lo <= 0 <= hi else (lo + hi) / 2
        u, v = co[i]["fold"]
        a, b = co[i]["words"]
        free = f"x{2 - i}"  # the other coordinate, any value
        pattern = f"{_pair_words(i, a, free)} and {_pair_words(i, b, free)}"
        return _placed(i, u, other), _placed(i, v, other), pattern, co[i]["why"]
    for i in (0, 1):  # on the line x_i = 0 the product vanishes: x_j's own features decide
        j = 1 - i
        if j in folds and box[i][0] <= 0 <= box[i][1]:
            u, v = co[j]["fold"]
            a, b = co[j]["words"]
            pattern = f"{_pair_words(i, '0', a)} and {_pair_words(i, '0', b)}"
            why = f"x1·x2 vanishes on the line x{i + 1} = 0 and {co[j]['why']}"
            return _placed(i, 0.0, u), _placed(i, 0.0, v), pattern, why
    if len(folds) < 2:
        return None  # x_i is determined and never 0, so x_j = (x1·x2) / x_i
    # 0 lies in neither interval: each coordinate's own features are none or sin alone, and
    # pairs c_i ∓ s_i symmetric about a turning point or a centre c_i fold them; the product
    # agrees when c1·s2 + s1·c2 = 0 (s1 = −c1·s2 / c2).
    c = [sum(co[i]["fold"]) / 2 for i in (0, 1)]
    room = [co[i]["fold"][1] - c[i] for i in (0, 1)]
    s2 = 0.5 * min(room[1], room[0] * abs(c[1]) / abs(c[0]))
    s1 = -c[0] * s2 / c[1]
    p, q = (c[0] - s1, c[1] - s2), (c[0] + s1, c[1] + s2)
    why = f"{co[0]['why']}, {co[1]['why']}, and x1·x2 agrees at the two points"
    return p, q, "(x1, x2) and (x1′, x2′)", why


def features_injective(names, box=None) -> tuple[bool, str]:
    """Whether the feature map of ``names`` is injective on ``box``, and why, in one sentence.

    ``box``: [[x1_lo, x2_lo], [x1_hi, x2_hi]] or None for the whole plane. Injective on a
    (compact) box means a homeomorphism onto its image there, an embedding; on the plane the
    map is one exactly when x1 and x2 are both features. The sentence is what the explorer
    shows, e.g. "the feature map folds the plane: (x1, x2) and (−x1, x2) land on the same
    point (x1² forgets the sign of x1), e.g. (1, 0) and (−1, 0)".
    """
    names = feature_names(names)
    bounds = _check_box(box)
    where = (
        "the plane"
        if box is None
        else "the box " + " × ".join(f"[{_num(lo)}, {_num(hi)}]" for lo, hi in bounds)
    )
    hit = feature_collision(names, box)
    if hit is not None:
        p, q, pattern, why = hit
        return False, (
            f"the feature map folds {where}: {pattern} land on the same point ({why}), "
            f"e.g. {_point(p)} and {_point(q)}"
        )
    if names == ("x1", "x2"):
        return True, "the feature map is the identity of the plane"
    if "x1" in names and "x2" in names:
        return True, (
            f"the feature map embeds {where}: x1 and x2 are features, so it is the graph of "
            "the others over it"
        )
    hows = []
    for i in (0, 1):
        c = _coordinate(i + 1, names, *bounds[i])
        hows.append(c["how"] if "how" in c else f"x{i + 1} from x1·x2 / x{2 - i} (x{2 - i} ≠ 0)")
    return True, (
        f"the feature map is injective on {where}, hence an embedding of it (continuous and "
        f"injective on a compact set): {'; '.join(hows)}"
    )
