"""Width bounds: how many units a layer needs before a network *can* separate the classes.

Nested spheres (a ball inside a spherical shell) in R^n. No network whose hidden layers all
have at most n units separates the ball from the shell, however deep; n + 1 units suffice
(one layer of n + 1 tanh units can lift the ball above the shell).

- The essay's argument: each layer is either a homeomorphism (then the ball is still
  enclosed by the shell and no hyperplane separates them) or has a singular W (then the
  data are collapsed along a direction and ball and shell points are mixed).
- A general theorem: Johnson, "Deep, skinny neural networks are not universal
  approximators", ICLR 2019: for networks whose hidden layers have width <= n (the input
  dimension) and whose activation can be uniformly approximated by injective continuous
  functions (tanh, sigmoid, ReLU, leaky ReLU, ...), every connected component of every
  decision region is unbounded. The bounded ball class can therefore never be a decision
  region on its own: some of the shell is always misclassified.

Links in R^3. Two linked solid tori (linking number != 0) cannot be separated by a network
whose layers are homeomorphisms of R^3 (3-unit layers with non-singular W and injective σ):
an ambient homeomorphism keeps the linking number, and two sets split by a plane have
linking number 0. Every link in R^3 comes apart in R^4, so a 4-unit layer makes separation
possible (the essay: "a 4th dimension"). An unlink needs no extra unit: a network of
3-unit homeomorphism layers that separates two tori certifies that they form an unlink
(the essay's remark, with the ambient isotopy built from the layers).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import InputError, lookup

__all__ = ["WidthBound", "width_bound", "check_width", "SOURCES"]

SOURCES = {
    "essay": 'C. Olah, "Neural Networks, Manifolds, and Topology" (2014), the proof for the '
    "disc inside an annulus and the section on links",
    "johnson": 'J. Johnson, "Deep, skinny neural networks are not universal approximators", '
    "ICLR 2019, Theorem 1",
}


@dataclass
class WidthBound:
    """The width a dataset needs, with its statement and sources."""

    dataset: str
    dim: int  # input dimension
    needed: int | None  # smallest maximal layer width that can separate; None: no bound known
    statement: str
    sources: list[str]

    def __repr__(self) -> str:
        return f"WidthBound({self.dataset!r}, R^{self.dim}, needs a layer of {self.needed})"


def width_bound(dataset: str, **params) -> WidthBound:
    """The width bound for a registered dataset (with its parameters, e.g. ``dim=3``)."""
    from ..datasets import DATASETS, dataset_params

    spec = lookup(DATASETS, dataset, "dataset")
    defaults = dataset_params(dataset)
    dim = spec.dim or int(params.get("dim", defaults.get("dim", 2)))
    if spec.labels_fn is not None and not spec.is_link:  # the nested-spheres family
        return WidthBound(
            dataset,
            dim,
            dim + 1,
            f"no network whose hidden layers all have at most {dim} units separates the ball "
            f"from the shell in R^{dim}, at any depth; one layer of {dim + 1} units suffices",
            [SOURCES["essay"], SOURCES["johnson"]],
        )
    if dataset == "linked_tori":
        k = int(params.get("linking", defaults.get("linking", 1)))
        return WidthBound(
            dataset,
            3,
            4,
            f"the tori have linking number {k} != 0, which every homeomorphism of R^3 keeps: "
            "no network of 3-unit homeomorphism layers separates them; a 4-unit layer (a 4th "
            "dimension) lets them come apart",
            [SOURCES["essay"]],
        )
    if dataset == "unlink":
        return WidthBound(
            dataset,
            3,
            3,
            "the two tori form an unlink: 3-unit layers can separate them, and a 3-unit "
            "network of homeomorphisms that does so is a certificate that they are unlinked",
            [SOURCES["essay"]],
        )
    return WidthBound(
        dataset,
        dim,
        None,
        "no topological width bound is known for this dataset beyond the input dimension",
        [],
    )


def check_width(net, dataset: str, **params) -> dict:
    """Compare a network's widths with the dataset's bound.

    Returns
    -------
    dict
        ``bound`` (WidthBound as a dict), ``max_width`` (largest hidden width, the input
        width when there is no hidden layer), ``can_separate`` (False when the theorem rules
        it out, True when the bound allows it, None when no bound is known), ``verdict``.
    """
    from .diagnostics import stage_diagnostics

    bound = width_bound(dataset, **params)
    if net.d_in != bound.dim:
        raise InputError(
            f"dataset {dataset!r} lives in R^{bound.dim} but the network takes {net.d_in} inputs"
        )
    widths = [s.d_out for s in net.stages[:-1]]
    max_width = max(widths, default=net.d_in)
    diags = stage_diagnostics(net, include_readout=False)
    all_homeo = all(d.homeomorphism for d in diags)
    if bound.needed is None:
        can, verdict = None, bound.statement
    elif max_width >= bound.needed:
        can = True
        verdict = (
            f"the widest layer has {max_width} >= {bound.needed} units: the bound "
            "allows separation (whether training finds it is another matter)"
        )
    elif dataset == "linked_tori" and not all_homeo:
        can = None
        verdict = (
            f"layers of at most {max_width} units, but not all of them are "
            "homeomorphisms: the linking argument does not apply to this network"
        )
    else:
        can = False
        verdict = (
            f"every layer has at most {max_width} < {bound.needed} units: by the "
            f"theorem this network cannot separate {dataset} completely"
        )
    return {
        "bound": asdict(bound),
        "widths": widths,
        "max_width": max_width,
        "all_homeomorphisms": all_homeo,
        "can_separate": can,
        "verdict": verdict,
    }
