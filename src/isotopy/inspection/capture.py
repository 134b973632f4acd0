"""Representations of any ``torch.nn.Module``, taken with forward hooks, kept per class.

**Layers.** A layer is a module of the model, named by its dotted path in
``model.named_modules()`` (for an isotopy :class:`~isotopy.nn.Network` also by its stage
names, "affine1", "tanh1", ..., "readout"). Its representation is the module's output,
flattened to (B, features) (an isotopy network's leading network axis of 1 is dropped). A
module that the forward pass calls several times (a shared block) has one representation per
call: its calls are named ``name#1``, ``name#2``, ... in call order. A probe pass on two
inputs finds the calls and their widths before the real passes.

**Bounded memory.** Only a per-class subsample of at most ``m`` points is kept at every
layer, the same points at every layer. Arrays are subsampled up front (a seeded draw without
replacement in each class, ``np.random.default_rng(seed)``), and only those points go through
the model. A stream of batches (any iterable of ``(x, y)``) is subsampled on the fly by
reservoir sampling per class (Vitter's algorithm R with the same generator: the t-th point of
a class, t >= m, replaces a uniformly drawn slot j < t + 1 when j < m), so the n points of a
class pass through the model in batches while at most m of them are held per layer: memory
is O(layers · classes · m · width), whatever n is.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch
from torch import nn

from ..errors import InputError

__all__ = [
    "layer_names",
    "default_layers",
    "layer_chart",
    "Capture",
    "capture",
    "stratified_subsample",
    "check_input_shape",
]


def _is_isotopy_network(model) -> bool:
    from ..nn import Network

    return isinstance(model, Network)


def _modules(model: nn.Module) -> dict[str, nn.Module]:
    """Name -> module: dotted paths, plus an isotopy network's stage names."""
    mods = {name: m for name, m in model.named_modules() if name}
    if _is_isotopy_network(model):
        for name, stage in zip(model.names, model.stages, strict=True):
            mods.setdefault(name, stage)
    return mods


def default_layers(model: nn.Module) -> list[str]:
    """Every stage of an isotopy network; every top-level child of any other model (the
    entries of a ModuleList or ModuleDict child, which is never called itself)."""
    if _is_isotopy_network(model):
        return list(model.names)
    names = []
    for name, child in model.named_children():
        if isinstance(child, (nn.ModuleList, nn.ModuleDict)):
            names += [f"{name}.{sub}" for sub, _ in child.named_children()]
        else:
            names.append(name)
    if not names:
        raise InputError(
            f"the model {type(model).__name__} has no sub-modules to take representations "
            "from; name the layers with layers=[...]"
        )
    return names


def layer_names(model: nn.Module) -> list[str]:
    """All names a layer may be given for this model (calls of shared modules not included)."""
    return list(_modules(model))


def layer_chart(model: nn.Module, name: str):
    """The activation a layer's output is read through (its inverse is the Betti chart).

    The name of an isotopy activation stage, ``nn.Tanh`` / ``nn.Sigmoid`` / ``nn.Softplus``
    (β = 1, threshold >= 15: below, its switch to x is a visible jump, so it is not
    injective) / ``nn.LeakyReLU`` by its torch class (a leaky ReLU of another slope gets a spec
    of its own), a ``Sequential`` by its last module; None for anything else (ReLU, convs,
    pooling, the input): read as it is. ``name#i`` is the module ``name``.
    """
    from ..nn.activations import LEAKY_SLOPE, ActivationSpec
    from ..nn.stages import Activation

    if name == "input":
        return None
    mod = _modules(model).get(name.partition("#")[0])
    while isinstance(mod, nn.Sequential) and len(mod):
        mod = mod[-1]
    if isinstance(mod, Activation):
        return mod.act.name if mod.act.inverse is not None else None
    if isinstance(mod, nn.Tanh):
        return "tanh"
    if isinstance(mod, nn.Sigmoid):
        return "sigmoid"
    if isinstance(mod, nn.Softplus) and mod.beta == 1 and mod.threshold >= 15:
        return "softplus"  # its jump to x at t, log1p(e^-t), is under float32 resolution
    if isinstance(mod, nn.LeakyReLU) and mod.negative_slope > 0:
        a = float(mod.negative_slope)
        if a == LEAKY_SLOPE:
            return "leaky_relu"
        inf = float("inf")
        return ActivationSpec(
            f"leaky_relu({a:g})",
            lambda x: torch.nn.functional.leaky_relu(x, a),
            lambda y: torch.where(y >= 0, y, y / a),
            True,
            (-inf, inf),
        )
    return None


