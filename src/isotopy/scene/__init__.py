"""Scenes (plain arrays per view) and the functions that build them from a network."""

from .build import (
    decision_field,
    domain_bounds,
    input_grid,
    layer_scenes,
    representation_index,
    separator_geometry,
    stage_scene,
)
from .scene import Field, Scene

__all__ = [
    "Scene",
    "Field",
    "stage_scene",
    "layer_scenes",
    "decision_field",
    "domain_bounds",
    "input_grid",
    "separator_geometry",
    "representation_index",
]
