"""Shared fixtures. Every test runs with its own cache dir and home, and no CHINAIND_* settings
from the developer's environment, so tests never read or write the user's state."""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any, Iterator, NamedTuple

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
FIXTURE_KB = Path(__file__).resolve().parent / "fixtures" / "kb"
BUNDLED_KB = REPO / "data"
# One record per file: the fixture's record count, for tests that check every record came through.
FIXTURE_COUNT = sum(1 for p in FIXTURE_KB.glob("*/*.yaml"))


@pytest.fixture(scope="session", autouse=True)
def built_once() -> Iterator[None]:
    """Typer rebuilds the whole Click command tree from the functions' signatures on every
    CliRunner.invoke: about 48 ms of an in-process run that otherwise takes 6 ms (warm cache) to
    23 ms (first build) here, and most of the fast tier's time. The app does not change during a
    session, so each app is built once (typer.testing looks the builder up by this name; if a
    Typer release renames it, tests only get slower)."""
    import typer.testing

    build = getattr(typer.testing, "_get_command", None)
    if build is None:
        yield
        return
    built: dict[int, Any] = {}

    def get_command(app: Any) -> Any:
        if id(app) not in built:
            built[id(app)] = (app, build(app))  # the app is kept, so its id is never reused
        return built[id(app)][1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.testing, "_get_command", get_command)
        yield


_SETTINGS = ("CHINAIND_DATA", "CHINAIND_FORMAT", "CHINAIND_CACHE_DIR", "CHINAIND_DEBUG", "NO_COLOR", "XDG_CACHE_HOME")


def _isolate(patch: pytest.MonkeyPatch, home: Path) -> None:
    for var in _SETTINGS:
        patch.delenv(var, raising=False)
    patch.setenv("HOME", str(home))
    patch.setenv("XDG_CACHE_HOME", str(home / ".cache"))


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    _isolate(monkeypatch, home)
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


class Prebuilt(NamedTuple):
    fixture: Path  # the cache of FIXTURE_KB
    bundled: Path  # the cache of the bundled knowledge base (where no data dir is given)


@pytest.fixture(scope="session")
def prebuilt(tmp_path_factory: pytest.TempPathFactory) -> Prebuilt:
    """The caches of the two read-only bases most tests query, built once a session in a home
    of their own: a first build costs about 20 ms for the fixture's 25 records and 70 ms for the
    bundled records, in every test (each has its own cache dir); a copy costs about 1 ms."""
    home = tmp_path_factory.mktemp("prebuilt-home")
    kept = tmp_path_factory.mktemp("prebuilt")
    built = {}
    with pytest.MonkeyPatch.context() as patch:
        _isolate(patch, home)
        for name, args in (("fixture", ["--data-dir", str(FIXTURE_KB)]), ("bundled", [])):
            before = set((home / ".cache" / "chinaind").glob("kb-*.sqlite"))
            r = Run()(*args, "list", "sectors", "-f", "ids")
            assert (r.exit_code, r.stderr) == (0, ""), f"building the {name} cache: {r.stderr}"
            (db,) = set((home / ".cache" / "chinaind").glob("kb-*.sqlite")) - before
            # SQLite's backup: one consistent file, whatever the run left in its write-ahead log.
            with closing(sqlite3.connect(db)) as src, closing(sqlite3.connect(kept / db.name)) as dst:
                src.backup(dst)
            built[name] = kept / db.name
    return Prebuilt(**built)


class Run:
    """Runs the CLI in-process and keeps stdout, stderr and the exit code apart.

    A test's first run on the fixture base finds its cache already built (`prebuilt`, copied
    into the test's own cache dir), as a run after the first one would: only a run that would
    have built it (--data-dir is the fixture base, no --no-cache), in the cache dir isolated_env
    gave the test, while that dir does not exist yet. So a test that prepares its cache dir or
    points CHINAIND_CACHE_DIR elsewhere gets exactly what it set up; first builds are tested on
    bases of their own (kb_copy, the hostile cases)."""

    def __init__(self, prebuilt: Prebuilt | None = None, cache_dir: Path | None = None) -> None:
        self.runner = CliRunner()
        self.prebuilt = prebuilt
        self.cache_dir = cache_dir

    def __call__(self, *args: str, input: str | None = None, env: dict[str, str] | None = None):
        from chinaind.cli.commands import app

        self._seed(args, env or {})
        return self.runner.invoke(app, list(args), input=input, env=env, prog_name="chinaind")

    def _seed(self, args: tuple[str, ...], env: dict[str, str]) -> None:
        target, self.cache_dir = self.cache_dir, None  # a test's first run only
        if self.prebuilt is None or target is None or "--no-cache" in args:
            return
        data = _data_dirs_in(args)
        if not data or any(Path(d).resolve() != FIXTURE_KB for d in data):
            return
        if any(v in env for v in _SETTINGS) or os.environ.get("CHINAIND_CACHE_DIR"):
            return
        if os.environ.get("XDG_CACHE_HOME") == str(target.parent):
            _seed_cache(target, self.prebuilt.fixture)


def _seed_cache(target: Path, seed: Path) -> None:
    if not target.exists():
        target.mkdir(parents=True)
        shutil.copyfile(seed, target / seed.name)


def _data_dirs_in(args: tuple[str, ...]) -> list[str]:
    """The values given to -d/--data-dir anywhere on the command line."""
    found = [value for option, value in zip(args, args[1:]) if option in ("-d", "--data-dir")]
    return found + [a.split("=", 1)[1] for a in args if a.startswith("--data-dir=")]


@pytest.fixture
def bundled_cache(prebuilt: Prebuilt, cache_dir: Path) -> Path:
    """For tests of the bundled records: the test's cache dir starts with their cache built."""
    _seed_cache(cache_dir, prebuilt.bundled)
    return cache_dir


@pytest.fixture
def run(prebuilt: Prebuilt, cache_dir: Path) -> Run:
    return Run(prebuilt, cache_dir)


@pytest.fixture
def fx(run: Run):
    """Run the CLI against the fixture knowledge base."""

    def call(*args: str, input: str | None = None, env: dict[str, str] | None = None):
        return run("--data-dir", str(FIXTURE_KB), *args, input=input, env=env)

    return call
