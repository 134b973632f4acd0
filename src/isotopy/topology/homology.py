"""Persistent homology of point clouds and of each class at every stage of a network.

**Two readings, two questions.** "Did this stage change the topology?" is answered by the
*topological* reading (:func:`betti_through_network` with ``reading="topological"``): a
stage that is a homeomorphism onto its image (``stage.is_homeomorphism()``: an affine map
with d_out >= d_in of full rank, a strictly monotone activation, an invertible vector
field) cannot change any Betti number, so the numbers before it are carried after it and
said to be carried; only the input and the stages after one that is not a homeomorphism
(ReLU, a singular or narrowing map, the read-out) are read from the points. "What does the
data look like at a scale?" is answered by a *metric* reading, with its scale stated:
``"euclidean"`` (below), ``"robust"`` (no scale, ratios; :mod:`.robust`) and
``"geodesic"`` (Naitzat, Zhitnikov & Lim's k-nearest-neighbour hop distance at 2.5 hops;
:mod:`.geodesic`). Every :class:`BettiTrace` says which reading each number comes from.

For a finite cloud X the Vietoris–Rips complex R_ε(X) has a simplex for every set of points
with pairwise distances <= ε. As ε grows, homology classes are born and die; ripser computes
the (birth, death) pairs of every dimension k (the persistence diagram). The Betti number
read at scale ε is

    β_k(ε) = #{ (b, d) in diagram_k : b <= ε < d },

the rank of H_k(R_ε(X)) with Z/2 coefficients.

**The reading scale.** A fixed ε means nothing when a network rescales space from one stage
to the next, so ε is chosen from the data, relative to the representation's size:

    ε = max(rel_scale · diam(X), density_factor · s_10(X)),

with rel_scale = 0.1, density_factor = 2 and s_10 the 90th percentile over points of the
distance to their 10th nearest neighbour (the sampling spacing of the sparser parts). The
first term reads holes and gaps smaller than a tenth of the cloud's size as noise; the
second keeps ε above the sampling spacing, where the small loops that any finite sample of
a surface has are already filled in (on uniform samples of discs, spheres and tori those
die below about 2.3 times the *median* 10-NN distance). A percentile rather than the median
matters after saturating layers: tanh crowds most points into the corners of the cube and
leaves the stretched transition regions sparse, and a median spacing would tear them. A
stage that stretches a region beyond what the sample can resolve still shows up as extra
components or loops: that is the sample's topology at this scale, and the
:mod:`isotopy.topology.stretch` numbers tell the two apart. A subsample's ε is
also kept above ``cover_factor`` times its covering radius so it still connects every part
of the cloud it stands for. For a circle of radius r (diameter 2r) the loop lives from about
the sampling spacing to r·√3 and is read at ε ≈ 0.2 r; two unit circles three apart are two
components because their gap 1 exceeds 0.1 · 5.

**Speed.** Before ripser the cloud is thinned to one point per cubic cell of side
δ/√d with δ = ``thin`` · ε (thin = 0.25): every dropped point lies within δ of a kept one,
so features living longer than 2δ are read the same, while clumps (tanh crowds thousands of
points into a cube's corners, where a Rips complex at scale ε would hold millions of
triangles) shrink to a handful of points. Only ε matters, so the Rips filtration is built
up to ε and no further (ripser's ``thresh``): classes alive at ε get death = ∞ and are
counted. The number of simplices then grows with the number of ε-neighbours instead of n²,
which is what makes Betti numbers of 1,000-point clouds at every stage take milliseconds.
Clouds still larger than ``max_points`` are then subsampled by greedy farthest-point
sampling.
Plain ripser without a threshold gives the same Betti numbers, more slowly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, check_positive_int

__all__ = [
    "MAX_DIM",
    "persistence",
    "reading_scale",
    "betti_numbers",
    "betti_from_diagrams",
    "BettiTrace",
    "betti_through_network",
    "diameter",
    "sampling_spacing",
    "thin_cloud",
    "farthest_point_sample",
    "READINGS",
    "METRIC_READINGS",
    "check_maxdim",
]

MAX_DIM = 2  # Rips H_3 of clouds this size is slow and no dataset here has 3-D holes
REL_SCALE = 0.1  # features shorter than a tenth of the cloud's size count as noise
DENSITY_FACTOR = 2.0  # small loops of random surface samples die below ~2.3 median 10-NN
DENSITY_QUANTILE = 90  # percentile of the 10-NN distance taken as the sampling spacing
DENSITY_K = 10  # neighbours defining the sampling spacing s_10
COVER_FACTOR = 2.0  # ε >= 2 covering radii keeps a subsample's parts connected
MAX_POINTS = 1000  # larger clouds are subsampled to this many points
THIN = 0.25  # thinning cell: points within THIN · ε of a kept point are dropped

# how Betti numbers are read. Two questions, two kinds of reading: "did this stage change the
# topology?" (topological: exact where a stage is a homeomorphism) and "what does the data
# look like at a scale?" (the metric readings, each with its scale stated)
METRIC_READINGS = {
    "euclidean": "Rips complex of the points as they are, at ε = max(0.1 · diameter, 2 · "
    "sampling spacing)",
    "robust": "no scale: the stage's activation chart, whitened (unchanged by invertible affine "
    "maps up to 4-D), Delaunay-Rips persistence read by death/birth ratios; above 4-D "
    "whitening's gain capped at 10 and full Rips per component (isotopy.topology.robust)",
    "geodesic": "Naitzat, Zhitnikov & Lim's: Rips complex at 2.5 hops of the unweighted "
    "14-nearest-neighbour graph (isotopy.topology.geodesic)",
}
READINGS = {
    **METRIC_READINGS,
    "topological": "through a network: numbers carried unchanged through every stage that is a "
    "homeomorphism onto its image (they cannot change there), read with a metric reading "
    "(robust by default) at the input and after every stage that is not one",
}


def check_maxdim(maxdim) -> int:
    """maxdim as an int in 0..MAX_DIM, or one InputError sentence."""
    maxdim = check_positive_int(maxdim, "maxdim", minimum=0)
    if maxdim > MAX_DIM:
        raise InputError(
            f"Betti numbers are supported up to dimension {MAX_DIM}, got maxdim={maxdim}"
        )
    return maxdim


def _as_cloud(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or len(X) == 0:
        raise InputError(f"a point cloud must be a non-empty (n, d) array, got shape {X.shape}")
    if not np.isfinite(X).all():
        raise InputError("the point cloud contains NaN or infinite values")
    return X


def thin_cloud(X, delta: float) -> np.ndarray:
    """One point per cell of side delta/√d: every point of X is within delta of a kept one.

    X: (n, d) -> (m, d), m <= n (the first point of each occupied cell, in input order).
    """
    X = _as_cloud(X)
    if delta <= 0:
        return X
    side = delta / np.sqrt(X.shape[1])
    cells = np.floor((X - X.min(0)) / side).astype(np.int64)
    _, first = np.unique(cells, axis=0, return_index=True)
    return X[np.sort(first)]


def farthest_point_sample(X, m: int, *, start: int = 0):
    """Greedy farthest-point (maxmin) subsample of m points.

    X: (n, d) -> indices (m,) and the covering radius (every point of X lies within it of
    the subsample).
    """
    X = _as_cloud(X)
    m = min(check_positive_int(m, "the subsample size"), len(X))
    idx = np.empty(m, dtype=np.int64)
    idx[0] = start
    d = np.linalg.norm(X - X[start], axis=1)
    for i in range(1, m):
        idx[i] = int(np.argmax(d))
        d = np.minimum(d, np.linalg.norm(X - X[idx[i]], axis=1))
    return idx, float(d.max())


def diameter(X, *, max_points: int = 2000, seed: int = 0) -> float:
    """Largest pairwise distance (exact up to ``max_points`` points, else of a random subset).

    X: (n, d) -> float.
    """
    X = _as_cloud(X)
    if len(X) > max_points:
        X = X[np.random.default_rng(seed).choice(len(X), max_points, replace=False)]
    from scipy.spatial.distance import pdist

    return float(pdist(X).max()) if len(X) > 1 else 0.0


def sampling_spacing(X, *, k: int = DENSITY_K) -> float:
    """90th percentile of the distance from a point to its k-th nearest neighbour.

    X: (n, d) -> float.
    """
    from scipy.spatial import cKDTree

    X = _as_cloud(X)
    k = min(k, len(X) - 1)
    if k < 1:
        return 0.0
    dist, _ = cKDTree(X).query(X, k=k + 1)
    return float(np.percentile(dist[:, k], DENSITY_QUANTILE))


def reading_scale(
    X, *, rel_scale: float = REL_SCALE, density_factor: float = DENSITY_FACTOR
) -> float:
    """The scale ε = max(rel_scale · diam(X), density_factor · s_10(X)) (module docstring)."""
    rel_scale, density_factor = float(rel_scale), float(density_factor)
    for v, what in [(rel_scale, "rel_scale"), (density_factor, "density_factor")]:
        if not np.isfinite(v) or v < 0:
            raise InputError(f"{what} must be a finite number >= 0, got {v}")
    return max(rel_scale * diameter(X), density_factor * sampling_spacing(X))


def persistence(X, *, maxdim: int = 1, thresh: float = np.inf, max_points: int | None = None):
    """Persistence diagrams of the Rips filtration of X (ripser, Z/2 coefficients).

    Parameters
    ----------
    X : array (n, d)
    maxdim : int
        Highest homology dimension (0..2).
    thresh : float
        Build the filtration only up to this scale (classes alive there get death = inf).
    max_points : int, optional
        Subsample larger clouds to this many points by farthest-point sampling.

    Returns
    -------
    diagrams : list of ndarray (m_k, 2), k = 0..maxdim
    r_cover : float
        Covering radius of the subsample (0 when not subsampled).
    """
    from ripser import ripser

    X = _as_cloud(X)
    maxdim = check_maxdim(maxdim)
    r_cover = 0.0
    if max_points is not None and len(X) > max_points:
        idx, r_cover = farthest_point_sample(X, max_points)
        X = X[idx]
    if len(X) == 1:
        return [np.array([[0.0, np.inf]])] + [np.zeros((0, 2))] * maxdim, 0.0
    res = ripser(X, maxdim=maxdim, thresh=float(thresh))
    return [np.asarray(d, dtype=np.float64) for d in res["dgms"]], r_cover


def betti_from_diagrams(diagrams, scale: float) -> np.ndarray:
    """β_k(ε) = #{(b, d): b <= ε < d} for each diagram: list of (m_k, 2) -> (len,) int."""
    return np.array(
        [int(np.sum((d[:, 0] <= scale) & (d[:, 1] > scale))) for d in diagrams], dtype=np.int64
    )


