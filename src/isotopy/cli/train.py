"""``isotopy train``: train one network on a dataset or a data file and save the run folder."""

from __future__ import annotations

from ..errors import InputError
from . import add_command


def parse_params(items: list[str] | None) -> dict:
    """``["turns=1.5", "dim=3"]`` -> {"turns": 1.5, "dim": 3}; values parsed as int, float."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--param takes NAME=VALUE, got {item!r}")
        for cast in (int, float):
            try:
                out[key.strip()] = cast(value)
                break
            except ValueError:
                continue
        else:
            raise InputError(f"--param {key.strip()} needs a number, got {value!r}")
    return out


def add_data_args(p) -> None:
    from ..datasets import DATASETS

    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--dataset", metavar="NAME", help=f"a registered dataset: {', '.join(DATASETS)}"
    )
    src.add_argument("--data", metavar="FILE", help="a CSV / NPY / NPZ file of points + labels")
    p.add_argument(
        "--n-points",
        type=int,
        default=None,
        metavar="N",
        help="number of points (default: the dataset's own)",
    )
    p.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="a dataset parameter, e.g. --param turns=1.5 (repeatable)",
    )


def add_train_flags(p, names, defaults) -> None:
    """Add a ``--NAME`` flag for each named :class:`~isotopy.train.TrainConfig` field: its type
    and help text from the field (:mod:`isotopy.train.config`), its default from the attribute
    of ``defaults`` of that name (a ``TrainConfig`` or a ``SweepGrid``); ``--help`` shows the
    default."""
    from dataclasses import fields

    from ..train import OPTIMIZERS, TrainConfig
    from ..train.config import help_of

    kinds = {f.name: str(f.type) for f in fields(TrainConfig)}
    for name in names:
        kind = kinds[name]
        cast = int if "int" in kind else float if "float" in kind else str
        extra = help_of(name)
        if name == "optimizer":
            extra["help"] += f": one of {', '.join(OPTIMIZERS)}"
        p.add_argument(
            "--" + name.replace("_", "-"), type=cast, default=getattr(defaults, name), **extra
        )


def add_device_flag(p) -> None:
    from ..train.config import DEVICE

    p.add_argument(
        "--device",
        default=DEVICE,
        help="where to train: cpu, cuda, cuda:N, mps, or auto (CUDA or MPS when present)",
    )


# The settings of a run that ``isotopy train`` takes as flags, in the order --help lists them
TRAIN_FLAGS = (
    "steps",
    "lr",
    "batch_size",
    "optimizer",
    "seed",
    "test_size",
    "weight_penalty",
    "l1",
    "l2",
    "contractive",
    "edge_penalty",
    "edge_start",
    "edge_ramp",
    "edge_bound",
    "features",
)


def register(sub) -> None:
    from ..nn import ACTIVATIONS
    from ..train import TrainConfig

    p = add_command(
        sub,
        "train",
        help="train a network and write a run folder",
        example="isotopy train --dataset disc_annulus --hidden 3 --out runs/da3\n"
        "  isotopy train --dataset xor --hidden 4 --features x1,x2,x1x2 --out runs/xor",
    )
    add_data_args(p)
    p.add_argument(
        "--hidden",
        default="2",
        metavar="W1,W2,...",
        help="hidden widths, comma-separated; '' for no hidden layer",
    )
    p.add_argument(
        "--activation", default="tanh", metavar="NAME", help=f"one of: {', '.join(ACTIVATIONS)}"
    )
    add_train_flags(p, TRAIN_FLAGS, TrainConfig())
    add_device_flag(p)
    p.add_argument(
        "--compile",
        action="store_true",
        help="run each step as generated code (the fused C kernel or torch.compile; needs a "
        "C++ compiler; pays off for long runs)",
    )
    p.add_argument("--out", required=True, metavar="RUN_DIR", help="run folder to write")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..datasets import DATASETS
    from ..errors import check_positive_int, lookup, parse_int_list
    from ..nn import get_activation
    from ..train import OPTIMIZERS, atomic_dir, is_run, resolve_device, save_run, train_run
    from ._progress import progress_bar

    if args.dataset is not None:
        lookup(DATASETS, args.dataset, "dataset")
    hidden = parse_int_list(args.hidden, "--hidden")
    get_activation(args.activation)
    lookup(OPTIMIZERS, args.optimizer, "optimizer")
    check_positive_int(args.steps, "--steps")
    if args.n_points is not None:
        check_positive_int(args.n_points, "--n-points", minimum=2)
    if not args.lr > 0 or args.lr == float("inf"):
        raise InputError(f"--lr must be a finite number > 0, got {args.lr}")
    if args.batch_size is not None:
        check_positive_int(args.batch_size, "--batch-size")
    import math

    for name in ("weight_penalty", "l1", "l2", "contractive", "edge_penalty"):
        flag, value = "--" + name.replace("_", "-"), getattr(args, name)
        if not (math.isfinite(value) and value >= 0):
            raise InputError(f"{flag} must be a finite number >= 0, got {value}")
    if not (math.isfinite(args.edge_bound) and args.edge_bound > 0):
        raise InputError(f"--edge-bound must be a finite number > 0, got {args.edge_bound}")
    if not (math.isfinite(args.edge_start) and 0 <= args.edge_start < 1):
        raise InputError(
            f"--edge-start must be a share of the steps in [0, 1), got {args.edge_start}"
        )
    if not (math.isfinite(args.edge_ramp) and 0 <= args.edge_ramp <= 1):
        raise InputError(f"--edge-ramp must be a share in [0, 1], got {args.edge_ramp}")
    if not 0 <= args.test_size < 1:
        raise InputError(f"--test-size must be in [0, 1), got {args.test_size}")
    if args.features is not None:
        from ..nn.stages import feature_names

        args.features = feature_names(args.features)  # one sentence for an unknown name
        if args.dataset is not None and DATASETS[args.dataset].dim not in (None, 2):
            raise InputError(
                f"--features needs 2-D data; {args.dataset} has {DATASETS[args.dataset].dim} "
                "dimensions"
            )
    params = parse_params(args.param)
    if args.dataset is not None:
        from ..datasets import check_params

        check_params(args.dataset, params)
    device = resolve_device(args.device)
    atomic_dir(args.out, replace_if=is_run, what="run folder").check()
    import torch

    torch.set_num_threads(1)  # a network of a few units: extra threads only add overhead
    with progress_bar(args.steps, "training") as bar:
        result = train_run(
            args.dataset,
            data_file=args.data,
            n=args.n_points,
            hidden=hidden,
            activation=args.activation,
            dataset_params=params,
            **{name: getattr(args, name) for name in TRAIN_FLAGS},
            progress=bar,
            compile=args.compile,
            device=device,
        )
    save_run(result, args.out)
    m = result.metrics()
    if result.history.stopped:
        print(f"warning: {result.history.stopped}")
    test = f"  test accuracy {m['test_accuracy']:.3f}" if "test_accuracy" in m else ""
    print(f"{result.net!r}")
    print(f"train accuracy {m['train_accuracy']:.3f}{test}  final loss {m['final_loss']:.4f}")
    print(f"wrote {args.out}")
    return 0
