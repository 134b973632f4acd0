"""k-nearest-neighbour classification: exact search, test-time k-NN on any stage's
representation, and a differentiable k-NN head trained inside the mini-batch."""

from .head import KNN_HEAD_MODES, KNN_HEAD_VARIANTS, Embedding, KNNHead, knn_log_probs
from .network import knn_classify, representation
from .search import KNN_WEIGHTS, knn_predict, knn_scores, knn_search

__all__ = [
    "KNN_WEIGHTS",
    "knn_predict",
    "knn_scores",
    "knn_search",
    "KNNHead",
    "KNN_HEAD_MODES",
    "KNN_HEAD_VARIANTS",
    "knn_log_probs",
    "Embedding",
    "knn_classify",
    "representation",
]
