"""The report's layout: experiments compute, sections format.

Every report section names the registered experiments its numbers come from, and no
section trains a network or switches matplotlib's backend; read from the source (AST), so
these tests need no training.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import isotopy.report.sections as sections_pkg
from isotopy.experiments import EXPERIMENTS
from isotopy.report import SECTIONS

SECTIONS_DIR = Path(sections_pkg.__file__).parent
REPORT_DIR = SECTIONS_DIR.parent

# what trains a network (isotopy.train's entry points and the experiments' batch helpers)
TRAINING = {"fit", "train_run", "run_of", "Trainer", "TrainConfig"}
TRAINING |= {"train_seeds", "fit_seeds", "train_config"}


def offences(source: str) -> list[str]:
    """Uses of a training name (called, imported or looked up as an attribute) and backend
    switches (``matplotlib.use``, ``switch_backend``) in Python ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        name = None
        if isinstance(node, ast.Name):
            name = node.id
        elif isinstance(node, ast.Attribute):
            name = node.attr
            if name == "use" and isinstance(node.value, ast.Name) and node.value.id == "matplotlib":
                found.append(f"line {node.lineno}: matplotlib.use")
                continue
            if name == "switch_backend":
                found.append(f"line {node.lineno}: switch_backend")
                continue
        elif isinstance(node, ast.alias):
            name = node.name.rsplit(".", 1)[-1]
        if name in TRAINING:
            found.append(f"line {getattr(node, 'lineno', '?')}: {name}")
    return found


def _modules():
    return sorted(SECTIONS_DIR.glob("*.py")) + sorted(REPORT_DIR.glob("*.py"))


def _allowed(path: Path, found: list[str]) -> list[str]:
    """The report's start (``report/__init__.py``) alone may set the backend."""
    if path == REPORT_DIR / "__init__.py":
        return [f for f in found if "matplotlib.use" not in f]
    return found


def test_the_check_finds_training_and_backend_switches():
    bad = (
        "import matplotlib\n"
        "from ...train import fit, run_of as r\n"
        "def build(ctx):\n"
        "    matplotlib.use('Agg')\n"
        "    net = x.Trainer()\n"
        "    return r\n"
    )
    found = offences(bad)
    assert any("matplotlib.use" in f for f in found)
    assert {f.split(": ")[1] for f in found} >= {"fit", "run_of", "Trainer"}
    good = "from ...experiments.first_examples import run_with_networks\nx = fig.fit_width\n"
    assert offences(good) == []


@pytest.mark.parametrize("path", _modules(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_section_trains_or_switches_the_backend(path):
    found = _allowed(path, offences(path.read_text(encoding="utf-8")))
    assert not found, f"{path.name} trains or switches the backend: " + "; ".join(found)


def test_the_backend_is_set_once_where_the_report_starts():
    text = (REPORT_DIR / "__init__.py").read_text(encoding="utf-8")
    assert text.count('matplotlib.use("Agg")') == 1


@pytest.mark.parametrize("name", SECTIONS)
def test_every_section_names_its_registered_experiments(name):
    mod = importlib.import_module(f"isotopy.report.sections.{name}")
    assert isinstance(mod.EXPERIMENTS, tuple) and mod.EXPERIMENTS, name
    unknown = [e for e in mod.EXPERIMENTS if e not in EXPERIMENTS]
    assert not unknown, f"section {name} names unregistered experiments {unknown}"
    assert mod.TITLE and callable(mod.build)


def test_every_section_module_is_listed():
    modules = {p.stem for p in SECTIONS_DIR.glob("*.py") if not p.stem.startswith("_")}
    assert modules == set(SECTIONS)


def test_functions_and_modules_of_the_report_and_experiments_are_short():
    import isotopy.experiments as exp_pkg

    roots = [REPORT_DIR, Path(exp_pkg.__file__).parent]
    long = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if len(text.splitlines()) > 600:
                long.append(f"{path.name}: {len(text.splitlines())} lines")
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    n = node.end_lineno - node.lineno + 1
                    if n > 120:
                        long.append(f"{path.name}: {node.name} is {n} lines")
    assert not long, "; ".join(long)
