"""What the page's drop-downs offer, read from the library's registries."""

from __future__ import annotations

from ..datasets import DATASETS, dataset_params
from ..nn import ACTIVATIONS, STAGE_TYPES
from ..nn.stages import FEATURE_LABELS, FEATURE_NAMES
from ..train import OPTIMIZERS
from .protocol import LIMITS

__all__ = ["registry", "penalties", "OWN_CONTROL"]


# penalties the page sets with a control of their own: L1 and L2 are Playground's
# regularization (set_train's regularization and reg_rate), combined with the penalty chosen
OWN_CONTROL = ("l1", "l2")


def penalties() -> dict:
    """Training penalties the library provides, as {name: factory(strength) -> penalty}
    (``isotopy.train.penalties.PENALTIES``; a penalty is ``penalty(net, xb) -> (N,)``), less
    those with a control of their own (L1, L2: the regularization control), so that each is
    set one way only."""
    from ..train.penalties import PENALTIES

    return {k: v for k, v in PENALTIES.items() if k not in OWN_CONTROL}


def registry() -> dict:
    """Datasets (with their own parameters), activations, optimisers, stage types,
    penalties, regularizations, input features (names and labels) and the explorer's
    limits: the ``registry`` message and ``/api/registry``."""
    datasets = []
    for spec in DATASETS.values():
        params = dataset_params(spec.name)
        own = {k: v for k, v in params.items() if k not in ("n", "seed")}
        datasets.append(
            {
                "name": spec.name,
                "summary": spec.summary,
                "dim": spec.dim,
                "params": own,
                "n": params["n"],
            }
        )
    return {
        "datasets": datasets,
        "activations": [
            {"name": a.name, "homeomorphism": a.is_homeomorphism} for a in ACTIVATIONS.values()
        ],
        "optimizers": list(OPTIMIZERS),
        "stage_types": list(STAGE_TYPES),
        "penalties": list(penalties()),
        "regularizations": ["none", *OWN_CONTROL],
        "features": [{"name": n, "label": FEATURE_LABELS[n]} for n in FEATURE_NAMES],
        "limits": LIMITS,
    }
