"""The two tiers stay what the README says: every name in the slow list (conftest.SLOW) is a test
that exists, so a renamed test cannot silently move to the fast tier, and the marker is
registered (pytest --strict-markers would otherwise refuse it)."""

from __future__ import annotations

import ast
import tomllib

from conftest import REPO, SLOW


def _test_functions(module: str) -> set[str]:
    tree = ast.parse((REPO / module).read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_every_slow_name_is_a_test():
    missing = []
    for name in SLOW:
        module, _, function = name.partition("::")
        if not (REPO / module).is_file() or (function and function not in _test_functions(module)):
            missing.append(name)
    assert missing == []


def test_every_slow_test_says_why():
    assert all(reason.strip() for reason in SLOW.values())


def test_the_slow_marker_is_registered():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert any(m.startswith("slow:") for m in config["markers"])
