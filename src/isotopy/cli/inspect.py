"""``isotopy inspect``: Betti numbers, k-NN and probe accuracy, intrinsic dimension and
stretch of every layer of a model you bring, written to a folder (JSON, CSV, PNG, HTML).

The model is an isotopy run folder, or ``--model package.module:factory`` (a function or
class called with no arguments that returns a ``torch.nn.Module``; the current folder is
searched first) with ``--weights FILE.safetensors``. Weights are only ever read from
safetensors files: a pickled checkpoint could run code, so none is opened.
"""

from __future__ import annotations

import csv
import html
import importlib
import json
import os
import sys
from pathlib import Path

from . import add_command

__all__ = ["register", "run", "load_factory", "load_weights"]


def register(sub) -> None:
    from ..inspection import MEASURES
    from ..topology.homology import METRIC_READINGS

    p = add_command(
        sub,
        "inspect",
        help="measure every layer of any PyTorch model on real data",
        example="isotopy inspect --model mypkg.nets:make_net --weights net.safetensors "
        "--mnist-dir ~/mnist --input-shape 1,28,28 --out insp/\n  "
        "isotopy inspect runs/da3 --out insp-da3/",
        description="Per layer and class: Betti numbers (robust Rips reading), "
        "leave-one-out k-NN accuracy, linear-probe accuracy, TwoNN intrinsic dimension and "
        "Jacobian stretch, on a seeded subsample of each class (memory bounded by it). Writes "
        "OUT/inspection.json, OUT/table.csv, OUT/*.png and OUT/index.html.",
    )
    p.add_argument("run_dir", nargs="?", metavar="RUN_DIR", help="an isotopy run folder")
    p.add_argument("--model", metavar="MODULE:FACTORY", help="e.g. mypkg.nets:make_net")
    p.add_argument("--weights", metavar="FILE", help="a .safetensors file of the model's weights")
    data = p.add_mutually_exclusive_group()
    data.add_argument("--dataset", metavar="NAME", help="a built-in dataset (isotopy datasets)")
    data.add_argument("--data", metavar="FILE", help="labelled points: .csv, .npy or .npz")
    data.add_argument("--digits", action="store_true", help="scikit-learn's 8x8 digits")
    data.add_argument("--mnist-dir", metavar="DIR", help="a folder of the four MNIST IDX files")
    p.add_argument(
        "--n", type=int, default=None, help="points to generate (--dataset) or images to use"
    )
    p.add_argument(
        "--split",
        choices=["train", "test"],
        default="train",
        help="which images of --digits / --mnist-dir",
    )
    p.add_argument(
        "--out", metavar="DIR", help="folder to write (new or empty; not needed with --list-layers)"
    )
    p.add_argument(
        "--layers", default=None, help="comma-separated layer names (default: every layer)"
    )
    p.add_argument(
        "--list-layers", action="store_true", help="print the model's layer names and stop"
    )
    p.add_argument(
        "--measures",
        default=",".join(MEASURES),
        help="comma-separated subset of: " + ", ".join(MEASURES),
    )
    p.add_argument("--subsample", type=int, default=500, help="points kept per class")
    p.add_argument("--seed", type=int, default=0, help="seed of every random choice")
    p.add_argument("-k", "--k", type=int, default=5, help="neighbours of the k-NN classifier")
    p.add_argument("--maxdim", type=int, default=1, help="highest Betti number (0, 1 or 2)")
    p.add_argument(
        "--reading",
        choices=sorted(METRIC_READINGS),
        default="robust",
        help="metric Betti reading of each layer's points: robust (no scale; numbers the "
        "sample cannot resolve are printed 'not resolved'), geodesic (Naitzat et al.: 2.5 "
        "hops of the 14-nearest-neighbour graph) or euclidean (default robust)",
    )
    p.add_argument(
        "--betti-points",
        type=int,
        default=500,
        help="points of each class per Betti reading (default 500: fewer leave the robust "
        "reading's 0 loops above 4-D not resolved)",
    )
    p.add_argument("--probe-fraction", type=float, default=0.25, help="probe's held-out share")
    p.add_argument(
        "--twonn-fraction", type=float, default=0.9, help="share of mu values in the TwoNN fit"
    )
    p.add_argument("--stretch-points", type=int, default=16, help="Jacobian points per class")
    p.add_argument("--batch-size", type=int, default=256, help="inputs per forward pass")
    p.add_argument(
        "--input-shape", default=None, metavar="C,H,W", help="reshape each input to this shape"
    )
    p.set_defaults(func=run)


