"""Every training default is written once (isotopy.train.config) and read everywhere else:
fit, Trainer, the sweep grid and the flags of ``isotopy train`` / ``isotopy sweep``."""

from __future__ import annotations

import argparse
import ast
import inspect
from dataclasses import asdict, fields
from pathlib import Path

import pytest

import isotopy
from isotopy.sweep import SweepGrid
from isotopy.train import ENGINE, TrainConfig, Trainer, fit
from isotopy.train.config import DEVICE, SWEEP_STEPS

ROOT = Path(isotopy.__file__).parent
# the values the report's claims were computed with: they must not move
VALUES = dict(
    steps=3000,
    lr=0.02,
    batch_size=None,
    optimizer="adam",
    seed=0,
    record_every=None,
    test_size=0.25,
    weight_penalty=0.0,
    edge_penalty=1.0,
    edge_bound=1.5,
    edge_start=0.5,
    edge_ramp=1.0,
)


def test_the_defaults_keep_their_values():
    assert {k: v for k, v in asdict(TrainConfig()).items() if k in VALUES} == VALUES
    assert asdict(TrainConfig())["l1"] == asdict(TrainConfig())["l2"] == 0.0
    # a run trains with the edge penalty, the engine plainly: the one difference
    diff = {k for k, v in asdict(ENGINE).items() if asdict(TrainConfig())[k] != v}
    assert diff == {"edge_penalty"} and ENGINE.edge_penalty == 0.0
    assert (SWEEP_STEPS, DEVICE) == (2000, "cpu")


def _defaults(fn) -> dict:
    return {
        k: p.default
        for k, p in inspect.signature(fn).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


@pytest.mark.parametrize("fn", [fit, Trainer.__init__], ids=["fit", "Trainer"])
def test_fit_and_trainer_take_the_engine_defaults(fn):
    engine = asdict(ENGINE)
    got = _defaults(fn)
    if fn is Trainer.__init__:  # an interval, not fit's None ("about 100 snapshots")
        assert got.pop("record_every") == 1
    shared = set(got) & set(engine)
    assert {"lr", "optimizer", "batch_size", "seed", "l1", "l2", "edge_penalty"} <= shared
    assert {k: got[k] for k in shared} == {k: engine[k] for k in shared}
    assert got["device"] == DEVICE


def test_the_sweep_grid_reads_the_engine_defaults():
    g = SweepGrid()
    assert (g.steps, g.lr, g.batch_size, g.optimizer, g.test_size) == (
        SWEEP_STEPS,
        ENGINE.lr,
        ENGINE.batch_size,
        ENGINE.optimizer,
        ENGINE.test_size,
    )
    assert g.contractive == (ENGINE.contractive,)


def _subparser(name: str) -> argparse.ArgumentParser:
    from isotopy.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


@pytest.mark.parametrize("command,defaults", [("train", TrainConfig()), ("sweep", SweepGrid())])
def test_flags_take_default_and_help_from_the_config(command, defaults):
    from isotopy.cli.sweep import SWEEP_FLAGS
    from isotopy.cli.train import TRAIN_FLAGS

    names = TRAIN_FLAGS if command == "train" else SWEEP_FLAGS
    parser = _subparser(command)
    helps = {f.name: f.metadata["help"] for f in fields(TrainConfig)}
    by_dest = {a.dest: a for a in parser._actions}
    for name in names:
        action = by_dest[name]
        assert action.default == getattr(defaults, name), name
        assert action.help.startswith(helps[name]), name
    assert by_dest["device"].default == DEVICE
    text = " ".join(parser.format_help().split())
    assert "--l1 RATE" in text or command == "sweep"
    shown = SWEEP_STEPS if command == "sweep" else TrainConfig().steps
    assert f"optimiser steps (default: {shown})" in text
    assert "learning rate (default: 0.02)" in text


# Default values that belong to isotopy.train.config alone: a function or field default equal
# to one of these anywhere else in the training code is a second home.
_HOMED = {3000, 0.02, 0.25, 1.5, 2000, "adam"}
_FILES = [
    *sorted((ROOT / "train").rglob("*.py")),
    *sorted((ROOT / "sweep").glob("*.py")),
    ROOT / "cli" / "train.py",
    ROOT / "cli" / "sweep.py",
]


def _literal_defaults(path: Path):
    """(line, value) of every constant given as a default: of a function parameter, of a
    dataclass field, of an argparse flag (``default=...``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        values = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            values = [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]
        elif isinstance(node, ast.ClassDef):
            values = [s.value for s in node.body if isinstance(s, ast.AnnAssign) and s.value]
        elif isinstance(node, ast.Call):
            values = [k.value for k in node.keywords if k.arg == "default"]
        for v in values:
            if isinstance(v, ast.Constant) and not isinstance(v.value, bool):
                yield v.lineno, v.value


def test_no_default_is_written_twice():
    bad = [
        f"{p.relative_to(ROOT)}:{line}: {value!r}"
        for p in _FILES
        if p.name != "config.py"
        for line, value in _literal_defaults(p)
        if value in _HOMED
    ]
    assert not bad, "training defaults written outside isotopy.train.config:\n" + "\n".join(bad)


def test_the_scan_sees_a_second_home(tmp_path):
    # the rule above must be able to fail
    f = tmp_path / "m.py"
    f.write_text(
        "def fit(lr=0.02, *, steps=3000):\n    pass\n\n"
        "class G:\n    optimizer: str = 'adam'\n\n"
        "p.add_argument('--lr', default=0.02)\n"
    )
    assert [v for _, v in _literal_defaults(f)] == [0.02, 3000, "adam", 0.02]


def test_the_edge_penalty_schedule(capsys):
    from isotopy.cli import main
    from isotopy.errors import InputError
    from isotopy.train.penalties import edge_full_step, edge_step

    assert (edge_step(3000), edge_full_step(3000)) == (1500, 3000)  # halfway, to the end
    assert edge_full_step(3000, 0.5, 0.5) == 2250
    assert (edge_step(3000, 0.0), edge_full_step(3000, 0.0, 0.0)) == (0, 0)  # full at once
    with pytest.raises(InputError, match="ramp must be a share"):
        edge_full_step(3000, 0.5, 1.5)
    assert main(["train", "--dataset", "interval", "--edge-ramp", "2", "--out", "x"]) == 2
    assert "--edge-ramp must be a share in [0, 1], got 2.0" in capsys.readouterr().err


def test_full_strength_from_the_first_step_keeps_every_snapshot_off_the_edges():
    from isotopy.topology.saturation import saturation_by_stage

    kw = dict(hidden=(2,), seed=0, steps=600, n=200, record_every=50)
    ramped = isotopy.train_run("interval", edge_start=0.0, **kw)
    full = isotopy.train_run("interval", edge_start=0.0, edge_ramp=0.0, **kw)

    def worst(run):
        h = run.history
        return max(
            max(saturation_by_stage(h.network_at(run.net, s), run.X).values())
            for s in h.record_steps
        )

    assert full.train.edge_ramp == 0.0 and worst(full) <= 0.2 < worst(ramped)
    assert full.history.final_train_accuracy[0] == 1.0
