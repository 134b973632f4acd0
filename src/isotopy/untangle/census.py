"""The census: per family and complexity, what 3-unit networks certify and what diagrams decide.

For every instance (a family, a complexity, a seed) three things run, each timed:

1. the obstructions (:func:`.obstruct.obstructions`): linking numbers, a hyperbolic
   complement;
2. the diagram route (:func:`.diagram.diagram_route`): a PD code simplified by spherogram;
3. the network route: a search for a 3-unit network whose read-out separates the classes on
   the continuous curves (``certify``; by default :func:`isotopy.untangle.search.search`),
   and the network it found verified once more from the network and the curves alone
   (:func:`isotopy.untangle.verify.verify`).

The non-split controls (Hopf, torus links, Whitehead, Borromean) are searched too, with
their own budget: a correct verifier certifies none of them, and the census counts the
certificates it got there (it must be zero). Failing to certify a split instance proves
nothing about it; a certificate proves it split.

:func:`census` returns a :class:`Census` (one :class:`Row` per instance, the summaries per
family and complexity, and the networks that certified, for drawing);
:meth:`Census.to_dict` is its JSON form.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from ..errors import InputError, lookup
from ..experiments import make_config, setting
from .families import FAMILIES, SPLIT, USES_COMPLEXITY

__all__ = ["CensusConfig", "Attempt", "Row", "Census", "census", "search_attempt"]

SPLIT_FAMILIES = tuple(n for n in FAMILIES if SPLIT[n])
CONTROLS = tuple(n for n in FAMILIES if not SPLIT[n])


@dataclass(frozen=True)
class CensusConfig:
    """Settings of :func:`census` (``quick()``: a few seconds, for tests)."""

    families: tuple[str, ...] = setting(SPLIT_FAMILIES, "split families in the census")
    complexities: tuple[int, ...] = setting(
        (1, 2), "complexities of the families that have one (the others run at 1)"
    )
    controls: tuple[str, ...] = setting(CONTROLS, "non-split controls (searched too)")
    instances: int = setting(3, "random instances (seeds) per family and complexity")
    networks: int = setting(48, "networks trained at most per split instance")
    control_networks: int = setting(16, "networks trained on each control")
    per_batch: int = setting(16, "networks trained at once")
    steps: int = setting(800, "full-batch Adam steps per network")
    seed: int = setting(0, "first instance seed; the networks' seed too")

    @classmethod
    def quick(cls) -> CensusConfig:
        """Two split families and two controls, one instance each, tiny searches."""
        return cls(
            families=("threaded", "coil"),
            complexities=(1,),
            controls=("hopf", "whitehead"),
            instances=1,
            networks=8,
            control_networks=8,
            per_batch=8,
            steps=300,
        )

    def __post_init__(self):
        for name in self.families + self.controls:
            lookup(FAMILIES, name, "link family")
        for name in self.families:
            if not SPLIT[name]:
                raise InputError(f"{name!r} is not split; list it among the controls")
        for name in self.controls:
            if SPLIT[name]:
                raise InputError(f"{name!r} is split; list it among the families")
        if not self.complexities or any(
            isinstance(c, bool) or not isinstance(c, int) or c < 1 for c in self.complexities
        ):
            raise InputError(f"complexities must be integers >= 1, got {self.complexities!r}")
        for name in ("instances", "networks", "control_networks", "per_batch", "steps"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise InputError(f"{name} must be an integer >= 1, got {v!r}")


@dataclass
class Attempt:
    """What the network route did on one link."""

    certified: bool
    networks: int  # trained
    seconds: float  # the whole search
    depth: int | None = None  # hidden layers of the certifying network
    margin: float | None = None  # its certified least margin
    network: object = None  # the PlainNetwork that certified, or None


def search_attempt(link, cfg: CensusConfig, networks: int, seed: int) -> Attempt:
    """The network route by :func:`isotopy.untangle.search.search` (the default ``certify``)."""
    from .search import SearchConfig, search

    per_batch = min(cfg.per_batch, networks)
    sc = SearchConfig(networks=networks, per_batch=per_batch, steps=cfg.steps, seed=seed)
    r = search(link, sc)
    v = r.verification
    return Attempt(
        r.certified,
        r.tried,
        r.seconds,
        r.network.depth if r.certified else None,
        v.margin if v is not None else None,
        r.network,
    )


def _warm_up(link) -> None:
    from .search import SearchConfig, search

    search(link, SearchConfig(networks=1, per_batch=1, steps=2, check_every=1))


@dataclass
class Row:
    """One instance of the census."""

    family: str
    complexity: int
    seed: int
    split: bool  # by construction
    obstruction: str | None
    obstruction_seconds: float
    diagram: str  # "split", "not split" or "unknown"
    diagram_reason: str
    diagram_seconds: float
    crossings: int
    certified: bool
    networks: int
    search_seconds: float
    depth: int | None
    margin: float | None
    reverified: bool | None  # the certifying network verified again (None: none certified)


def _median(values) -> float | None:
    values = [v for v in values if v is not None]
    return float(statistics.median(values)) if values else None


@dataclass
class Census:
    """The rows, their summaries per (family, complexity), and the certifying networks."""

    config: dict
    rows: list = field(default_factory=list)
    networks: dict = field(default_factory=dict)  # (family, complexity, seed) -> PlainNetwork
    seconds: float = 0.0

    def summary(self) -> list[dict]:
        """Per (family, complexity), in census order: shares and median times."""
        groups: dict = {}
        for r in self.rows:
            groups.setdefault((r.family, r.complexity), []).append(r)
        out = []
        for (family, complexity), rows in groups.items():
            n = len(rows)
            certified = [r for r in rows if r.certified]
            decided = [r for r in rows if r.diagram != "unknown"]
            out.append(
                {
                    "family": family,
                    "complexity": complexity,
                    "split": rows[0].split,
                    "instances": n,
                    "certified": len(certified) / n,
                    "median_networks": _median([r.networks for r in certified]),
                    "median_certify_seconds": _median([r.search_seconds for r in certified]),
                    "median_search_seconds": _median([r.search_seconds for r in rows]),
                    "diagram_decided": len(decided) / n,
                    "diagram_right": sum(_right(r) for r in decided) / n,
                    "median_diagram_seconds": _median([r.diagram_seconds for r in rows]),
                    "obstructed": sum(r.obstruction is not None for r in rows) / n,
                    "median_crossings": _median([r.crossings for r in rows]),
                }
            )
        return out

    def control_certificates(self) -> int:
        """Certificates on non-split links: a correct verifier gives none."""
        return sum(r.certified for r in self.rows if not r.split)

    def wrong(self) -> list[str]:
        """Every answer that contradicts the construction (there should be none)."""
        out = []
        for r in self.rows:
            name = f"{r.family} {r.complexity} seed {r.seed}"
            if r.certified and not r.split:
                out.append(f"{name}: certified split but not split")
            if r.obstruction is not None and r.split:
                out.append(f"{name}: obstructed ({r.obstruction}) but split")
            if r.diagram != "unknown" and not _right(r):
                out.append(f"{name}: the diagram route says {r.diagram}")
        return out

    def to_dict(self) -> dict:
        return {
            "config": self.config,
            "depths": list(_search_depths()),
            "rows": [asdict(r) for r in self.rows],
            "summary": self.summary(),
            "control_certificates": self.control_certificates(),
            "wrong": self.wrong(),
            "seconds": round(self.seconds, 3),
        }


def _search_depths() -> tuple:
    """The hidden-layer counts the search takes in turn (its settings' default)."""
    from .search import SearchConfig

    return SearchConfig().depths


def _right(r: Row) -> bool:
    return (r.diagram == "split") == r.split


def _instances(cfg: CensusConfig):
    """(family, complexity, seed, networks) in census order: split families, then controls."""
    out = []
    for name in cfg.families + cfg.controls:
        budget = cfg.networks if SPLIT[name] else cfg.control_networks
        complexities = cfg.complexities if USES_COMPLEXITY[name] else (1,)
        for c in complexities:
            for k in range(cfg.instances):
                out.append((name, c, cfg.seed + k, budget))
    return out


def _row(name, c, seed, budget, cfg, certify) -> tuple[Row, object]:
    from .diagram import diagram_route
    from .obstruct import obstructions
    from .verify import verify

    link = FAMILIES[name](seed, c)
    t0 = time.perf_counter()
    obs = obstructions(link)
    t_obs = time.perf_counter() - t0
    d = diagram_route(link, seed=seed)
    a = certify(link, cfg, budget, seed)
    again = verify(a.network, link).verified if a.certified else None
    row = Row(
        name,
        c,
        seed,
        SPLIT[name],
        obs.found,
        round(t_obs, 4),
        d.verdict,
        d.reason,
        round(d.seconds, 4),
        d.crossings,
        bool(a.certified and again),
        a.networks,
        round(a.seconds, 3),
        a.depth,
        a.margin,
        again,
    )
    return row, (a.network if row.certified else None)


def census(
    config: CensusConfig | None = None,
    *,
    certify: Callable | None = None,
    progress=None,
    **changes,
) -> Census:
    """Run the census (see the module docstring).

    Parameters
    ----------
    config : CensusConfig, optional
    certify : callable, optional
        ``certify(link, config, networks, seed) -> Attempt``: the network route;
        default :func:`search_attempt`.
    progress : callable, optional
        ``progress(done, total)`` in instances.
    **changes
        Settings changed from ``config``.

    Returns
    -------
    Census
    """
    cfg = make_config(CensusConfig, config, changes)
    certify = certify or search_attempt
    todo = _instances(cfg)
    out = Census(asdict(cfg))
    if certify is search_attempt and todo:  # the first search's one-time costs, untimed
        _warm_up(FAMILIES[todo[0][0]](todo[0][2], todo[0][1]))
    start = time.perf_counter()
    for i, (name, c, seed, budget) in enumerate(todo):
        row, net = _row(name, c, seed, budget, cfg, certify)
        out.rows.append(row)
        if net is not None:
            out.networks[(name, c, seed)] = net
        if progress is not None:
            progress(i + 1, len(todo))
    out.seconds = time.perf_counter() - start
    return out
