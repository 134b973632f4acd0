"""The page's views of the shown network: the view update streamed while it trains, and the
network's description.

Views come from the library as Scenes (``stage_scene``, ``decision_field``) and go to the
page as plain arrays (float32 / uint8, base64, :func:`.views.encode`). They are drawn in the
oriented coordinates of the library's static views and animations: two units swapped where
a square layer has det W < 0 (:func:`isotopy.paths.orient.orient_in_place` on one kept copy
of the shown network, so that a streamed view costs no deep copy). One pass per view pushes
the points, the input grid's vertices and the input's decision-field lattice through that
copy together (:func:`isotopy.scene.build.push_together`).
"""

from __future__ import annotations

import copy
import time
from types import SimpleNamespace

import numpy as np
import torch

from ..nn.stages import features_injective
from ..paths.orient import orient_in_place
from ..scene import decision_field, input_grid, stage_scene
from ..scene.build import field_from_logits, field_lattice, push_together, stage_words, swapped_at
from ..topology.saturation import bounded_image, edge_fraction
from .units import unit_views_message
from .views import encode, grid_plan

__all__ = ["SessionViews", "FIELD_RES", "COARSE_FIELD_RES", "COARSE_GRID_SAMPLES"]

FIELD_RES = 72  # decision-region texture per axis: smooth once drawn with bilinear scaling
# Coarser views while many tabs train at once (the server sets SessionViews.coarse): half the
# decision-field texture and half the vertices per grid line, and the accuracy, loss and
# edge fractions refreshed at most every COARSE_REFRESH_S while training; the frame says so.
COARSE_FIELD_RES = 36
COARSE_GRID_SAMPLES = 20
COARSE_REFRESH_S = 0.5


