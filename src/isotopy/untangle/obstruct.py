"""What proves that a link's classes cannot be pulled apart, looked for before any search.

Two invariants, cheapest first:

- **linking numbers** of every pair of components of different classes, exact
  (:func:`isotopy.topology.linking.linking_number_crossings`: the signed crossings of a
  generic projection, with the fragile crossings recomputed in rational arithmetic). An
  isotopy cannot change a linking number and two components on either side of a sphere
  have linking number 0, so a nonzero one means *not split*. It says nothing about the
  Whitehead link or the Borromean rings (all their linking numbers are 0).
- **a hyperbolic complement** (needs SnapPy, the optional extra ``untangle``): the link is
  projected to a diagram (:func:`.diagram.project`); for every connected piece of the
  diagram that holds both classes, SnapPy triangulates the complement of that sublink and
  looks for its hyperbolic structure. A complete hyperbolic structure makes the complement
  irreducible (every 2-sphere bounds a ball), while the complement of a split link contains
  a sphere with link components on both sides; so if SnapPy finds a solution with all
  tetrahedra positively oriented and positive volume, that sublink, and hence the link, is
  *not split*. This is a numerical solution (SnapPy's interval verification needs Sage),
  and the answer says so.

:func:`obstruction` gives the first obstruction found as one sentence, or None;
:func:`obstructions` also says what was checked and what could not be.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..topology.linking import linking_number_crossings
from .diagram import have_snappy, hyperbolic, project
from .link import Link, check_link

__all__ = ["obstruction", "obstructions", "Obstructions"]


@dataclass
class Obstructions:
    """What is known to keep a link's classes together.

    Attributes
    ----------
    found : str or None
        The first obstruction, e.g. "linking number 1 between components 0 and 1".
    checked : list of str
        The invariants computed.
    unchecked : list of str
        The invariants that could not be computed, each with why.
    """

    found: str | None
    checked: list = field(default_factory=list)
    unchecked: list = field(default_factory=list)


def _linking(link: Link) -> str | None:
    for a in link.component_indices(1):
        for b in link.component_indices(0):
            lk = linking_number_crossings(link.components[a], link.components[b])
            if lk != 0:
                i, j = sorted((a, b))
                return f"linking number {abs(lk)} between components {i} and {j}"
    return None


def _hyperbolic(link: Link) -> str | None:
    d = project(link)
    for group in d.groups():
        if len({link.classes[c] for c in group}) < 2:
            continue
        vol = hyperbolic(d.sub_pd(group))
        if vol is not None:
            which = "the link" if len(group) == len(link.components) else f"components {group}"
            return (
                f"the complement of {which} is hyperbolic (volume {vol:.4f}; SnapPy finds all "
                f"tetrahedra positively oriented), so it is irreducible"
            )
    return None


def obstructions(link: Link, *, use_snappy: bool = True) -> Obstructions:
    """Linking numbers, then (with SnapPy) hyperbolic complements; stop at the first found."""
    link = check_link(link)
    out = Obstructions(_linking(link), ["linking numbers between the classes"])
    if out.found is not None:
        return out
    if not use_snappy:
        out.unchecked.append("a hyperbolic complement (not asked for)")
    elif not have_snappy():
        out.unchecked.append(
            "a hyperbolic complement (SnapPy is not installed: pip install 'isotopy[untangle]')"
        )
    else:
        out.checked.append("a hyperbolic complement (SnapPy)")
        out.found = _hyperbolic(link)
    return out


def obstruction(link: Link, *, use_snappy: bool = True) -> str | None:
    """One sentence that proves ``link`` is not split, or None when none was found (see
    :func:`obstructions` for what could not be checked)."""
    return obstructions(link, use_snappy=use_snappy).found