def betti_numbers(
    X,
    *,
    maxdim: int = 1,
    scale: float | None = None,
    rel_scale: float = REL_SCALE,
    density_factor: float = DENSITY_FACTOR,
    max_points: int | None = MAX_POINTS,
    thin: float = THIN,
    reading: str = "euclidean",
    activation=None,
    k: int | None = None,
    return_details: bool = False,
):
    """Betti numbers β_0..β_maxdim of a point cloud, read at a scale chosen from the data.

    Parameters
    ----------
    X : array (n, d)
    maxdim : int
        0, 1 or 2.
    scale : float, optional
        Read at this ε instead of ``rel_scale · diam(X)``.
    rel_scale, density_factor : float
        ε = max(rel_scale · diameter, density_factor · sampling spacing); see the module
        docstring.
    max_points : int or None
        Farthest-point subsample size for larger clouds (None: never subsample).
    thin : float
        Thin the cloud to cells of side thin · ε / √d first (0: keep every point).
    reading : {"euclidean", "robust", "geodesic"}
        ``"robust"`` is :func:`isotopy.topology.robust.robust_betti_numbers` (no scale:
        ``scale``, ``rel_scale``, ``density_factor`` and ``thin`` do not apply; an invertible
        affine map of X gives the same numbers). ``"geodesic"`` is Naitzat, Zhitnikov &
        Lim's reading (:func:`isotopy.topology.geodesic.geodesic_betti_numbers`): ``scale``
        is then in hops (default 2.5) and ``k`` the neighbours per point (default 14).
        ``"topological"`` needs a network: :func:`betti_through_network`.
    activation : str or activation spec, optional
        With ``reading="robust"``: the activation whose output X is, read in the chart of
        its inverse (:func:`isotopy.topology.robust.chart`).
    k : int, optional
        With ``reading="geodesic"``: neighbours per point, the point itself counted.
    return_details : bool
        Also return ``{"scale", "diagrams", "r_cover", "diameter", "points_used",
        "reading", "resolved"}`` (robust, geodesic: the details of their functions).
        ``resolved`` (bool per number) is False where the sample does not resolve it
        (robust reading only; a scale reading reads what it reads at its scale).

    Returns
    -------
    betti : ndarray of int64, shape (maxdim + 1,)
    details : dict, only with ``return_details``
    """
    from ..errors import lookup

    lookup(READINGS, reading, "Betti reading")
    if reading == "topological":
        raise InputError(
            "the topological reading follows a network's stages; use "
            "betti_through_network(net, X, y, reading='topological'), or a metric reading "
            "(" + ", ".join(METRIC_READINGS) + ") for one cloud"
        )
    X = _as_cloud(X)
    maxdim = check_maxdim(maxdim)
    if k is not None and reading != "geodesic":
        raise InputError("k (neighbours per point) applies only to the geodesic reading")
    if reading == "geodesic":
        from .geodesic import NAITZAT_K, NAITZAT_SCALE, geodesic_betti_numbers

        return geodesic_betti_numbers(
            X,
            maxdim=maxdim,
            k=NAITZAT_K if k is None else k,
            scale=NAITZAT_SCALE if scale is None else scale,
            return_details=return_details,
        )
    if reading == "robust":
        from .robust import robust_betti_numbers

        if scale is not None:
            raise InputError("the robust Betti reading has no scale; leave scale unset")

        return robust_betti_numbers(
            X,
            maxdim=maxdim,
            activation=activation,
            max_points=max_points,
            return_details=return_details,
        )
    diam = diameter(X)
    eps = (
        float(scale)
        if scale is not None
        else reading_scale(X, rel_scale=rel_scale, density_factor=density_factor)
    )
    if not np.isfinite(eps) or eps < 0:
        raise InputError(f"the reading scale must be a finite number >= 0, got {eps}")
    X = thin_cloud(X, float(thin) * eps)
    r_cover = 0.0
    if max_points is not None and len(X) > max_points:
        # the subsample's covering radius is known only after sampling: raise ε if needed
        idx, r_cover = farthest_point_sample(X, max_points)
        X = X[idx]
        if scale is None:
            eps = max(eps, COVER_FACTOR * r_cover)
    # build slightly past ε so a class dying exactly at ε is seen dying
    dgms, _ = persistence(X, maxdim=maxdim, thresh=eps * (1 + 1e-9) + 1e-12)
    betti = betti_from_diagrams(dgms, eps)
    if return_details:
        return betti, {
            "scale": eps,
            "diagrams": dgms,
            "r_cover": r_cover,
            "diameter": diam,
            "points_used": int(min(len(X), max_points or len(X))),
            "reading": reading,
            "resolved": np.ones(maxdim + 1, dtype=bool),
        }
    return betti


