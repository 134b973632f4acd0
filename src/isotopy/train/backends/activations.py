"""The one activation table: every form of every activation that training computes.

An entry of :data:`FORMS` holds, for one activation of the registry
:data:`isotopy.nn.activations.ACTIVATIONS` (whose entry it carries as ``spec``: the torch
formula that networks use, its inverse and its image, the bounds of its values):

``eager``
    the formula of the eager backend (:mod:`.eager`), a function of a tensor;
``compiled``
    the formula that torch.compile compiles (:mod:`.compiled`), a function of a tensor;
``c_forward``, ``c_derivative``, ``c_helpers``
    the fused kernel's C forms (:mod:`.fused`): the function as a C expression over vectors
    of points (type ``vf``) in its input ``{x}``, its derivative in the input ``{x}`` and the
    output ``{y}``, and the C functions these expressions call beyond the kernel's shared
    ones (``iso_exp_neg``, ``iso_neg_abs``, ``iso_sigmoid``, ``iso_log1p_exp_neg_abs``,
    ``iso_relu``, ``vsel``). The expressions may use constants but no names of their own
    (the kernel renames its per-point values v…, e…, t, u, m, z in the text it generates);
    braces meant for C are doubled, as in ``str.format``.

A form left out is the registry's torch formula. Adding an activation is one registry entry
(:mod:`isotopy.nn.activations`) and one entry here: the table is checked against the
registry when this module is imported, and ``tests/test_train_activations.py`` checks every
form of every entry against the torch formula.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from ...nn.activations import ACTIVATIONS, LEAKY_SLOPE, ActivationSpec
from .tanh import TANH_CLAMP, TANH_P, TANH_Q, FastTanh, TanhRational

__all__ = ["FORMS", "ActivationForms", "c_horner"]


@dataclass(frozen=True)
class ActivationForms:
    """Every form of one activation (see the module docstring)."""

    spec: ActivationSpec
    eager: Callable[[torch.Tensor], torch.Tensor]
    compiled: Callable[[torch.Tensor], torch.Tensor]
    c_forward: str
    c_derivative: str
    c_helpers: str = ""

    @property
    def name(self) -> str:
        return self.spec.name


def c_horner(coefs, var: str) -> str:
    """The polynomial Σ coefs[k] var^k as a C expression in Horner's form (float literals)."""
    expr = f"{coefs[-1]!r}f"
    for c in coefs[-2::-1]:
        expr = f"({expr} * {var} + {c!r}f)"
    return expr


def _tanh_compiled(x: torch.Tensor) -> torch.Tensor:
    # the rational formula for float32; float64 networks compile with the exact function
    return TanhRational.apply(x) if x.dtype == torch.float32 else torch.tanh(x)


_TANH_C = f"""
/* tanh(x) = x P(x^2) / Q(x^2) on |x| <= TANH_CLAMP (isotopy.train.backends.tanh) */
static inline vf iso_tanh(vf x) {{
    vf c = (vf){{}} + {float(TANH_CLAMP)!r}f;
    x = vsel(x < -c, -c, vsel(x > c, c, x));
    vf t = x * x;
    vf num = {c_horner(TANH_P, "t")};
    vf den = {c_horner(TANH_Q, "t")};
    return x * num / den;
}}
"""

_LEAKY_C = """
static inline vf iso_leaky(vf x, float a) { return vsel(x > 0.0f, x, x * a); }

static inline vf iso_leaky_d(vf x, float a) {
    return vsel(x > 0.0f, (vf){} + 1.0f, (vf){} + a);
}
"""


def _forms(name, *, c, eager=None, compiled=None, helpers="") -> tuple[str, ActivationForms]:
    spec = ACTIVATIONS[name]
    return name, ActivationForms(
        spec, eager or spec.fn, compiled or spec.fn, c[0], c[1], helpers.strip("\n")
    )


_ONE = "((vf){{}} + 1.0f)"
FORMS: dict[str, ActivationForms] = dict(
    [
        _forms(
            "tanh",
            eager=FastTanh.apply,
            compiled=_tanh_compiled,
            c=("iso_tanh({x})", "1.0f - {y} * {y}"),
            helpers=_TANH_C,
        ),
        _forms("sigmoid", c=("iso_sigmoid({x})", "{y} * (1.0f - {y})")),
        _forms(
            "softplus",
            c=("iso_softplus({x})", "iso_sigmoid({x})"),
            helpers="static inline vf iso_softplus(vf x) "
            "{ return iso_relu(x) + iso_log1p_exp_neg_abs(x); }",
        ),
        # relu'(0) = 0 and leaky_relu'(0) = the slope, as in torch's autograd; NaN stays NaN
        _forms("relu", c=("iso_relu({x})", "vsel({x} > 0.0f, " + _ONE + ", (vf){{}})")),
        _forms(
            "leaky_relu",
            c=(f"iso_leaky({{x}}, {LEAKY_SLOPE!r}f)", f"iso_leaky_d({{x}}, {LEAKY_SLOPE!r}f)"),
            helpers=_LEAKY_C,
        ),
        _forms("identity", c=("{x}", _ONE)),
    ]
)


def _check(table: dict, registry: dict) -> None:
    """Every registry activation has exactly one entry here, and nothing else does."""
    missing = [n for n in registry if n not in table]
    extra = [n for n in table if n not in registry]
    if missing or extra:
        raise RuntimeError(
            "isotopy.train.backends.activations.FORMS must have one entry per activation of "
            f"isotopy.nn.activations.ACTIVATIONS (missing: {', '.join(missing) or 'none'}; "
            f"not in the registry: {', '.join(extra) or 'none'})"
        )


_check(FORMS, ACTIVATIONS)
