"""Topology through the layers: homeomorphism checks, width bounds, Betti and linking numbers,
and how much each stage stretches space.

One concept per module: :mod:`.diagnostics` (is each stage a homeomorphism, how singular is
it), :mod:`.bounds` (how many units a dataset needs), :mod:`.homology` (persistent homology
with ripser), :mod:`.robust` (the whitened, affine-invariant reading of Betti numbers),
:mod:`.linking` (Gauss linking numbers), :mod:`.stretch` (Jacobian norms).
"""

from .bounds import SOURCES, WidthBound, check_width, width_bound
from .diagnostics import (
    StageDiagnostic,
    diagnostics_to_json,
    format_diagnostics,
    stage_diagnostics,
)
from .homology import (
    MAX_DIM,
    READINGS,
    BettiTrace,
    betti_numbers,
    betti_through_network,
    persistence,
    reading_scale,
)
from .linking import LinkingTrace, curve_distance, linking_number, linking_through_network
from .robust import robust_betti_numbers, whiten
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
    "robust_betti_numbers",
    "whiten",
    "LinkingTrace",
    "linking_number",
    "linking_through_network",
    "curve_distance",
    "StretchResult",
    "input_jacobians",
    "stretch",
    "stretch_grid",
]
