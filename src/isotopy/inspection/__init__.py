"""Bring your own network: the essay's lens on any PyTorch model and real data.

``inspect(model, X, y)`` takes the representation at every chosen layer of any
``torch.nn.Module`` (forward hooks; nested and shared modules included), keeps a seeded
subsample of each class in bounded memory, and measures per layer and class: Betti numbers,
leave-one-out k-NN and linear-probe accuracy, TwoNN intrinsic dimension and Jacobian
stretch. One concept per module: :mod:`.capture` (hooks and subsampling), :mod:`.measures`
(the formulas), :mod:`.result` (the :class:`Inspection` object), :mod:`.core` (``inspect``).
"""

from .capture import default_layers, layer_chart, layer_names
from .core import inspect
from .measures import jacobian_norms, knn_loo_accuracy, knn_loo_predictions, twonn_dimension
from .result import MEASURES, Inspection

__all__ = [
    "inspect",
    "Inspection",
    "MEASURES",
    "default_layers",
    "layer_names",
    "layer_chart",
    "knn_loo_accuracy",
    "knn_loo_predictions",
    "twonn_dimension",
    "jacobian_norms",
]
