"""Is each stage a homeomorphism onto its image, and how close is it to failing to be one?

The essay's theorem: a layer x -> σ(Wx + b) with W square (n × n) is a homeomorphism of R^n
onto its image when det W != 0 and σ is continuous, strictly monotone (tanh, sigmoid,
softplus, leaky ReLU; not ReLU). A wider W (d_out > d_in) is an injective embedding when it
has full column rank; a narrower one collapses a direction and never is one.

For an affine stage we report the singular values s_1 >= ... >= s_r of W, its determinant
(square W only), the condition number κ = s_1 / s_r and a *near-singular* flag when
s_r / s_1 < ``rtol``: such a map squeezes one direction by a factor κ, and once that
squeeze takes the gap between two classes below the points' spacing, the classes are
merged in practice although, mathematically, the map is still a homeomorphism. The read-out
(R^d -> R^1 or R^K) is a projection by design and is listed apart.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np
import torch

from ..errors import InputError
from ..nn.stages import Activation, Affine

__all__ = [
    "StageDiagnostic",
    "stage_diagnostics",
    "format_diagnostics",
    "diagnostics_to_json",
    "NEAR_SINGULAR_RTOL",
]

NEAR_SINGULAR_RTOL = 1e-2  # κ > 100: a direction shrinks 100x relative to another


@dataclass
class StageDiagnostic:
    """What one stage does to the topology of its input."""

    index: int
    name: str
    kind: str  # "affine", "activation", or another stage type
    d_in: int
    d_out: int
    homeomorphism: bool  # onto its image
    det: float | None = None  # square affine stages only
    singular_values: list[float] | None = None
    condition: float | None = None  # s_max / s_min (inf if singular)
    near_singular: bool = False
    note: str = ""

    def __repr__(self) -> str:
        h = "homeomorphism" if self.homeomorphism else "not a homeomorphism"
        extra = f", det={self.det:.3g}" if self.det is not None else ""
        extra += f", cond={self.condition:.3g}" if self.condition is not None else ""
        return f"StageDiagnostic({self.name}: {self.d_in}→{self.d_out}, {h}{extra})"


def _affine_diag(i, name, stage, k, rtol, is_readout):
    w = stage.weight.detach()[k].double()  # (d_out, d_in)
    s = torch.linalg.svdvals(w).numpy()
    s_max, s_min = float(s[0]), float(s[-1])
    cond = float("inf") if s_min <= 1e-300 else s_max / s_min
    det = float(torch.linalg.det(w)) if stage.d_in == stage.d_out else None
    full_rank = bool(stage.is_homeomorphism()[k]) if stage.d_out >= stage.d_in else False
    if stage.d_out < stage.d_in:
        homeo, note = (
            False,
            (
                "linear read-out: projects onto the decision direction"
                if is_readout
                else f"collapses R^{stage.d_in} onto at most "
                f"R^{stage.d_out}: points of different classes can merge"
            ),
        )
        near = False
    else:
        homeo = full_rank
        near = bool(s_min < rtol * s_max)
        if not full_rank:
            note = "singular W: collapses a direction, classes can merge"
        elif stage.d_out > stage.d_in:
            note = f"injective embedding of R^{stage.d_in} into R^{stage.d_out}"
        else:
            note = "orientation-preserving" if det > 0 else "orientation-reversing"
        if near and full_rank:
            note += f"; near-singular (s_min/s_max = {s_min / s_max:.2g} < {rtol:g})"
    return StageDiagnostic(
        i,
        name,
        "affine",
        stage.d_in,
        stage.d_out,
        bool(homeo),
        det,
        [float(v) for v in s],
        cond,
        near,
        note,
    )


def stage_diagnostics(
    net, *, index: int = 0, rtol: float = NEAR_SINGULAR_RTOL, include_readout: bool = True
) -> list[StageDiagnostic]:
    """Diagnose every stage of network ``index`` of ``net``.

    Parameters
    ----------
    net : Network
    index : int
        Which network of a batch (0 for a single network).
    rtol : float
        Flag an affine stage as near-singular when s_min / s_max < rtol.
    include_readout : bool

    Returns
    -------
    list of StageDiagnostic, in stage order
    """
    if not 0 <= index < net.n_networks:
        raise InputError(f"network index {index} out of range 0..{net.n_networks - 1}")
    rtol = float(rtol)
    if not np.isfinite(rtol) or not 0 < rtol < 1:
        raise InputError(f"rtol must be a number in (0, 1), got {rtol}")
    out = []
    last = len(net.stages) - 1
    for i, (name, stage) in enumerate(zip(net.names, net.stages, strict=True)):
        if i == last and not include_readout:
            break
        if isinstance(stage, Affine):
            out.append(_affine_diag(i, name, stage, index, rtol, i == last))
        elif isinstance(stage, Activation):
            homeo = stage.act.is_homeomorphism
            note = (
                f"strictly monotone: a homeomorphism onto {stage.act.image}"
                if homeo
                else "not injective: maps a half-line to one point, classes can merge"
            )
            out.append(
                StageDiagnostic(i, name, "activation", stage.d_in, stage.d_out, homeo, note=note)
            )
        else:
            homeo = bool(stage.is_homeomorphism()[index])
            out.append(
                StageDiagnostic(
                    i,
                    name,
                    stage.type_name,
                    stage.d_in,
                    stage.d_out,
                    homeo,
                    note="as reported by the stage",
                )
            )
    return out


def _fmt(v, spec=".3g"):
    return "-" if v is None else format(v, spec)


def format_diagnostics(diags: list[StageDiagnostic]) -> str:
    """A fixed-width table, one stage per line."""
    head = (
        f"{'#':>2}  {'stage':<12} {'map':<7} {'homeo':<5} {'det':>9} {'cond':>9}  "
        f"{'singular values':<24} note"
    )
    lines = [head, "-" * len(head)]
    for d in diags:
        sv = "-" if d.singular_values is None else ", ".join(f"{v:.3g}" for v in d.singular_values)
        flag = " !" if d.near_singular else ""
        lines.append(
            f"{d.index:>2}  {d.name:<12} {f'{d.d_in}→{d.d_out}':<7} "
            f"{'yes' if d.homeomorphism else 'no':<5} {_fmt(d.det):>9} "
            f"{_fmt(d.condition):>9}  {sv:<24} {d.note}{flag}"
        )
    return "\n".join(lines)


def diagnostics_to_json(diags: list[StageDiagnostic]) -> list[dict]:
    """JSON-able dicts (infinite condition numbers become the string "inf")."""
    out = []
    for d in diags:
        row = asdict(d)
        if row["condition"] is not None and not np.isfinite(row["condition"]):
            row["condition"] = "inf"
        out.append(row)
    json.dumps(out)  # fail here, not in the caller, if something is not serialisable
    return out
