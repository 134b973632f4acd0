"""The record of a link's linking number through a network: :class:`LinkingTrace`.

One entry per representation: the value where it is certain (certified by the interval boxes
of :mod:`.linking`, or carried through a homeomorphism), else the status that says why there
is none, with the closest approach of the two image curves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LinkingTrace", "linking_labels", "CERTAIN"]

CERTAIN = ("resolved", "carried")  # statuses whose value is exact

_STATUS_TEXT = {
    "resolved": "certified",
    "carried": "carried through a homeomorphism from the certain value before it",
    "touching": "the curves touch numerically: linking number undefined",
    "unresolved": "unresolved: refinement budget spent before the value was certain",
    "n/a": "not R^3",
}


@dataclass
class LinkingTrace:
    """Linking number of the two core curves after each stage, where it is certain.

    ``status[s]`` is "resolved" (the value is certified, see :mod:`.linking`'s docstring),
    "carried" (stage s is a homeomorphism of R^3 and the value before it is certain: the
    value follows exactly, its sign flipped by an orientation-reversing stage), "touching"
    (after a stage that is not a homeomorphism, the image curves come within
    ``TOUCH_RTOL`` of their extent: they can meet, no linking number in floating point),
    "unresolved" (the refinement budget ran out first) or "n/a" (the representation is not
    in R^3). ``values`` holds the integer only where resolved or carried.
    """

    names: list[str]
    dims: list[int]
    linking: np.ndarray  # (S,) linking number of the image polygons; NaN unless resolved
    distance: np.ndarray  # (S,) closest approach of the image vertices of the two curves
    homeomorphism: list[bool | None]  # whether the stage reaching here is one (None: input)
    status: list[str] | None = None  # per stage: resolved, touching, unresolved or n/a
    extent: np.ndarray | None = None  # (S,) largest side of the curves' bounding box
    vertices: int = 0  # vertices per curve after refinement (the larger of the two)
    rounds: int = 0  # refinement rounds used
    budget_spent: bool = False  # refinement stopped at max_vertices or max_rounds

    def __post_init__(self):
        if self.status is None:
            self.status = ["n/a" if d != 3 else "resolved" for d in self.dims]
        if self.extent is None:
            self.extent = np.full(len(self.names), np.nan)

    @property
    def values(self) -> list[int | None]:
        """The certified linking number at each stage; None where it is not certain."""
        return [
            int(round(v)) if st in CERTAIN else None
            for v, st in zip(self.linking, self.status, strict=True)
        ]

    rounded = values  # the earlier name

    @property
    def resolved(self) -> list[bool]:
        """Whether each stage's value is certain (True for stages outside R^3: no value)."""
        return [st in (*CERTAIN, "n/a") for st in self.status]

    @property
    def touching(self) -> list[bool]:
        return [st == "touching" for st in self.status]

    @property
    def closest_relative(self) -> np.ndarray:
        """(S,) closest approach as a fraction of the curves' extent."""
        return self.distance / np.maximum(self.extent, 1e-300)

    def label(self, s: int) -> str:
        """Stage s's linking number as shown: "+1", "n/a (not R^3)", "unresolved (closest d)"."""
        return _stage_label(self.values[s], self.status[s], self.distance[s], "n/a (not R^3)")

    def to_dict(self) -> dict:
        return {
            "stages": self.names,
            "dims": self.dims,
            "linking": self.values,
            "status": self.status,
            "resolved": self.resolved,
            "touching": self.touching,
            "closest_approach": self.distance.tolist(),
            "closest_relative": self.closest_relative.tolist(),
            "distance": self.distance.tolist(),
            "homeomorphism": self.homeomorphism,
            "unresolved_stages": self._stages_with("unresolved"),
            "touching_stages": self._stages_with("touching"),
            "carried_stages": self._stages_with("carried"),
            "vertices": self.vertices,
            "rounds": self.rounds,
            "budget_spent": self.budget_spent,
        }

    def _stages_with(self, status: str) -> list[str]:
        return [n for n, st in zip(self.names, self.status, strict=True) if st == status]

    def table(self) -> str:
        width = max(len(n) for n in self.names)
        lab = [self.label(s) for s in range(len(self.names))]
        lw = max(len(x) for x in lab)
        lines = []
        for s, (n, d, h) in enumerate(zip(self.names, self.dims, self.homeomorphism, strict=True)):
            h_s = "" if h is None else ("  homeomorphism" if h else "  not injective")
            note = (
                ""
                if self.status[s] in ("resolved", "n/a")
                else f"  ({_STATUS_TEXT[self.status[s]]})"
            )
            lines.append(
                f"{n:<{width}}  R^{d}  linking {lab[s]:>{lw}}  min distance "
                f"{self.distance[s]:.3g}{h_s}{note}"
            )
        lines.append(
            f"(refined to {self.vertices} vertices per curve in {self.rounds} rounds"
            + ("; budget spent)" if self.budget_spent else ")")
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        shown = {
            n: (self.values[s] if self.status[s] in CERTAIN else self.label(s))
            for s, n in enumerate(self.names)
        }
        return f"LinkingTrace({shown})"


def linking_labels(d: dict) -> list[str]:
    """Per-stage labels from :meth:`LinkingTrace.to_dict`: "+1", "+1 (carried)", "n/a",
    "touching (closest 2.7e-08)", "unresolved (closest 1e-05)"; never a number where the
    value is not certain."""
    return [
        _stage_label(v, st, dist, "n/a")
        for v, st, dist in zip(d["linking"], d["status"], d["closest_approach"], strict=True)
    ]


def _stage_label(value, status: str, closest: float, not_r3: str) -> str:
    """One stage's label: the value where it is certain, else the status and the closest
    approach; ``not_r3`` for a stage outside R^3."""
    if status == "resolved":
        return f"{value:+d}"
    if status == "carried":
        return f"{value:+d} (carried)"
    if status == "n/a":
        return not_r3
    return f"{status} (closest {closest:.2g})"
