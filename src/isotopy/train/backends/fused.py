"""A whole training step of many small networks as one generated C loop per network.

For a network of affine and pointwise-activation stages with one logit (two classes), the
loss of every point and its gradient with respect to every parameter need only that point
and the network's few parameters. The step is therefore written as one loop over points per
network that runs the forward pass, the binary cross-entropy and the backward pass in
registers and adds each point's share to the loss, the count of correct labels and the
gradient sums:

    forward   h_s = W_s h_(s-1) + b_s  (affine),  h_s = σ(h_(s-1))  (activation)
    loss      ℓ = max(u, 0) + log(1 + e^-|z|),  u = (1 - 2t) z          (z: the logit)
    backward  δ_z = (sigmoid(z) - t) / B;  affine: ∂W_s += δ_s h_(s-1)^T, ∂b_s += δ_s,
              δ_(s-1) = W_s^T δ_s;  activation: δ_(s-1) = δ_s σ'(h_(s-1))

Nothing of size (networks × points) is ever written to memory (each thread reuses a scratch
of a few rows of B points for the gradient sums, see below), which is what limits the
code ``torch.compile`` generates for these graphs (see :mod:`.compiled`). The C source is
generated from the network's stage list: affine stages as unrolled multiply-adds, each
activation by its C forms in the one activation table (:mod:`.activations`; tanh by the same
rational formula as the torch.compile backend, with the same coefficients, :mod:`.tanh`); the
exponential is e^x = 2^k·e^r with a degree-7 polynomial for e^r, which needs no library call.
Widths are compile-time constants, so every loop over units is unrolled; the code works on
GCC vector types of 8 points (one AVX2 register), three of them at a time.

The source is compiled once per architecture with the system's C++ compiler into a shared
library cached under ``$XDG_CACHE_HOME/isotopy/fused`` (or ``~/.cache``), keyed by the
source, the compiler flags and the CPU's instruction set, and called through ``ctypes``. Its
networks are shared out by OpenMP over ``torch.get_num_threads()`` threads; where torch
itself uses GNU OpenMP (its Linux wheels), the library links the libgomp torch has already
loaded, so both share one pool of threads. Each network runs the same code on its
own, so results do not depend on how many networks share a call. Tests check the loss, the
hits and every gradient against the stage modules' own forward pass and autograd.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import re
import shutil
import subprocess
import tempfile
import threading

import torch

from .activations import FORMS

__all__ = ["supports", "kernel_source", "FusedStep", "load", "objective"]

# Nothing here assumes finite values (a diverging network's NaN or inf must reach ``fit``);
# scheduling before register allocation, minding register pressure, interleaves the
# GROUPS independent chains of the point loop (about 10% faster than without).
FLAGS = (
    "-O3",
    "-march=native",
    "-fno-math-errno",
    "-fno-trapping-math",
    "-ffp-contract=fast",
    "-fschedule-insns",
    "-fsched-pressure",
    "-fopenmp",
    "-shared",
    "-fPIC",
)

LANES = 8  # points per vector (AVX2: 8 floats)
# Vectors of points in flight per step of the loop: each point's forward and backward pass
# is one long chain of dependent operations (about 250 of them), so the core needs several
# at once to stay busy; with three a step is about 1.5 times faster than with one, with
# four the values no longer fit the 16 registers (measured on a Zen 4 core).
GROUPS = 3
# Each lane's float sums (loss, hits, gradients) go into a double every FLUSH steps, so that
# their rounding error does not grow with the number of points.
FLUSH = 64

# Every weight is a named register value in the generated code, so the source grows with
# the parameter count (three copies of each multiply-add): the essay's networks of two to
# four units a layer have 10 to 100 parameters; wider ones go through torch.compile.
MAX_PARAMETERS = 400

_PRELUDE = r"""
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* LANES points at a time in GCC vector types: operations on them compile to 256-bit
   instructions, two or more per operation, which gives the core independent work. */
typedef float vf __attribute__((vector_size(4 * LANES)));
typedef int32_t vi __attribute__((vector_size(4 * LANES)));
typedef uint32_t vu __attribute__((vector_size(4 * LANES)));

