"""The search: train many 3-unit tanh networks on a link, keep the first that verifies.

Data. The link is moved into the unit ball (x ↦ (x − centre) / scale); each class gets the
same number of training points: points of thin tubes around its components (a point of a
polygon, uniform in arc length, plus an offset uniform in a ball of radius ``tube`` times
the link's least distance between components, so tubes of different components never meet)
and the polygons themselves, densely (``curve`` points per class, uniform in arc length).

Networks. ``per_batch`` networks of one depth (by default 3, 4 or 5 hidden layers of 3 tanh
units, and a one-logit read-out) train at once on the batched engine
(:class:`isotopy.train.Trainer`, full-batch Adam, the fused kernel where it builds); every
affine map's |det W| is kept away from zero by the penalty

    λ · Σ_l max(0, log τ − log |det W_l|)²,

zero while |det W_l| >= τ. With ``edge_penalty`` λ_e > 0 the library's edge penalty
(:mod:`isotopy.train.penalties`, bound 1.5) on ``edge_points`` fixed points of the curves
(the points an animation draws) is added at full strength from the first step, so the
curves stay off the edges of the tanh cube and the certified network's stages can be looked
at (docs/untangle.md: what it costs and what it changes).
Batches take the depths in turn (3, 4, 5, 3, 4, ...) and
network seeds ``seed``, ``seed + 1``, ... in order, so a search is deterministic given its
seed and settings.

Candidates. After each batch, the networks that classify every vertex and a dense sample
of every edge correctly are ordered by their least margin there (the least of f on class 1,
of −f on class 0) and handed to the verifier (:mod:`.verify`), with the normalisation
folded into their first affine map so that they act on the link's own coordinates; the
search stops at the first network that verifies, or when ``networks`` networks are spent.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import InputError, check_positive_int
from .verify import Affine, PlainNetwork, VerifyResult, verify

__all__ = ["SearchConfig", "SearchResult", "search", "training_data", "to_plain"]


@dataclass(frozen=True)
class SearchConfig:
    """Settings of :func:`search` (the budget is ``networks`` and ``steps``)."""

    networks: int = 96  # networks trained at most, over every depth
    per_batch: int = 16  # networks trained at once (one depth per batch)
    depths: tuple = (3, 4, 5)  # hidden tanh layers, taken in turn (docs/untangle.md: why)
    steps: int = 1500  # full-batch Adam steps per network
    lr: float = 0.02  # Adam's learning rate (the library's default)
    points: int = 2000  # tube points per class
    curve: int = 1000  # curve points per class
    tube: float = 0.3  # tube radius, as a share of the least distance between components
    det_floor: float = 0.05  # τ: |det W| below it is penalised
    det_penalty: float = 0.1  # λ of that penalty
    # λ of the edge penalty, from the first step (candidates are looked for from step
    # check_every on, long before a ramp would end); 0: plain, fastest, and the curves end
    # pressed into the cube's edges (55-96% of their points at some layer)
    edge_penalty: float = 0.0
    edge_points: int = 512  # curve points the edge penalty is measured on (evenly spaced)
    check: int = 4000  # curve points per class of the pre-check that orders candidates
    check_every: int = 250  # steps between looks for candidates
    verify_per_check: int = 2  # candidates verified at each look, best margin first
    max_boxes: int = 200_000  # the verifier's limit on pieces of edges, per candidate
    seed: int = 0  # of the data and of network 0

    def __post_init__(self):
        for name in (
            "networks",
            "per_batch",
            "steps",
            "points",
            "curve",
            "check",
            "check_every",
            "edge_points",
        ):
            check_positive_int(getattr(self, name), name)
        check_positive_int(self.verify_per_check, "verify_per_check", minimum=0)
        check_positive_int(self.max_boxes, "max_boxes")
        if not self.depths or any(
            isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in self.depths
        ):
            raise InputError(f"depths must be integers >= 1, got {self.depths!r}")
        for name in ("lr", "tube", "det_floor"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and v > 0):
                raise InputError(f"{name} must be a number > 0, got {v!r}")
        if not self.tube < 0.5:
            raise InputError(f"tube must be below 0.5 (tubes would meet), got {self.tube}")
        for name in ("det_penalty", "edge_penalty"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and v >= 0):
                raise InputError(f"{name} must be a number >= 0, got {v!r}")


@dataclass
class SearchResult:
    """The outcome: ``network`` (a :class:`PlainNetwork` in the link's coordinates) and its
    ``verification`` when one verified, else None; ``tried``: networks trained; ``verified``:
    networks handed to the verifier; ``batches``: one dict per batch (depth, networks,
    candidates, seconds); ``seconds``: the whole search; ``trained``: the certifying network
    as it was trained, in normalised coordinates (``net``, its ``history``, the training
    points ``X``, ``y`` and the ``step`` it certified at), or None."""

    network: PlainNetwork | None
    verification: VerifyResult | None
    tried: int
    verified: int
    batches: list = field(default_factory=list)
    seconds: float = 0.0
    config: dict = field(default_factory=dict)
    trained: dict | None = None

    @property
    def certified(self) -> bool:
        return self.network is not None


# ----------------------------------------------------------------------------- the data
def _normaliser(link) -> tuple[np.ndarray, float]:
    pts = np.concatenate(link.components)
    centre = (pts.max(0) + pts.min(0)) / 2
    scale = float(np.abs(pts - centre).max())
    return centre, (scale if scale > 0 else 1.0)


def _on_curve(rng, comp: np.ndarray, count: int) -> np.ndarray:
    """``count`` points of a closed polygon, uniform in arc length (random)."""
    q = np.roll(comp, -1, axis=0)
    length = np.linalg.norm(q - comp, axis=1)
    e = rng.choice(len(comp), size=count, p=length / length.sum())
    t = rng.uniform(0.0, 1.0, count)[:, None]
    return comp[e] + t * (q[e] - comp[e])


def _in_ball(rng, count: int, radius: float) -> np.ndarray:
    v = rng.standard_normal((count, 3))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v * (radius * rng.uniform(0.0, 1.0, count) ** (1 / 3))[:, None]


def _class_points(rng, comps, count: int, radius: float | None) -> np.ndarray:
    """``count`` points on (radius None) or around the polygons of one class, shared by
    arc length."""
    lengths = np.array([np.linalg.norm(np.roll(c, -1, 0) - c, axis=1).sum() for c in comps])
    counts = rng.multinomial(count, lengths / lengths.sum())
    parts = [_on_curve(rng, c, k) for c, k in zip(comps, counts) if k]
    pts = np.concatenate(parts)
    return pts if radius is None else pts + _in_ball(rng, len(pts), radius)


def training_data(link, config: SearchConfig, gap: float):
    """(X float32 (n, 3) in normalised coordinates, y int64 (n,)) for ``link``, whose least
    distance between components is ``gap``."""
    centre, scale = _normaliser(link)
    rng = np.random.default_rng([int(config.seed), 31337])
    X, y = [], []
    for cls in (0, 1):
        comps = [c for c, k in zip(link.components, link.classes) if k == cls]
        tube = _class_points(rng, comps, config.points, config.tube * gap)
        curve = _class_points(rng, comps, config.curve, None)
        X += [tube, curve]
        y += [np.full(len(tube) + len(curve), cls)]
    X = (np.concatenate(X) - centre) / scale
    return X.astype(np.float32), np.concatenate(y).astype(np.int64)


def _check_points(link, count: int):
    """Every vertex and ``count`` evenly spaced points per class along the curves."""
    pts, signs = [], []
    for c, k in zip(link.components, link.classes):
        c = np.asarray(c, dtype=np.float64)
        q = np.roll(c, -1, axis=0)
        per_edge = max(1, count // len(c))
        t = (np.arange(per_edge) / per_edge)[None, :, None]
        p = (c[:, None, :] + t * (q - c)[:, None, :]).reshape(-1, 3)
        pts.append(p)
        signs.append(np.full(len(p), 1.0 if k == 1 else -1.0))
    return np.concatenate(pts), np.concatenate(signs)


# -------------------------------------------------------------------------- the networks
def _det_penalty(floor: float, strength: float):
    import torch

    from ..nn import Affine as TorchAffine

    log_floor = float(np.log(floor))

    def penalty(net, xb):
        total = 0.0
        for s in net.stages[:-1]:
            if isinstance(s, TorchAffine):
                logdet = torch.linalg.slogdet(s.weight)[1]  # (N,)
                total = total + torch.relu(log_floor - logdet).pow(2)
        return strength * total

    return penalty


def _edge_on_curves(link, config: SearchConfig):
    """The edge penalty on ``config.edge_points`` evenly spaced points of the curves, in
    normalised coordinates: ``penalty(net, xb) -> (N,)`` (``xb`` is not used)."""
    import torch

    from ..train.config import EDGE_BOUND
    from ..train.penalties import edge_penalty

    centre, scale = _normaliser(link)
    pts = _check_points(link, config.edge_points)[0]
    pick = np.linspace(0, len(pts) - 1, min(config.edge_points, len(pts))).round().astype(int)
    P = torch.as_tensor(((pts[pick] - centre) / scale).astype(np.float32))
    edge = edge_penalty(config.edge_penalty, bound=EDGE_BOUND)

    def penalty(net, xb):
        return edge(net, P.expand(net.n_networks, -1, -1))

    return penalty


def _penalty(link, config: SearchConfig):
    """The determinant floor's penalty plus, when asked, the edge penalty on the curves."""
    parts = []
    if config.det_penalty:
        parts.append(_det_penalty(config.det_floor, config.det_penalty))
    if config.edge_penalty:
        parts.append(_edge_on_curves(link, config))
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return lambda net, xb: sum(p(net, xb) for p in parts)


def to_plain(net, index: int, centre, scale: float) -> PlainNetwork:
    """Network ``index`` of a batched isotopy network as a :class:`PlainNetwork` acting on
    the link's own coordinates (x ↦ (x − centre) / scale folded into its first affine map)."""
    from ..nn import Affine as TorchAffine

    stages, first = [], True
    for s in net.stages[:-1]:
        if isinstance(s, TorchAffine):
            w = s.weight[index].detach().double().cpu().numpy()
            b = s.bias[index].detach().double().cpu().numpy()
            if first:
                w, b = w / scale, b - (w @ centre) / scale
                first = False
            stages.append(Affine(w, b))
        else:
            if s.act.name != "tanh":
                raise InputError(f"only tanh stages can be verified, got {s.act.name!r}")
            stages.append("tanh")
    head = net.stages[-1]
    w = head.weight[index, 0].detach().double().cpu().numpy()
    c = float(head.bias[index, 0].detach())
    if first:  # no affine stage before the read-out: fold into the read-out itself
        w, c = w / scale, c - float(w @ centre) / scale
    return PlainNetwork(tuple(stages), w, c)


@contextlib.contextmanager
def _threads(n: int | None):
    import torch

    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _backend(net) -> str:
    """The fused training kernel where it builds here (7 times faster than eager for these
    networks, measured), else eager (never torch.compile: compiling costs more than a search)."""
    from ..train.backends import fused

    try:
        if fused.supports(net):
            fused.objective(net)  # builds (or loads from the disk cache) now
            return "fused"
    except Exception:  # noqa: BLE001 - no compiler here: the eager step does the same
        pass
    return "eager"


def _trainer(X, y, depth: int, n: int, first_seed: int, config: SearchConfig, penalty):
    from ..nn import Network
    from ..train import Trainer

    net = Network(3, (3,) * depth, "tanh", 2, n_networks=n, seed=first_seed)
    return Trainer(
        net,
        X,
        y,
        lr=config.lr,
        seed=first_seed,
        penalty=penalty,
        record_every=config.steps,
        backend=_backend(net),
        quiet=True,
    )


def _candidates(net, centre, scale, pts, signs) -> list[tuple[float, int]]:
    """(margin, index) of the networks right on every check point, best margin first."""
    import torch

    with torch.no_grad():
        Xc = torch.as_tensor(((pts - centre) / scale).astype(np.float32))
        logits = net.outputs(Xc)[..., 0].double().numpy()  # (N, m)
    margins = (logits * signs[None, :]).min(1)
    order = np.argsort(-margins, kind="stable")
    return [(float(margins[i]), int(i)) for i in order if margins[i] > 0]


def _batch(trainer, link, norm, checks, config: SearchConfig, out: SearchResult) -> dict:
    """Train one batch in chunks of ``config.check_every`` steps; after each chunk, verify
    its new candidates (at most ``config.verify_per_check``); fills ``out`` on success."""
    net, (centre, scale), (pts, signs) = trainer.net, norm, checks
    row = {"depth": len(net.hidden_widths), "networks": net.n_networks, "candidates": 0}
    while trainer.step_count < config.steps and not trainer.stopped:
        trainer.step(min(config.check_every, config.steps - trainer.step_count))
        cands = _candidates(net, centre, scale, pts, signs)
        row["candidates"] = len(cands)
        for margin, i in cands[: config.verify_per_check]:
            result = verify(to_plain(net, i, centre, scale), link, max_boxes=config.max_boxes)
            out.verified += 1
            if result.verified:
                out.network, out.verification = to_plain(net, i, centre, scale), result
                out.trained = {
                    "net": net.select(i),
                    "history": trainer.history().select(i),
                    "X": trainer.X.detach().cpu().numpy(),
                    "y": trainer.y.detach().cpu().numpy().astype(np.int64),
                    "step": trainer.step_count,
                }
                row["certified"] = {"index": i, "step": trainer.step_count, "margin": margin}
                return row
    return row


def search(link, config: SearchConfig | None = None, *, progress=None, threads: int | None = 1):
    """Look for a network that certifies ``link`` split (see the module docstring).

    Parameters
    ----------
    link : Link
        A checked link (:func:`isotopy.untangle.link.check_link`).
    config : SearchConfig
    progress : callable, optional
        ``progress(message)`` after each batch.
    threads : int or None
        torch threads while training (None: as set; one is fastest for these tiny networks).

    Returns
    -------
    SearchResult
    """
    from .link import check_link, min_distance

    config = config or SearchConfig()
    link = check_link(link)
    start = time.perf_counter()
    norm = _normaliser(link)
    X, y = training_data(link, config, min_distance(link))
    checks = _check_points(link, config.check)
    penalty = _penalty(link, config)
    out = SearchResult(None, None, 0, 0, config=asdict(config))
    with _threads(threads):
        while out.tried < config.networks and not out.certified:
            depth = config.depths[len(out.batches) % len(config.depths)]
            t0 = time.perf_counter()
            n = min(config.per_batch, config.networks - out.tried)
            trainer = _trainer(X, y, depth, n, config.seed + out.tried, config, penalty)
            out.tried += n
            row = _batch(trainer, link, norm, checks, config, out)
            row["seconds"] = round(time.perf_counter() - t0, 3)
            out.batches.append(row)
            if progress is not None:
                progress(
                    f"batch {len(out.batches)}: depth {depth}, {row['candidates']} of {n} "
                    f"networks right on the curves, {out.tried} trained"
                )
    out.seconds = time.perf_counter() - start
    return out
