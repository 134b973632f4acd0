"""The torch.compile backend: a training step as generated code, with its own formulas.

The step objective is the network's forward pass and loss, evaluated stage by stage with this
backend's formulas (:data:`FORMULAS`; any other stage runs its own forward) and compiled by
``torch.compile``: the whole forward pass (and, through AOTAutograd, the backward pass)
becomes a few generated C++ loops over (network, unit, point), with the activations written
once and read back in the backward pass instead of recomputed (selective activation
checkpointing with a "must save" policy for the activations' last operations,
``SAVE_OPS``). For a hundred to a thousand tiny networks this is about 2.5 times faster than
running the stages op by op (3 to 4 times for ten thousand).

Its formulas, for float32 networks (float64 ones compile with the exact functions):

- affine maps as Σ_j W_ij x_j + b_i in element-wise products, which torch.compile fuses
  with the activation around them into one loop, where a batched matmul would stay a
  separate, copy-laden call;
- activations by their compiled form in the one activation table (:mod:`.activations`):
  tanh by the rational formula of :mod:`.tanh` (within 4e-7), with d tanh / dx = 1 - tanh²
  from the saved output (:class:`~.tanh.TanhRational`), the others by their torch formula;
- the binary cross-entropy of one logit as max(u, 0) + log(1 + e^-|u|), u = (1 - 2t) z, with
  the logarithm as a series (:func:`log1p_exp_neg_abs`), which generated code evaluates
  several times faster than its vectorised log1p; its gradient is sigmoid(z) - t.

``torch.compile`` caches what it generated per Python code object and, by default, gives up
after 8 recompilations of one code object (and would then run it uncompiled). Each
(architecture, data shape) therefore gets a code object of its own, kept here: a process
that trains many architectures compiles each one once. If compiling fails (no C++ compiler,
an unsupported platform, a stage torch.compile cannot trace), training goes on eagerly after
a warning.
"""

from __future__ import annotations

import functools
import json
import logging
import types
import warnings

import torch

from .activations import FORMS
from .eager import loss_hits as eager_loss_hits
from .eager import point_last, walk
from .tanh import TanhRational

__all__ = ["objective", "FORMULAS", "SAVE_OPS", "log1p_exp_neg_abs", "TanhRational"]

_CODE: dict[str, types.CodeType] = {}  # one code object per architecture and data shape
# Let the C++ compiler fuse a multiply and an add into one FMA instruction (one rounding
# instead of two): the affine maps and the polynomials of the compiled tanh are chains of
# them.
_OPTIONS = {"cpp.enable_floating_point_contract_flag": "fast"}


def log1p_exp_neg_abs(z: torch.Tensor) -> torch.Tensor:
    """log(1 + e^-|z|), within 3e-7 relative in float32, without a logarithm.

    log(1 + u) = 2 artanh(s) = 2 (s + s³/3 + s⁵/5 + ...) with s = u / (2 + u); for
    u = e^-|z| that is s = 1 / (1 + 2 e^|z|) <= 1/3, exact also where e^-|z| underflows. The
    terms up to s¹⁵ leave a remainder below 2·(1/3)¹⁷/17 ≈ 1e-9 relative.
    """
    s = 1.0 / (1.0 + 2.0 * torch.exp(z.abs()))
    s2 = s * s
    acc = torch.full_like(s, 1.0 / 15.0)
    for k in (13, 11, 9, 7, 5, 3, 1):
        acc = acc * s2 + 1.0 / k
    return 2.0 * s * acc


class BCEWithLogits(torch.autograd.Function):
    """Binary cross-entropy of logits z against labels t (0 or 1), per point.

    loss = max(u, 0) + log(1 + e^-|u|) with u = (1 - 2t) z, which for t in {0, 1} equals
    max(z, 0) - z t + log(1 + e^-|z|); its gradient is sigmoid(z) - t: the values of
    ``F.binary_cross_entropy_with_logits`` within float32 rounding. The loss reads z once
    (through u): generated code then computes the logits, the loss and its sum in one loop.
    Soft targets (t strictly between 0 and 1) are not supported.
    """

    @staticmethod
    def forward(z, t):
        u = z * (1.0 - 2.0 * t)
        return u.clamp_min(0.0) + log1p_exp_neg_abs(u)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)

    @staticmethod
    def backward(ctx, grad):
        z, t = ctx.saved_tensors
        return grad * (torch.sigmoid(z) - t), None


def _affine(stage, x):
    # Σ_j W_ij x_j + b_i as element-wise products (fused with the activations around them)
    xt = x.transpose(1, 2).unsqueeze(1)  # (N, 1, d_in, B)
    out = (stage.weight.unsqueeze(-1) * xt).sum(2) + stage.bias.unsqueeze(-1)
    return out.transpose(1, 2)  # (N, B, d_out), stored as (N, d_out, B)


# (stage type name, activation name or None) -> formula(stage, h): the affine maps above and
# every activation's compiled form from the one activation table; other stages run their own
# forward.
FORMULAS = {
    ("affine", None): _affine,
    **{("activation", name): point_last(forms.compiled) for name, forms in FORMS.items()},
}

# Operations whose outputs compiled training keeps for the backward pass instead of
# recomputing them there: the activations' last steps (the division of tanh_rational, tanh
# itself for float64, sigmoid). Recomputing them would repeat the costliest part.
SAVE_OPS = frozenset(
    {torch.ops.aten.div.Tensor, torch.ops.aten.tanh.default, torch.ops.aten.sigmoid.default}
)


def _loss_hits(net, xb, yb, y_bool):
    """(loss of each network (N,), number of correctly labelled points (N,)), by FORMULAS."""
    out = walk(net, xb, FORMULAS)  # (N, B, c)
    with torch.no_grad():
        hit = (out[..., 0] > 0) == y_bool if net.n_classes == 2 else net.labels(out) == yb
        # generated code sums int64 slowly: count in float32 (exact below 2^24 points)
        hits = hit.sum(-1, dtype=torch.float32)
    if net.n_classes == 2 and out.dtype == torch.float32:
        target = yb.to(out.dtype).expand(out.shape[0], -1)
        return BCEWithLogits.apply(out[..., 0], target).mean(-1), hits
    return net.head.loss(out, yb), hits


def _policy(ctx, op, *args, **kwargs):
    from torch.utils.checkpoint import CheckpointPolicy

    if op in SAVE_OPS:
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


def first_line(e: Exception) -> str:
    """The line of an exception's message that says what went wrong."""
    lines = [ln for ln in str(e).splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower()]
    return (errors or lines or [""])[0].strip()


def objective(net, xb_shape, *, quiet: bool = False):
    """The step objective ``f(xb, yb, yb_bool) -> (loss (N,), hits (N,))``, compiled.

    Its first call also runs the compiled backward pass once (PyTorch compiles it lazily), so
    that any failure to compile shows there; it then falls back to the eager backend's
    objective, with a warning unless ``quiet``, and this process does not try that
    architecture and shape again.
    """
    plain = functools.partial(eager_loss_hits, net)
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
                        f"{first_line(e)}); training eagerly",
                        RuntimeWarning,
                        stacklevel=3,
                    )
                state["f"] = plain
        return plain(xb, yb, y_bool)

    return run


_FILTER = _NoInplaceNotice()