static inline vf vsel(vi m, vf a, vf b) { return m ? a : b; }

static inline double iso_hsum(vf v) {
    double s = 0.0;
    for (int l = 0; l < LANES; ++l) s += v[l];
    return s;
}

/* e^x for x <= 0 (clamped at -87, where e^x is about 1.6e-38): x = k ln 2 + r, |r| <= ln2/2,
   e^r by its Taylor polynomial to r^7 (relative error below 1e-8 before rounding). */
static inline vf iso_exp_neg(vf x) {
    vf lo = (vf){} - 87.0f;
    x = vsel(x < lo, lo, x);
    vf xk = vsel(x == x, x, (vf){});  /* NaN: any k (r, and so the result, stay NaN) */
    vi k = __builtin_convertvector(xk * 1.44269504088896341f - 0.5f, vi);  /* round, x <= 0 */
    vf kf = __builtin_convertvector(k, vf);
    vf r = x - kf * 0.693145751953125f - kf * 1.42860682030941723212e-6f;
    vf p = r * (1.0f / 5040.0f) + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    vu bits = (vu)(k + 127) << 23;
    return p * (vf)bits;
}

static inline vf iso_neg_abs(vf x) { return vsel(x < 0.0f, x, -x); }

static inline vf iso_sigmoid(vf x) {
    vf e = iso_exp_neg(iso_neg_abs(x));  /* e^-|x| */
    vf s = 1.0f / (1.0f + e);
    return vsel(x >= 0.0f, s, e * s);
}

/* log(1 + e^-|x|) = 2 artanh(s), s = e^-|x| / (2 + e^-|x|) <= 1/3: series to s^15 */
static inline vf iso_log1p_exp_neg_abs(vf x) {
    vf e = iso_exp_neg(iso_neg_abs(x));
    vf s = e / (2.0f + e);
    vf s2 = s * s;
    vf acc = s2 * (1.0f / 15.0f) + 1.0f / 13.0f;
    acc = acc * s2 + 1.0f / 11.0f;
    acc = acc * s2 + 1.0f / 9.0f;
    acc = acc * s2 + 1.0f / 7.0f;
    acc = acc * s2 + 1.0f / 5.0f;
    acc = acc * s2 + 1.0f / 3.0f;
    acc = acc * s2 + 1.0f;
    return 2.0f * s * acc;
}

