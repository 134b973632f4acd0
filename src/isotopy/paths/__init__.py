"""Continuous paths of layers: GL+(n) paths, unit permutations, each stage's path h(x, t)."""

from .glplus import (
    SINGULAR_RCOND,
    complete_to_square,
    gl_plus_path,
    polar,
    rotation_path,
    so_log_blocks,
    straight_path,
)
from .orient import orient_in_place, orient_network, permute_units
from .stage_paths import STAGE_PATHS, StagePath, pad, register_path, stage_path

__all__ = [
    "gl_plus_path",
    "polar",
    "rotation_path",
    "so_log_blocks",
    "straight_path",
    "complete_to_square",
    "SINGULAR_RCOND",
    "orient_network",
    "orient_in_place",
    "permute_units",
    "StagePath",
    "STAGE_PATHS",
    "register_path",
    "stage_path",
    "pad",
]
