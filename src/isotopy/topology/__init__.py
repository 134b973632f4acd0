"""Topology through the layers: homeomorphism checks, width bounds, Betti and linking numbers,
and how much each stage stretches space.

One concept per module: :mod:`.diagnostics` (is each stage a homeomorphism, how singular is
it), :mod:`.bounds` (how many units a dataset needs), :mod:`.homology` (persistent homology
with ripser; the topological reading through a network), :mod:`.robust` (the whitened,
affine-invariant reading of Betti numbers; its steps in :mod:`.whitening` and
:mod:`.cloud_graph`), :mod:`.geodesic` (Naitzat et al.'s k-NN hop reading), :mod:`.linking`
(linking numbers certified through a network; the numbers of two polylines in
:mod:`.polylines`, the interval boxes in :mod:`.link_boxes`, the per-stage record in
:mod:`.link_trace`), :mod:`.stretch` (Jacobian norms).
"""

from .bounds import SOURCES, WidthBound, check_width, width_bound
from .diagnostics import (
    StageDiagnostic,
    diagnostics_to_json,
    format_diagnostics,
    stage_diagnostics,
)
from .geodesic import NAITZAT_K, NAITZAT_SCALE, geodesic_betti_numbers
from .homology import (
    MAX_DIM,
    METRIC_READINGS,
    READINGS,
    BettiTrace,
    betti_numbers,
    betti_through_network,
    persistence,
    reading_scale,
)
from .linking import (
    LinkingTrace,
    curve_distance,
    linking_number,
    linking_through_network,
    stage_orientation,
)
from .robust import resolved_numbers, robust_betti_numbers, whiten
from .stretch import StretchResult, input_jacobians, stretch, stretch_grid

__all__ = [
    "StageDiagnostic",
    "stage_diagnostics",
    "format_diagnostics",
    "diagnostics_to_json",
    "WidthBound",
    "width_bound",
    "check_width",
    "SOURCES",
    "MAX_DIM",
    "BettiTrace",
    "betti_numbers",
    "betti_through_network",
    "persistence",
    "reading_scale",
    "READINGS",
    "METRIC_READINGS",
    "robust_betti_numbers",
    "resolved_numbers",
    "geodesic_betti_numbers",
    "NAITZAT_K",
    "NAITZAT_SCALE",
    "whiten",
    "LinkingTrace",
    "linking_number",
    "linking_through_network",
    "curve_distance",
    "stage_orientation",
    "StretchResult",
    "input_jacobians",
    "stretch",
    "stretch_grid",
]