# ------------------------------------------------------------------------------- model
def load_factory(spec: str):
    """``"package.module:factory"`` -> the module the factory returns (called with no args)."""
    import torch

    from ..errors import InputError

    mod_name, sep, attr = str(spec).partition(":")
    if not sep or not mod_name or not attr:
        raise InputError(f"--model must look like package.module:factory, got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as e:
        raise InputError(f"cannot import module {mod_name!r} named by --model ({e})") from None
    except (Exception, SystemExit) as e:  # the user's module failed while it was imported
        raise InputError(
            f"importing module {mod_name!r} named by --model failed: {type(e).__name__}: {e}"
        ) from None
    factory = getattr(mod, attr, None)
    if factory is None:
        raise InputError(f"module {mod_name!r} has no factory {attr!r}")
    if not callable(factory):
        raise InputError(f"{spec!r} is not a function or class")
    try:
        model = factory()
    except (Exception, SystemExit) as e:  # the user's code: any failure is bad input here
        raise InputError(f"the factory {spec!r} failed: {type(e).__name__}: {e}") from None
    if not isinstance(model, torch.nn.Module):
        raise InputError(
            f"the factory {spec!r} returned {type(model).__name__}, not a torch.nn.Module"
        )
    return model


def load_weights(model, path) -> None:
    """Load a .safetensors file into ``model``; names and shapes must match exactly."""
    from ..errors import InputError

    path = Path(path)
    if path.suffix != ".safetensors":
        raise InputError(
            f"weights must be a .safetensors file, got {str(path)!r} (pickled checkpoints "
            "can run code and are never opened)"
        )
    if not path.is_file():
        raise InputError(f"weights file {str(path)!r} does not exist")
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise InputError(f"weights file {str(path)!r} cannot be read ({e})") from None
    own = model.state_dict()
    missing = [k for k in own if k not in tensors]
    extra = [k for k in tensors if k not in own]
    shapes = [
        f"{k} {tuple(tensors[k].shape)} vs {tuple(own[k].shape)}"
        for k in own
        if k in tensors and tuple(tensors[k].shape) != tuple(own[k].shape)
    ]
    if missing or extra or shapes:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}")
        if extra:
            parts.append(f"unexpected {', '.join(extra[:3])}{' ...' if len(extra) > 3 else ''}")
        if shapes:
            parts.append(f"shape of {'; '.join(shapes[:3])} (file vs model)")
        raise InputError(
            f"the weights in {str(path)!r} do not match the model: " + "; ".join(parts)
        )
    try:
        model.load_state_dict(tensors)
    except (RuntimeError, ValueError, TypeError) as e:  # e.g. a dtype the parameter refuses
        first = str(e).strip().split("\n")[0][:200]
        raise InputError(f"the weights in {str(path)!r} cannot be loaded ({first})") from None


# -------------------------------------------------------------------------------- data
def _data(args, run_):
    from ..errors import InputError, check_positive_int

    n = None if args.n is None else check_positive_int(args.n, "--n", minimum=2)
    if args.dataset:
        from ..datasets import make_dataset

        return make_dataset(args.dataset, n, seed=args.seed), f"dataset {args.dataset}"
    if args.data:
        from ..datasets import load_points

        X, y = load_points(args.data)
        return ((X[:n], y[:n]) if n else (X, y)), f"file {args.data}"
    if args.digits or args.mnist_dir:
        from ..datasets.images import load_digits, load_mnist

        ds = load_digits(seed=args.seed) if args.digits else load_mnist(args.mnist_dir)
        X, y = (ds.X_train, ds.y_train) if args.split == "train" else (ds.X_test, ds.y_test)
        what = f"{ds.name} {args.split} images"
        return ((X[:n], y[:n]) if n else (X, y)), what
    if run_ is not None:
        X, y = run_.X, run_.y
        return (X, y), "the run's own data (training and test points)"
    raise InputError("give data: --dataset, --data, --digits or --mnist-dir")


def _model(args):
    from ..errors import InputError

    if args.run_dir and args.model:
        raise InputError("give either a run folder or --model, not both")
    if args.run_dir:
        if args.weights:
            raise InputError("a run folder holds its own weights; leave out --weights")
        from ..train import load_run

        run_ = load_run(args.run_dir)
        return run_.net, run_, f"run {args.run_dir}"
    if not args.model:
        raise InputError("give a run folder or --model package.module:factory")
    model = load_factory(args.model)
    if args.weights:
        load_weights(model, args.weights)
    return model, None, args.model + (f" with {args.weights}" if args.weights else "")


# ------------------------------------------------------------------------------ output
def _write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if v is None else v for k, v in r.items()})


