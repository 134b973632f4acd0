"""Links as input: disjoint closed polygons in R^3, each of class 0 or 1.

A :class:`Link` holds its components as vertex arrays (the polygon closes on itself: the
first vertex is not repeated at the end) and one class per component. :func:`check_link` is
the one gate every link passes before anything is computed on it: every component has at
least three vertices, finite coordinates and no edge of length zero; no component meets
itself; no two components meet (their least distance is stated when it is too small); and
both classes are present.

Distances are exact segment–segment distances in float64 (the closest points of two
segments, computed in closed form and vectorized over all pairs that can be close: a pair
whose midpoints are farther apart than their half lengths plus the threshold cannot be).
"Zero" means below ``TOLERANCE`` times the size of the link (the diagonal of its bounding
box), which is far above float64 rounding and far below any gap a drawing means.

The file format is JSON: ``{"format": "isotopy.link", "version": 1, "name": ...,
"classes": [0, 1, ...], "components": [[[x, y, z], ...], ...]}``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..files import atomic_write

__all__ = [
    "Link",
    "check_link",
    "min_distance",
    "load_link",
    "save_link",
    "segment_distances",
    "close_pairs",
    "TOLERANCE",
    "MAX_VERTICES",
]

TOLERANCE = 1e-9  # relative to the link's size: distances below it count as zero
MAX_VERTICES = 200_000  # in all components together; a file with more is refused
MAX_FILE_BYTES = 64 * 2**20
_FORMAT, _VERSION = "isotopy.link", 1
_CHUNK = 1 << 18  # segment pairs measured at once


@dataclass(frozen=True, eq=False)
class Link:
    """Disjoint closed polygons in R^3 with a class (0 or 1) each.

    Attributes
    ----------
    components : tuple of ndarray
        Each (m_i, 3) float64: the vertices of a closed polygon in order; the edge from the
        last vertex back to the first closes it (the first vertex is not repeated).
    classes : tuple of int
        0 or 1 per component; a checked link has both.
    name : str
        What the link is, e.g. ``"threaded seed 3"``, ``"hopf"``.
    """

    components: tuple
    classes: tuple
    name: str = ""

    def __eq__(self, other):
        if not isinstance(other, Link):
            return NotImplemented
        return (
            self.name == other.name
            and tuple(self.classes) == tuple(other.classes)
            and len(self.components) == len(other.components)
            and all(np.array_equal(a, b) for a, b in zip(self.components, other.components))
        )

    __hash__ = None

    def component_indices(self, cls: int) -> list[int]:
        """The indices of the components of class ``cls``."""
        return [i for i, c in enumerate(self.classes) if c == cls]

    def to_json(self) -> dict:
        """The link as a JSON-ready dict (coordinates as Python floats: exact round trip)."""
        return {
            "format": _FORMAT,
            "version": _VERSION,
            "name": str(self.name),
            "classes": [int(c) for c in self.classes],
            "components": [np.asarray(c, dtype=np.float64).tolist() for c in self.components],
        }

    @classmethod
    def from_json(cls, d) -> Link:
        """The link a dict of :meth:`to_json`'s form describes, checked (:func:`check_link`)."""
        if not isinstance(d, dict):
            raise InputError(f"a link must be a JSON object, got {type(d).__name__}")
        if d.get("format", _FORMAT) != _FORMAT:
            raise InputError(f"a link file must have format {_FORMAT!r}, got {d.get('format')!r}")
        if d.get("version", _VERSION) != _VERSION:
            raise InputError(f"link file version {d.get('version')!r} is not supported (1 is)")
        missing = [k for k in ("components", "classes") if k not in d]
        if missing:
            raise InputError(f"a link needs the keys 'components' and 'classes'; missing {missing}")
        name = d.get("name", "")
        if not isinstance(name, str):
            raise InputError(f"a link's name must be a string, got {type(name).__name__}")
        comps, classes = d["components"], d["classes"]
        if not isinstance(comps, list) or not isinstance(classes, list):
            raise InputError("a link's 'components' and 'classes' must be lists")
        arrays = []
        for i, c in enumerate(comps):
            try:
                arrays.append(np.array(c, dtype=np.float64))
            except (TypeError, ValueError):
                raise InputError(
                    f"component {i} must be a list of [x, y, z] number triples"
                ) from None
        return check_link(Link(tuple(arrays), tuple(classes), name))


