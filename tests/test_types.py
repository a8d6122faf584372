"""The package type-checks: mypy, configured in pyproject.toml ([tool.mypy]), finds no error in
src/chinaind, and the configuration leaves no module out."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _mypy_config() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]


def test_mypy_finds_no_error_in_the_package():
    """The whole package, nothing excluded. The cache goes to /dev/null (mypy's way of keeping
    none), so nothing is written into the checkout; a cold run takes about 5 s."""
    r = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", os.devnull], cwd=REPO,
                       capture_output=True, text=True, timeout=600)
    errors = [line for line in r.stdout.splitlines() if ": error:" in line]
    summary = r.stdout.strip().splitlines()[-1:] or [r.stderr.strip()]
    assert r.returncode == 0 and not errors, "\n".join(errors + summary + [r.stderr[-2000:]])
    assert r.stdout.startswith("Success: no issues found"), r.stdout


def test_mypy_checks_the_whole_package():
    """No file or module is left out, and no module's errors are silenced wholesale: a missing
    stub is allowed only for a third-party package that ships no types."""
    config = _mypy_config()
    assert config["files"] == ["src/chinaind"]
    assert "exclude" not in config and not config.get("ignore_errors")
    for override in config.get("overrides", []):
        modules = override["module"] if isinstance(override["module"], list) else [override["module"]]
        assert not any(m.startswith("chinaind") for m in modules), override
        assert set(override) <= {"module", "ignore_missing_imports"}, override
