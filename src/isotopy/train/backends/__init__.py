"""Training backends, selected by name: how a step's loss, hits and gradients are computed.

``"eager"``
    The stages op by op in plain torch (:mod:`.eager`), with that backend's fast tanh. The
    default, on any device and for any network.
``"compile"``
    The same step compiled by ``torch.compile`` with its own formulas (:mod:`.compiled`):
    about 2.5 times faster than eager for a thousand tiny networks, after 5 to 15 seconds of
    compiling per architecture and data shape.
``"fused"``
    One generated C loop per network for float32 networks of affine and activation stages
    with one logit, on the CPU (:mod:`.fused`): about 5 times faster than eager for a
    thousand networks, built in about half a second per architecture and cached on disk.

Every backend computes each activation by its form in one table, :mod:`.activations` (keyed
by and checked against the registry of :mod:`isotopy.nn.activations`): adding an activation
is one registry entry and one entry there.

Compiling happens only when asked for: ``fit(compile=True)`` (``--compile`` on the command
line) asks for ``"compiled"``, which is the fused kernel where it supports the network and
torch.compile otherwise. A backend that cannot be built (no C++ compiler, an unsupported
platform) warns and hands over to the next one down (fused, torch.compile, eager). Each
compiled backend agrees with the eager one to float tolerance per step (the tests check
every one against it); over thousands of steps such differences can grow along the
trajectories of a few networks.
"""

from __future__ import annotations

import functools
import json
import warnings

from ...errors import InputError
from . import compiled, eager, fused

__all__ = ["BACKENDS", "step_objective", "backend_for"]

BACKENDS = {
    "eager": "the stages op by op (plain torch)",
    "compile": "the step compiled by torch.compile",
    "fused": "one generated C loop per network (float32, two classes, CPU)",
    "compiled": "the fused kernel where it supports the network, torch.compile otherwise",
}

_FAILED: set[str] = set()  # fused builds that failed in this process: not retried


def backend_for(compile: bool | None, backend: str | None) -> str:
    """The backend name that ``fit``'s ``compile`` and ``backend`` arguments ask for."""
    if backend is not None:
        if backend not in BACKENDS:
            raise InputError(
                f"unknown training backend {backend!r}; choose one of: {', '.join(BACKENDS)}"
            )
        if compile and backend == "eager":
            raise InputError("compile=True asks for a compiled backend, not 'eager'")
        return backend
    return "compiled" if compile else "eager"


def step_objective(net, name: str, xb_shape, *, quiet: bool = False):
    """``(f, used)``: the step objective ``f(xb, yb, y_bool) -> (loss (N,), hits (N,))`` of
    backend ``name`` for ``net``, and the name of the backend that ``f`` really is."""
    if name == "eager":
        return functools.partial(eager.loss_hits, net), "eager"
    if name in ("fused", "compiled") and fused.supports(net):
        key = json.dumps(["fused", net.config()["stages"]])
        if key not in _FAILED:
            try:
                return fused.objective(net), "fused"
            except Exception as e:  # noqa: BLE001 - no compiler, a failed build: go on below
                _FAILED.add(key)
                if not quiet:
                    warnings.warn(
                        f"the fused training kernel could not be built ({type(e).__name__}: "
                        f"{compiled.first_line(e)}); using torch.compile",
                        RuntimeWarning,
                        stacklevel=3,
                    )
    elif name == "fused" and not quiet:
        warnings.warn(
            "the fused kernel does not support this network (it takes float32 networks of "
            "affine and activation stages with one logit, on the CPU); using torch.compile",
            RuntimeWarning,
            stacklevel=3,
        )
    from ...nn.head import LinearHead

    if not isinstance(net.head, LinearHead):  # other heads own their step: eager
        return functools.partial(eager.loss_hits, net), "eager"
    return compiled.objective(net, xb_shape, quiet=quiet), "compile"
