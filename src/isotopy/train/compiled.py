"""A training step's objective, optionally compiled.

Compiled, float32 networks of affine and activation stages with one logit (two classes) run
each step as one generated C loop per network (:mod:`isotopy.train.fused`), which never writes
anything of size networks × points to memory. The others (softmax read-outs, float64, more
than ``fused.MAX_PARAMETERS`` parameters, a failed build, or ``FUSED = False``) go through
``torch.compile``, described here; its speed is bounded by that memory traffic.

The objective of a step is the network's own forward pass and loss, the same stage code
whether compiled or not. Compiled, the whole forward pass (and, through AOTAutograd, the
backward pass) becomes a few generated C++ loops over (network, unit, point), with the
activations written once and read back in the backward pass instead of recomputed
(selective activation checkpointing with a "must save" policy for the activations' last
operations, ``COMPILED_SAVE_OPS``). For a hundred to a thousand tiny networks this is about
2.5 times faster than running the stages op by op (3 to 4 times for ten thousand).

``torch.compile`` caches what it generated per Python code object and, by default, gives up
after 8 recompilations of one code object (and would then run it uncompiled). Each
(architecture, data shape) therefore gets a code object of its own, kept here: a process
that trains many architectures compiles each one once, and networks of an architecture
already compiled reuse that code. If compiling fails (no C++ compiler, an unsupported
platform, a stage torch.compile cannot trace), training goes on uncompiled after a warning.

Only float32 networks use the fast formulas for tanh and the loss (see
:mod:`isotopy.nn.activations` and :meth:`isotopy.nn.Network.loss`); float64 networks compile
with the exact ones. The fast formulas apply to anything run under ``torch.compile``, also a
network a user compiles or exports.
"""

from __future__ import annotations

import functools
import json
import logging
import types
import warnings

import torch

from ..nn.activations import COMPILED_SAVE_OPS
from . import fused

__all__ = ["objective", "compilable", "COMPILE_WORK"]

COMPILE_WORK = 3e9  # steps × networks × points above which ``fit`` compiles by default

_CODE: dict[str, types.CodeType] = {}  # one code object per architecture and data shape
# Let the C++ compiler fuse a multiply and an add into one FMA instruction (one rounding
# instead of two): the affine maps and the polynomials of the compiled tanh are chains of
# them.
_OPTIONS = {"cpp.enable_floating_point_contract_flag": "fast"}


def _loss_hits(net, xb, yb, y_bool):
    """(loss of each network (N,), number of correctly labelled points (N,))."""
    logits = net(xb)
    logits = logits.unsqueeze(0) if logits.dim() == 2 else logits  # (N, B, c)
    with torch.no_grad():
        hit = (
            (logits[..., 0] > 0) == y_bool
            if net.n_classes == 2  # no int64 labels
            else net._labels_from_logits(logits) == yb
        )
        # generated code sums int64 slowly: count in float32 there (exact below 2^24 points)
        hits = (
            hit.sum(-1, dtype=torch.float32)
            if torch.compiler.is_compiling()
            else torch.count_nonzero(hit, dim=-1)
        )
    return net.loss(logits, yb), hits


def _policy(ctx, op, *args, **kwargs):
    from torch.utils.checkpoint import CheckpointPolicy

    if op in COMPILED_SAVE_OPS:
        return CheckpointPolicy.MUST_SAVE
    return CheckpointPolicy.PREFER_RECOMPUTE


def _saving(net, xb, yb, y_bool):
    from torch.utils.checkpoint import checkpoint, create_selective_checkpoint_contexts

    ctx_fn = functools.partial(create_selective_checkpoint_contexts, _policy)
    return checkpoint(_loss_hits, net, xb, yb, y_bool, use_reentrant=False, context_fn=ctx_fn)