def stratified_subsample(y, m: int, seed: int) -> np.ndarray:
    """Indices of at most m points of each class, drawn without replacement, sorted.

    y : (n,) -> (n_kept,) int64, n_kept = Σ_c min(m, n_c).
    """
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        keep.append(idx if len(idx) <= m else rng.choice(idx, size=m, replace=False))
    return np.sort(np.concatenate(keep)).astype(np.int64)


def _as_tensor(out, name: str) -> torch.Tensor:
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], torch.Tensor):
        out = out[0]
    if not isinstance(out, torch.Tensor):
        raise InputError(
            f"layer {name!r} returns {type(out).__name__}, not a tensor; choose another layer"
        )
    return out


class _Hooks:
    """Forward hooks on the chosen modules, recording each call's output in call order."""

    def __init__(self, model, modules: dict[str, nn.Module], squeeze_network: bool):
        self.squeeze = squeeze_network
        self.calls: dict[str, list[torch.Tensor]] = {name: [] for name in modules}
        self.handles = []
        seen: dict[int, str] = {}
        for name, mod in modules.items():
            if id(mod) in seen:  # two names for one module: record once, copy later
                continue
            seen[id(mod)] = name
            self.handles.append(mod.register_forward_hook(self._hook(name)))
        self.alias = {name: seen[id(mod)] for name, mod in modules.items()}

    def _hook(self, name):
        def hook(_module, _inputs, output):
            out = _as_tensor(output, name).detach()
            if self.squeeze:
                out = out[0]  # (N=1, B, d) -> (B, d)
            self.calls[name].append(out.reshape(out.shape[0], -1))

        return hook

    def take(self) -> dict[str, list[torch.Tensor]]:
        got = {name: self.calls[self.alias[name]] for name in self.alias}
        self.calls = {name: [] for name in self.calls}
        return got

    def remove(self):
        for h in self.handles:
            h.remove()


class Capture:
    """Per-class subsamples of the representations at the chosen layers.

    Attributes
    ----------
    layers : list of str
        Representation names: "input", then each layer (calls of shared modules as
        ``name#i``).
    reps : dict name -> ndarray (n_kept, d) float32
    y : ndarray (n_kept,) int64
    X : ndarray (n_kept, ...) the kept inputs (as fed to the model)
    seen : dict class -> points of that class that went past
    max_held : int, the most representation rows held at any layer at any time
    """

    def __init__(self, layers, reps, y, X, seen, max_held, forwarded):
        self.layers, self.reps, self.y, self.X = layers, reps, y, X
        self.seen, self.max_held, self.forwarded = seen, max_held, forwarded

    def __repr__(self) -> str:
        return (
            f"Capture({len(self.layers)} representations, {len(self.y)} points kept of "
            f"{sum(self.seen.values())})"
        )


def _device(model) -> torch.device:
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def _dtype(model) -> torch.dtype:
    for p in model.parameters():
        if p.is_floating_point():
            return p.dtype
    return torch.get_default_dtype()


def check_input_shape(input_shape) -> tuple[int, ...] | None:
    """``input_shape`` as a tuple of positive ints (None stays None), or one InputError."""
    if input_shape is None:
        return None
    try:
        shape = tuple(int(v) for v in input_shape)
    except (TypeError, ValueError):
        raise InputError(
            f"the input shape must be a list of integers such as (1, 28, 28), got {input_shape!r}"
        ) from None
    if not shape or min(shape) < 1:
        raise InputError(
            f"the input shape must be one or more integers >= 1 such as (1, 28, 28), got {shape}"
        )
    return shape


def _prepare(xb, input_shape, dtype, device) -> torch.Tensor:
    xb = torch.as_tensor(np.asarray(xb) if not isinstance(xb, torch.Tensor) else xb)
    if input_shape is not None:
        per = int(np.prod(xb.shape[1:], dtype=np.int64))
        want = int(np.prod(input_shape, dtype=np.int64))
        if per != want:
            raise InputError(
                f"the input shape {','.join(map(str, input_shape))} holds {want} values per "
                f"input, but each input of the data has {per} (shape "
                f"{tuple(xb.shape[1:])}); give a shape whose sizes multiply to {per}"
            )
        xb = xb.reshape(len(xb), *input_shape)
    return xb.to(device=device, dtype=dtype)