# --------------------------------------------------------------------------- distances
def segment_distances(p0, p1, q0, q1) -> np.ndarray:
    """Distances between segments [p0_k, p1_k] and [q0_k, q1_k]: (n, 3) arrays -> (n,).

    The closest points in closed form (the clamped minimiser of |p(s) - q(t)|^2 over the unit
    square), so the distance is exact up to float64 rounding, parallel segments included.
    Segments of length zero are points.
    """
    d1, d2, r = p1 - p0, q1 - q0, p0 - q0
    a = np.einsum("ij,ij->i", d1, d1)
    e = np.einsum("ij,ij->i", d2, d2)
    b = np.einsum("ij,ij->i", d1, d2)
    c = np.einsum("ij,ij->i", d1, r)
    f = np.einsum("ij,ij->i", d2, r)
    denom = a * e - b * b
    tiny = 1e-300
    with np.errstate(divide="ignore", invalid="ignore"):
        # non-parallel: the unconstrained minimiser's s, clamped; parallel: s = 0
        s = np.where(denom > 1e-12 * a * e, np.clip((b * f - c * e) / denom, 0.0, 1.0), 0.0)
        t = np.where(e > tiny, (b * s + f) / np.maximum(e, tiny), 0.0)
        low, high = t < 0.0, t > 1.0
        t = np.clip(t, 0.0, 1.0)
        s_low = np.where(a > tiny, np.clip(-c / np.maximum(a, tiny), 0.0, 1.0), 0.0)
        s_high = np.where(a > tiny, np.clip((b - c) / np.maximum(a, tiny), 0.0, 1.0), 0.0)
    s = np.where(low, s_low, np.where(high, s_high, s))
    gap = r + s[:, None] * d1 - t[:, None] * d2
    return np.sqrt(np.einsum("ij,ij->i", gap, gap))


