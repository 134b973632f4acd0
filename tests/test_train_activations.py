"""The one activation table (isotopy.train.backends.activations): every activation of the
registry has every form, and each form computes the registry's torch formula."""

from __future__ import annotations

import math

import pytest
import torch

from isotopy.nn.activations import ACTIVATIONS
from isotopy.train.backends import compiled, eager, fused
from isotopy.train.backends.activations import FORMS, ActivationForms, _check

NAMES = list(ACTIVATIONS)


def test_one_entry_per_activation_and_the_import_check_can_fail():
    assert list(FORMS) == NAMES
    _check(FORMS, ACTIVATIONS)
    fewer = {k: v for k, v in FORMS.items() if k != "relu"}
    with pytest.raises(RuntimeError, match="missing: relu"):
        _check(fewer, ACTIVATIONS)
    with pytest.raises(RuntimeError, match="not in the registry: swish"):
        _check({**FORMS, "swish": FORMS["tanh"]}, ACTIVATIONS)


@pytest.mark.parametrize("name", NAMES)
def test_every_activation_has_every_form(name):
    f = FORMS[name]
    assert isinstance(f, ActivationForms) and f.name == name
    assert f.spec is ACTIVATIONS[name]  # torch formula, inverse, bounds: the registry's
    assert callable(f.spec.fn) and callable(f.eager) and callable(f.compiled)
    lo, hi = f.spec.image
    assert lo < hi
    assert (f.spec.inverse is not None) == f.spec.is_homeomorphism
    # C forms: a forward expression in {x}, a derivative in {x} and {y}
    fwd = f.c_forward.format(x="v1_0_a")
    der = f.c_derivative.format(x="v1_0_a", y="v2_0_a")
    for helper in ("iso_tanh", "iso_softplus", "iso_leaky"):
        if helper + "(" in fwd + der:  # a helper used is defined in some entry's helpers
            assert any(f"vf {helper}(" in g.c_helpers for g in FORMS.values())
    # each backend reads this table: the fused kernel of a 1-1-1 network has both C forms
    assert ("activation", name) in eager.FORMULAS and ("activation", name) in compiled.FORMULAS
    source = fused.kernel_source(_net(name))
    assert f"const vf v2_0_a = {fwd};" in source
    assert f"const vf e1_0_a = e2_0_a * ({der});" in source


def _net(name):
    from isotopy import Network

    return Network(1, (1,), name, 2)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("form", ["eager", "compiled"])
def test_torch_forms_compute_the_torch_formula(name, form):
    f = FORMS[name]
    x = torch.linspace(-12, 12, 20_001, requires_grad=True)
    got = getattr(f, form)(x)
    want = f.spec.fn(x)
    tol = 4e-7 if (name, form) == ("tanh", "compiled") else 2e-7  # the rational tanh
    torch.testing.assert_close(got, want, rtol=0, atol=tol)
    (g_got,) = torch.autograd.grad(got.sum(), x)
    (g_want,) = torch.autograd.grad(want.sum(), x)
    torch.testing.assert_close(g_got, g_want, rtol=0, atol=1e-6)
    # float64 stays exact where the backend promises it (compiled float64: exact functions)
    x64 = torch.linspace(-5, 5, 101, dtype=torch.float64)
    if form == "compiled":
        torch.testing.assert_close(f.compiled(x64), f.spec.fn(x64), rtol=0, atol=0)


@pytest.mark.parametrize("name", [n for n in NAMES if ACTIVATIONS[n].inverse is not None])
def test_inverse_inverts_on_the_image(name):
    spec = ACTIVATIONS[name]
    x = torch.linspace(-4, 4, 801, dtype=torch.float64)
    y = spec.fn(x)
    lo, hi = spec.image
    assert bool((y > lo).all() and (y < hi).all())
    torch.testing.assert_close(spec.inverse(y), x, rtol=1e-7, atol=1e-7)
    assert math.isinf(hi) or float(y.max()) < hi
