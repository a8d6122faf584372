"""The layout the code promises (ARCHITECTURE.md): layers that import only downwards, no import
cycles (imports inside functions included), small modules, and a map that stays true."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "src" / "chinaind"
LAYERS = ("cli", "authoring", "draft", "export", "output", "query", "store", "records", "core")
MAX_LINES = 400


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "_data" not in p.parts)


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_import_contracts_are_kept():
    """import-linter checks the contracts in pyproject.toml: each layer imports only the ones
    below it, no cycles between a layer's modules, no Pydantic, PyYAML or Rich where a warm
    query runs. --no-cache: nothing is written into the checkout."""
    lint = Path(sys.executable).parent / "lint-imports"
    r = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "Contracts: 3 kept, 0 broken." in r.stdout


def _imports(path: Path) -> set[str]:
    """The chinaind modules a module imports, at any depth of its code (lazy imports too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("chinaind"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("chinaind"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:
            pytest.fail(f"{path}: a relative import; chinaind imports are absolute")
    return found


def test_no_import_cycles_anywhere():
    """Across the whole package, module by module: a cycle through lazy imports counts."""
    import networkx as nx

    names = {_name(p): p for p in _modules()}
    graph = nx.DiGraph()
    for name, path in names.items():
        graph.add_node(name)
        for target in _imports(path):
            if target in names and target != name:
                graph.add_edge(name, target)
    cycles = [c for c in nx.simple_cycles(graph) if len(c) > 1]
    assert cycles == []


def test_every_layer_is_a_subpackage_with_its_purpose():
    found = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    assert found == sorted(LAYERS)
    for layer in LAYERS:
        doc = ast.get_docstring(ast.parse((PACKAGE / layer / "__init__.py").read_text()))
        assert doc and len(doc.splitlines()) <= 2, f"{layer}/__init__.py: say the layer's purpose in a line or two"
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert loose == ["__init__.py", "__main__.py"]


def test_modules_are_small():
    long = {str(p.relative_to(PACKAGE)): n for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_architecture_map_names_every_module():
    """ARCHITECTURE.md's code map names each module by its path, and no module that is gone."""
    text = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8")
    modules = {str(p.relative_to(PACKAGE)) for p in _modules() if p.name != "__init__.py"} - {"__main__.py"}
    named = set(re.findall(r"`((?:%s)/[a-z_]+\.py)`" % "|".join(LAYERS), text))
    assert modules - named == set(), "modules missing from ARCHITECTURE.md"
    assert named - modules == set(), "ARCHITECTURE.md names modules that do not exist"
    for layer in LAYERS:
        assert f"### `{layer}/`" in text
