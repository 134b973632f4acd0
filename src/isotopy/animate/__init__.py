"""Animations: layers applied gradually (ambient isotopies) and networks during training.

``animate_layers(net, X, y).save("morph.gif")``. Frames are computed as plain arrays
(:mod:`.frames`, :mod:`.training`), rasterised fast (:mod:`.render`) and written as GIF,
MP4, HTML or PNGs (:mod:`.export`).
"""

from .animation import Animation, animate_layers, animate_training
from .export import FORMATS, html_player, save_frames
from .frames import Frames, even_spacing, morph_frames, view_boxes
from .render import FrameRenderer, render_frames
from .training import training_frames

__all__ = [
    "Animation",
    "animate_layers",
    "animate_training",
    "Frames",
    "morph_frames",
    "training_frames",
    "view_boxes",
    "even_spacing",
    "FrameRenderer",
    "render_frames",
    "FORMATS",
    "save_frames",
    "html_player",
]