/* NaN stays NaN (as in torch), so that a broken network shows in its loss */
static inline vf iso_relu(vf x) { return vsel(x < 0.0f, (vf){}, x); }
"""


def _stage_kinds(net) -> list[tuple[str, object]] | None:
    """[("affine", stage) | ("act", (c_forward, c_derivative))], or None if a stage has no
    lines in this backend (only exactly these two stage classes: a subclass may compute
    something else)."""
    from ...nn.stages import Activation, Affine

    kinds = []
    for s in net.stages:
        if type(s) is Affine:
            kinds.append(("affine", s))
        elif type(s) is Activation and s.act.name in FORMS:
            forms = FORMS[s.act.name]
            kinds.append(("act", (forms.c_forward, forms.c_derivative)))
        else:
            return None
    return kinds


def supports(net) -> bool:
    """Whether ``net``'s training step can run as a fused kernel.

    Float32 networks of affine stages and activations with a C formula (all of the
    registry's), one logit (two classes), ending in an affine read-out, with at most
    ``MAX_PARAMETERS`` parameters each, a linear read-out and parameters on the CPU; anything
    else trains through ``torch.compile``.
    """
    from ...nn.head import LinearHead

    kinds = _stage_kinds(net)
    if (
        kinds is None
        or not kinds
        or kinds[-1][0] != "affine"
        or kinds[-1][1].d_out != 1
        or net.n_classes != 2
        or not isinstance(net.head, LinearHead)
    ):
        return False
    params = list(net.parameters())
    return (
        all(p.dtype == torch.float32 and p.device.type == "cpu" for p in params)
        and sum(p[0].numel() for p in params) <= MAX_PARAMETERS
    )


def _forward(kinds, widths) -> tuple[list[str], list[str]]:
    """(per-network lines loading the parameters into registers, per-point forward lines):
    v{s}_{j} is unit j after stage s (v0 the input), for LANES points at once; the loss, the
    hits and the logit's delta e{last}_0 end the forward lines."""
    fwd, pre = [], []
    k = 0  # parameter tensors so far: P[k] and G[k] in net.parameters() order
    for s, (kind, st) in enumerate(kinds, start=1):
        d_prev, d = widths[s - 1], widths[s]
        if kind != "affine":
            fwd += [f"const vf v{s}_{j} = {st[0].format(x=f'v{s - 1}_{j}')};" for j in range(d)]
            continue
        for j in range(d):
            for i in range(d_prev):
                at = f"n * {d * d_prev} + {j * d_prev + i}"
                pre.append(f"const float w{s}_{j}_{i} = P[{k}][{at}];")
            pre.append(f"const float c{s}_{j} = P[{k + 1}][n * {d} + {j}];")
            terms = " + ".join(f"w{s}_{j}_{i} * v{s - 1}_{i}" for i in range(d_prev))
            fwd.append(f"const vf v{s}_{j} = c{s}_{j} + {terms};")
        k += 2  # weight, bias
    last = len(kinds)
    fwd += [
        f"const vf z = v{last}_0;",
        "const vf u = z * (1.0f - 2.0f * t);",
        # + (z - z): 0, or NaN where z is infinite, whose loss torch gives as NaN
        "loss_acc += m * (iso_relu(u) + iso_log1p_exp_neg_abs(u) + (z - z));",
        "hits_acc += vsel((z > 0.0f) == (t > 0.5f), m, (vf){});",
        f"const vf e{last}_0 = (iso_sigmoid(z) - t) * (m * inv_b);",
    ]
    return pre, fwd


def _backward(kinds, widths):
    """(per-point backward lines, scratch rows, gradient sums).

    e{s}_{j} is d loss / d v{s}_{j}. The per-point inputs and deltas of every affine stage go
    to a per-network scratch row (in L1/L2 for a few thousand points, reused for every
    network of a thread); a second pass (:func:`_gradient_pass`) sums their products into the
    gradients, one output unit at a time, so that its few sums stay in registers (summing all
    of them in the first pass spills them to the stack). ``rows`` maps the C name of a
    per-point value to its scratch row; ``sums`` holds per (stage, unit) its inputs, its
    delta, its weight gradients' targets and its bias gradient's target.
    """
    bwd, rows, sums = [], {}, []

    def keep(name):
        rows.setdefault(name, len(rows))
        bwd.append(f"memcpy(S + {rows[name]} * Bp + b0, &{name}, sizeof(vf));")

    last = len(kinds)
    k = 2 * sum(kind == "affine" for kind, _ in kinds)
    for s in range(last, 0, -1):
        kind, st = kinds[s - 1]
        d_prev, d = widths[s - 1], widths[s]
        if kind != "affine":
            if s > 1:
                for j in range(d):
                    x, y = f"v{s - 1}_{j}", f"v{s}_{j}"
                    bwd.append(f"const vf e{s - 1}_{j} = e{s}_{j} * ({st[1].format(x=x, y=y)});")
            continue
        k -= 2
        for j in range(d):
            keep(f"e{s}_{j}")
            sums.append(
                (
                    [f"v{s - 1}_{i}" for i in range(d_prev)],
                    f"e{s}_{j}",
                    [f"G[{k}][n * {d * d_prev} + {j * d_prev + i}]" for i in range(d_prev)],
                    f"G[{k + 1}][n * {d} + {j}]",
                )
            )
        for i in range(d_prev):
            if f"v{s - 1}_{i}" not in rows:
                keep(f"v{s - 1}_{i}")
        if s > 1:
            for i in range(d_prev):
                terms = " + ".join(f"w{s}_{j}_{i} * e{s}_{j}" for j in range(d))
                bwd.append(f"const vf e{s - 1}_{i} = {terms};")
    return bwd, rows, sums


def _gradient_pass(sums, rows) -> list[str]:
    """The second pass: each unit's gradient sums over the scratch rows, flushed into doubles
    every FLUSH vectors."""
    out = []
    for ins, delta, w_dst, b_dst in sums:
        q_all = range(len(ins) + 1)
        out += [
            "    {",
            f"      vf {', '.join(f'g{q} = {{}}' for q in q_all)};",
            f"      double {', '.join(f'd{q} = 0.0' for q in q_all)};",
            "      for (int64_t b0 = 0; b0 < Bp; b0 += LANES) {",
            f"        vf e, {', '.join(f'x{q}' for q in range(len(ins)))};",
            f"        memcpy(&e, S + {rows[delta]} * Bp + b0, sizeof(vf));",
            *(
                f"        memcpy(&x{q}, S + {rows[v]} * Bp + b0, sizeof(vf));"
                for q, v in enumerate(ins)
            ),
            *(f"        g{q} += e * x{q};" for q in range(len(ins))),
            f"        g{len(ins)} += e;",
            "        if ((b0 / LANES) % FLUSH == FLUSH - 1 || b0 + LANES >= Bp) {",
            *(f"          d{q} += iso_hsum(g{q}); g{q} = (vf){{}};" for q in q_all),
            "        }",
            "      }",
            *(f"      {dst} = (float)d{q};" for q, dst in enumerate(w_dst)),
            f"      {b_dst} = (float)d{len(ins)};",
            "    }",
        ]
    return out


_PER_POINT = re.compile(r"\b(v\d+_\d+|e\d+_\d+|z|u|t|m)\b")
_GROUPS = [chr(ord("a") + g) for g in range(GROUPS)]


def _interleaved(lines) -> list[str]:
    """Each line once per group of LANES points, the groups' copies side by side."""
    return [
        _PER_POINT.sub(rf"\1_{g}", ln).replace("b0", f"(b0 + {k} * LANES)")
        for ln in lines
        for k, g in enumerate(_GROUPS)
    ]


def _loads(d_in) -> tuple[str, list[str], list[str]]:
    """(the declaration of every group's inputs, labels and mask; the lines loading a full
    step of points; the lines loading the last, partial step)."""
    ins = [f"v0_{i}" for i in range(d_in)] + ["t"]
    srcs = [f"X + xo + {i} * B" for i in range(d_in)] + ["Y + yo"]
    declared = ", ".join(f"{v}_{g}" for g in _GROUPS for v in ins + ["m"])
    full = [
        f"memcpy(&{v}_{g}, {src} + b0 + {k} * LANES, sizeof(vf));"
        for k, g in enumerate(_GROUPS)
        for v, src in zip(ins, srcs)
    ]
    full += [f"m_{g} = (vf){{}} + 1.0f;" for g in _GROUPS]
    tail = []
    for k, g in enumerate(_GROUPS):
        tail += [
            "for (int l = 0; l < LANES; ++l) {",
            f"  const int64_t p = b0 + {k} * LANES + l;",
            *(f"  {v}_{g}[l] = p < B ? ({src})[p] : 0.0f;" for v, src in zip(ins, srcs)),
            f"  m_{g}[l] = p < B ? 1.0f : 0.0f;",
            "}",
        ]
    return declared, full, tail


def kernel_source(net) -> str:
    """C++ source of the fused step for ``net``'s architecture (see the module docstring).

    ``iso_step(n0, n1, B, X, x_net, Y, y_net, P, G, loss, hits, threads)`` handles networks
    n0..n1-1 on ``threads`` OpenMP threads: X (network n, feature i, point b) at
    ``X[n*x_net + i*B + b]`` (x_net = 0: points shared by all networks), labels 0/1 as floats
    at ``Y[n*y_net + b]``, parameter k of network n at ``P[k] + n*size_k`` in
    ``net.parameters()`` order, its gradient likewise in ``G[k]``; it writes each network's
    mean loss and number of correct labels and returns the number of networks it had to skip
    for want of scratch memory (0 normally).
    """
    kinds = _stage_kinds(net)
    if kinds is None:
        raise ValueError("this network has stages the fused kernel does not support")
    widths = [net.d_in]
    for kind, s in kinds:
        widths.append(s.d_out if kind == "affine" else widths[-1])
    pre, fwd = _forward(kinds, widths)
    bwd, rows, sums = _backward(kinds, widths)
    declared, full, tail = _loads(net.d_in)
    body = [
        'extern "C" int64_t iso_step(int64_t n0, int64_t n1, int64_t B, const float* X, '
        "int64_t x_net, const float* Y, int64_t y_net, float* const* P, float* const* G, "
        "float* loss, float* hits, int threads) {",
        "  int64_t skipped = 0;  /* networks left out for want of scratch memory */",
        "  const float inv_b = 1.0f / (float)B;",
        "  const int64_t Bp = (B + STEP - 1) / STEP * STEP;",
        "  #pragma omp parallel num_threads(threads) reduction(+ : skipped)",
        "  {",
        f"  float* S = (float*)malloc(sizeof(float) * {max(len(rows), 1)} * Bp);",
        "  #pragma omp for schedule(static)",
        "  for (int64_t n = n0; n < n1; ++n) {",
        "    if (!S) { ++skipped; continue; }",
        "    const int64_t xo = n * x_net, yo = n * y_net;",
        *("    " + ln for ln in pre),
        "    vf loss_acc = {}, hits_acc = {};",
        "    double loss_d = 0.0, hits_d = 0.0;",
        "    for (int64_t b0 = 0; b0 < B; b0 += STEP) {",
        f"      vf {declared};",
        "      if (b0 + STEP <= B) {",
        *("        " + ln for ln in full),
        "      } else {  /* the last, partial step: missing points count 0 (m = 0) */",
        *("        " + ln for ln in tail),
        "      }",
        *("      " + ln for ln in _interleaved(fwd + bwd)),
        "      if ((b0 / STEP) % FLUSH == FLUSH - 1 || b0 + STEP >= B) {",
        "        loss_d += iso_hsum(loss_acc); hits_d += iso_hsum(hits_acc);",
        "        loss_acc = (vf){}; hits_acc = (vf){};",
        "      }",
        "    }",
        "    loss[n] = (float)(loss_d / (double)B);",
        "    hits[n] = (float)hits_d;",
        *_gradient_pass(sums, rows),
        "  }",
        "  free(S);",
        "  }",
        "  return skipped;",
        "}",
    ]
    helpers = "\n\n".join(f.c_helpers for f in FORMS.values() if f.c_helpers)
    return (
        f"#define LANES {LANES}\n#define STEP ({LANES} * {GROUPS})\n#define FLUSH {FLUSH}\n"
        + _PRELUDE
        + "\n/* the activations' own helpers (isotopy.train.backends.activations) */\n"
        + helpers
        + "\n\n"
        + "\n".join(body)
        + "\n"
    )


def _cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "isotopy", "fused")


