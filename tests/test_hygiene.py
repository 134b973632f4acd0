"""The package's shape: what its subpackages may take from each other."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import isotopy

ROOT = Path(isotopy.__file__).parent


def _imports():
    """(file relative to the package, its subpackage, imported module path parts, names)."""
    for f in sorted(ROOT.rglob("*.py")):
        rel = f.relative_to(ROOT)
        parts = list(rel.with_suffix("").parts)
        is_init = parts[-1] == "__init__"
        if is_init:
            parts = parts[:-1]
        package = parts if is_init else parts[:-1]  # where relative imports start
        sub = parts[0] if parts and (len(parts) > 1 or is_init) else None
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - (node.level - 1)]
                    target = base + (node.module.split(".") if node.module else [])
                elif node.module and node.module.split(".")[0] == "isotopy":
                    target = node.module.split(".")[1:]
                else:
                    continue
                yield rel, sub, target, [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] == "isotopy":
                        yield rel, sub, a.name.split(".")[1:], []


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_private_name_is_imported_from_another_subpackage():
    bad = []
    for rel, sub, target, names in _imports():
        if target and target[0] == sub:
            continue  # within one subpackage, private helpers are fair game
        where = ".".join(["isotopy", *target])
        if any(_private(p) for p in target):
            bad.append(f"{rel} imports the private module {where}")
        bad += [f"{rel} imports {where}.{n}" for n in names if _private(n)]
    assert not bad, "private names used across subpackages:\n" + "\n".join(bad)


def test_the_check_sees_a_private_import(tmp_path, monkeypatch):
    # the rule above must be able to fail: a module that breaks it is reported
    pkg = tmp_path / "isotopy"
    (pkg / "a").mkdir(parents=True)
    (pkg / "b").mkdir()
    for d in (pkg, pkg / "a", pkg / "b"):
        (d / "__init__.py").write_text("")
    (pkg / "a" / "m.py").write_text("def _hidden():\n    pass\n")
    (pkg / "b" / "n.py").write_text("from ..a.m import _hidden\nfrom ..a._x import y\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", pkg)
    found = [(str(rel), target, names) for rel, _, target, names in _imports()]
    assert ("b/n.py", ["a", "m"], ["_hidden"]) in found
    assert ("b/n.py", ["a", "_x"], ["y"]) in found


def test_nn_does_not_import_knn_or_train():
    bad = [
        f"{rel} imports isotopy.{'.'.join(target)}"
        for rel, sub, target, _ in _imports()
        if sub == "nn" and target and target[0] in ("knn", "train", "web")
    ]
    assert not bad, "\n".join(bad)


def test_no_compile_specific_code_in_nn():
    for f in (ROOT / "nn").glob("*.py"):
        text = f.read_text(encoding="utf-8")
        assert "is_compiling" not in text, f"{f.name} branches on torch.compile"
