"""Linking numbers of closed curves in R^3, and of a link dataset's cores through a network.

The Gauss linking integral of two disjoint closed curves a, b in R^3 is

    Lk(a, b) = 1/(4π) ∮∮ (a(s) - b(t)) · (a'(s) × b'(t)) / |a(s) - b(t)|^3 ds dt,

an integer that no isotopy of R^3 (no deformation without crossing) can change. For closed
polylines the double integral splits into a sum over pairs of segments, and each term is the
signed solid angle that one segment subtends from the other divided by 4π; the closed form
of that solid angle (Klenin & Langowski, Biopolymers 54, 2000; the quadrilateral formula of
Banchoff 1976) makes the polygonal linking number exact up to rounding:

    Ω = sign(((p4 - p3) × (p2 - p1)) · (p3 - p1)) · Σ_{i=1..4} asin(n_i · n_{i+1})

with n_1..n_4 the unit normals of the faces of the tetrahedron (p1, p2, p3, p4).

Through a network: each stage maps the two core curves of a link dataset (known to the
generator, :func:`isotopy.datasets.link_cores`) to new closed curves; at every stage whose
representation lives in R^3 their linking number is computed. Stages that are
orientation-preserving homeomorphisms of R^3 cannot change it; orientation-reversing ones
(det W < 0) flip its sign, so |Lk| is the invariant. In R^4 or R^2 the linking number is not
defined and is reported as NaN.

The image of a polyline is only approximated by the polyline through the image vertices, so
every value is certified before it is reported. The input core is the closed polygon through
its vertices; each of its segments lies in an axis-aligned box, and the box is pushed
through the stages by interval arithmetic (affine: centre W c + b, half-widths |W| r; a
monotone activation: [σ(lo), σ(hi)] coordinate by coordinate; a vector field x + v(x) with
Lip(v) <= L: half-widths (1 + L)|r|). At a 3-D stage the box of a segment holds both its
true image and the chord between its image vertices, hence the straight-line homotopy
between the two. If no box of one curve meets a box of the other, that homotopy keeps the
two curves apart, and the linking number of the image polygons (computed exactly) is the
linking number of the image curves: the stage is *resolved*. Otherwise the segments in
overlapping boxes are halved (the midpoint of the input chord inserted) and everything is
recomputed, until every 3-D stage is resolved or a budget (``max_vertices`` per curve,
``max_rounds`` rounds) runs out; the budget is counted in vertices and rounds, not seconds,
so the same network gives the same report on any machine. A stage whose image vertices come
closer than ``TOUCH_RTOL`` (1e-6) of the curves' extent is *touching*: in floating point
the curves meet there and no linking number is defined. A stage that is neither is
*unresolved*, and is reported with its closest approach, never with a number.

**Carried values.** Where the boxes cannot certify a stage (after the refinement, which still
tries every stage) but the stage is known to be a homeomorphism of R^3 onto its image (a
square affine map with det W != 0, a strictly increasing activation, a vector field the
stage itself certifies as invertible) and the value before it is certain (certified or
itself carried), the value is *carried*:

    Lk(h(a), h(b)) = sign(h) · Lk(a, b),

with sign(h) = sign(det W) for an affine stage and +1 for the others (their Jacobians have
positive determinant everywhere). This holds exactly because h maps a Seifert surface of a
to one of h(a), meeting h(b) at the images of the same points with the same local signs
up to sign(h); the image is open in R^3 (invariance of domain), so the count is the
linking number in R^3. Two image curves that come within 1e-10 of each other in floating
point are still disjoint there: a homeomorphism never joins two disjoint sets. "touching"
is therefore reported only where the curves can really meet: after a stage that is not a
homeomorphism (ReLU, a singular or non-square affine map), or after a stage whose own
value is not certain.

The parts live in modules of their own: :mod:`.polylines` (the linking number of two
polygons, by the Gauss integral or by crossings), :mod:`.link_boxes` (the boxes, their
images through a stage, the refinement, each stage's orientation) and :mod:`.link_trace`
(:class:`LinkingTrace`, the per-stage record); this module names them all as before.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, check_positive_int
from .link_boxes import box_through, conflicts, refine, segment_boxes, stage_orientation
from .link_trace import CERTAIN, LinkingTrace, linking_labels
from .polylines import curve_distance, linking_number, linking_number_crossings

TOUCH_RTOL = 1e-6  # closer than this fraction of their extent, two curves count as touching

__all__ = [
    "linking_number",
    "linking_number_crossings",
    "LinkingTrace",
    "linking_through_network",
    "curve_distance",
    "linking_labels",
    "stage_orientation",
]


def linking_through_network(
    net,
    dataset: str,
    *,
    samples: int = 400,
    max_vertices: int = 100_000,
    max_rounds: int = 60,
    method: str = "crossings",
    **params,
) -> LinkingTrace:
    """Push a link dataset's two core curves through every stage and certify their linking.

    Parameters
    ----------
    net : Network
        A single network (``n_networks == 1``) whose input is R^3.
    dataset : str
        A link dataset (``DATASETS[name].is_link``): "linked_tori" or "unlink".
    samples : int
        Vertices per core curve before refinement (the polygon through them is the core).
    max_vertices : int
        Refinement budget: stop once a curve would exceed this many vertices.
    max_rounds : int
        Refinement budget: at most this many rounds of halving.
    method : {"crossings", "gauss"}
        :func:`linking_number_crossings` (fast) or the Gauss integral :func:`linking_number`
        for the image polygons of resolved stages.
    **params
        The dataset's parameters (``linking``, radii).

    Returns
    -------
    LinkingTrace
        Per stage: the certified value, the value carried through a homeomorphism, or
        "touching" / "unresolved" with the closest approach of the two image curves (see
        the module docstring for the certificate and the carried values).
    """
    import copy

    import torch

    from ..datasets import link_cores

    samples, max_vertices, max_rounds, lk_fn = _checked_request(
        net, dataset, samples, max_vertices, max_rounds, method
    )
    net64 = copy.deepcopy(net).to(torch.float64)
    curves = link_cores(dataset, samples=samples, **params)
    # orientation of the stage reaching each representation (None: not a homeomorphism)
    orient = [None] + [stage_orientation(st) for st in net64.stages]
    traces, curves, (status, dist, extent), rounds, spent = _certified_stages(
        net64, curves, max_vertices, max_rounds
    )
    for s in range(1, len(status)):  # what the boxes left uncertain, a homeomorphism carries
        if status[s] in ("touching", "unresolved") and orient[s] is not None:
            if status[s - 1] in CERTAIN:
                status[s] = "carried"
    names, dims, lks, homeo = [], [], [], []
    for s, ((name, za), (_, zb)) in enumerate(zip(*traces, strict=True)):
        names.append(name)
        dims.append(int(za.shape[1]))
        if status[s] == "resolved":
            lks.append(float(lk_fn(za, zb)))
        elif status[s] == "carried":
            lks.append(float(orient[s] * round(lks[s - 1])))
        else:
            lks.append(np.nan)
        homeo.append(None if s == 0 else bool(net.stages[s - 1].is_homeomorphism()[0]))
    return LinkingTrace(
        names,
        dims,
        np.array(lks, dtype=np.float64),
        dist,
        homeo,
        status=status,
        extent=extent,
        vertices=int(max(len(c) for c in curves)),
        rounds=rounds,
        budget_spent=spent,
    )


def _checked_request(net, dataset, samples, max_vertices, max_rounds, method):
    """The arguments of :func:`linking_through_network`, checked in one InputError sentence
    each: -> samples, max_vertices, max_rounds and the linking function of ``method``."""
    from ..datasets import DATASETS
    from ..errors import lookup

    spec = lookup(DATASETS, dataset, "dataset")
    if not spec.is_link:
        links = ", ".join(k for k, v in DATASETS.items() if v.is_link)
        raise InputError(
            f"{dataset!r} is not a link dataset, so it has no linking number; "
            f"link datasets are: {links}"
        )
    samples = check_positive_int(samples, "samples", minimum=3)
    max_vertices = check_positive_int(max_vertices, "max_vertices", minimum=3)
    max_rounds = check_positive_int(max_rounds, "max_rounds", minimum=0)
    lk_fn = lookup(
        {"crossings": linking_number_crossings, "gauss": linking_number}, method, "linking method"
    )
    if net.n_networks != 1:
        raise InputError(
            f"linking numbers need a single network, this one holds "
            f"{net.n_networks}; pick one with net.select(i)"
        )
    if net.d_in != 3:
        raise InputError(f"link datasets live in R^3 but the network expects {net.d_in} inputs")
    return samples, max_vertices, max_rounds, lk_fn


def _certified_stages(net64, curves, max_vertices, max_rounds):
    """Refine the two curves until every 3-D stage is resolved or the budget is spent.

    Returns the last traces (``net64.trace`` of each curve), the refined curves, the
    per-stage (status, closest approach, extent) of the last round, the rounds used and
    whether the budget ran out.
    """
    rounds, spent = 0, False
    while True:
        traces = [net64.trace(c) for c in curves]  # [(name, (m, d))] per curve
        status, dist, extent, marks = _stage_statuses(net64, traces, curves)
        if "unresolved" not in status or not any(m.any() for m in marks):
            break
        if rounds >= max_rounds or any(
            len(c) + m.sum() > max_vertices for c, m in zip(curves, marks, strict=True)
        ):
            spent = True
            break
        curves = [refine(c, m) for c, m in zip(curves, marks, strict=True)]
        rounds += 1
    return traces, curves, (status, dist, extent), rounds, spent


def _stage_statuses(net64, traces, curves):
    """One round of the certificate: each stage's status ("n/a", "resolved", "touching" or
    "unresolved"), the closest approach of the image vertices, the curves' extent (NaN
    outside R^3), and the segments of each curve whose boxes meet the other's."""
    boxes = [segment_boxes(c) for c in curves]
    S = len(traces[0])
    status, dist, extent = [], np.zeros(S), np.full(S, np.nan)
    marks = [np.zeros(len(c), dtype=bool) for c in curves]
    for s in range(S):
        za, zb = traces[0][s][1], traces[1][s][1]
        if s > 0:  # boxes after stage s - 1
            boxes = [None if bx is None else box_through(net64.stages[s - 1], *bx) for bx in boxes]
            if boxes[0] is not None:  # rounding: grow by far more than float64 error
                boxes = [(c, r + 1e-13 * (1 + np.abs(c))) for c, r in boxes]
        dist[s] = curve_distance(za, zb)
        if za.shape[1] != 3:
            status.append("n/a")
            continue
        extent[s] = float(np.ptp(np.r_[za, zb], axis=0).max())
        if boxes[0] is None:
            status.append("unresolved")
            continue
        ma, mb = conflicts(*boxes)
        if not (ma.any() or mb.any()):
            status.append("resolved")  # certified, however close the curves come
        elif dist[s] <= TOUCH_RTOL * max(extent[s], 1e-300):
            status.append("touching")  # not refined further: below float resolution
        else:
            status.append("unresolved")
            marks[0] |= ma
            marks[1] |= mb
    return status, dist, extent, marks
