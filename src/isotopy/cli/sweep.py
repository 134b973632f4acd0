"""``isotopy sweep``: train a grid of tiny networks in batches and write a results table."""

from __future__ import annotations

import os

from ..errors import InputError
from . import add_command


def parse_grid_params(items: list[str] | None) -> dict:
    """``["turns=1,1.5", "dim=2"]`` -> {"turns": ("1", "1.5"), "dim": ("2",)}."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InputError(f"--param takes NAME=V1,V2,..., got {item!r}")
        out[key.strip()] = tuple(v.strip() for v in value.split(","))
    return out


def _list(text: str, what: str, cast):
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    if not parts:
        raise InputError(f"the sweep grid is empty: {what} has no values")
    try:
        return tuple(cast(p) for p in parts)
    except ValueError:
        raise InputError(
            f"{what} must be comma-separated {cast.__name__}s such as "
            f"'{'2,3' if cast is int else '0,0.01'}', got {text!r}"
        ) from None


def _joined(values) -> str:
    """A grid's default tuple as the comma-separated text of its flag: (2, 3) -> "2,3"."""
    return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)


# The training settings of a sweep grid that ``isotopy sweep`` takes as flags (defaults from
# SweepGrid, which reads them from isotopy.train.config)
SWEEP_FLAGS = ("steps", "lr", "batch_size", "optimizer", "test_size")


