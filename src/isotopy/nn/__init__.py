"""Stages (affine maps, activations, input features, and any registered stage type) and the
Network."""

from .activations import ACTIVATIONS, ActivationSpec, get_activation
from .conv import Conv2d, MaxPool2d, conv_net
from .network import Network
from .stages import (
    FEATURE_LABELS,
    FEATURE_NAMES,
    STAGE_TYPES,
    Activation,
    Affine,
    Features,
    Stage,
    feature_collision,
    feature_names,
    features_injective,
    register_stage,
    stage_from_spec,
)
from .vector_field import ANCHOR_METHODS, VECTOR_FIELD_MODES, VectorField, init_anchors, kmeans

__all__ = [
    "ACTIVATIONS",
    "ActivationSpec",
    "get_activation",
    "Network",
    "Stage",
    "Affine",
    "Activation",
    "Features",
    "FEATURE_NAMES",
    "FEATURE_LABELS",
    "feature_names",
    "features_injective",
    "feature_collision",
    "STAGE_TYPES",
    "register_stage",
    "stage_from_spec",
    "Conv2d",
    "MaxPool2d",
    "conv_net",
    "VectorField",
    "VECTOR_FIELD_MODES",
    "ANCHOR_METHODS",
    "init_anchors",
    "kmeans",
]
