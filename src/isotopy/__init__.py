"""isotopy: see and measure what low-dimensional neural networks do to space.

The library follows the essay "Neural Networks, Manifolds, and Topology" (2014): datasets
whose topology matters (a disc in an annulus, spirals, linked tori), networks of two or
three units a layer built from stages with geometric meaning, training with full history,
and views of every layer's representation with its deformed grid.
"""

from . import knn  # noqa: F401,E402 - registers the k-NN head, so configs naming it load
from .datasets import DATASETS, link_cores, load_points, make_dataset
from .errors import InputError
from .inspection import inspect
from .nn import ACTIVATIONS, Network
from .train import History, Run, TrainConfig, fit, load_run, save_run, train_run

__version__ = "0.1.0"

__all__ = [
    "DATASETS",
    "make_dataset",
    "load_points",
    "link_cores",
    "InputError",
    "inspect",
    "ACTIVATIONS",
    "Network",
    "fit",
    "History",
    "Run",
    "TrainConfig",
    "train_run",
    "save_run",
    "load_run",
    "__version__",
]