def _cpu_flags() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    return line
    except OSError:
        pass
    return platform.processor()


_LIBS: dict[str, ctypes.CDLL] = {}
_LOCK = threading.Lock()


def _compiler() -> str:
    cxx = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++")
    if not cxx:
        raise RuntimeError("no C++ compiler found (set CXX or install g++)")
    return cxx


def _build(cxx: str, source: str, path: str) -> None:
    """Compiles ``source`` into the shared library ``path``, whole or not at all."""
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        src = os.path.join(tmp, "step.cpp")
        with open(src, "w") as f:
            f.write(source)
        out = os.path.join(tmp, "step.so")
        done = subprocess.run([cxx, *FLAGS, src, "-o", out], capture_output=True, text=True)
        if done.returncode != 0:  # the caller's warning quotes its first "error" line
            raise RuntimeError(
                f"{os.path.basename(cxx)} failed (exit status "
                f"{done.returncode}):\n{done.stderr or done.stdout}"
            )
        os.replace(out, path)  # also safe with several processes building at once


def load(source: str) -> ctypes.CDLL:
    """The compiled library of ``source`` (compiled on first use, then cached on disk)."""
    cxx = _compiler()
    key = hashlib.sha256(
        "\0".join([source, cxx, *FLAGS, _cpu_flags(), platform.machine()]).encode()
    ).hexdigest()[:24]
    with _LOCK:
        lib = _LIBS.get(key)
        if lib is not None:
            return lib
        path = os.path.join(_cache_dir(), f"step_{key}.so")
        if not os.path.exists(path):
            _build(cxx, source, path)
        try:
            lib = ctypes.CDLL(path)
        except OSError:  # a damaged file in the cache: build it again, once
            os.remove(path)
            _build(cxx, source, path)
            lib = ctypes.CDLL(path)
        fn = lib.iso_step
        fn.restype = ctypes.c_int64
        fn.argtypes = [
            ctypes.c_int64,
            ctypes.c_int64,
            ctypes.c_int64,
            ctypes.c_void_p,
            ctypes.c_int64,
            ctypes.c_void_p,
            ctypes.c_int64,
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_int,
        ]
        _LIBS[key] = lib
        return lib