def _forward(model, xb, name_of_error="inputs"):
    try:
        return model(xb)
    except InputError:
        raise
    except (RuntimeError, ValueError, TypeError, IndexError) as e:
        first = str(e).strip().split("\n")[0][:200]
        raise InputError(
            f"the model cannot take {name_of_error} of shape {tuple(xb.shape)} ({first}); "
            "check the data or give the input shape"
        ) from None


def resolve_layers(model, layers) -> tuple[dict[str, nn.Module], list[str]]:
    """Modules to hook and the requested names (a name may carry ``#i`` for one call)."""
    mods = _modules(model)
    requested = default_layers(model) if layers is None else list(layers)
    if not requested:
        raise InputError("give at least one layer, or layers=None for the default ones")
    hook = {}
    for name in requested:
        base = name.split("#", 1)[0]
        if base not in mods:
            valid = ", ".join(list(mods)[:40]) + (" ..." if len(mods) > 40 else "")
            raise InputError(f"the model has no layer {name!r}; valid layers are: {valid}")
        hook[base] = mods[base]
    return hook, requested


def _names_from_probe(requested, calls, *, skip_uncalled=False) -> list[tuple[str, str, int]]:
    """[(representation name, module name, call index)] in the requested order."""
    out = []
    for name in requested:
        base, _, which = name.partition("#")
        n = len(calls[base])
        if n == 0 and skip_uncalled:  # a default layer the forward pass does not use
            continue
        if n == 0:
            raise InputError(f"layer {base!r} is never called by the model's forward pass")
        if which:
            try:
                i = int(which)
            except ValueError:
                raise InputError(f"layer {name!r}: the call after '#' must be a number") from None
            if not 1 <= i <= n:
                raise InputError(f"layer {base!r} is called {n} time(s); {name!r} does not exist")
            out.append((name, base, i - 1))
        elif n == 1:
            out.append((base, base, 0))
        else:
            out += [(f"{base}#{i + 1}", base, i) for i in range(n)]
    return out


def capture(
    model: nn.Module,
    data,
    y=None,
    layers=None,
    *,
    subsample: int = 500,
    seed: int = 0,
    batch_size: int = 256,
    input_shape=None,
    progress=None,
) -> Capture:
    """Run the model and keep per-class subsamples of the representations (module docstring).

    Parameters
    ----------
    model : torch.nn.Module
    data : array (n, ...) with ``y``, or an iterable of (x batch, y batch)
    y : array (n,) of int labels (with an array ``data``)
    layers : list of str or None
    subsample : int
        Points kept per class (m).
    seed : int
    batch_size : int
        Points per forward pass (arrays).
    input_shape : tuple, optional
        Reshape each batch to (B, *input_shape) before the model sees it.
    progress : callable, optional
        ``progress(done, total)`` in points (total None for a stream of unknown length).

    Returns
    -------
    Capture
    """
    from ..errors import check_positive_int

    m = check_positive_int(subsample, "the subsample size")
    batch_size = check_positive_int(batch_size, "the batch size")
    input_shape = check_input_shape(input_shape)
    hook_mods, requested = resolve_layers(model, layers)
    net_axis = _is_isotopy_network(model)
    if net_axis and model.n_networks != 1:
        raise InputError(
            f"this network holds {model.n_networks} networks; inspect one, picked with "
            "net.select(i)"
        )
    device, dtype = _device(model), _dtype(model)
    if y is not None:
        stream = _array_batches(data, y, m, seed, batch_size, net_axis, model)
    else:
        stream = _StreamBatches(data)
    was_training = model.training
    model.eval()
    hooks = _Hooks(model, hook_mods, net_axis)
    try:
        return _run(
            model,
            stream,
            hooks,
            requested,
            m,
            seed,
            input_shape,
            dtype,
            device,
            progress,
            default=layers is None,
        )
    finally:
        hooks.remove()
        model.train(was_training)


class _ArrayBatches:
    def __init__(self, X, y, keep, batch_size):
        self.X, self.y, self.keep, self.bs = X, y, keep, batch_size
        self.total = len(keep)

    def __iter__(self):
        for a in range(0, len(self.keep), self.bs):
            idx = self.keep[a : a + self.bs]
            yield self.X[idx], self.y[idx]


