"""The page's diagnostics of the shown network: the library's per-stage numbers, the Betti
numbers of each class through the network, and how much the viewed stage stretches space."""

from __future__ import annotations

import numpy as np
import torch

from ..errors import InputError
from .views import encode

__all__ = ["diagnostics", "diagnostics_message", "stretch_json"]


@torch.no_grad()
def diagnostics(net, X) -> list[dict]:
    """Per-stage numbers from the library's own diagnostics (:func:`isotopy.topology.
    stage_diagnostics`: the homeomorphism flag by the library's one rule, det, singular
    values, condition number, near-singular flag, note), with each stage's type and the
    spread of its output over X."""
    from ..topology import diagnostics_to_json, stage_diagnostics

    rows = diagnostics_to_json(stage_diagnostics(net))
    reps = net.forward_all(np.asarray(X, np.float32))[1:]
    for row, st, h in zip(rows, net.stages, reps, strict=True):
        row["type"] = st.type_name
        row["spread"] = [float(v) for v in h[0].double().std(0)]
    return rows


def stretch_json(net, domain, k: int, res: int = 64) -> dict:
    """How much input -> hidden stage k of ``net`` stretches space around each point of the
    input box ``domain``: the spectral norm of the Jacobian on a res x res lattice (rows
    follow y); k outside the hidden stages means the last hidden stage."""
    from ..topology import stretch_grid

    stage = net.names[k - 1] if 1 <= k <= len(net.stages) - 1 else -1
    g = stretch_grid(net, bounds=tuple(map(tuple, domain.T)), resolution=res, stage=stage)
    return {
        "stage": g["stage"],
        "norm": g["norm"],
        "bounds": domain.tolist(),
        "values": encode(g["values"]),
    }


def diagnostics_message(session) -> dict:
    """The ``diagnostics`` reply for the network a session shows: the rows (with each
    bounded stage's edge fraction), the Betti numbers of each class's points at every
    representation (or why not), and for 2-D inputs the stretch of the viewed stage."""
    from ..topology import betti_through_network

    net, state, data = session.view_net(), session.shown_state(), session.data
    rows = diagnostics(net, data.X)
    for row in rows:
        if row["name"] in state["edge"]:
            row["edge"] = state["edge"][row["name"]]
    out = {"type": "diagnostics", "rows": rows, "step": state["step"], "state": state["label"]}
    try:  # Betti numbers of each class's points at every representation
        out["betti"] = betti_through_network(
            net, data.X, data.y, maxdim=1, reading="topological"
        ).to_dict()
    except ImportError:  # ripser (the "topology" extra) is not installed
        out["betti_error"] = "Betti numbers need ripser: pip install 'isotopy[topology]'"
    except InputError as e:
        out["betti_error"] = str(e)
    if data.d_in == 2 and len(net.stages) > 1:  # a hidden stage to stretch
        out["stretch"] = stretch_json(net, data.domain, session.stage_view)
    return out
