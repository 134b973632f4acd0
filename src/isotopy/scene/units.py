"""Unit views: the value of every unit of every layer over the input plane.

TensorFlow Playground draws a network unit by unit, each unit as a small picture of its
value over the input domain and each weight as a line between two units. For a network on
2-D inputs :func:`unit_grids` gives what such a drawing needs, from one pass of a
``resolution`` × ``resolution`` lattice of the input box through the network
(:meth:`~isotopy.nn.Network.trace`):

- the layers: the input (x1, x2), the input features when the network has a Features stage,
  every complete hidden representation (``Network.layer_ends``: after each activation that
  an affine stage reads) and the output; each with its units' values as float32 arrays
  (units, R, R), and optionally the hidden units' values before their activation;
- every weight of an affine stage that joins two consecutive layers, as a line from unit i
  of one layer to unit j of the next, with its state-dict name and index (those that
  :func:`isotopy.nn.edit.set_parameter` takes) and value; every bias likewise, by unit.

Lattice order: ``values[u, r, c]`` is unit u at x1 = linspace(lo1, hi1, R)[c] and
x2 = linspace(lo2, hi2, R)[r], row 0 at x2 = lo2, as :func:`isotopy.scene.build.field_lattice`
orders the decision field.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, check_positive_int
from ..nn.stages import Activation, Affine, Features

__all__ = ["unit_grids", "MAX_RESOLUTION"]

MAX_RESOLUTION = 256  # per axis: 65,536 points through the network


def _check_box(box) -> np.ndarray:
    try:
        b = np.asarray(box, dtype=np.float64)
    except (TypeError, ValueError):
        b = None
    if b is None or b.shape != (2, 2) or not np.isfinite(b).all() or np.any(b[0] >= b[1]):
        raise InputError(
            "the input box must be [[x1_lo, x2_lo], [x1_hi, x2_hi]] of finite numbers with "
            f"lo < hi, got {box!r}"
        )
    return b


def _layer_indices(net) -> list[int]:
    """Trace indices of the layers: the input, each complete hidden representation, the
    output (a Features stage is followed by an affine stage, so it is one of them)."""
    last = len(net.stages)
    return sorted({0, *[e + 1 for e in net.layer_ends()], last})


def _layer_info(net, k: int, last: int) -> dict:
    names = ["input", *net.names]
    info = {"name": names[k], "stage": k}
    if k == 0:
        info.update(kind="input", labels=["x1", "x2"])
    elif k == last:
        c = net.stages[-1].d_out
        labels = ["logit"] if c == 1 else [f"logit {i + 1}" for i in range(c)]
        info.update(kind="output", labels=labels)
    elif isinstance(net.stages[k - 1], Features):
        info.update(kind="features", labels=net.stages[k - 1].labels)
    else:
        d = net.stages[k - 1].d_out
        info.update(kind="hidden", labels=[f"unit {i + 1}" for i in range(d)])
        act = net.stages[k - 1]
        if isinstance(act, Activation):
            info["activation"] = act.act.name
    return info


def _joining_affine(net, k0: int, k1: int) -> int | None:
    """The affine stage that joins layer k0 to layer k1 unit by unit: the stage k0 itself,
    followed only by activations up to k1; else None."""
    if not isinstance(net.stages[k0], Affine):
        return None
    if all(isinstance(net.stages[s], Activation) for s in range(k0 + 1, k1)):
        return k0
    return None


def _lines(net, s: int, layer_from: int, layer_to: int, network: int, pname: dict):
    """The weights (from unit i to unit j) and biases (of unit j) of affine stage s."""
    stage = net.stages[s]
    W = stage.weight[network].detach().double().cpu().tolist()  # (d_out, d_in) floats
    b = stage.bias[network].detach().double().cpu().tolist()
    wname, bname = pname[id(stage.weight)], pname[id(stage.bias)]
    weights = [
        {"name": wname, "index": [j, i], "value": v, "from": [layer_from, i], "to": [layer_to, j]}
        for j, row in enumerate(W)
        for i, v in enumerate(row)
    ]
    biases = [
        {"name": bname, "index": [j], "value": v, "layer": layer_to, "unit": j}
        for j, v in enumerate(b)
    ]
    return weights, biases


def unit_grids(
    net, box, resolution: int = 32, *, preactivations: bool = False, network: int = 0
) -> dict:
    """Every unit's value over a ``resolution`` × ``resolution`` lattice of the input box.

    Parameters
    ----------
    net : Network
        A network on 2-D inputs (any stages; weights are drawn for affine stages that join
        consecutive layers unit by unit).
    box : array (2, 2)
        [[x1_lo, x2_lo], [x1_hi, x2_hi]], e.g. :func:`isotopy.scene.domain_bounds` of the data.
    resolution : int
        Lattice points per axis, 2 .. ``MAX_RESOLUTION``.
    preactivations : bool
        Also give each hidden layer's values before its activation (the affine stage's
        output), as ``layers[l]["pre"]``.
    network : int
        Which of the network's N networks to show.

    Returns
    -------
    dict
        ``box`` (2, 2) list, ``resolution``, ``network``; ``layers``: a list, from input to
        output, of {"name" (the trace's stage name), "stage" (index into the trace), "kind"
        ("input", "features", "hidden", "output"), "labels" (one per unit), "values"
        (float32 (units, R, R)), and for hidden layers "activation" and, when asked,
        "pre" (float32 (units, R, R)) with "pre_stage" (its stage name)}; ``weights``: a
        list of {"name", "index", "value", "from": [layer, unit], "to": [layer, unit]};
        ``biases``: a list of {"name", "index", "value", "layer", "unit"}. Layers are
        numbered by their position in ``layers``; names and indices are those of
        ``net.state_dict()`` without the leading network axis.
    """
    if net.d_in != 2:
        raise InputError(f"unit views need a network on 2-D inputs, this one reads {net.d_in}-D")
    b = _check_box(box)
    res = check_positive_int(resolution, "the unit views' resolution", minimum=2)
    if res > MAX_RESOLUTION:
        raise InputError(f"the unit views' resolution must be at most {MAX_RESOLUTION}, got {res}")
    n = net.n_networks
    if isinstance(network, bool) or not isinstance(network, (int, np.integer)):
        raise InputError(f"network must be an integer in 0 .. {n - 1}, got {network!r}")
    if not 0 <= network < n:
        raise InputError(f"network must be an integer in 0 .. {n - 1}, got {network}")
    xx, yy = np.meshgrid(np.linspace(b[0, 0], b[1, 0], res), np.linspace(b[0, 1], b[1, 1], res))
    lattice = np.stack([xx.ravel(), yy.ravel()], 1)
    reps = [r if n == 1 else r[network] for _, r in net.trace(lattice)]  # (R², d_k) each

    def grid(k: int) -> np.ndarray:  # (d_k, R, R) float32
        return np.ascontiguousarray(reps[k].T.reshape(-1, res, res), dtype=np.float32)

    last = len(net.stages)
    ks = _layer_indices(net)
    pname = {id(p): name for name, p in net.named_parameters()}
    layers, weights, biases = [], [], []
    for ell, k in enumerate(ks):
        info = _layer_info(net, k, last)
        info["values"] = grid(k)
        if ell > 0:
            s = _joining_affine(net, ks[ell - 1], k)
            if s is not None:
                w, bi = _lines(net, s, ell - 1, ell, network, pname)
                weights += w
                biases += bi
                if preactivations and info["kind"] == "hidden" and s + 1 < k:
                    info["pre"] = grid(s + 1)
                    info["pre_stage"] = net.names[s]
        layers.append(info)
    return {
        "box": b.tolist(),
        "resolution": res,
        "network": int(network),
        "layers": layers,
        "weights": weights,
        "biases": biases,
    }
