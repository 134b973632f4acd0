"""Renderers: they draw Scenes and never compute them. Matplotlib here; plotly in plotly3d."""

from .mpl import (
    draw_scene,
    plot_decision_regions,
    plot_layer_strip,
    plot_scene,
    plot_training_curves,
)

__all__ = [
    "draw_scene",
    "plot_scene",
    "plot_decision_regions",
    "plot_layer_strip",
    "plot_training_curves",
]