def register(sub) -> None:
    from ..datasets import DATASETS
    from ..nn import ACTIVATIONS
    from ..sweep.executors import EXECUTORS
    from ..sweep.grid import SweepGrid
    from .train import add_device_flag, add_train_flags

    d = SweepGrid()
    p = add_command(
        sub,
        "sweep",
        help="train grids of networks (widths x depths x ... x seeds) in batches",
        example="isotopy sweep --dataset disc_annulus --hidden 1,2,3,4 --depth 1,2,3 "
        "--seeds 100 --steps 2000 --out results/",
        description="Train every network of a grid (datasets and their parameters x hidden "
        "widths x depths x activations x contractive weights x seeds), many at "
        "a time as one batched program, and write a tidy table (results.csv, "
        "results.parquet: one row per network) and accuracy_vs_width.png into "
        "OUT. Rerunning the same command resumes an interrupted sweep.",
    )
    p.add_argument(
        "--dataset",
        required=True,
        metavar="NAME[,NAME...]",
        help=f"datasets: {', '.join(DATASETS)}",
    )
    p.add_argument(
        "--param",
        action="append",
        metavar="NAME=V1,V2,...",
        help="a dataset parameter and its values, e.g. --param gap=0.2,0.3 "
        "(repeatable; applies to the datasets that have it)",
    )
    p.add_argument(
        "--hidden",
        "--widths",
        dest="widths",
        default=_joined(d.widths),
        metavar="W1,W2,...",
        help="hidden widths (units per layer) to try",
    )
    p.add_argument(
        "--depth",
        default=_joined(d.depths),
        metavar="D1,D2,...",
        help="numbers of hidden layers to try",
    )
    p.add_argument(
        "--activation",
        default=_joined(d.activations),
        metavar="NAME[,NAME...]",
        help=f"activations: {', '.join(ACTIVATIONS)}",
    )
    p.add_argument(
        "--contractive",
        default=_joined(d.contractive),
        metavar="LAMBDA1,LAMBDA2,...",
        help="contractive-penalty weights λ to try (0: none)",
    )
    p.add_argument(
        "--seeds",
        type=int,
        default=len(d.seeds),
        help="networks per grid cell (seeds SEED_START, SEED_START+1, ...)",
    )
    p.add_argument("--seed-start", type=int, default=0, help="first seed")
    add_train_flags(p, SWEEP_FLAGS, d)
    p.add_argument(
        "--n-points", type=int, default=None, help="points per dataset (default: the dataset's own)"
    )
    p.add_argument(
        "--data-seed",
        type=int,
        default=d.data_seed,
        help="seed of the data and its split (shared by all networks of a cell)",
    )
    p.add_argument(
        "--chunk-size",
        type=int,
        default=d.chunk_size,
        help="networks trained as one batch and saved as one chunk",
    )
    p.add_argument(
        "--dense-points",
        type=int,
        default=d.dense_points,
        help="grid points for the dense-grid accuracy on the continuous sets",
    )
    p.add_argument("--executor", default="local", help=f"one of: {', '.join(EXECUTORS)}")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes of the local executor (default: number of CPUs)",
    )
    p.add_argument(
        "--ray-address",
        default=None,
        metavar="auto|HOST:PORT",
        help="Ray cluster to use (default: start a local Ray instance)",
    )
    add_device_flag(p)
    p.add_argument(
        "--compile",
        action="store_true",
        help="compile each chunk's training with torch.compile (worth it for large "
        "chunks; needs a C++ compiler)",
    )
    p.add_argument("--no-plot", action="store_true", help="skip accuracy_vs_width.png")
    p.add_argument("--out", required=True, metavar="OUT_DIR", help="folder for the results")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import check_positive_int, lookup
    from ..sweep import SweepGrid, check_sweep_folder, grid_chunks, run_sweep, summarize
    from ..sweep.executors import EXECUTORS
    from ..train import resolve_device
    from ._progress import progress_bar

    lookup(EXECUTORS, args.executor, "executor")
    device = resolve_device(args.device)  # a device this machine lacks: refused here
    if args.ray_address is not None and args.executor != "ray":
        raise InputError("--ray-address needs --executor ray")
    seeds = check_positive_int(args.seeds, "--seeds")
    grid = SweepGrid(
        datasets=_list(args.dataset, "--dataset", str),
        params=parse_grid_params(args.param),
        widths=_list(args.widths, "--hidden", int),
        depths=_list(args.depth, "--depth", int),
        activations=_list(args.activation, "--activation", str),
        contractive=_list(args.contractive, "--contractive", float),
        seeds=tuple(range(args.seed_start, args.seed_start + seeds)),
        n_points=args.n_points,
        steps=args.steps,
        lr=args.lr,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        test_size=args.test_size,
        data_seed=args.data_seed,
        chunk_size=args.chunk_size,
        dense_points=args.dense_points,
    )
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    workers = check_positive_int(workers, "--workers")
    resuming = check_sweep_folder(args.out, grid)
    if args.executor == "ray" and args.ray_address not in (None, "auto"):
        from ..sweep.executors import check_reachable

        check_reachable(args.ray_address)
    chunks = grid_chunks(grid)
    total = sum(len(c["seeds"]) for c in chunks)
    print(
        f"{grid!r}: {total} networks in {len(chunks)} chunks" + (" (resuming)" if resuming else "")
    )
    with progress_bar(total, "sweep", unit="net") as bar:
        table = run_sweep(
            grid,
            args.out,
            executor=args.executor,
            workers=workers,
            ray_address=args.ray_address,
            plot=not args.no_plot,
            progress=bar,
            compile=True if args.compile else None,
            device=device,
        )
    s = summarize(table)
    cols = [c for c in s.columns if c.startswith("param_")]
    print(
        f"{'cell':<40} {'median':>7} {'q25':>6} {'q75':>6} {'perfect':>8}  ({s['score'].iloc[0]})"
    )
    for _, r in s.iterrows():
        params = "".join(f" {c[6:]}={r[c]:g}" for c in cols if r[c] == r[c])
        lam = f" λ={r['contractive']:g}" if r["contractive"] else ""
        cell = f"{r['dataset']}{params} {r['activation']} {r['depth']}x{r['width']}{lam}"
        print(
            f"{cell:<40} {r['median']:>7.3f} {r['q25']:>6.3f} {r['q75']:>6.3f} {r['perfect']:>8.2f}"
        )
    plot = "" if args.no_plot else ", accuracy_vs_width.png"
    print(f"wrote {args.out}/results.csv, results.parquet{plot} ({len(table)} rows)")
    return 0