class SessionViews:
    """The views of one tab: its stage view's choice, its caches, and the view updates.

    Parameters
    ----------
    training : TrainingControl
        The network, its data and its record.
    shown : ShownState
        Which state the views show.
    stage_view : int
        The representation the stage view shows (0: the input).
    """

    def __init__(self, training, shown, stage_view: int = 0):
        self.training, self.shown = training, shown
        self.stage_view = stage_view
        self.coarse = False  # set by the server while many tabs train: cheaper, coarser views
        self._orient = None  # (network, its oriented copy, their tensors)
        self._grid = self._lattice = None  # (key, array): the input box's grid and lattice
        self._shown_cache = None  # (time, key, state) of the coarse view
        self._eval_time = 0.0
        self.units_live = None  # the unit views' resolution while the page streams them

    @property
    def data(self):
        return self.training.data

    def readout_in(self) -> int:
        """The representation the read-out reads."""
        return len(self.training.net.stages) - 1

    def network_changed(self) -> None:
        """A new network: the stage view stays within its representations."""
        self.stage_view = min(self.stage_view, len(self.training.net.stages))

    # ------------------------------------------------------------------- the network
    def network_message(self) -> dict:
        """The ``network`` message: its representations named in words, and its settings."""
        tr = self.training
        net = tr.cpu_net()
        names = ["input", *net.names]
        dims = [tr.data.d_in, *[s.d_out for s in net.stages]]
        return {
            "type": "network",
            "stages": [
                {"index": i, "name": n, "dim": d, "words": stage_words(net, i)}
                for i, (n, d) in enumerate(zip(names, dims))
            ],
            "readout_in": self.readout_in(),
            "layer_ends": [0, *[i + 1 for i in net.layer_ends()]],
            "repr": repr(net),
            "hidden": list(tr.hidden),
            "activation": tr.activation,
            "seed": tr.net_seed,
            "features": None if tr.features is None else list(tr.features),
            "features_note": self.features_note(),
        }

    def features_note(self) -> str | None:
        """Where the network's input features are no embedding of the data's box, the
        library's sentence saying which points they fold together; else None."""
        feats = self.training.features
        if feats is None:
            return None
        ok, sentence = features_injective(feats, self.data.domain.tolist())
        return None if ok else sentence

    # ------------------------------------------------------------------ the unit views
    def unit_views(self, resolution: int) -> dict:
        """The ``unit_views`` message of the shown network over the data's box
        (:func:`.units.unit_views_message`); 2-D data only."""
        net = self.shown.net()
        step = self.training.step_count if self.shown.live else self.shown.state.step
        return unit_views_message(
            net, self.data.domain, resolution, step=step, shown=self.shown.show
        )

    def live_unit_views(self) -> dict | None:
        """The unit views streamed after a view update, while the page asks for them and
        the data is 2-D; else None."""
        if self.units_live is None or self.data.d_in != 2:
            return None
        return {**self.unit_views(self.units_live), "id": None}

    def oriented(self, net):
        """``orient_network(net)``, without copying the network on every view: the first
        call for a network deep-copies it once; later calls load its present parameters
        into that copy and orient the copy in place (:func:`~isotopy.paths.orient.
        orient_in_place`). Returns ``(oriented copy, swaps)``; the copy is reused by the
        next call."""
        cache = self._orient
        if cache is None or cache[0] is not net:
            onet = copy.deepcopy(net)
            dst = list(onet.state_dict(keep_vars=True).values())
            src = list(net.state_dict(keep_vars=True).values())
            cache = self._orient = (net, onet, dst, src)
        _, onet, dst, src = cache
        with torch.no_grad():
            torch._foreach_copy_(dst, src)
        return onet, orient_in_place(onet)

    # ---------------------------------------------------------------------- one pass
    def _input_grid(self, lines: int, samples: int) -> np.ndarray:
        """The input box's grid polylines (L, P, d), kept until the box or plan changes."""
        domain = self.data.domain
        key = (domain.tobytes(), lines, samples)
        if self._grid is None or self._grid[0] != key:
            self._grid = (key, input_grid(domain, lines=lines, samples=samples))
        return self._grid[1]

    def _field_points(self, res: int) -> np.ndarray:
        """The input box's decision-field lattice, kept until the box or resolution changes."""
        domain = self.data.domain
        key = (domain.tobytes(), res)
        if self._lattice is None or self._lattice[0] != key:
            self._lattice = (key, field_lattice(domain, res))
        return self._lattice[1]

    def view_pass(self, net=None) -> SimpleNamespace:
        """Everything a view update needs from the network, in one pass.

        The points (training, then test), the vertices of the input grid and, for inputs of
        1 or 2 dimensions, the input's decision-field lattice go through the oriented copy of
        ``net`` (default: the shown network) together. The grid and lattice are made once
        per input box and kept. Returns the network, the oriented copy and swaps, the grid,
        the field resolution and ``reps[i][k]``: set i (0 points, 1 grid vertices, 2
        lattice) at representation k.
        """
        net = net or self.shown.net()
        onet, swaps = self.oriented(net)
        d_in = self.data.d_in
        lines, samples = grid_plan(d_in)
        if self.coarse:
            samples = max(2, min(samples, COARSE_GRID_SAMPLES))
        res = COARSE_FIELD_RES if self.coarse else FIELD_RES
        grid0 = self._input_grid(lines, samples)
        sets = [self.data.X, grid0.reshape(-1, d_in)]
        if d_in <= 2:
            sets.append(self._field_points(res))
        reps = push_together(onet, sets)
        return SimpleNamespace(net=net, onet=onet, swaps=swaps, grid=grid0, res=res, reps=reps)

    def _pass_edge(self, vp) -> dict:
        """:func:`saturation_by_stage` of the pass's network on the training points, read off
        the pass (the edge fraction does not depend on the order of units)."""
        n_train = len(self.data.X_train)
        out = {}
        for j, stage in enumerate(vp.onet.stages):
            image = bounded_image(stage)
            if image is not None:
                Z = vp.reps[0][j + 1][:n_train].double().numpy()
                out[vp.onet.names[j]] = edge_fraction(Z, image)
        return out

    # ------------------------------------------------------------------------ scenes
    def scene_json(self, k: int, net=None, state: dict | None = None, vp=None) -> dict:
        """Representation k as plain arrays (points, grid, bounds, separator, field), named
        in words, in the oriented coordinates; ``state`` (:meth:`ShownState.describe`) puts
        the state into the title and the stage's edge fraction into the reply. ``vp``: the
        :meth:`view_pass` of ``net`` when the caller has it."""
        vp = vp or self.view_pass(net)
        net, onet, swaps = vp.net, vp.onet, vp.swaps
        data = self.data
        label = stage_words(onet, k)  # the title stage_scene gives an oriented network
        swapped = swapped_at(onet, swaps, k)
        if swapped is not None:
            label += f" (units {swapped[0] + 1}\u2194{swapped[1] + 1} swapped)"
        if state:
            label += f"\n{state['label']}"
        sc = stage_scene(
            onet,
            data.X,
            data.y,
            k,
            domain=data.domain,
            regions=False,
            orient=False,
            title=label,
            state=state["label"] if state else None,
            grid=vp.grid,
            pushed=(vp.reps[0][k], vp.reps[1][k]),
            camera=False,  # the page's 3-D view is turned by hand, redrawn every frame
        )
        meta = {m: v for m, v in sc.meta.items() if isinstance(v, (str, int, float))}
        if swapped is not None:
            meta["swapped"] = [int(u) for u in swapped]
        out = {
            "index": k,
            "title": sc.title,
            "dim": sc.dim,
            "meta": meta,
            "points": encode(sc.points),
            "grid": encode(sc.grid),
            "bounds": sc.bounds.tolist(),
            "separator": None if sc.separator is None else sc.separator.tolist(),
        }
        if state and 1 <= k <= len(net.stages):
            out["edge"] = state["edge"].get(net.names[k - 1])
        if sc.dim <= 2 and k in (0, self.readout_in()) and "projection" not in sc.meta:
            if k == 0:  # the whole network over the input box, from the pass
                out["field"] = self._input_field(vp)
            else:  # the read-out alone, in the same oriented coordinates as the points
                out["field"] = self.field_json(k, sc.bounds, onet)
        return out

    def _input_field(self, vp) -> dict:
        """The input's decision field, from the logits of the pass's lattice."""
        return self._field_message(field_from_logits(vp.reps[2][-1], self.data.domain, vp.res))

    def _field_message(self, f) -> dict:
        n_classes = self.data.n_classes
        vals = f.values if f.kind == "probability" else f.values / max(n_classes - 1, 1)
        return {
            "kind": f.kind,
            "bounds": np.asarray(f.bounds).tolist(),
            "values": encode(np.clip(np.round(vals * 255), 0, 255), np.uint8),
        }

    def field_json(self, k: int, bounds, net=None) -> dict:
        """The decision field of representation k over ``bounds`` (default network: the
        shown one)."""
        res = COARSE_FIELD_RES if self.coarse else FIELD_RES
        net = net or self.shown.net()
        return self._field_message(decision_field(net, bounds, res=res, stage=k))

    # -------------------------------------------------------------------- the update
    def _state(self, vp, now: float, fresh: bool) -> dict:
        """The shown state for a frame: afresh, or while coarse the edge fractions of a
        moment ago with the step shown now."""
        shown, live = self.shown, self.shown.live
        key = (shown.show, self.data.version, id(self.training.net))
        c = self._shown_cache
        if fresh or c is None or c[1] != key or now - c[0] >= COARSE_REFRESH_S:
            state = shown.describe(self._pass_edge(vp) if live else None)
            self._shown_cache = (now, key, state)
            return state
        state = dict(c[2])
        if state["kind"] != "readable":
            step = self.training.step_count
            state.update(step=step, final_step=step, label=shown.live_label())
        return state

    def frame(self) -> dict:
        """The view update: new curve points, the shown state, the input's decision regions
        and the chosen stage (both of the shown network).

        One :meth:`view_pass` gives the points, grid and input field of the shown network
        and, when that is the live network, the logits for accuracy and loss and the edge
        fractions. While :attr:`coarse` (many tabs train at once) the view is cheaper: a
        coarser field and grid, and the evaluation and edge fractions at most every
        ``COARSE_REFRESH_S`` seconds while training; the frame's ``coarse`` entry says so.
        """
        now = time.perf_counter()
        tr = self.training
        fresh = not (self.coarse and tr.busy)
        self.shown.refresh()
        net = self.shown.net()
        vp = self.view_pass(net)
        live = self.shown.live
        n_train = len(self.data.X_train)
        if fresh or not tr.evals or now - self._eval_time >= COARSE_REFRESH_S:
            out = vp.reps[0][-1]
            tr.evaluate((out[:n_train], out[n_train:]) if live else None)
            self._eval_time = now
        state = self._state(vp, now, fresh)
        msg = {
            "type": "frame",
            "step": tr.step_count,
            "playing": tr.playing,
            **tr.curves_message(),
            "state": state,
        }
        if self.data.d_in <= 2:
            msg["input_field"] = self._input_field(vp)
        if self.stage_view > 0 or self.data.d_in > 2:
            msg["stage"] = self.scene_json(self.stage_view, net, state, vp=vp)
        if self.coarse:
            msg["coarse"] = True
        return msg