@dataclass
class BettiTrace:
    """Betti numbers of each class at each stage of one network, and where each comes from.

    ``betti[s, c, k]`` is β_k of class c's points after stage s (stage 0 is the input);
    ``resolved[s, c, k]`` whether the sample resolves it (False: "not resolved", see
    :func:`isotopy.topology.robust.resolved_numbers`; the scale readings resolve what they
    read at their scale); ``sources[s]`` is "read" (a metric reading of the stage's points)
    or "carried" (the topological reading: stage s is a homeomorphism onto its image, so the
    numbers before it hold after it); ``scales[s, c]`` the ε it was read at (robust: the
    cloud's spacing in whitened units; NaN where carried); ``diagrams[s][c]`` the
    persistence diagrams (None where carried). ``reading`` is the reading asked for and
    ``metric`` the one that read the points.
    """

    names: list[str]
    classes: list[int]
    betti: np.ndarray  # (S, C, maxdim + 1) int64
    scales: np.ndarray  # (S, C)
    diagrams: list = field(default_factory=list, repr=False)
    reading: str = "euclidean"
    resolved: np.ndarray | None = None  # (S, C, maxdim + 1) bool; None: all resolved
    sources: list[str] | None = None  # per stage: "read" or "carried"; None: all read
    metric: str | None = None  # the reading of the points (None: ``reading``)

    def __post_init__(self):
        if self.resolved is None:
            self.resolved = np.ones(self.betti.shape, dtype=bool)
        if self.sources is None:
            self.sources = ["read"] * len(self.names)
        if self.metric is None:
            self.metric = self.reading

    def label(self, s: int, i: int) -> str:
        """Class i's numbers at stage s: "(1, 0)", with "not resolved" in place of a number
        the sample does not resolve."""
        cells = [
            str(int(v)) if ok else "not resolved"
            for v, ok in zip(self.betti[s, i], self.resolved[s, i], strict=True)
        ]
        return "(" + ", ".join(cells) + ")"

    def to_dict(self) -> dict:
        return {
            "stages": self.names,
            "classes": self.classes,
            "betti": self.betti.tolist(),
            "resolved": self.resolved.tolist(),
            "sources": list(self.sources),
            "scales": np.where(np.isfinite(self.scales), self.scales, -1.0).tolist(),
            "reading": self.reading,
            "metric": self.metric,
        }

    def table(self) -> str:
        """One line per stage: ``name  class c: (β0, β1, ...)  [read | carried]``."""
        width = max(len(n) for n in self.names)
        lines = []
        for s, name in enumerate(self.names):
            cells = "  ".join(f"class {c}: {self.label(s, i)}" for i, c in enumerate(self.classes))
            src = (
                "carried: a homeomorphism"
                if self.sources[s] == "carried"
                else f"read ({self.metric})"
            )
            lines.append(f"{name:<{width}}  {cells}  [{src}]")
        return "\n".join(lines)

    def __repr__(self) -> str:
        k = self.betti.shape[2] - 1
        how = self.reading if self.metric == self.reading else f"{self.reading} ({self.metric})"
        return (
            f"BettiTrace({len(self.names)} stages, {how} reading, "
            f"classes={self.classes}, "
            f"β0..β{k} of input {self.betti[0].tolist()}, of last "
            f"{self.betti[-1].tolist()})"
        )