def _page(res, model_desc, data_desc, pngs) -> str:
    maxdim = res.betti.shape[2] - 1

    def num(v, fmt):
        return fmt.format(v) if v == v else "–"  # NaN != NaN

    head = ["layer", "width", "k-NN (all)", "probe (all)", "TwoNN (all)"]
    head += [f"class {c}: β0..β{maxdim}" for c in res.classes]
    rows = []
    for li, name in enumerate(res.layers):
        cells = [
            html.escape(name),
            str(res.dims[li]),
            num(res.knn_all[li], "{:.3f}"),
            num(res.probe_all[li], "{:.3f}"),
            num(res.twonn_all[li], "{:.2f}"),
        ]
        cells += [res.betti_label(li, ci) for ci in range(len(res.classes))]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    figs = "".join(f'<figure><img src="{p}" alt="{p}"></figure>' for p in pngs)
    settings = html.escape(json.dumps(res.settings, indent=1))
    secs = html.escape(", ".join(f"{k} {v:.2f} s" for k, v in res.seconds.items()))
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>isotopy inspect</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;"
        "padding:0 1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
        "padding:.2em .5em;text-align:right}img{max-width:100%}</style></head><body>"
        f"<h1>Layer by layer: {html.escape(model_desc)}</h1>"
        f"<p>Data: {html.escape(data_desc)}; classes {res.classes}, points kept per class "
        f"{res.counts} of {res.seen}. Betti numbers: "
        f"{html.escape(res.settings.get('reading_rule', res.settings.get('reading', '')))}."
        "</p><table><thead><tr>"
        f"{th}</tr></thead><tbody>"
        f"{''.join(rows)}</tbody></table>{figs}<h2>Settings</h2><pre>{settings}</pre>"
        f"<p>Time per measure: {secs}.</p></body></html>\n"
    )


def run(args) -> int:
    import numpy as np

    from ..errors import InputError, parse_int_list
    from ..inspection import inspect, layer_names
    from ..train import atomic_dir
    from ._progress import progress_bar

    model, run_, model_desc = _model(args)
    if args.list_layers:
        print("\n".join(layer_names(model)))
        return 0
    if not args.out:
        raise InputError("give --out DIR, the folder to write the results to")
    target = atomic_dir(args.out, what="output folder")
    target.check()
    (X, y), data_desc = _data(args, run_)
    layers = None
    if args.layers:
        layers = [s.strip() for s in args.layers.split(",") if s.strip()]
    measures = [s.strip() for s in args.measures.split(",") if s.strip()]
    shape = None
    if args.input_shape:
        shape = parse_int_list(args.input_shape, "--input-shape")
        if not shape:
            raise InputError("--input-shape must name at least one size, e.g. 1,28,28")
        size = int(np.prod(np.shape(X)[1:], dtype=np.int64))
        if int(np.prod(shape, dtype=np.int64)) != size:
            raise InputError(
                f"--input-shape {args.input_shape} holds {int(np.prod(shape))} values per "
                f"input, but each input of the data has {size}; give sizes that multiply to "
                f"{size}, e.g. --input-shape=1,{size}"
            )
    bar: dict = {}  # the open bar: phase, context manager, callback

    def close():
        if bar:
            bar.pop("cm").__exit__(None, None, None)
            bar.clear()

    def progress(phase, done, total):
        if bar.get("phase") != phase:
            close()
            cm = progress_bar(total or 0, phase, unit="pt" if phase == "forward" else "task")
            bar.update(phase=phase, cm=cm, update=cm.__enter__())
        bar["update"](done, total)

    try:
        res = inspect(
            model,
            X,
            y,
            layers,
            subsample=args.subsample,
            seed=args.seed,
            k=args.k,
            maxdim=args.maxdim,
            reading=args.reading,
            betti_points=args.betti_points,
            probe_fraction=args.probe_fraction,
            twonn_fraction=args.twonn_fraction,
            stretch_points=args.stretch_points,
            measures=measures,
            batch_size=args.batch_size,
            input_shape=shape,
            progress=progress,
        )
    finally:
        close()
    with target as tmp:
        res.to_json(tmp / "inspection.json")
        _write_csv(tmp / "table.csv", res.rows())
        fig = res.plot()
        fig.savefig(tmp / "measures.png", dpi=100)
        pngs = ["measures.png"]
        (tmp / "index.html").write_text(_page(res, model_desc, data_desc, pngs))
    print(res.table())
    secs = ", ".join(f"{k} {v:.1f} s" for k, v in res.seconds.items())
    print(f"time: {secs}\nwrote {args.out}/ (inspection.json, table.csv, measures.png, index.html)")
    return 0
