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
homeomorphisms of R^3 cannot change it (as long as the polylines sample the images finely
enough), so a change exposes a non-injective stage; in R^4 or R^2 the linking number is not
defined and is reported as NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError, check_positive_int

__all__ = ["linking_number", "LinkingTrace", "linking_through_network", "curve_distance"]


def _closed_curve(c, what) -> np.ndarray:
    c = np.asarray(c, dtype=np.float64)
    if c.ndim != 2 or c.shape[1] != 3 or len(c) < 3:
        raise InputError(f"{what} must be a closed polyline of shape (m >= 3, 3), got {c.shape}")
    if not np.isfinite(c).all():
        raise InputError(f"{what} contains NaN or infinite values")
    if np.allclose(c[0], c[-1]):
        c = c[:-1]  # the closing vertex is implied
    return c


def linking_number(a, b, *, chunk: int = 2_000_000) -> float:
    """Gauss linking number of two closed polylines in R^3 (exact for polygons).

    Parameters
    ----------
    a, b : array (m, 3), (k, 3)
        Vertices in order; each polyline closes from its last vertex back to its first.
    chunk : int
        Segment pairs evaluated at once (memory bound).

    Returns
    -------
    float
        Close to an integer when the curves are disjoint; round it for the invariant.
    """
    a, b = _closed_curve(a, "the first curve"), _closed_curve(b, "the second curve")
    a1, a2 = a, np.roll(a, -1, axis=0)  # segments of a: (m, 3) each
    b1, b2 = b, np.roll(b, -1, axis=0)  # segments of b: (k, 3) each
    rows = max(1, chunk // len(b))
    total = 0.0
    for i in range(0, len(a), rows):
        p1, p2 = a1[i:i + rows, None, :], a2[i:i + rows, None, :]  # (r, 1, 3)
        p3, p4 = b1[None, :, :], b2[None, :, :]  # (1, k, 3)
        r13, r14, r23, r24 = p3 - p1, p4 - p1, p3 - p2, p4 - p2  # (r, k, 3)
        faces = [np.cross(r13, r14), np.cross(r14, r24), np.cross(r24, r23), np.cross(r23, r13)]
        normals = []
        for f in faces:
            nrm = np.linalg.norm(f, axis=-1, keepdims=True)
            normals.append(np.divide(f, nrm, out=np.zeros_like(f), where=nrm > 0))
        omega = sum(np.arcsin(np.clip((normals[j] * normals[(j + 1) % 4]).sum(-1), -1.0, 1.0))
                    for j in range(4))  # (r, k)
        sign = np.sign((np.cross(p4 - p3, p2 - p1) * r13).sum(-1))
        total += float((omega * sign).sum())
    return total / (4 * np.pi)


def curve_distance(a, b) -> float:
    """Smallest distance between the vertices of two polylines (a separation certificate)."""
    from scipy.spatial import cKDTree

    d, _ = cKDTree(np.asarray(b, dtype=np.float64)).query(np.asarray(a, dtype=np.float64))
    return float(d.min())


@dataclass
class LinkingTrace:
    """Linking number of the two core curves after each stage (NaN where not in R^3)."""

    names: list[str]
    dims: list[int]
    linking: np.ndarray  # (S,) float, NaN where dim != 3
    distance: np.ndarray  # (S,) smallest distance between the two image curves
    homeomorphism: list[bool | None]  # whether the stage reaching here is one (None: input)

    @property
    def rounded(self) -> list[int | None]:
        return [None if np.isnan(v) else int(round(v)) for v in self.linking]

    def to_dict(self) -> dict:
        return {"stages": self.names, "dims": self.dims, "linking": self.rounded,
                "linking_raw": [None if np.isnan(v) else float(v) for v in self.linking],
                "distance": self.distance.tolist(), "homeomorphism": self.homeomorphism}

    def table(self) -> str:
        width = max(len(n) for n in self.names)
        lines = []
        for n, d, lk, dist, h in zip(self.names, self.dims, self.rounded, self.distance,
                                     self.homeomorphism, strict=True):
            lk_s = "  n/a (not R^3)" if lk is None else f"{lk:+d}".rjust(14)
            h_s = "" if h is None else ("  homeomorphism" if h else "  not injective")
            lines.append(f"{n:<{width}}  R^{d}  linking {lk_s}  min distance {dist:.3g}{h_s}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"LinkingTrace({dict(zip(self.names, self.rounded, strict=True))})"


def linking_through_network(net, dataset: str, *, samples: int = 400,
                            **params) -> LinkingTrace:
    """Push a link dataset's two core curves through every stage and measure their linking.

    Parameters
    ----------
    net : Network
        A single network (``n_networks == 1``) whose input is R^3.
    dataset : str
        A link dataset (``DATASETS[name].is_link``): "linked_tori" or "unlink".
    samples : int
        Vertices per core curve; more keeps the image polylines faithful where a stage
        stretches.
    **params
        The dataset's parameters (``linking``, radii).

    Returns
    -------
    LinkingTrace
    """
    from ..datasets import DATASETS, link_cores
    from ..errors import lookup

    spec = lookup(DATASETS, dataset, "dataset")
    if not spec.is_link:
        links = ", ".join(k for k, v in DATASETS.items() if v.is_link)
        raise InputError(f"{dataset!r} is not a link dataset, so it has no linking number; "
                         f"link datasets are: {links}")
    samples = check_positive_int(samples, "samples", minimum=3)
    if net.n_networks != 1:
        raise InputError(f"linking numbers need a single network, this one holds "
                         f"{net.n_networks}; pick one with net.select(i)")
    if net.d_in != 3:
        raise InputError(f"link datasets live in R^3 but the network expects {net.d_in} inputs")
    a, b = link_cores(dataset, samples=samples, **params)
    ta = net.trace(a.astype(np.float32))
    tb = net.trace(b.astype(np.float32))
    names, dims, lks, dists, homeo = [], [], [], [], []
    for s, ((name, za), (_, zb)) in enumerate(zip(ta, tb, strict=True)):
        names.append(name)
        dims.append(int(za.shape[1]))
        lks.append(linking_number(za, zb) if za.shape[1] == 3 else np.nan)
        dists.append(curve_distance(za, zb))
        homeo.append(None if s == 0 else bool(net.stages[s - 1].is_homeomorphism()[0]))
    return LinkingTrace(names, dims, np.array(lks, dtype=np.float64), np.array(dists), homeo)