def _edges(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return points, np.roll(points, -1, axis=0)


def _tree_pairs(mid_a, mid_b, radius: float, same: bool):
    """Index pairs of points of mid_a and mid_b (i < j when ``same``) within ``radius``."""
    try:
        from scipy.spatial import cKDTree
    except ImportError:  # pragma: no cover - scipy is in every extra that computes much
        i, j = np.meshgrid(np.arange(len(mid_a)), np.arange(len(mid_b)), indexing="ij")
        i, j = i.ravel(), j.ravel()
        return (i[i < j], j[i < j]) if same else (i, j)
    ta = cKDTree(mid_a)
    if same:
        pairs = ta.query_pairs(radius, output_type="ndarray")
    else:
        pairs = ta.sparse_distance_matrix(cKDTree(mid_b), radius, output_type="ndarray")
        pairs = np.stack([pairs["i"], pairs["j"]], axis=1)
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


def _long_pairs(mid_long, half_long, mid_b, half_b, reach: float):
    """Pairs (k, j): the k-th long segment against every segment j that may come within reach."""
    rows = max(1, _CHUNK // max(len(mid_b), 1))
    ks, js = [], []
    for k0 in range(0, len(mid_long), rows):
        d = np.linalg.norm(mid_long[k0 : k0 + rows, None, :] - mid_b[None], axis=-1)
        k, j = np.nonzero(d <= half_long[k0 : k0 + rows, None] + half_b[None] + reach)
        ks.append(k + k0)
        js.append(j)
    return np.concatenate(ks), np.concatenate(js)


def close_pairs(mid_a, half_a, mid_b, half_b, reach: float, *, same: bool = False):
    """Index pairs (i, j) of segments (midpoints ``mid``, half lengths ``half``, in any
    dimension) that can come within ``reach`` of each other: all pairs whose midpoints are
    within half_i + half_j + reach, perhaps with a few more. ``same``: a and b are one set,
    pairs i < j. Segments much longer than most are compared with every other directly, so
    a few long edges never make a k-d tree return nearly all pairs."""
    mid_a, mid_b = np.asarray(mid_a, dtype=np.float64), np.asarray(mid_b, dtype=np.float64)
    half_a, half_b = np.asarray(half_a, dtype=np.float64), np.asarray(half_b, dtype=np.float64)
    cut = 4.0 * float(np.median(np.r_[half_a, half_b]))
    long_a, long_b = half_a > cut, half_b > cut
    sa, sb = np.flatnonzero(~long_a), np.flatnonzero(~long_b)
    i, j = _tree_pairs(mid_a[sa], mid_b[sb], 2 * cut + reach, same)
    parts_i, parts_j = [sa[i]], [sb[j]]
    la = np.flatnonzero(long_a)
    if len(la):
        k, jj = _long_pairs(mid_a[la], half_a[la], mid_b, half_b, reach)
        parts_i.append(la[k])
        parts_j.append(jj)
    lb = np.flatnonzero(long_b)
    if len(lb) and not same:
        k, ii = _long_pairs(mid_b[lb], half_b[lb], mid_a[sa], half_a[sa], reach)
        parts_i.append(sa[ii])
        parts_j.append(lb[k])
    i, j = np.concatenate(parts_i), np.concatenate(parts_j)
    if same:
        i, j = np.minimum(i, j), np.maximum(i, j)
        keep = i < j
        pairs = np.unique(np.stack([i[keep], j[keep]], axis=1), axis=0)
        return pairs[:, 0], pairs[:, 1]
    return i, j


def _pair_distances(a0, a1, b0, b1, i, j) -> np.ndarray:
    out = np.empty(len(i))
    for k in range(0, len(i), _CHUNK):
        ii, jj = i[k : k + _CHUNK], j[k : k + _CHUNK]
        out[k : k + _CHUNK] = segment_distances(a0[ii], a1[ii], b0[jj], b1[jj])
    return out


def _between(a: np.ndarray, b: np.ndarray, reach: float | None = None):
    """Least distance between closed polygons a and b, and the two segment indices.

    ``reach`` limits the search to pairs that can be within it (None: the exact minimum).
    Returns (inf, -1, -1) when no pair is within ``reach``.
    """
    a0, a1 = _edges(a)
    b0, b1 = _edges(b)
    if reach is None:  # the vertices' least distance bounds the segments' from above
        try:
            from scipy.spatial import cKDTree

            reach = float(cKDTree(b).query(a)[0].min())
        except ImportError:  # pragma: no cover
            reach = math.inf
    half_a = np.linalg.norm(a1 - a0, axis=1) / 2
    half_b = np.linalg.norm(b1 - b0, axis=1) / 2
    if math.isinf(reach):  # no scipy: every pair
        i, j = _tree_pairs(a0, b0, 0.0, False)
    else:
        i, j = close_pairs((a0 + a1) / 2, half_a, (b0 + b1) / 2, half_b, reach)
    if len(i) == 0:
        return math.inf, -1, -1
    d = _pair_distances(a0, a1, b0, b1, i, j)
    k = int(np.argmin(d))
    return float(d[k]), int(i[k]), int(j[k])


def _self_contact(p: np.ndarray, tol: float):
    """(distance, i, j) of two non-adjacent segments of polygon p closer than tol, or None;
    adjacent segments that fold back onto each other count as meeting."""
    p0, p1 = _edges(p)
    m = len(p)
    # adjacent edges i and i+1 meet beyond their shared vertex only when they fold back:
    # then the far end of the shorter one lies on the other
    nxt = (np.arange(m) + 1) % m
    back = np.minimum(
        segment_distances(p0, p0, p0[nxt], p1[nxt]),
        segment_distances(p1[nxt], p1[nxt], p0, p1),
    )
    bad = np.flatnonzero(back <= tol)
    if len(bad):
        k = int(bad[0])
        return float(back[k]), k, int(nxt[k])
    if m <= 3:
        return None
    half = np.linalg.norm(p1 - p0, axis=1) / 2
    mid = (p0 + p1) / 2
    i, j = close_pairs(mid, half, mid, half, tol, same=True)
    gap = (j - i) % m
    keep = (gap != 1) & (gap != m - 1)
    i, j = i[keep], j[keep]
    if len(i) == 0:
        return None
    d = _pair_distances(p0, p1, p0, p1, i, j)
    k = int(np.argmin(d))
    return (float(d[k]), int(i[k]), int(j[k])) if d[k] <= tol else None


# ------------------------------------------------------------------------------ checks
def _as_components(components) -> tuple[np.ndarray, ...]:
    if isinstance(components, np.ndarray) or not hasattr(components, "__len__"):
        raise InputError("a link's components must be a list of (m, 3) vertex arrays")
    out, total = [], 0
    for i, c in enumerate(components):
        try:
            arr = np.array(c, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(f"component {i} must be an (m, 3) array of numbers") from None
        if arr.ndim != 2 or arr.shape[1] != 3:
            raise InputError(f"component {i} must have shape (m, 3), got {arr.shape}")
        if len(arr) < 3:
            raise InputError(f"component {i} has {len(arr)} vertices; a closed polygon needs 3")
        if not np.isfinite(arr).all():
            raise InputError(f"component {i} has a coordinate that is not a finite number")
        total += len(arr)
        if total > MAX_VERTICES:
            raise InputError(f"a link may have at most {MAX_VERTICES} vertices in all")
        out.append(np.ascontiguousarray(arr))
    return tuple(out)


def _check_classes(classes, count: int) -> tuple[int, ...]:
    if isinstance(classes, (str, bytes)) or not hasattr(classes, "__len__"):
        raise InputError("a link's classes must be a list of 0s and 1s, one per component")
    if len(classes) != count:
        raise InputError(
            f"a link needs one class per component: {count} components, {len(classes)} classes"
        )
    out = []
    for c in classes:
        if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c not in (0, 1):
            raise InputError(f"every class must be 0 or 1, got {c!r}")
        out.append(int(c))
    if set(out) != {0, 1}:
        raise InputError(f"a link needs components of both classes 0 and 1, got only {out[0]}")
    return tuple(out)


def _size(components) -> float:
    pts = np.concatenate(components)
    return float(np.linalg.norm(pts.max(0) - pts.min(0)))


def check_link(link: Link, *, tolerance: float = TOLERANCE) -> Link:
    """Return ``link`` with float64 vertex arrays if it is a valid link, else raise InputError.

    Valid: at least two components, each a closed polygon of at least 3 vertices with finite
    coordinates, no edge of length zero (the first vertex not repeated at the end), not
    meeting itself; components pairwise disjoint; one class (0 or 1) per component, both
    present. "Meeting" is a distance at most ``tolerance`` times the link's size.
    """
    if not isinstance(link, Link):
        raise InputError(f"expected a Link, got {type(link).__name__}")
    comps = _as_components(link.components)
    if len(comps) < 2:
        raise InputError(f"a link needs at least two components, got {len(comps)}")
    classes = _check_classes(link.classes, len(comps))
    if not isinstance(link.name, str):
        raise InputError(f"a link's name must be a string, got {type(link.name).__name__}")
    size = _size(comps)
    tol = tolerance * size
    for i, c in enumerate(comps):
        lengths = np.linalg.norm(np.roll(c, -1, axis=0) - c, axis=1)
        short = np.flatnonzero(lengths <= tol)
        if len(short):
            k = int(short[0])
            where = (
                "its last vertex repeats the first (leave it out: the polygon closes itself)"
                if k == len(c) - 1
                else f"vertices {k} and {k + 1} coincide"
            )
            raise InputError(f"component {i} has an edge of length zero: {where}")
        hit = _self_contact(c, tol)
        if hit is not None:
            raise InputError(
                f"component {i} meets itself: its edges {hit[1]} and {hit[2]} are "
                f"{hit[0]:.3g} apart"
            )
    for i in range(len(comps)):
        for j in range(i + 1, len(comps)):
            d, _, _ = _between(comps[i], comps[j], reach=tol)
            if d <= tol:
                raise InputError(
                    f"components {i} and {j} meet: their least distance is {d:.3g}, at most "
                    f"{tolerance:g} of the link's size {size:.3g}"
                )
    return Link(comps, classes, link.name)


def min_distance(link: Link, *, between_classes: bool = False) -> float:
    """The least distance between two different components (exact, segment to segment);
    ``between_classes``: only between components of different classes."""
    comps = link.components
    best = math.inf
    for i in range(len(comps)):
        for j in range(i + 1, len(comps)):
            if between_classes and link.classes[i] == link.classes[j]:
                continue
            best = min(best, _between(np.asarray(comps[i]), np.asarray(comps[j]))[0])
    return best


# ------------------------------------------------------------------------------- files
def load_link(path) -> Link:
    """Read and check a link from a JSON file (:meth:`Link.to_json`'s form)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"link file {str(path)!r} does not exist") from None
    if path.is_dir():
        raise InputError(f"link file {str(path)!r} is a folder, not a file")
    if size > MAX_FILE_BYTES:
        raise InputError(f"link file {str(path)!r} is larger than {MAX_FILE_BYTES >> 20} MiB")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"link file {str(path)!r} is not valid JSON ({err})") from None
    return Link.from_json(data)


def save_link(link: Link, path) -> Path:
    """Check ``link`` and write it to ``path`` as JSON, whole or not at all."""
    link = check_link(link)
    text = json.dumps(link.to_json(), separators=(",", ":")) + "\n"
    return atomic_write(Path(path), text)
