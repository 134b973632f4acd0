"""``isotopy untangle``: proving that a link is split with a network of 3-unit stages.

A link here is a finite set of disjoint closed polygons in R^3, each with a class (0 or 1).
A network h of invertible affine maps and coordinatewise tanh is a diffeomorphism of R^3
onto an open set; when a plane's read-out f = w·h(x) + c is positive on every point of the
class-1 polygons and negative on every point of the class-0 polygons, its zero set is a
planar surface that separates them, so the link is split (docs/untangle.md states the
theorem and its conditions).

Modules:

- :mod:`.link`: the :class:`~.link.Link` input, its checks and its JSON file;
- :mod:`.families`: random links from named families (split by construction, or not split);
- :mod:`.obstruct`: what proves a link is *not* split (linking numbers, a hyperbolic
  complement);
- :mod:`.search`: many 3-unit networks trained at once, the first that verifies kept;
- :mod:`.verify`: the verifier, from the network and the curves alone;
- :mod:`.certificate`: the certificate folder and its re-check;
- :mod:`.diagram`: the diagram route (a PD code simplified by spherogram), to compare with;
- :mod:`.census`: per family and complexity, how many instances each route decides.
"""

from __future__ import annotations

from .link import Link, check_link, load_link, min_distance, save_link

__all__ = ["Link", "check_link", "min_distance", "load_link", "save_link"]
