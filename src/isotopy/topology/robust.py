"""Betti numbers read without a scale, in coordinates that stretching and saturation do not reach.

The Euclidean reading (:mod:`.homology`) builds a Rips complex of the points as they are and
counts the classes alive at one scale ε = max(0.1 · diameter, 2 · sampling spacing). Checked
against the truth, that scale fails on known shapes: it is larger than the gap between two
unit circles 0.3 apart, it fills small holes where the sample is sparse, and any stage that
stretches one direction (an invertible affine map with a large condition number) or crowds
points into the corners of the cube (a saturating tanh) moves features across it although
the stage is a homeomorphism. This reading has three steps, none with a scale.

**1. Chart.** A stage whose activation σ is a homeomorphism onto its image (tanh, sigmoid,
softplus, leaky_relu) is read in the coordinates σ^-1(y) (:func:`chart`): a homeomorphism
of the image onto R^d, so the topology is the cloud's own, while the per-coordinate
squashing of saturation is undone. Values are clipped to float32's resolution at the
image's bounds (the networks compute in float32, where tanh(z) = 1 for z > 9; atanh then
reads at most 8.7) and inverted in float64. ReLU has no inverse: its stage is read as it is,
so a ReLU that folds a circle onto itself still changes the numbers.
:func:`~isotopy.topology.betti_through_network` passes each stage's activation.

**2. Whitening.** With X_c = X - mean(X) = U S V^T (thin SVD),

    Z = X_c V_r diag(√n / s_1, ..., √n / s_r),   X: (n, d) -> Z: (n, r),

keeping the r principal axes whose spread s_i exceeds 1e-5 · s_1. For any invertible A and
vector b, whiten(X A^T + b) = whiten(X) Q with Q orthogonal, and everything after depends on
distances only: up to 4-D an invertible affine stage cannot change the reading, whatever
its condition number (above 4-D the gain is capped; see "Wide layers" below).

**3. Delaunay-Rips persistence read by ratios.** The flag complex of the Delaunay graph of Z
(r <= 4; above, see "Wide layers"), filtered by edge length, is built in
full (ripser on the sparse distance matrix; milliseconds for 1,000 points, where a full
Rips filtration of a 500-point circle takes seconds and of a 400-point sphere minutes). It
holds the minimum spanning tree, so its H_0 is the Rips one; its H_1, H_2 classes die when
the long Delaunay edges across a hole appear. Then, with no scale:

- β0 = 1 + the number of bridges of the minimum spanning tree (:func:`count_components`):
  a tree edge that joins two parts each holding >= 2% of the points and that is >= 2 times
  the longest tree edge inside either part. Within one uniformly sampled component the
  longest edges are close to one another; a gap between components is not.
- β_k (k = 1, 2) = the number of classes with death / birth >= 3.5 (H_1), 1.8 (H_2).
  Random loops and voids of a sample die soon after they are born, relative to their birth
  (Bobrowski, Kahle & Skraba, "Maximally persistent cycles in random geometric complexes",
  Ann. Appl. Probab. 2017: the largest such ratio grows only like (log n / log log n)^(1/k)).
  Classes that never die (rare 3-D flag-complex artefacts) are not counted.

Both rules are unchanged by scaling and do not care whether regions are dense or sparse.

**Wide layers (r > 4).** A cloud in a layer wider than the data's own dimension is a curved
low-dimensional sheet, and two things change there. (a) Its small principal spreads are its
bends, not a stretch: untrained width-12 tanh networks on four annuli give spreads 1, 0.7,
0.1, 0.06, ..., 1e-6, and whitening every axis to unit spread blew the bends up to the size of
the sheet. The gain is capped at 10 (``WIDE_WHITEN_FLOOR``: axes under 1/10 of the largest
spread keep their proportion). An affine stage is then undone exactly only while every
spread of the cloud and of its image is at least 1/10 of the largest (an isotropic cloud
stretched by condition number up to 10); a thin sheet stretched along its thin axis keeps
part of the stretch. (b) The flag complex of a k-nearest-neighbour graph (k = 20, used here
before 1 December 2026) holds no edge across a hole, so a hole's loop never died and was not
counted: those annuli read β1 = 0 at every stage from the second hidden layer on, with
every whitening tried. Now β0 comes from the Euclidean minimum spanning tree (the same rule
as below 5-D), and each of its components gets the full Rips filtration of a farthest-point
subsample of at most ``RIPS_MAX_POINTS`` (400 for H_1; H_2 from a second, 150-point
filtration: 0.3 s and 0.5 s per component; before 2 December 2026 H_1 also came from the
150 points when maxdim was 2, which lost a torus's loops) of its points, and classes count from
death / birth >= ``WIDE_CYCLE_RATIO`` (3.2, H_2 1.8). Measured for that threshold: the
largest noise loop of 72 discs (400 and 800 points, 12 untrained width-12 tanh networks, read
after layers 2, 5 and 8) 2.2 median, 2.65 at the 90th percentile, 3.0 at most; of about
250 noise clouds in 5-12 D (Gaussian, cube, flat and curved discs, thin balls) 2.57 at most;
the holes of four annuli (400 points each) there read 2-8 (>= 3 in 89-100% of readings over
three seeds, >= 3.5 in 79-86%), of 200 points each 1.6-5 (>= 3 in 32-82%).
``test_wide_layers_keep_holes_and_read_no_noise_loops`` checks both sides. Below 5-D nothing
changed.

**Measured, noise ratios and thresholds** (Delaunay-Rips, whitened, 3 clouds each): the
largest death/birth of a noise loop is 2.2-2.6 on discs of 500 points, 2.7-3.1 at 2,000,
2.1-2.5 on a 400-point sphere, 2.6-3.0 on tori of 1,000-2,000 points; of a noise void 1.1-1.5
(tori). The features: a circle of 300 points 15-18; an annulus with a hole of radius 0.15
3.0-3.5 at 500 points, 4.1-4.6 at 1,000, 5.8-6.1 at 2,000; a sphere's void 3.6-3.9 at 400
points; a torus's two loops 2.9-3.3 at 500 points, 4.0-4.8 at 1,000, 5.8-6.5 at 2,000 and
its void 1.3-1.6, 1.6-1.8, 2.2-2.5. So a hole of radius 0.15 in a unit annulus is resolved
from 1,000 points and a torus (radii 1, 0.5) from 2,000 (at 1,000 its void is under the
H_2 threshold in 7 of 10 clouds; a threshold of 1.5 reads 9 of 10 but is reached by noise
voids); below that no threshold separates them from
the noise of a disc or torus of the same size. Two unit circles 0.3 apart: whitening shrinks
the gap to 0.22 and stretches the circles, and at 200-300 points per circle the longest tree
edge inside a circle is as long (0.22); at 500 per circle it is 0.08-0.09 (9 of 10 right),
at 800 per circle all right.

**Resolution** (:func:`resolved_numbers`, ``RESOLUTION``). A number the sample cannot
back is returned as *not resolved* (``details["resolved"]``), never as a finding: β_k
(k >= 1) is not resolved when (a) a class the rule did not count has death / birth in the
grey zone between the largest noise ratio measured for that kind of reading
(``NOISE_CEILING`` = 3.0 for H_1, 1.55 for H_2 up to 4-D; ``WIDE_NOISE_CEILING`` = 2.75,
1.55 above) and the threshold, or (b) it reads 0 from fewer points than a reference
feature needs (``MIN_POINTS`` = 200 up to 4-D: an annulus whose hole is 0.7 of its radius,
and a sphere's void, resolve there in 12 of 12 clouds, at 100 points in 12 and 3 of 12;
``WIDE_MIN_POINTS`` = 500 above: that annulus class of ``disc_annulus`` in the 6- and 8-unit
tanh layers of four trained networks reads right or flagged in 80 of 80 readings of 300
points, 40 of them flagged, and 78 of 80 at 500, 11 flagged). Measured with the rule (12
clouds each, 2 December 2026; right / not resolved / wrong): discs of 100-1,000 points 0/12/0
at 100, then 12/0/0; annuli with hole 0.7: 12/0/0 from 100 points; hole 0.4: 3/9/0 at 100,
12/0/0 from 200; hole 0.15: wrong (1, 0) in 12, 10 and 3 of 12 at 200, 300, 500 points (its
ratio stays under the noise ceiling: below the reading's resolution), 12/0/0 at 1,000;
balls, spheres and solid tori of 200-2,000 points right in 10-12 of 12, flagged in the
rest, one sphere of 2,000 read two voids; tori (radii 1, 0.5): wrong at 200 (their loops
are below resolution), 0/9/3 at 500, 1/9/2 at 1,000, 7/5/0 at 2,000. The same tori pushed
through 36 random affine maps (half then through a saturating tanh layer, read in its
chart) at 2,000 points read (1, 2, 1) in 36 of 36, void ratios 1.81-2.44. A torus in a
layer wider than 4 units is below the reading's resolution: through an untrained
width-8 tanh network (2,000 points, second layer) it read (1, 0-1, 0) in 6 of 6, flagged in
3 (loops from 400 farthest points 2.6-3.3, the void from 150 at 1.3-1.5).

**Measured, against the Euclidean reading** (``tests/test_topology_robust.py``, one run):
52 clouds of 8 shapes (circle; two circles 1 and 0.3 apart; annuli with holes 0.5 and 0.15;
disc; sphere; torus) through random affine maps of condition number 1 to 1e3, half of them
then through a saturating tanh layer in float32 (largest singular value of W 3-10) read in
its chart: robust right on 52, Euclidean on 13 (with 8 seeds per shape, the torus 4: 60 of
60 and 15). 50 clouds of five shapes through affine maps only: robust 49, Euclidean 16. On
``benchmarks/bench_betti.py``'s trained 2-3-3-3 tanh network (every stage a homeomorphism),
10 of its 12 stage clouds keep their class's input Betti numbers under this reading, 7
under the Euclidean one; the 12 clouds of 1,000 points
took 3.3 s robustly, 3.8 s with the Euclidean reading and 80 s with plain ripser (2 cores
shared with other work, load 9-10). ``isotopy experiment betti_layers`` (defaults: 4 seeds,
hidden 3,3, disc_annulus): tanh networks keep both classes' numbers at every stage in 4 of
4, ReLU networks in 0 of 4 (all change at relu2).

**Not solved: saturation carried into later stages.** The chart undoes a stage's own
activation only. An affine stage after a tanh stage maps the saturated cloud on, and the
whitened reading sees it with its crowded corners and sparse edges: 60 clouds made as in
the test (8 seeds per shape, the torus 4; each stretched, then through the tanh layer),
then through a further random affine map (no chart applies), are right in 21 of 60 (discs 8
of 8; spheres, tori 0); read at the tanh stage in its chart, the same clouds are right in
60 of 60. The bench network's last affine stage is such a case (its
annulus loop reads death/birth 1.9). Reading that stage in the chart of the earlier
activation (through the stage's own inverse) only moves the problem one stage back, and
chaining charts to the input would read the network's input, not the stage. Rescaling
edges by the local spacing (length / √(ρ_i ρ_j), ρ the distance to the k-th neighbour, a
continuous k-NN graph) did not help: 20-24 of 60 saturated clouds right (k = 5, 10), and it
cost 3-20 of the 60 stretched ones. Earlier attempts, with a fixed ε rule: whitening alone
48 of 108 clouds (stretched and through one or two tanh layers), k-NN-graph geodesic
metrics 29-36 of 72.

**Limits.** A thickened sheet is a thicker cloud: four annuli embedded in 12-D with noise
of 1/100 of their radius in the ten other directions read β1 = 0 (loop ratios 2.4-2.7), at
1/1000 β1 = 4. Whitening rescales a cloud that is anisotropic by nature, which costs
resolution: a torus (radii 1, 0.5) of 500 points has loop ratios 3.5-4.1 as it is and
2.9-3.3 whitened; two circles side by side lose about half their gap relative to the
spacing. Outliers: one point 70 away from two unit circles 1 apart (600 points) dominates
the covariance and the pair reads β0 = 1; one point 2 away is not counted as a component
(it holds less than 2% of the points), but its edge then counts as spacing inside a part
and the pair again reads β0 = 1 (a bridge must be twice the longest edge inside its parts
at the end, which keeps single circles from splitting at their larger random gaps). Points
closer than 1e-6 (whitened units) are merged. The library's
:func:`~isotopy.topology.betti_numbers` and :func:`~isotopy.topology.betti_through_network`
keep ``reading="euclidean"`` as their default (the report and experiments were calibrated on
it); ``isotopy topology`` reads topologically (this reading where it must read the points),
``isotopy inspect`` and the ``betti_layers`` experiment's metric reading use this one.

**Where the steps live.** :mod:`.whitening` holds steps 1 and 2 (:func:`chart`,
:func:`whiten`), :mod:`.cloud_graph` the graph of step 3 (:func:`sparse_graph`), the β0 rule
(:func:`count_components`) and the Rips filtration per component above 4-D; this module
holds the thresholds, the resolution rule and :func:`robust_betti_numbers`, and names every
step's public function and constant as before.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, check_positive_int
from .cloud_graph import (
    BRIDGE_RATIO,
    DELAUNAY_MAX_DIM,
    MIN_SHARE,
    RIPS_MAX_POINTS,
    count_components,
    rips_per_component,
    sparse_graph,
)
from .homology import check_maxdim, farthest_point_sample
from .whitening import WHITEN_RTOL, activation_spec, chart, whiten

__all__ = [
    "WHITEN_RTOL",
    "BRIDGE_RATIO",
    "CYCLE_RATIO",
    "MIN_SHARE",
    "ROBUST_MAX_POINTS",
    "RIPS_MAX_POINTS",
    "WIDE_CYCLE_RATIO",
    "WIDE_WHITEN_FLOOR",
    "NOISE_CEILING",
    "WIDE_NOISE_CEILING",
    "MIN_POINTS",
    "WIDE_MIN_POINTS",
    "RULE",
    "RESOLUTION",
    "resolved_numbers",
    "whiten",
    "chart",
    "sparse_graph",
    "count_components",
    "robust_betti_numbers",
]

# the steps' own constants (WHITEN_RTOL in .whitening; BRIDGE_RATIO, MIN_SHARE,
# DELAUNAY_MAX_DIM, RIPS_MAX_POINTS in .cloud_graph) are imported above
CYCLE_RATIO = (3.5, 1.8)  # death / birth a class of H_1, H_2 needs to count
DEDUPE_RTOL = 1e-6  # points closer than this share of the largest spread are one point
ROBUST_MAX_POINTS = 2000  # larger clouds: farthest-point subsample of this many points
WIDE_CYCLE_RATIO = (3.2, 1.8)  # death / birth a class needs there (full Rips: less noise)
WIDE_WHITEN_FLOOR = 0.1  # above DELAUNAY_MAX_DIM: gain of whitening capped at 10
# resolution (module docstring, "Resolution"): the grey zone starts at the largest measured
# noise ratio of H_1, H_2 (up to 4-D: discs, balls, spheres, tori of 100-2,000 points; above:
# clouds in untrained width-8 and width-12 tanh layers), and a 0 from fewer points than the
# reference feature needs is not a finding
NOISE_CEILING = (3.0, 1.55)  # noise loops reached 3.0 (spheres, 2,000 points); voids 1.54
WIDE_NOISE_CEILING = (2.75, 1.55)  # noise loops above 4-D: 2.2 median, 2.65 at the 90th pct
MIN_POINTS = (200, 200)  # annulus with hole 0.7 of its radius: 200 resolve it in 12 of 12
WIDE_MIN_POINTS = (500, 500)  # that annulus in a trained layer: 300 points miss it in 3-6 of 10
RULE = (
    "chart of the stage's activation inverse (float32-clipped), whitened; Delaunay-Rips "
    f"persistence; β0: components whose spanning-tree gap is >= {BRIDGE_RATIO:g}x the largest "
    f"spacing inside each and that hold >= {MIN_SHARE:.0%} of the points; β1, β2: classes with "
    f"death/birth >= {CYCLE_RATIO[0]:g}, {CYCLE_RATIO[1]:g}; above {DELAUNAY_MAX_DIM}-D: "
    f"whitening's gain capped at {1 / WIDE_WHITEN_FLOOR:g}, full Rips of each component "
    f"(<= {RIPS_MAX_POINTS[0]} farthest points), death/birth >= {WIDE_CYCLE_RATIO[0]:g}, "
    f"{WIDE_CYCLE_RATIO[1]:g}"
)


RESOLUTION = (
    f"β_k (k >= 1) not resolved when an uncounted class has death/birth between the noise "
    f"ceiling ({NOISE_CEILING[0]:g} for H_1, {NOISE_CEILING[1]:g} for H_2; above "
    f"{DELAUNAY_MAX_DIM}-D {WIDE_NOISE_CEILING[0]:g}, {WIDE_NOISE_CEILING[1]:g}) and the "
    f"threshold, or when it reads 0 from fewer than {MIN_POINTS[0]} points (above "
    f"{DELAUNAY_MAX_DIM}-D {WIDE_MIN_POINTS[0]})"
)


def resolved_numbers(betti, ratios, thresholds, *, wide, points):
    """Which of β0..β_maxdim the sample resolves: bool array (maxdim + 1,).

    β0 is always resolved (its rule has no grey zone measured). β_k, k >= 1, is *not
    resolved* when

    (a) a class it did not count has death / birth in the grey zone
        [``NOISE_CEILING[k - 1]``, threshold) (above 4-D ``WIDE_NOISE_CEILING``): higher
        than the measured noise of a sample of that kind reaches, lower than the rule
        counts, so the sample cannot tell a small or poorly sampled feature from noise; or
    (b) β_k = 0 from fewer points than ``MIN_POINTS[k - 1]`` (above 4-D
        ``WIDE_MIN_POINTS``): a sample that small does not resolve even the reference
        feature (module docstring, "Resolution"), so "no feature" is not a finding.

    ``ratios[k]``: death / birth of every finite class of H_k; ``thresholds[k - 1]``: the
    ratio counted; ``points``: the sample's size (coincident points counted: a map that
    puts many points on one is not a small sample).
    """
    betti = np.asarray(betti)
    out = np.ones(len(betti), dtype=bool)
    ceiling = WIDE_NOISE_CEILING if wide else NOISE_CEILING
    floor = WIDE_MIN_POINTS if wide else MIN_POINTS
    for k in range(1, len(betti)):
        t = float(thresholds[k - 1])
        r = np.asarray(ratios[k]) if k < len(ratios) else np.zeros(0)
        grey = bool(np.any((r >= min(ceiling[k - 1], t)) & (r < t)))
        small = int(betti[k]) == 0 and int(points) < floor[k - 1]
        out[k] = not (grey or small)
    return out


def robust_betti_numbers(
    X,
    *,
    maxdim: int = 1,
    activation=None,
    bridge_ratio: float = BRIDGE_RATIO,
    cycle_ratio=None,
    min_share: float = MIN_SHARE,
    max_points: int | None = ROBUST_MAX_POINTS,
    return_details: bool = False,
):
    """Betti numbers read without a scale: chart, whitening, then multiplicative persistence.

    Parameters
    ----------
    X : array (n, d)
    maxdim : int
        0, 1 or 2.
    activation : str, activation spec or None
        The activation whose output X is (:func:`chart`); None reads X as it is.
    bridge_ratio, min_share : float
        The β0 rule (:func:`count_components`).
    cycle_ratio : (float, float) or None
        Death / birth a class of H_1, resp. H_2, needs to count. None: the rule's,
        ``CYCLE_RATIO`` on the Delaunay graph (r <= 4), ``WIDE_CYCLE_RATIO`` on the full
        Rips filtration used above.
    max_points : int or None
        Farthest-point subsample size for larger clouds (None: never subsample).
    return_details : bool
        Also return ``{"scale", "diagrams", "ratios", "bridges", "never_die", "graph",
        "points_used", "spreads", "chart", "reading", "rule", "cycle_ratio"}``; ``scale``
        is the cloud's spacing (longest non-bridge spanning-tree edge, whitened units),
        ``ratios[k]`` the death / birth of every finite class of H_k, largest first,
        ``graph`` "delaunay", "chain", "complete" or "mst" (above 4-D: the spanning tree
        for β0, the full Rips filtration of each component for H_k), ``cycle_ratio`` the
        thresholds applied.

    Returns
    -------
    betti : ndarray of int64, shape (maxdim + 1,)
    details : dict, only with ``return_details``
    """
    maxdim, ratios_k, max_points = _checked_rule(
        maxdim, bridge_ratio, cycle_ratio, min_share, max_points
    )
    given = cycle_ratio is not None
    spec = activation_spec(activation)
    Z, spreads, wide = _reading_coordinates(X, spec)
    P, w = _merged_sample(Z, max_points)
    n = len(P)
    i, j, lengths, kind = sparse_graph(P)
    b0, spacing, bridges, labels = count_components(
        n,
        i,
        j,
        lengths,
        w,
        ratio=float(bridge_ratio),
        min_share=float(min_share),
        return_labels=True,
    )
    used = tuple(WIDE_CYCLE_RATIO if wide and not given else ratios_k)[:maxdim]
    higher, dgms, ratios, never, per_k = _cycle_classes(P, (i, j, lengths, kind), labels, used)
    betti = np.asarray([b0, *higher], dtype=np.int64)
    if not return_details:
        return betti
    sample = len(Z) if max_points is None else min(len(Z), max_points)
    resolved = resolved_numbers(betti, ratios, used, wide=wide, points=sample)
    return betti, {
        "resolved": resolved,
        "points_per_k": per_k,
        "scale": spacing,
        "diagrams": dgms,
        "ratios": ratios,
        "bridges": bridges,
        "never_die": never,
        "graph": kind,
        "cycle_ratio": used,
        "points_used": int(n),
        "spreads": spreads,
        "chart": None if spec is None else spec.name,
        "reading": "robust",
        "rule": RULE,
    }


def _checked_rule(maxdim, bridge_ratio, cycle_ratio, min_share, max_points):
    """The reading's settings, checked: -> maxdim, the H_k thresholds asked for (or
    ``CYCLE_RATIO``), max_points; one InputError sentence for a setting out of range."""
    maxdim = check_maxdim(maxdim)
    ratios_k = tuple(
        float(v) for v in np.atleast_1d(CYCLE_RATIO if cycle_ratio is None else cycle_ratio)
    )
    for v, what in [(float(bridge_ratio), "bridge_ratio"), *[(v, "cycle_ratio") for v in ratios_k]]:
        if not np.isfinite(v) or v <= 1:
            raise InputError(f"{what} must be a finite number > 1, got {v}")
    if len(ratios_k) < maxdim:
        raise InputError(f"cycle_ratio needs one ratio per dimension 1..{maxdim}")
    if not np.isfinite(min_share) or not 0 <= min_share < 0.5:
        raise InputError(f"min_share must be a number in [0, 0.5), got {min_share}")
    if max_points is not None:
        max_points = check_positive_int(max_points, "max_points", minimum=2)
    return maxdim, ratios_k, max_points


def _reading_coordinates(X, spec):
    """Steps 1 and 2: the cloud in its activation's chart, whitened (the gain capped above
    ``DELAUNAY_MAX_DIM``): -> Z (n, r), the principal spreads, whether r is that wide."""
    Z, spreads = whiten(chart(X, spec), return_spreads=True)
    wide = Z.shape[1] > DELAUNAY_MAX_DIM
    if wide:  # a curved sheet in a wide layer: its small spreads are bends, not stretch
        kept = spreads[: Z.shape[1]]  # the kept axes' spreads, largest first
        Z = Z * (kept / np.maximum(kept, WIDE_WHITEN_FLOOR * kept[0]))
    return Z, spreads, wide


def _merged_sample(Z, max_points):
    """The points read: one per cell of side ``DEDUPE_RTOL``, then at most ``max_points``
    farthest points; -> P (m, r) and each point's weight (the points it stands for)."""
    # one point per cell of side DEDUPE_RTOL (whitened units): float32 saturation repeats points
    cells = np.floor((Z - Z.min(0)) / DEDUPE_RTOL).astype(np.int64)
    order = np.lexsort(cells.T[::-1])
    new = np.r_[True, (np.diff(cells[order], axis=0) != 0).any(1)]
    first = order[new]
    counts = np.diff(np.r_[np.flatnonzero(new), len(order)])
    P, w = Z[first], counts.astype(np.float64)
    if max_points is not None and len(P) > max_points:
        from scipy.spatial import cKDTree

        idx, _ = farthest_point_sample(P, max_points)
        _, near = cKDTree(P[idx]).query(P)
        P, w = P[idx], np.bincount(near, weights=w, minlength=len(idx))
    return P, w


