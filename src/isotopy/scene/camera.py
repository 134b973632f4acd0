"""Cameras for 3-D views: orthographic projections chosen so that a picture shows its point.

An orthographic camera with elevation e, azimuth a and roll r (the conventions of
matplotlib's mplot3d ``view_init``) has the screen axes

    right0 = (-sin a, cos a, 0),  toward = (cos e cos a, cos e sin a, sin e),
    up0 = toward × right0,
    right = cos r · right0 - sin r · up0,  up = sin r · right0 + cos r · up0

(the roll turns the picture counterclockwise by r) and draws x at (right·x, up·x), hiding
the depth toward·x.

**Seeing a separating plane.** A plane P = {x : w·x + c = 0} separates two classes when they
lie on opposite sides of it. Seen along a direction inside the plane (toward ⊥ w), P projects
onto a line; rolled so that w points up the screen, the line is horizontal and each class's
projection keeps its side, above or below. Tilting the view by t out of the plane (toward =
cos t · v + sin t · ŵ with v ⊥ w) keeps right ⊥ w, so every point of P projects at a height
that does not depend on its screen x:

    up·x = (-c - (w·toward) · depth) / (w·up)  on P,

and the clipped plane appears as a horizontal band whose height grows with sin t. The
projected classes are *separated by the projected plane* when one class lies wholly above the
band and the other wholly below it (:func:`plane_separates_projection`), which is what a
reader needs to see. :func:`separating_camera` tries tilts up to ``MAX_TILT`` and view
directions v all around the plane's normal, keeps those for which that holds (class 0 above
the plane), prefers views from above (elevation >= -10°) with the picture turned by at most
45°, then those that show every given point set (the end of an animation and frames before
it) at least ``AREA_SHARE`` as broadly as the broadest view does, so that no frame is seen
edge-on, and of those the most tilted (the more tilt, the more of the plane's face is seen).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "camera",
    "broad_camera",
    "camera_path",
    "projected_area",
    "camera_showing",
    "camera_angles",
    "separating_camera",
    "plane_separates_projection",
    "MAX_TILT",
]

MAX_TILT = 24.0  # degrees out of the plane: its face visible, the band still thin
TILT_STEP = 2.0  # degrees between the tilts tried
AREA_SHARE = 0.7  # a view must see every point set at least this broadly (of the broadest)


def camera(elev: float = 22.0, azim: float = -58.0, roll: float = 0.0) -> np.ndarray:
    """Orthographic camera: rows are the screen x, screen y and depth directions (3, 3)."""
    e, a, r = np.radians(elev), np.radians(azim), np.radians(roll)
    right = np.array([-np.sin(a), np.cos(a), 0.0])
    toward = np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])
    up = np.cross(toward, right)
    return np.stack(
        [np.cos(r) * right - np.sin(r) * up, np.sin(r) * right + np.cos(r) * up, toward]
    )


def camera_angles(toward) -> tuple[float, float]:
    """(elevation, azimuth) in degrees of the camera looking from direction ``toward`` (3,)."""
    d = np.asarray(toward, dtype=np.float64)
    d = d / np.linalg.norm(d)
    return (
        float(np.degrees(np.arcsin(np.clip(d[2], -1.0, 1.0)))),
        float(np.degrees(np.arctan2(d[1], d[0]))),
    )


def camera_showing(points) -> tuple[float, float, float]:
    """(elevation, azimuth, roll 0) in degrees of a camera for a cloud (n, 3) that is close to
    a bent sheet: with u1, u2, u3 its principal axes (longest first), the camera looks along
    (u2 + u3)/√2, so the longest axis lies across the picture and both the sheet's face and
    its bending out of its plane are seen at 45°; from above (elevation >= 0)."""
    P = np.asarray(points, dtype=np.float64)
    _, _, vt = np.linalg.svd(P - P.mean(0), full_matrices=False)
    d = vt[1] + vt[2]
    n = np.linalg.norm(d)
    if n < 1e-12:
        return 22.0, -58.0, 0.0
    d = d / n
    if d[2] < 0:
        d = -d
    return (*camera_angles(d), 0.0)


def plane_separates_projection(points, labels, plane, cam) -> bool:
    """Whether, seen through the camera ``cam`` = (elevation, azimuth[, roll]), class 0's
    points lie wholly above the projected plane and every other class's wholly below it, or
    the other way round.

    Parameters
    ----------
    points : array (n, 3)
    labels : array (n,)
    plane : array (m, 3)
        The vertices of the separating plane clipped to the view box (a scene's separator).
    cam : (elev, azim) or (elev, azim, roll), degrees
    """
    up = camera(*cam)[1]
    y = np.asarray(points, dtype=np.float64) @ up
    band = np.asarray(plane, dtype=np.float64) @ up
    lo, hi = float(band.min()), float(band.max())
    first = np.asarray(labels) == np.asarray(labels).min()
    if first.all() or not first.any():
        return False
    a, b = y[first], y[~first]
    return bool((a.min() > hi and b.max() < lo) or (a.max() < lo and b.min() > hi))


def projected_area(points, cam) -> float:
    """How broadly a cloud (n, 3) is seen through ``cam``: the square root of the determinant
    of its projected points' covariance (0 when it is seen edge-on)."""
    S = np.asarray(points, dtype=np.float64) @ camera(*cam)[:2].T
    return float(np.sqrt(max(np.linalg.det(np.cov(S.T)), 0.0)))


def separating_camera(
    points, labels, plane, w=None, *, show=(), step: float = 5.0
) -> tuple[float, float, float] | None:
    """(elevation, azimuth, roll) of a camera that shows the plane separating the classes
    (module docstring), class 0 above it; None when no view, not even edge-on, shows the
    classes apart (the plane does not separate them).

    Parameters
    ----------
    points : array (n, 3)
    labels : array (n,)
    plane : array (m, 3)
        The plane's vertices clipped to the view box.
    w : array (3,), optional
        The plane's normal (default: the normal of the vertices' best-fitting plane).
    show : sequence of arrays (k, 3)
        More point sets the camera should not see edge-on (e.g. an animation's earlier
        frames); ``points`` always counts.
    step : float
        Degrees between the view directions tried around the normal.
    """
    P = np.asarray(points, dtype=np.float64)
    first = np.asarray(labels) == np.asarray(labels).min()
    if first.all() or not first.any():
        return None
    if w is None:
        V = np.asarray(plane, dtype=np.float64)
        w = np.linalg.svd(V - V.mean(0))[2][-1]
    w = np.asarray(w, dtype=np.float64)
    w = w / np.linalg.norm(w)
    if (P[first] @ w).mean() < (P[~first] @ w).mean():
        w = -w  # class 0 on the side w points to: up the screen
    a = np.linalg.svd(w[None])[2][1]  # an orthonormal basis a, b of the plane's directions
    b = np.cross(w, a)
    sets = [P, *[np.asarray(q, dtype=np.float64) for q in show]]
    found = []  # (natural, smallest area, tilt, camera) of every view that shows the separation
    for t in np.radians(np.arange(MAX_TILT, -1e-9, -TILT_STEP)):
        for phi in np.radians(np.arange(0.0, 360.0, step)):
            toward = np.cos(t) * (np.cos(phi) * a + np.sin(phi) * b) + np.sin(t) * w
            elev, azim = camera_angles(toward)
            base = camera(elev, azim)
            roll = float(np.degrees(np.arctan2(w @ base[0], w @ base[1])))
            cam = (elev, azim, roll)
            if plane_separates_projection(P, labels, plane, cam):
                natural = elev >= -10.0 and abs(roll) <= 45.0
                found.append((natural, min(projected_area(q, cam) for q in sets), t, cam))
    if not found:
        return None
    # a natural view (from above, the picture turned by at most 45°) if there is one; among
    # those that see every point set at least AREA_SHARE as broadly as the broadest does, the
    # most tilted (the plane's face seen), then the broadest
    pool = [f for f in found if f[0]] or found
    top = max(f[1] for f in pool)
    pool = [f for f in pool if f[1] >= AREA_SHARE * top]
    return max(pool, key=lambda f: (f[2], f[1]))[3]


def broad_camera(sets, *, across=None, within: float = 15.0) -> tuple[float, float, float]:
    """(elevation, azimuth, 0) from above that sees every point set (k_i, 3) of ``sets`` as
    broadly as possible: the largest smallest projected area, on a 5° lattice of views.

    ``across`` (3,): only views within ``within`` degrees of square to this direction, so
    that a segment along it (e.g. two curves' closest approach) is seen at nearly its full
    length.
    """
    sets = [np.asarray(q, dtype=np.float64) for q in sets]
    if across is not None:
        across = np.asarray(across, dtype=np.float64) / np.linalg.norm(across)
    best = None
    for elev in np.arange(-10.0, 85.0, 5.0):
        for azim in np.arange(-180.0, 180.0, 5.0):
            cam = (float(elev), float(azim), 0.0)
            if across is not None and abs(camera(*cam)[2] @ across) > np.sin(np.radians(within)):
                continue
            score = min(projected_area(q, cam) for q in sets)
            if best is None or score > best[0]:
                best = (score, cam)
    return (22.0, -58.0, 0.0) if best is None else best[1]


def camera_path(start, end, u) -> np.ndarray:
    """Camera matrices (F, 3, 3) turning from camera ``start`` to camera ``end`` (each
    (elevation, azimuth, roll)) along the shortest rotation, at the fractions ``u`` (F,) in
    [0, 1]: a camera that moves smoothly, as a viewer turning the picture would."""
    from scipy.spatial.transform import Rotation, Slerp

    a, b = camera(*start), camera(*end)  # rows: right, up, toward (a rotation matrix)
    slerp = Slerp([0.0, 1.0], Rotation.from_matrix(np.stack([a, b])))
    return slerp(np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)).as_matrix()
