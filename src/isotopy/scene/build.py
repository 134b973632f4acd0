"""Building scenes from a network: grids of the input domain pushed through the stages.

For representation k (0 = the input, k = after stage k - 1, as in ``Network.trace``) the
scene holds f_k(x) for the data points x and f_k(g) for the vertices g of a regular grid of
the input box, where f_k is the composition of the first k stages. When representation k is
the input of a two-class read-out z = w·h + c, the separator is {h : w·h + c = 0} clipped
to the scene's box. Representations wider than 3 are shown through the top principal axes of
the points (stated in ``meta["projection"]``); the projection is linear, so the grid's
geometry is shown honestly up to that choice. ``meta["axes"]`` names the axes in words;
3-D scenes carry ``meta["camera"]`` (elevation, azimuth): one that shows the separating plane
between the classes where there is one (:func:`isotopy.scene.camera.separating_camera`),
else one that sees a bent sheet's face and its bending.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch

from ..errors import InputError
from .camera import camera_showing, separating_camera
from .scene import Field, Scene

MAX_GRID_VERTICES = 2_000_000  # 32 MB of float64 vertices in 2-D: beyond, the input is too wide

__all__ = [
    "domain_bounds",
    "input_grid",
    "stage_scene",
    "layer_scenes",
    "decision_field",
    "field_lattice",
    "field_from_logits",
    "push_together",
    "separator_geometry",
    "representation_index",
    "stage_words",
    "axis_names",
    "swapped_at",
]


def domain_bounds(X, margin: float = 0.1) -> np.ndarray:
    """The box around the data widened by ``margin`` of its largest side: (2, d)."""
    X = np.asarray(X, dtype=np.float64)
    lo, hi = X.min(0), X.max(0)
    pad = margin * max(float((hi - lo).max()), 1e-6)
    return np.stack([lo - pad, hi + pad])


def input_grid(bounds, *, lines: int | None = None, samples: int = 120) -> np.ndarray:
    """Polylines of a regular grid of the box ``bounds`` (2, d): returns (L, P, d).

    1-D: the segment itself (L = 1). 2-D: ``lines`` lines parallel to each axis. 3-D:
    lines parallel to each axis through a ``lines`` × ``lines`` lattice of the other two.
    """
    bounds = np.asarray(bounds, dtype=np.float64)
    d = bounds.shape[1]
    lines = lines or {1: 1, 2: 17, 3: 5}.get(d, 5)
    n_poly = 1 if d == 1 else d * lines ** (d - 1)  # d · lines^(d-1) polylines
    if n_poly * samples > MAX_GRID_VERTICES:
        raise InputError(
            f"a grid of {lines} lines per axis in a {d}-dimensional input has "
            f"{n_poly * samples:.3g} vertices, more than {MAX_GRID_VERTICES:,} can be drawn "
            "(fewer lines, or isotopy inspect for networks with wide inputs)"
        )
    t = np.linspace(0.0, 1.0, samples)
    if d == 1:
        return (bounds[0] + t[:, None] * (bounds[1] - bounds[0]))[None]
    ticks = [np.linspace(bounds[0, j], bounds[1, j], lines) for j in range(d)]
    out = []
    for axis in range(d):
        others = [j for j in range(d) if j != axis]
        along = bounds[0, axis] + t * (bounds[1, axis] - bounds[0, axis])
        for combo in itertools.product(*[ticks[j] for j in others]):
            poly = np.empty((samples, d))
            poly[:, axis] = along
            for j, v in zip(others, combo):
                poly[:, j] = v
            out.append(poly)
    return np.stack(out)


def representation_index(net, which) -> int:
    """Turn a representation name ("input", "tanh1", ...) or index into an index 0..S."""
    names = ["input", *net.names]
    if isinstance(which, str):
        if which not in names:
            raise InputError(f"unknown stage {which!r}; choose one of: {', '.join(names)}")
        return names.index(which)
    k = int(which)
    if k < 0:
        k += len(names)
    if not 0 <= k < len(names):
        raise InputError(f"stage index {which} is out of range 0..{len(names) - 1}")
    return k


def stage_words(net, k: int) -> str:
    """Representation ``k`` named in words: "input", "input features (x1, x2, x1·x2)",
    "hidden layer 1, tanh", "output logit"."""
    from ..nn.stages import Features

    if k == 0:
        return "input"
    stage = net.stages[k - 1]
    if k == len(net.stages):
        return "output logit" if net.n_classes == 2 else "output logits"
    if isinstance(stage, Features):
        return f"input {stage.short()}"
    # hidden layers are counted after the input features, which are no hidden layer
    ends = [e for e in net.layer_ends() if not isinstance(net.stages[e], Features)]
    layer = 1 + sum(1 for e in ends if e < k - 1)
    act = getattr(stage, "act", None)
    if act is not None:
        return f"hidden layer {layer}, {act.name}"
    short = stage.short()
    if short.startswith("affine"):
        return f"hidden layer {layer}, {short.replace('affine', 'affine map')}"
    return f"stage {k}, {short}"


def axis_names(net, k: int, dim: int, *, projected: bool = False) -> tuple[str, ...]:
    """What the axes of representation ``k`` (``dim`` coordinates drawn) mean, in words."""
    if projected:
        return tuple(f"principal axis {i + 1}" for i in range(dim))
    if k == 0:
        return ("x",) if dim == 1 else tuple(f"x{i + 1}" for i in range(dim))
    if k == len(net.stages):
        return ("logit",) if net.n_classes == 2 else tuple(f"logit {i + 1}" for i in range(dim))
    labels = getattr(net.stages[k - 1], "labels", None)  # input features: x1², x1·x2, ...
    if labels is not None and len(labels) == dim:
        return tuple(labels)
    return tuple(f"unit {i + 1}" for i in range(dim))


def swapped_at(net, swaps: dict, k: int):
    """The unit pair (i, j) swapped in representation ``k`` by ``orient_network``'s ``swaps``
    (a swap at affine stage s shows in the representations after s up to the next affine
    stage, whose inputs are swapped back), else None."""
    from ..nn.stages import Affine

    for s, pair in swaps.items():
        nxt = s + 1
        while nxt < len(net.stages) and not isinstance(net.stages[nxt], Affine):
            nxt += 1
        if s < k <= nxt:
            return tuple(pair)
    return None


@torch.no_grad()
def push_together(net, arrays, upto: int | None = None) -> list[list[torch.Tensor]]:
    """Several point sets pushed through the network in one pass.

    The sets are concatenated, every stage runs once on all of them, and the results are
    split again: ``out[i][k]`` is ``arrays[i]`` after the first k stages (k = 0 .. ``upto``,
    default every stage) as an (n_i, d_k) float32 tensor. For the tiny networks of the
    essay a stage's cost is mostly its per-call overhead, not its arithmetic, so one pass
    over points, grid and field lattice together costs little more than one of them.

    Parameters
    ----------
    net : Network
        Network 0 is used when it holds several.
    arrays : sequence of arrays (n_i, d_in)
    upto : int, optional
        Last representation to compute.
    """
    net = net if net.n_networks == 1 else net.select(0)
    sizes = [len(a) for a in arrays]
    h = torch.cat([torch.as_tensor(np.asarray(a), dtype=torch.float32) for a in arrays])[None]
    reps = [h]
    for i, stage in enumerate(net.stages):  # Network.forward_all, without slicing the list
        if upto is not None and i >= upto:
            break
        h = stage(h)
        reps.append(h)
    parts = [torch.split(r[0], sizes) for r in reps]
    return [[p[i] for p in parts] for i in range(len(arrays))]


def separator_geometry(w: np.ndarray, c: float, bounds: np.ndarray) -> np.ndarray | None:
    """The set {h : w·h + c = 0} clipped to the box ``bounds``.

    1-D -> (1,) threshold; 2-D -> (2, 2) segment; 3-D -> (k, 3) polygon (k in 3..6) ordered
    around its centre. None when the set misses the box or w = 0.
    """
    w = np.asarray(w, dtype=np.float64)
    d = len(w)
    if not np.any(np.abs(w) > 1e-12):
        return None
    if d == 1:
        t = -c / w[0]
        return np.array([t]) if bounds[0, 0] <= t <= bounds[1, 0] else None
    # intersect the hyperplane with every edge of the box
    corners = np.array(list(itertools.product(*[bounds[:, j] for j in range(d)])))
    vals = corners @ w + c
    pts = []
    for i, j in itertools.combinations(range(len(corners)), 2):
        if np.count_nonzero(corners[i] != corners[j]) != 1:
            continue  # not an edge
        if vals[i] == 0:
            pts.append(corners[i])
        if vals[i] * vals[j] < 0:
            s = vals[i] / (vals[i] - vals[j])
            pts.append(corners[i] + s * (corners[j] - corners[i]))
    if len(pts) < d:
        return None
    # the distinct points (rounded to 12 decimals) in lexicographic order, as np.unique(...,
    # axis=0) gives them, without its cost (this runs on every streamed view)
    pts = np.array(sorted({tuple(p) for p in np.round(np.array(pts), 12).tolist()}))
    if d == 2:
        if len(pts) < 2:
            return None
        far = np.argmax(((pts[:, None] - pts[None]) ** 2).sum(-1))
        a, b = divmod(int(far), len(pts))
        return np.stack([pts[a], pts[b]])
    if d == 3 and len(pts) >= 3:
        centre = pts.mean(0)
        n = w / np.linalg.norm(w)
        u = np.cross(n, [1.0, 0, 0] if abs(n[0]) < 0.9 else [0, 1.0, 0])
        u /= np.linalg.norm(u)
        v = np.cross(n, u)
        ang = np.arctan2((pts - centre) @ v, (pts - centre) @ u)
        return pts[np.argsort(ang)]
    return None


def _project(points, grid, k_dim):
    """PCA of the points to 3 axes when the representation is wider than 3."""
    if k_dim <= 3:
        return points, grid, None
    mean = points.mean(0)
    _, _, vt = np.linalg.svd(points - mean, full_matrices=False)
    basis = vt[:3].T  # (k_dim, 3)
    proj = {"mean": mean, "basis": basis}
    return (points - mean) @ basis, (grid - mean) @ basis, proj


def _box(*arrays, margin=0.05):
    allp = np.concatenate([a.reshape(-1, a.shape[-1]) for a in arrays])
    allp = allp[np.isfinite(allp).all(1)]
    lo, hi = allp.min(0), allp.max(0)
    pad = margin * max(float((hi - lo).max()), 1e-6)
    return np.stack([lo - pad, hi + pad])


def field_lattice(bounds, res: int = 200) -> np.ndarray:
    """The points at which :func:`decision_field` evaluates the network over the box
    ``bounds`` (2, d), d = 1 or 2: (res, 1) or (res * res, 2), rows following y."""
    bounds = np.asarray(bounds, dtype=np.float64)
    d = bounds.shape[1]
    if d > 2:
        raise InputError("decision regions are drawn for 1-D and 2-D spaces only")
    axes = [np.linspace(bounds[0, j], bounds[1, j], res) for j in range(d)]
    if d == 1:
        return axes[0][:, None]
    xx, yy = np.meshgrid(axes[0], axes[1])
    return np.stack([xx.ravel(), yy.ravel()], 1)


def field_from_logits(logits, bounds, res: int) -> Field:
    """The Field of :func:`decision_field` from the logits (res or res², c) at the points of
    :func:`field_lattice`: class-1 probability (2 classes) or class (more)."""
    logits = torch.as_tensor(logits)
    bounds = np.asarray(bounds, dtype=np.float64)
    if logits.shape[-1] == 1:
        vals, kind = torch.sigmoid(logits[:, 0]).numpy(), "probability"
    else:
        vals, kind = logits.argmax(-1).numpy().astype(np.float64), "class"
    shape = (res,) if bounds.shape[1] == 1 else (res, res)
    return Field(vals.reshape(shape), bounds, kind)


@torch.no_grad()
def decision_field(net, bounds, *, res: int = 200, stage: int = 0) -> Field:
    """The network's decision over the box ``bounds`` of representation ``stage``.

    For stage 0 that is the input space; for the last hidden representation it is the
    read-out alone. Returns a Field of class-1 probability (2 classes) or class (more).
    """
    net = net if net.n_networks == 1 else net.select(0)
    pts = field_lattice(bounds, res)
    h = torch.as_tensor(pts, dtype=torch.float32)[None]
    for stage_mod in net.stages[stage:]:
        h = stage_mod(h)
    return field_from_logits(h[0], bounds, res)


def stage_scene(
    net,
    X,
    y,
    stage=0,
    *,
    domain=None,
    lines: int | None = None,
    samples: int = 120,
    regions: bool = True,
    title: str | None = None,
    orient: bool = True,
    state: str | None = None,
    grid=None,
    pushed=None,
    camera: bool = True,
) -> Scene:
    """The scene of representation ``stage`` (index into ``net.trace`` or a stage name).

    Parameters
    ----------
    net : Network
    X : array (n, d_in)
    y : array (n,)
    stage : int or str
        0 or "input" is the input space; the last index is the read-out's output.
    domain : array (2, d_in), optional
        The input box whose grid is drawn (default: the data's box plus a margin).
    lines, samples : int
        Grid lines per axis and vertices per line.
    regions : bool
        Add the decision field where it is exact: the input space (the whole network) and
        the last hidden representation (the read-out alone), for 1-D and 2-D.
    orient : bool
        Show the network as :func:`isotopy.paths.orient_network` orients it (two units of a
        square layer with det W < 0 swapped, the function unchanged), the coordinates the
        animations use; the title says where units were swapped.
    state : str, optional
        Which training state the network is at (e.g. ``State.label()``), added to the title.
    grid : array (L, P, d_in), optional
        The input grid's polylines, when the caller keeps them (default: ``input_grid`` of
        ``domain`` with ``lines`` and ``samples``).
    pushed : (array (n, d_k), array (L * P, d_k)), optional
        The points and the grid's vertices already pushed to representation k by the
        caller through the network (as oriented here), e.g. by :func:`push_together` in
        one pass with other point sets; they are then not pushed again.
    camera : bool
        Choose the 3-D camera (``meta["camera"]``, a search over some thousand views that
        costs about 0.1 s): off for views that are redrawn many times a second and turned
        by hand (the explorer).

    Returns
    -------
    Scene
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    k = representation_index(net, stage)
    swaps = {}
    if orient:
        from ..paths import orient_network

        net, swaps = orient_network(net if net.n_networks == 1 else net.select(0))
    domain = domain_bounds(X) if domain is None else np.asarray(domain, dtype=np.float64)
    grid0 = input_grid(domain, lines=lines, samples=samples) if grid is None else grid
    L, P, _ = grid0.shape
    if pushed is None:  # points and grid vertices in one pass
        pushed = [r[k] for r in push_together(net, [X, grid0.reshape(L * P, -1)], upto=k)]
    pts = torch.as_tensor(pushed[0]).double().numpy()
    grid = torch.as_tensor(pushed[1]).double().numpy().reshape(L, P, -1)
    names = ["input", *net.names]
    swapped = swapped_at(net, swaps, k)
    meta = {
        "stage": names[k],
        "index": k,
        "n_stages": len(names) - 1,
        "words": stage_words(net, k),
        "swapped": swapped,
        "state": state,
    }
    pts, grid, proj = _project(pts, grid, pts.shape[1])
    if proj is not None:
        meta["projection"] = "top 3 principal axes of the points"
    if k == 0:
        bounds = domain
    elif k == len(names) - 1 and pts.shape[1] == 1:
        # the output logit: the points and the threshold 0 (the grid's far ends would
        # squeeze the points into a few pixels around 0)
        bounds = _box(pts, np.zeros((1, 1)))
    else:
        bounds = _box(pts, grid)
    separator, field = None, None
    readout_in = len(net.stages) - 1  # the representation the read-out reads
    if k == readout_in and proj is None and net.n_classes == 2:
        ro = net.stages[-1]
        separator = separator_geometry(
            ro.weight[0, 0].detach().double().numpy(), float(ro.bias[0, 0].detach()), bounds
        )
    if regions and pts.shape[1] <= 2 and proj is None and k in (0, readout_in):
        field = decision_field(net, bounds, stage=k)
    if k == len(names) - 1 and net.n_classes == 2:
        separator = np.array([0.0])  # the output logit: class 1 where z > 0
    meta["axes"] = axis_names(net, k, pts.shape[1], projected=proj is not None)
    if pts.shape[1] == 3 and camera:
        cam = None
        if separator is not None and separator.ndim == 2 and len(separator) >= 3:
            cam = separating_camera(pts, y, separator)
        meta["camera"] = cam if cam is not None else camera_showing(pts)
        meta["camera_shows_separation"] = cam is not None
    if title is not None:
        label = title
    else:
        label = stage_words(net, k)
        if swapped is not None:
            label += f" (units {swapped[0] + 1}↔{swapped[1] + 1} swapped)"
        if state:
            label += f"\n{state}"
    return Scene(pts, np.asarray(y), grid, bounds, separator, field, label, meta)


def layer_scenes(net, X, y, **kwargs) -> list[Scene]:
    """Scenes of the input, of every complete hidden representation, and of the output."""
    idx = [0, *[i + 1 for i in net.layer_ends()], len(net.stages)]
    seen, out = set(), []
    for k in idx:
        if k not in seen:
            seen.add(k)
            out.append(stage_scene(net, X, y, k, **kwargs))
    return out