class FusedStep(torch.autograd.Function):
    """Loss (N,) and hits (N,) of a fused step; backward returns the gradients it computed.

    ``forward(fn, X, x_net, Y, y_net, *params)`` runs the kernel once, keeping every
    parameter's gradient of Σ_i loss_i; ``backward`` scales network i's gradients by the
    incoming d/d loss_i (ones, or zeros for networks that have stopped).
    """

    @staticmethod
    def forward(ctx, fn, X, x_net, Y, y_net, *params):
        n_net = params[0].shape[0]
        B = Y.shape[-1]
        loss = torch.empty(n_net)
        hits = torch.empty(n_net)
        grads = [torch.empty_like(p, memory_format=torch.contiguous_format) for p in params]
        ptrs = (ctypes.c_void_p * len(params))(*[p.data_ptr() for p in params])
        gptrs = (ctypes.c_void_p * len(grads))(*[g.data_ptr() for g in grads])
        args = (
            B,
            X.data_ptr(),
            x_net,
            Y.data_ptr(),
            y_net,
            ptrs,
            gptrs,
            loss.data_ptr(),
            hits.data_ptr(),
        )
        if fn(0, n_net, *args, torch.get_num_threads()):
            raise MemoryError("the fused training kernel ran out of memory for its scratch rows")
        ctx.grads = grads
        ctx.mark_non_differentiable(hits)
        return loss, hits

    @staticmethod
    def backward(ctx, grad_loss, grad_hits):
        out = [g * grad_loss.view(-1, *[1] * (g.dim() - 1)) for g in ctx.grads]
        return (None, None, None, None, None, *out)


