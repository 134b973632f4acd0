"""The network drawn unit by unit, as TensorFlow Playground draws it: the ``unit_views``
message.

The library gives every unit's value over a lattice of the input box
(:func:`isotopy.scene.units.unit_grids`); here each unit's grid goes to the page as uint8
with that unit's own [min, max] (a quarter of the bytes of float32, and a heatmap needs no
more than 256 levels), in the explorer's usual array encoding (:func:`.views.encode`).

The network drawn is the shown one (the live network, or the readable state's copy), with
its units in their own order (not the oriented copy of the stage views), so that every
weight's and bias's name and index are those of the live network's state dict, which a
``set_param`` message edits.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..scene.units import unit_grids
from .views import encode

__all__ = ["unit_views_message", "quantize_units"]


def quantize_units(values: np.ndarray) -> tuple[np.ndarray, list[list[float]]]:
    """Each unit's grid of ``values`` (units, R, R) as uint8 over its own range: returns the
    codes and ``[[min, max], ...]``; a value is ``min + code / 255 · (max - min)`` (a
    constant unit: all codes 0)."""
    v = np.asarray(values, dtype=np.float64)
    flat = v.reshape(len(v), -1)
    lo, hi = flat.min(axis=1), flat.max(axis=1)
    span = hi - lo
    scale = np.divide(255.0, span, out=np.zeros_like(span), where=span > 0)
    codes = np.rint((flat - lo[:, None]) * scale[:, None]).clip(0, 255).astype(np.uint8)
    ranges = [[float(a), float(b)] for a, b in zip(lo, hi)]
    return codes.reshape(v.shape), ranges


def unit_views_message(net, box, resolution: int, *, step: int, shown: str) -> dict:
    """The ``unit_views`` message of ``net`` on 2-D inputs over ``box`` (the data's input box,
    [[lo1, lo2], [hi1, hi2]]): one layer per representation (input, features, hidden layers,
    output) with each unit's values (uint8, shape (units, R, R); ``values[u, r, c]`` at
    x1 = linspace(lo1, hi1, R)[c], x2 = linspace(lo2, hi2, R)[r]) and ranges, every weight
    and every bias with its state-dict name and index; ``step`` and ``shown`` say which
    state it is."""
    if net.d_in != 2:
        raise InputError(
            f"the unit views need 2-D data (one picture per unit over the plane); this data "
            f"has {net.d_in} feature{'s' if net.d_in != 1 else ''}"
        )
    g = unit_grids(net, box, resolution)
    layers = []
    for layer in g["layers"]:
        codes, ranges = quantize_units(layer["values"])
        layers.append(
            {
                "name": layer["name"],
                "kind": layer["kind"],
                "labels": list(layer["labels"]),
                "activation": layer.get("activation"),
                "values": encode(codes, np.uint8),
                "ranges": ranges,
            }
        )
    return {
        "type": "unit_views",
        "step": int(step),
        "shown": shown,
        "box": g["box"],
        "resolution": g["resolution"],
        "layers": layers,
        "weights": g["weights"],
        "biases": g["biases"],
    }