def _cycle_classes(P, graph, labels, used):
    """Step 3 for H_1..H_maxdim (maxdim = len(used)): the persistence diagrams and the
    classes counted, with no scale.

    ``graph``: (i, j, lengths, kind) from :func:`sparse_graph`; ``labels``: each point's
    component (:func:`count_components`); ``used``: the death / birth each H_k needs.
    Returns β_1..β_maxdim, the diagrams of H_0..H_maxdim, the ratios (a list indexed by k,
    largest first), the classes that never die per k, and the points each H_k was read from.
    """
    from ripser import ripser
    from scipy.sparse import coo_matrix

    i, j, lengths, kind = graph
    n, maxdim = len(P), len(used)
    betti = []
    dgms = [np.array([[0.0, np.inf]])] + [np.zeros((0, 2))] * maxdim
    ratios, never = [np.array([])], [0]
    per_k = [n] * maxdim  # points each H_k was read from (above 4-D: the largest subsample)
    if n <= 2:
        return [0] * maxdim, dgms, ratios + [np.array([])] * maxdim, never + [0] * maxdim, per_k
    if kind == "mst":
        dgms, per_k = rips_per_component(P, lengths, labels, maxdim)
    else:
        D = coo_matrix((lengths, (i, j)), shape=(n, n)).tocsr()
        dgms = [
            np.asarray(d, dtype=np.float64)
            for d in ripser(D, maxdim=maxdim, distance_matrix=True)["dgms"]
        ]
    for k in range(1, maxdim + 1):
        d = dgms[k]
        fin = np.isfinite(d[:, 1])
        r = np.sort(d[fin, 1] / np.maximum(d[fin, 0], 1e-300))[::-1]
        ratios.append(r)
        never.append(int(np.sum(~fin)))  # flag-complex artefacts: never killed, not counted
        betti.append(int(np.sum(r >= used[k - 1])))
    return betti, dgms, ratios, never, per_k
