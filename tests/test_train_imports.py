"""No import cycle in isotopy.train: no module under train/ imports one that imports it back,
directly or through others (read from the source with ast, lazy imports inside functions
included)."""

from __future__ import annotations

import ast
from pathlib import Path

import isotopy

TRAIN = Path(isotopy.__file__).parent / "train"


def _module_name(root: Path, f: Path) -> tuple[str, ...]:
    parts = f.relative_to(root).with_suffix("").parts
    return parts[:-1] if parts[-1] == "__init__" else parts


def import_graph(root: Path) -> dict[tuple[str, ...], set[tuple[str, ...]]]:
    """{module: modules under ``root`` it imports}, modules named by their path below
    ``root`` (a package by its folder). ``from .pkg import name`` counts as an import of the
    module ``pkg.name`` where that is a module, else of ``pkg`` itself; only relative imports
    are followed (the package imports itself no other way)."""
    files = {_module_name(root, f): f for f in sorted(root.rglob("*.py"))}
    graph = {}
    for mod, f in files.items():
        package = mod if f.name == "__init__.py" else mod[:-1]
        targets = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not node.level:
                continue
            up = node.level - 1
            if up > len(package):
                continue  # above root: another subpackage of isotopy
            base = package[: len(package) - up] + tuple(
                node.module.split(".") if node.module else ()
            )
            for alias in node.names:
                sub = (*base, alias.name)
                if sub in files:
                    targets.add(sub)
                elif base in files:
                    targets.add(base)
        targets.discard(mod)
        graph[mod] = targets
    return graph


def cycles(graph) -> list[list[tuple[str, ...]]]:
    """Every import cycle found by depth-first search, each as the modules along it."""
    found, state = [], {}

    def visit(mod, path):
        state[mod] = "open"
        for nxt in sorted(graph.get(mod, ())):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[mod] = "done"

    for mod in sorted(graph):
        if mod not in state:
            visit(mod, [mod])
    return found


def _show(cycle) -> str:
    return " -> ".join(".".join(m) or "train" for m in cycle)


def test_no_module_under_train_imports_one_that_imports_it_back():
    graph = import_graph(TRAIN)
    assert ("fit",) in graph and ("trainer",) in graph  # it read the package
    assert ("metrics",) in graph[("trainer",)]  # lazy and top-level imports alike
    bad = cycles(graph)
    assert not bad, "import cycles in isotopy.train:\n" + "\n".join(map(_show, bad))


def test_the_check_sees_a_cycle(tmp_path):
    # the rule must be able to fail: a lazy import back, through a package, is found
    (tmp_path / "backends").mkdir()
    (tmp_path / "__init__.py").write_text("from .fit import fit\n")
    (tmp_path / "fit.py").write_text("from .trainer import Trainer\n")
    (tmp_path / "trainer.py").write_text(
        "from .backends import step\n\ndef history():\n    from .fit import accuracy\n"
    )
    (tmp_path / "backends" / "__init__.py").write_text("from . import eager\n")
    (tmp_path / "backends" / "eager.py").write_text("from ..history import History\n")
    (tmp_path / "history.py").write_text("import numpy\n")
    graph = import_graph(tmp_path)
    assert graph[("trainer",)] == {("backends",), ("fit",)}
    assert graph[("backends", "eager")] == {("history",)}
    assert [_show(c) for c in cycles(graph)] == ["fit -> trainer -> fit"]
