"""Editing one parameter of a network by hand (the explorer's click-to-edit weights).

``set_parameter(net, "stages.0.weight", [1, 0], 3.0)`` sets entry (1, 0) of the first
affine stage's weight matrix of network 0 to 3.0, in place: the parameter tensor stays the
same object, so an optimiser that holds it (and its moment estimates) goes on training the
edited network. Names are those of ``net.state_dict()`` for the network's parameters
(``net.named_parameters()``); buffers (a k-NN head's reference points) are not editable.

Every parameter carries a leading network axis N (see :class:`~isotopy.nn.Network`). The
index leaves it out: it has one entry per axis of one network's tensor ((out, in) for a
weight, (out,) for a bias), and ``network`` (default 0) says which of the N networks
changes. Entries must lie in 0 .. size - 1 (no negative indices).
"""

from __future__ import annotations

import math
import numbers

import torch

from ..errors import InputError

__all__ = ["set_parameter"]


def _entry_index(index, shape: tuple[int, ...], name: str) -> tuple[int, ...]:
    if isinstance(index, (str, bytes)) or not hasattr(index, "__iter__"):
        raise InputError(f"the index into {name!r} must be a list of integers, got {index!r}")
    index = list(index)
    if any(isinstance(i, bool) or not isinstance(i, numbers.Integral) for i in index):
        raise InputError(f"the index into {name!r} must be a list of integers, got {index!r}")
    if len(index) != len(shape):
        raise InputError(
            f"{name!r} has {len(shape)} axes per network (shape {list(shape)}), so its index "
            f"needs {len(shape)} integers, got {len(index)}"
        )
    for axis, (i, size) in enumerate(zip(index, shape)):
        if not 0 <= i < size:
            raise InputError(
                f"index {list(index)} is out of range for {name!r} of shape {list(shape)}: "
                f"axis {axis} runs from 0 to {size - 1}"
            )
    return tuple(int(i) for i in index)


def set_parameter(net, name: str, index, value, *, network: int = 0) -> float:
    """Set one entry of one parameter of ``net`` in place; return the entry's old value.

    Parameters
    ----------
    net : Network
    name : str
        A parameter's name as in ``net.state_dict()``, e.g. "stages.0.weight".
    index : sequence of int
        One integer per axis of one network's tensor (the leading network axis left out).
    value : float
        The new value: a finite number (stored in the parameter's dtype).
    network : int
        Which of the N networks to edit (default 0).

    Returns
    -------
    float
        The entry's value before the edit.
    """
    params = dict(net.named_parameters())
    if not isinstance(name, str) or name not in params:
        raise InputError(
            f"the network has no parameter {name!r}; its parameters are: {', '.join(params)}"
        )
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"the new value of {name!r} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise InputError(f"the new value of {name!r} must be a finite number, got {value}")
    p = params[name]
    n = p.shape[0]
    if (
        isinstance(network, bool)
        or not isinstance(network, numbers.Integral)
        or not 0 <= network < n
    ):
        raise InputError(f"network must be an integer in 0 .. {n - 1}, got {network!r}")
    at = (int(network), *_entry_index(index, tuple(p.shape[1:]), name))
    if not bool(torch.isfinite(torch.tensor(value, dtype=p.dtype))):
        raise InputError(f"the new value of {name!r}, {value}, is beyond the range of {p.dtype}")
    with torch.no_grad():
        old = float(p[at])
        p[at] = value
    return old
