"""Shared fixtures. Every test runs with its own cache dir and home, and no CHINAIND_* settings
from the developer's environment, so tests never read or write the user's state."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
FIXTURE_KB = Path(__file__).resolve().parent / "fixtures" / "kb"
BUNDLED_KB = REPO / "data"
# One record per file: the fixture's record count, for tests that check every record came through.
FIXTURE_COUNT = sum(1 for p in FIXTURE_KB.glob("*/*.yaml"))


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    for var in ("CHINAIND_DATA", "CHINAIND_FORMAT", "CHINAIND_CACHE_DIR", "CHINAIND_DEBUG", "NO_COLOR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    return home


@pytest.fixture
def cache_dir(isolated_env: Path) -> Path:
    return isolated_env / ".cache" / "chinaind"


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture knowledge base."""
    dest = tmp_path / "kb"
    shutil.copytree(FIXTURE_KB, dest)
    return dest


class Run:
    """Runs the CLI in-process and keeps stdout, stderr and the exit code apart."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict[str, str] | None = None):
        from chinaind.cli.commands import app

        return self.runner.invoke(app, list(args), input=input, env=env, prog_name="chinaind")


@pytest.fixture
def run() -> Run:
    return Run()


@pytest.fixture
def fx(run: Run):
    """Run the CLI against the fixture knowledge base."""

    def call(*args: str, input: str | None = None, env: dict[str, str] | None = None):
        return run("--data-dir", str(FIXTURE_KB), *args, input=input, env=env)

    return call