def objective(net):
    """``f(xb, yb, y_bool) -> (loss (N,), hits (N,))`` through the fused kernel of ``net``.

    Compiles (or loads) the kernel now, so that a failure shows here; xb is (B, d) stored
    point-last (shared by all networks) or (N, B, d) stored as (N, d, B), yb (B,) or (N, B).
    """
    fn = load(kernel_source(net)).iso_step
    params = list(net.parameters())
    # all parameters must be contiguous for the kernel's fixed offsets
    if not all(p.is_contiguous() for p in params):
        raise RuntimeError("the fused kernel needs contiguous parameters")

    n_net, d_in = net.n_networks, net.d_in

    def run(xb, yb, y_bool):
        if (
            xb.shape[-1] != d_in
            or xb.shape[-2] != yb.shape[-1]
            or (xb.dim() == 3 and (xb.shape[0] != n_net or yb.shape[0] != n_net))
        ):
            raise ValueError(
                f"fused step: points {tuple(xb.shape)} and labels "
                f"{tuple(yb.shape)} do not fit {n_net} networks of {d_in} inputs"
            )
        if xb.dim() == 2:
            xt, x_net = xb.T.contiguous(), 0  # (d, B): a view of fit's point-last data
        else:
            xt = xb.transpose(1, 2).contiguous()  # (N, d, B)
            x_net = xt.shape[1] * xt.shape[2]
        xt = xt.to(torch.float32)
        yf = yb.to(torch.float32).contiguous()
        y_net = yf.shape[-1] if yf.dim() == 2 else 0
        return FusedStep.apply(fn, xt, x_net, yf, y_net, *params)

    return run
