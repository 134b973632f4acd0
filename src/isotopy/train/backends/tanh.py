"""The rational tanh that both generated-code backends use (torch.compile and the fused kernel).

tanh(x) ≈ x·P(x²)/Q(x²) for |x| <= 7.9 (and the value at ±7.9 beyond): a rational
approximation fitted for this project by ``tools/fit_tanh.py`` (iteratively reweighted
linearised least squares for the smallest maximum relative error of tanh(x)/x). The fit's own
error is 1.7e-8; evaluated in float32 the result is within 3.3e-7 of tanh everywhere
(``tests/test_compiled.py`` checks 4e-7) and never leaves [-1, 1]. It needs only
multiplications, additions and one division, which generated code runs several times faster
than the vectorised exp behind sigmoid. The networks themselves (:mod:`isotopy.nn`) use
``torch.tanh``; only code that a backend generates uses this formula.
"""

from __future__ import annotations

import torch

__all__ = ["TANH_CLAMP", "TANH_P", "TANH_Q", "tanh_rational"]

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
