"""tanh's own formulas for the backends: the rational tanh that both generated-code backends
use (torch.compile and the fused kernel), and the eager backend's fast tanh.

tanh(x) ≈ x·P(x²)/Q(x²) for |x| <= 7.9 (and the value at ±7.9 beyond): a rational
approximation fitted for this project by ``tools/fit_tanh.py`` (iteratively reweighted
linearised least squares for the smallest maximum relative error of tanh(x)/x). The fit's own
error is 1.7e-8; evaluated in float32 the result is within 3.3e-7 of tanh everywhere
(``tests/test_compiled.py`` checks 4e-7) and never leaves [-1, 1]. It needs only
multiplications, additions and one division, which generated code runs several times faster
than the vectorised exp behind sigmoid. The networks themselves (:mod:`isotopy.nn`) use
``torch.tanh``; only code that a backend generates uses this formula.

The eager backend evaluates tanh(x) = 2·sigmoid(2x) - 1 with d tanh / dx = 1 - tanh²
(:class:`FastTanh`): the same function as ``torch.tanh`` within 2e-7 in float32, about 3
times faster on the CPU for the large (N, B, d) tensors of batched training, where tanh is
otherwise the most expensive operation of a step.

These are entries of the one activation table, :mod:`.activations`.
"""

from __future__ import annotations

import torch

__all__ = ["TANH_CLAMP", "TANH_P", "TANH_Q", "tanh_rational", "FastTanh", "TanhRational"]

TANH_CLAMP = 7.9
TANH_P = (
    0.9999999834816525,
    0.1298493892590867,
    0.002992128091527027,
    9.939461304703296e-06,
    -1.490704025975612e-08,
    2.4107194480701056e-11,
)
TANH_Q = (1.0, 0.4631825692044926, 0.0240532215125096, 0.00023809106297532803)


def tanh_rational(x: torch.Tensor, p=TANH_P, q=TANH_Q, clamp: float = TANH_CLAMP):
    """tanh by the rational approximation above (float32 error below 4e-7).

    ``p``, ``q`` (coefficients of powers of x², as Python floats) and ``clamp`` default to
    the fitted ones; ``tools/fit_tanh.py`` passes its candidates.
    """
    x = x.clamp(-clamp, clamp)
    t = x * x
    num = p[-1]
    for c in p[-2::-1]:
        num = num * t + c
    den = q[-1]
    for c in q[-2::-1]:
        den = den * t + c
    return x * num / den


class TanhRational(torch.autograd.Function):
    """tanh by :func:`tanh_rational`, with d tanh / dx = 1 - tanh² from the output, so that
    compiled graphs neither differentiate the polynomial nor recompute it."""

    @staticmethod
    def forward(x):
        return tanh_rational(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y * y)


class FastTanh(torch.autograd.Function):
    """tanh(x) = 2·sigmoid(2x) - 1; backward (also twice), forward mode and vmap."""

    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        return torch.sigmoid(x * 2.0).mul_(2.0).sub_(1.0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return (
            grad * (1 - y * y) if torch.is_grad_enabled() else torch.ops.aten.tanh_backward(grad, y)
        )

    @staticmethod
    def jvp(ctx, tangent):
        (y,) = ctx.saved_tensors
        return tangent * (1 - y * y)
