"""``isotopy datasets``: list the registered datasets, one line each."""

from __future__ import annotations

from . import add_command


def register(sub) -> None:
    p = add_command(
        sub,
        "datasets",
        help="list the datasets, one line each",
        example="isotopy datasets --params",
    )
    p.add_argument("--params", action="store_true", help="also list each dataset's parameters")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..datasets import DATASETS, dataset_params

    width = max(len(k) for k in DATASETS)
    for name, spec in DATASETS.items():
        dim = f"{spec.dim}-D" if spec.dim else "n-D"
        print(f"{name:<{width}}  {dim:>4}  {spec.summary}")
        if args.params:
            params = {k: v for k, v in dataset_params(name).items() if k != "seed"}
            print(" " * (width + 8) + ", ".join(f"{k}={v}" for k, v in params.items()))
    return 0
