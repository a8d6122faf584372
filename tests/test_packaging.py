"""The wheel carries the bundled records, and an installed copy finds them without a checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import BUNDLED_KB, REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: use the test venv's hatchling, so the test needs no network.
    r = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    return next(out.glob("chinaind-*.whl"))


def test_wheel_contains_every_record(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"chinaind/_data/{p.relative_to(BUNDLED_KB).as_posix()}" for p in BUNDLED_KB.rglob("*.yaml")}
    assert expected and expected <= names
    layers = ("authoring", "cli", "core", "export", "output", "query", "records", "store")
    assert {f"chinaind/{layer}/__init__.py" for layer in layers} <= names
    assert "chinaind/cli/commands.py" in names


def test_installed_wheel_uses_packaged_data(wheel, tmp_path):
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "CHINAIND_CACHE_DIR": str(tmp_path / "cache")}
    code = "from chinaind.core.paths import bundled_data_dir; print(bundled_data_dir())"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert r.stdout.strip() == str(tmp_path / "site" / "chinaind" / "_data")
    r = subprocess.run([sys.executable, "-m", "chinaind", "search", "robot", "-f", "json"], capture_output=True,
                       text=True, env=env, cwd=tmp_path, timeout=60)
    assert r.returncode == 0, r.stderr
    assert any(rec["id"] == "robot-plus-implementation-plan-2023" for rec in json.loads(r.stdout))


def test_checkout_uses_repository_data():
    from chinaind.core.paths import bundled_data_dir

    if "site-packages" in str(bundled_data_dir()):
        pytest.skip("installed as a wheel, not from the checkout")
    assert bundled_data_dir() == BUNDLED_KB
