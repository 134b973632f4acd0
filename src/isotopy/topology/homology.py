"""Persistent homology of point clouds and of each class at every stage of a network.

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
]

MAX_DIM = 2  # Rips H_3 of clouds this size is slow and no dataset here has 3-D holes
REL_SCALE = 0.1  # features shorter than a tenth of the cloud's size count as noise
DENSITY_FACTOR = 2.0  # small loops of random surface samples die below ~2.3 median 10-NN
DENSITY_QUANTILE = 90  # percentile of the 10-NN distance taken as the sampling spacing
DENSITY_K = 10  # neighbours defining the sampling spacing s_10
COVER_FACTOR = 2.0  # ε >= 2 covering radii keeps a subsample's parts connected
MAX_POINTS = 1000  # larger clouds are subsampled to this many points
THIN = 0.25  # thinning cell: points within THIN · ε of a kept point are dropped

# how a cloud is read: in its own coordinates, or whitened first (see isotopy.topology.robust)
READINGS = {
    "euclidean": "Rips complex of the points as they are",
    "robust": "no scale: the stage's activation chart, whitened (unchanged by invertible affine "
    "maps up to 4-D), Delaunay-Rips persistence read by death/birth ratios; above 4-D "
    "whitening's gain capped at 10 and full Rips per component (isotopy.topology.robust)",
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
    reading : {"euclidean", "robust"}
        ``"robust"`` is :func:`isotopy.topology.robust.robust_betti_numbers` (no scale:
        ``scale``, ``rel_scale``, ``density_factor`` and ``thin`` do not apply; an invertible
        affine map of X gives the same numbers).
    activation : str or activation spec, optional
        With ``reading="robust"``: the activation whose output X is, read in the chart of
        its inverse (:func:`isotopy.topology.robust.chart`).
    return_details : bool
        Also return ``{"scale", "diagrams", "r_cover", "diameter", "points_used",
        "reading"}`` (robust: the details of ``robust_betti_numbers``).

    Returns
    -------
    betti : ndarray of int64, shape (maxdim + 1,)
    details : dict, only with ``return_details``
    """
    from ..errors import lookup

    lookup(READINGS, reading, "Betti reading")
    X = _as_cloud(X)
    maxdim = check_maxdim(maxdim)
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
        }
    return betti


@dataclass
class BettiTrace:
    """Betti numbers of each class at each stage of one network.

    ``betti[s, c, k]`` is β_k of class c's points after stage s (stage 0 is the input);
    ``scales[s, c]`` is the ε it was read at (``reading="robust"``: the cloud's spacing in
    whitened units, see :func:`isotopy.topology.robust.robust_betti_numbers`);
    ``diagrams[s][c]`` the persistence diagrams (Euclidean: built up to ε only).
    """

    names: list[str]
    classes: list[int]
    betti: np.ndarray  # (S, C, maxdim + 1) int64
    scales: np.ndarray  # (S, C)
    diagrams: list = field(default_factory=list, repr=False)
    reading: str = "euclidean"

    def to_dict(self) -> dict:
        return {
            "stages": self.names,
            "classes": self.classes,
            "betti": self.betti.tolist(),
            "scales": self.scales.tolist(),
            "reading": self.reading,
        }

    def table(self) -> str:
        """One line per stage: ``name  class c: (β0, β1, ...)``."""
        width = max(len(n) for n in self.names)
        lines = []
        for s, name in enumerate(self.names):
            cells = "  ".join(
                f"class {c}: {tuple(int(v) for v in self.betti[s, i])}"
                for i, c in enumerate(self.classes)
            )
            lines.append(f"{name:<{width}}  {cells}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        k = self.betti.shape[2] - 1
        return (
            f"BettiTrace({len(self.names)} stages, {self.reading} reading, "
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
    reading : {"euclidean", "robust"}
        As in :func:`betti_numbers`; ``"robust"`` reads an activation stage's cloud in the
        chart of that activation's inverse (:func:`isotopy.topology.robust.chart`).
    progress : callable, optional
        ``progress(done, total)`` after each cloud.

    Returns
    -------
    BettiTrace
    """
    from ..errors import lookup

    lookup(READINGS, reading, "Betti reading")
    maxdim = check_maxdim(maxdim)
    if net.n_networks != 1:
        raise InputError(
            f"Betti numbers need a single network, this one holds "
            f"{net.n_networks}; pick one with net.select(i)"
        )
    y = np.asarray(y)
    reps = net.trace(np.asarray(X, dtype=np.float32))
    if not include_input:
        reps = reps[1:]
    if not include_readout:
        reps = [r for r in reps if r[0] != "readout"]
    classes = [int(c) for c in np.unique(y)]
    S, C = len(reps), len(classes)
    betti = np.zeros((S, C, maxdim + 1), dtype=np.int64)
    scales = np.zeros((S, C))
    diagrams = []
    stage_of = dict(zip(net.names, net.stages, strict=False))
    for s, (name, Z) in enumerate(reps):
        row = []
        act = getattr(stage_of.get(name), "act", None) if reading == "robust" else None
        for i, c in enumerate(classes):
            b, det = betti_numbers(
                Z[y == c],
                maxdim=maxdim,
                rel_scale=rel_scale,
                density_factor=density_factor,
                max_points=max_points,
                reading=reading,
                activation=act,
                return_details=True,
            )
            betti[s, i], scales[s, i] = b, det["scale"]
            row.append(det["diagrams"])
            if progress is not None:
                progress(s * C + i + 1, S * C)
        diagrams.append(row)
    return BettiTrace([n for n, _ in reps], classes, betti, scales, diagrams, reading)