def betti_through_network(
    net,
    X,
    y,
    *,
    maxdim: int = 1,
    rel_scale: float = REL_SCALE,
    density_factor: float = DENSITY_FACTOR,
    max_points: int | None = MAX_POINTS,
    include_input: bool = True,
    include_readout: bool = False,
    reading: str = "euclidean",
    metric: str = "robust",
    progress=None,
) -> BettiTrace:
    """Betti numbers of every class's points at every stage of a (single) network.

    Parameters
    ----------
    net : Network
        With ``n_networks == 1`` (use ``net.select(i)`` for a batch).
    X : array (n, d_in)
    y : array (n,) of class labels
    maxdim, rel_scale, density_factor, max_points
        As in :func:`betti_numbers`; each cloud gets its own scale from its own size.
    include_input, include_readout : bool
        Whether the input and the 1-D read-out are among the stages.
    reading : {"euclidean", "robust", "geodesic", "topological"}
        A metric reading reads every stage's points (:func:`betti_numbers`; ``"robust"``
        reads an activation stage's cloud in the chart of that activation's inverse). The
        ``"topological"`` reading reads the first stage's points with ``metric`` and then
        carries the numbers through every stage that is a homeomorphism onto its image
        (``stage.is_homeomorphism()``: a square or wider affine map of full rank, a strictly
        monotone activation, an invertible vector field), where no change is possible;
        after a stage that is not one (ReLU, a singular or narrowing map) it reads the
        points again with ``metric``.
    metric : {"euclidean", "robust", "geodesic"}
        The reading of the points for ``reading="topological"`` (ignored otherwise).
    progress : callable, optional
        ``progress(done, total)`` after each stage.

    Returns
    -------
    BettiTrace
        ``sources`` says per stage whether its numbers were read or carried, ``resolved``
        which numbers the sample resolves.
    """
    from ..errors import lookup

    lookup(READINGS, reading, "Betti reading")
    if reading == "topological":
        lookup(METRIC_READINGS, metric, "metric Betti reading")
    maxdim = check_maxdim(maxdim)
    if net.n_networks != 1:
        raise InputError(
            f"Betti numbers need a single network, this one holds "
            f"{net.n_networks}; pick one with net.select(i)"
        )
    y = np.asarray(y)
    reps = net.trace(np.asarray(X, dtype=np.float32))
    stage_of = dict(zip(net.names, net.stages, strict=False))
    homeo = [
        name in stage_of and bool(stage_of[name].is_homeomorphism()[0]) for name, _ in reps
    ]  # the stage reaching each representation (the input and the read-out: False)
    keep = [
        i
        for i, (name, _) in enumerate(reps)
        if (include_input or i > 0) and (include_readout or name != "readout")
    ]
    reps, homeo = [reps[i] for i in keep], [homeo[i] for i in keep]
    classes = [int(c) for c in np.unique(y)]
    S, C = len(reps), len(classes)
    betti = np.zeros((S, C, maxdim + 1), dtype=np.int64)
    resolved = np.ones((S, C, maxdim + 1), dtype=bool)
    scales = np.full((S, C), np.nan)
    diagrams, sources = [], []
    how = metric if reading == "topological" else reading
    for s, (name, Z) in enumerate(reps):
        if reading == "topological" and s > 0 and homeo[s]:
            betti[s], resolved[s] = betti[s - 1], resolved[s - 1]
            diagrams.append([None] * C)
            sources.append("carried")
        else:
            act = getattr(stage_of.get(name), "act", None) if how == "robust" else None
            row = []
            for i, c in enumerate(classes):
                b, det = betti_numbers(
                    Z[y == c],
                    maxdim=maxdim,
                    rel_scale=rel_scale,
                    density_factor=density_factor,
                    max_points=max_points,
                    reading=how,
                    activation=act,
                    return_details=True,
                )
                betti[s, i], scales[s, i] = b, det["scale"]
                resolved[s, i] = det.get("resolved", np.ones(maxdim + 1, dtype=bool))
                row.append(det["diagrams"])
            diagrams.append(row)
            sources.append("read")
        if progress is not None:
            progress(s + 1, S)
    return BettiTrace(
        [n for n, _ in reps], classes, betti, scales, diagrams, reading, resolved, sources, how
    )