def _array_batches(X, y, m, seed, batch_size, net_axis, model):
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    X = np.asarray(X)
    y = np.asarray(y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else y)
    if y.ndim != 1 or len(X) != len(y):
        raise InputError(
            f"the data must be X (n, ...) and y (n,) of the same length, got {X.shape} and "
            f"{y.shape}"
        )
    if len(y) == 0:
        raise InputError("the data are empty")
    if not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise InputError("the labels must be integers")
        y = y.astype(np.int64)
    if np.issubdtype(X.dtype, np.floating) and not np.isfinite(X).all():
        raise InputError("the data contain NaN or infinite values")
    if net_axis and (X.ndim != 2 or X.shape[1] != model.d_in):
        raise InputError(
            f"the network takes points of {model.d_in} features, the data have shape {X.shape}"
        )
    return _ArrayBatches(X, y, stratified_subsample(y, m, seed), batch_size)


class _StreamBatches:
    total = None

    def __init__(self, data):
        if not isinstance(data, Iterable):
            raise InputError("give X with y, or an iterable of (x, y) batches")
        self.data = data

    def __iter__(self):
        for item in self.data:
            try:
                xb, yb = item
            except (TypeError, ValueError):
                raise InputError(
                    "each item of a stream must be a pair (x batch, y batch)"
                ) from None
            yield xb, yb


def _reservoir_slots(yb, seen, m, rng):
    """(positions in the batch, classes, slots) of the points that enter the reservoir."""
    pos, cls, slot = [], [], []
    for i, c in enumerate(yb.tolist()):
        t = seen.get(c, 0)
        seen[c] = t + 1
        j = t if t < m else int(rng.integers(0, t + 1))
        if j < m:
            pos.append(i)
            cls.append(c)
            slot.append(j)
    last = {}
    for k, key in enumerate(zip(cls, slot)):  # a later point of the batch wins a slot
        last[key] = k
    ks = sorted(last.values())
    return [pos[k] for k in ks], [cls[k] for k in ks], [slot[k] for k in ks]


def _run(model, stream, hooks, requested, m, seed, input_shape, dtype, device, progress, default):
    total = stream.total
    rng = np.random.default_rng(seed)
    seen: dict[int, int] = {}
    names = None
    buffers: dict[str, dict[int, np.ndarray]] = {}
    xbuf: dict[int, np.ndarray] = {}
    done = held = 0
    with torch.no_grad():
        for xb, yb in stream:
            yb = np.asarray(yb.detach().cpu().numpy() if isinstance(yb, torch.Tensor) else yb)
            xin = _prepare(xb, input_shape, dtype, device)
            if yb.ndim != 1 or len(yb) != len(xin):
                raise InputError("each batch needs one integer label per input")
            _forward(model, xin)
            calls = hooks.take()
            if names is None:
                names = _names_from_probe(requested, calls, skip_uncalled=default)
            outs = {}
            for rep, base, i in names:
                if i >= len(calls[base]):
                    raise InputError(f"layer {base!r} was called fewer times on a later batch")
                outs[rep] = calls[base][i].float().cpu().numpy()
            outs["input"] = xin.reshape(len(xin), -1).float().cpu().numpy()
            xraw = np.asarray(xb.detach().cpu().numpy() if isinstance(xb, torch.Tensor) else xb)
            pos, cls, slot = _reservoir_slots(yb.astype(np.int64), seen, m, rng)
            for rep, arr in outs.items():
                per = buffers.setdefault(rep, {})
                for p, c, s in zip(pos, cls, slot):
                    if c not in per:
                        per[c] = np.empty((m, arr.shape[1]), dtype=np.float32)
                    per[c][s] = arr[p]
            for p, c, s in zip(pos, cls, slot):
                if c not in xbuf:
                    xbuf[c] = np.empty((m, *xraw.shape[1:]), dtype=xraw.dtype)
                xbuf[c][s] = xraw[p]
            held = max(held, sum(min(v, m) for v in seen.values()))
            done += len(yb)
            if progress is not None:
                progress(done, total)
    if names is None:
        raise InputError("the data are empty")
    classes = sorted(seen)
    counts = {c: min(seen[c], m) for c in classes}
    y = np.concatenate([np.full(counts[c], c, dtype=np.int64) for c in classes])
    reps = {
        rep: np.concatenate([buffers[rep][c][: counts[c]] for c in classes])
        for rep in ["input", *[n for n, _, _ in names]]
    }
    X = np.concatenate([xbuf[c][: counts[c]] for c in classes])
    layers = ["input", *[n for n, _, _ in names]]
    return Capture(layers, reps, y, X, dict(seen), held, done)
