"""The explorer's page as files: ES modules loaded from index.html, each small, importing only
what another module of the page exports, and served as JavaScript (no browser needed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[1] / "src" / "isotopy" / "web" / "static"
ENTRY = "app.js"
MAX_LINES = 600  # a module
MAX_FUNCTION_LINES = 100  # a top-level function

_IMPORT = re.compile(r"^import\s*\{([^}]*)\}\s*from\s*\"([^\"]+)\";", re.M)
_ANY_IMPORT = re.compile(r"^\s*import\b|\bimport\s*\(", re.M)
_EXPORT = re.compile(
    r"^export\s+(?:async\s+)?(?:function\s*\*?|const|let|class)\s+([A-Za-z_$][\w$]*)", re.M
)
_FUNCTION = re.compile(r"^(?:export\s+)?(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)\s*\(")


def _functions(text: str):
    """(name, lines) of each top-level function declaration, to its closing brace at the
    start of a line (the page's style); one never closed runs to the end of the file."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = _FUNCTION.match(line)
        if not m:
            continue
        if line.rstrip().endswith("}"):
            yield m.group(1), 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("}")), len(lines))
        yield m.group(1), end - i + 1


def _imports(text: str):
    """(module path, names) of each static import; None for a form the check cannot read."""
    found = [
        (m.group(2), [n.strip() for n in m.group(1).split(",") if n.strip()])
        for m in _IMPORT.finditer(text)
    ]
    if len(_ANY_IMPORT.findall(text)) != len(found):
        found.append(None)  # a default, namespace or dynamic import
    return found


def layout_problems(folder: Path, entry: str = ENTRY) -> list[str]:
    """What breaks the page's layout rules in ``folder`` (empty when all is well): scripts
    over MAX_LINES lines or with a function over MAX_FUNCTION_LINES, imports of files that
    are not modules of the folder or of names they do not export, modules the entry does
    not reach, and what the page's policy forbids (eval, string timers)."""
    scripts = {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.js"))}
    bad = []
    if entry not in scripts:
        return [f"no entry module {entry}"]
    exports = {name: set(_EXPORT.findall(text)) for name, text in scripts.items()}
    graph = {}
    for name, text in scripts.items():
        n = len(text.splitlines())
        if n >= MAX_LINES:
            bad.append(f"{name} has {n} lines")
        bad += [
            f"{name}: {f}() has {k} lines" for f, k in _functions(text) if k > MAX_FUNCTION_LINES
        ]
        if re.search(r"\beval\(|new Function|setTimeout\(\s*[\"'`]|setInterval\(\s*[\"'`]", text):
            bad.append(f"{name} evaluates a string")
        graph[name] = []
        for imp in _imports(text):
            if imp is None:
                bad.append(f"{name} has an import this check cannot read")
                continue
            path, names = imp
            target = path[2:] if path.startswith("./") else None
            if target not in scripts:
                bad.append(f"{name} imports {path}, not a module of the page")
                continue
            graph[name].append(target)
            bad += [
                f"{name} imports {n} from {target}, which does not export it"
                for n in names
                if n not in exports[target]
            ]
    seen, todo = set(), [entry]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo += graph.get(m, [])
    bad += [f"{name} is loaded by no module" for name in scripts if name not in seen]
    return bad


def test_every_script_is_a_small_module_of_the_page():
    assert len(list(STATIC.glob("*.js"))) > 5  # the page is split, not one script
    assert layout_problems(STATIC) == []


def test_index_loads_the_page_as_one_module():
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<script[^>]*>", html) == [f'<script type="module" src="/static/{ENTRY}">']


def test_the_layout_check_finds_what_breaks_it(tmp_path):
    """Each rule above can fail: a long module, a long function, a missing file, a name not
    exported, an unreachable module, a string evaluated, an import form it cannot read."""
    long_fn = "export function big() {\n" + "  x();\n" * MAX_FUNCTION_LINES + "}\n"
    files = {
        "app.js": 'import { a, nope } from "./a.js";\nimport { b } from "./gone.js";\n',
        "a.js": "export function a() { return 1; }\n" + long_fn,
        "long.js": "// filler\n" * MAX_LINES,
        "odd.js": 'import * as a from "./a.js";\nsetTimeout("a()", 5);\n',
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    bad = layout_problems(tmp_path)
    assert "long.js has 600 lines" in bad
    assert f"a.js: big() has {MAX_FUNCTION_LINES + 2} lines" in bad
    assert "app.js imports ./gone.js, not a module of the page" in bad
    assert "app.js imports nope from a.js, which does not export it" in bad
    assert "long.js is loaded by no module" in bad and "odd.js is loaded by no module" in bad
    assert "odd.js evaluates a string" in bad
    assert "odd.js has an import this check cannot read" in bad
    assert not any("imports a from" in b for b in bad)  # what is exported passes
    assert layout_problems(tmp_path, entry="main.js") == ["no entry module main.js"]


def test_the_modules_are_served_as_javascript():
    """Browsers run a module only when it comes with a JavaScript MIME type (and the server
    sends nosniff)."""
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from isotopy.web import create_app

    with TestClient(create_app(port=8765), base_url="http://127.0.0.1:8765") as client:
        for path in sorted(STATIC.glob("*.js")):
            r = client.get(f"/static/{path.name}")
            assert r.status_code == 200, path.name
            kind = r.headers["content-type"].split(";")[0].strip()
            assert kind in ("text/javascript", "application/javascript"), (path.name, kind)
            assert r.text == path.read_text(encoding="utf-8")