class _NoInplaceNotice(logging.Filter):
    """Drops torch's notice that checkpointed regions must not hold in-place ops.

    The compiled region here holds none (the compiled tanh and affine paths are
    out-of-place), so the notice would only puzzle the user.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "context_fn is passed to torch.utils.checkpoint" not in record.getMessage()


def _compiled_for(key: str):
    code = _CODE.get(key)
    if code is None:
        code = _CODE[key] = _saving.__code__.replace()  # a distinct object, same bytecode
    fn = types.FunctionType(code, _saving.__globals__, "_saving")
    return torch.compile(fn, fullgraph=True, dynamic=False, options=_OPTIONS)


_FAILED: set[str] = set()  # keys whose compilation failed in this process: not retried
# Networks that :mod:`isotopy.train.fused` supports train through its kernel; False sends
# them through torch.compile as well (tests of that path set it).
FUSED = True


def _first_line(e: Exception) -> str:
    lines = [ln for ln in str(e).splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower()]
    return (errors or lines or [""])[0].strip()


def compilable(net) -> bool:
    """Whether ``net`` is made only of stages that compiled training is built for.

    Affine maps and pointwise activations; other stages (vector fields with their ODE
    solvers, convolutions, k-NN heads) train uncompiled unless compiling is asked for.
    """
    from ..nn.stages import Activation, Affine

    return getattr(net, "objective", None) is None and all(
        type(s) in (Affine, Activation) for s in net.stages
    )


def objective(net, xb_shape, *, compile: bool, quiet: bool = False):
    """The step objective ``f(xb, yb, yb_bool) -> (loss (N,), hits (N,))`` for ``net``.

    ``compile=True`` returns the fused kernel's (:func:`isotopy.train.fused.objective`) where it
    supports ``net`` and builds; a failed build warns (unless ``quiet``) and is not tried again in
    this process. Otherwise it returns the version compiled by torch.compile. Its first call also
    runs the compiled backward pass once (PyTorch compiles it lazily), so that any failure to
    compile shows there; it then falls back to the plain version, with a warning unless ``quiet``,
    and this process does not try that architecture and shape again. Networks with their own
    ``objective`` are never compiled.
    """
    plain = functools.partial(_loss_hits, net)
    if not compile or getattr(net, "objective", None) is not None:
        return plain
    if FUSED and fused.supports(net):
        key = json.dumps(["fused", net.config()["stages"]])
        if key not in _FAILED:
            try:
                return fused.objective(net)
            except Exception as e:  # noqa: BLE001 - no compiler, a failed build: go on below
                _FAILED.add(key)
                if not quiet:
                    warnings.warn(
                        f"the fused training kernel could not be built ("
                        f"{type(e).__name__}: {_first_line(e)}); using "
                        "torch.compile",
                        RuntimeWarning,
                        stacklevel=3,
                    )
    key = json.dumps(
        [
            net.config()["stages"],
            net.n_classes,
            net.n_networks,
            list(xb_shape),
            str(next(net.parameters()).dtype),
        ]
    )
    if key in _FAILED:
        return plain
    logging.getLogger("torch._higher_order_ops.wrap").addFilter(_FILTER)
    state = {"f": _compiled_for(key), "checked": False}
    # Binary labels enter the compiled code as floats: converting int64 there would cost
    # an emulated int64 -> float conversion per point and network (AVX2 has none).
    dtype = next(net.parameters()).dtype if net.n_classes == 2 else None

    def run(xb, yb, y_bool):
        if state["f"] is not plain:
            try:
                yb_in = yb if dtype is None else yb.to(dtype)
                if not state["checked"]:  # compile the backward pass now, inside the try:
                    # a trial step of its own (the compiled backward pass reuses the saved
                    # activations' memory, so one graph must not be differentiated twice)
                    trial = state["f"](net, xb, yb_in, y_bool)[0].sum()
                    torch.autograd.grad(trial, [p for p in net.parameters() if p.requires_grad])
                    state["checked"] = True
                return state["f"](net, xb, yb_in, y_bool)
            except Exception as e:  # noqa: BLE001 - any failure: train uncompiled
                _FAILED.add(key)
                if not quiet:
                    warnings.warn(
                        f"torch.compile failed ({type(e).__name__}: "
                        f"{_first_line(e)}); training uncompiled",
                        RuntimeWarning,
                        stacklevel=3,
                    )
                state["f"] = plain
        return plain(xb, yb, y_bool)

    return run


_FILTER = _NoInplaceNotice()
