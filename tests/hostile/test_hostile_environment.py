"""The environment a run finds (issue #23): file times past what 64 bits of nanoseconds hold,
an empty HOME, a cache locked by another run while the shell asks for completions."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chinaind.store import cachedb

CHINAIND = Path(sys.executable).parent / "chinaind"
# 2400-01-01 and 1600-01-01: beyond the int64 nanoseconds of 1677-2262.
FAR_FUTURE_S = 13_569_465_600
FAR_PAST_S = -11_676_096_000


def _kb(tmp_path: Path) -> Path:
    kb = tmp_path / "kb"
    (kb / "sectors").mkdir(parents=True)
    (kb / "sectors" / "lasers.yaml").write_text("id: lasers\nname: Lasers\n")
    (kb / "sectors" / "robotics.yaml").write_text("id: robotics\nname: Robotics\n")
    return kb


@pytest.mark.parametrize("when", [FAR_FUTURE_S, FAR_PAST_S], ids=["2400", "1600"])
@pytest.mark.parametrize("cache", [True, False], ids=["cache", "no-cache"])
def test_a_file_dated_beyond_2262_is_read(run, tmp_path, when, cache):
    kb = _kb(tmp_path)
    try:
        os.utime(kb / "sectors" / "lasers.yaml", (when, when))
    except (OverflowError, OSError):
        pytest.skip("this file system cannot hold such a time")
    args = ["--data-dir", str(kb)] + ([] if cache else ["--no-cache"]) + ["list", "sectors", "-f", "ids"]
    for _ in range(2):  # the build, then the warm run
        r = run(*args)
        assert (r.exit_code, r.stdout, r.stderr) == (0, "lasers\nrobotics\n", "")


def test_a_file_dated_beyond_2262_is_seen_when_rewritten(run, tmp_path):
    kb = _kb(tmp_path)
    target = kb / "sectors" / "lasers.yaml"
    os.utime(target, (FAR_FUTURE_S, FAR_FUTURE_S))
    assert run("--data-dir", str(kb), "list", "sectors").exit_code == 0
    target.write_text("id: lasers\nname: Laser beams\n")
    os.utime(target, (FAR_FUTURE_S + 1, FAR_FUTURE_S + 1))  # beyond the bound again: the ctime tells
    r = run("--data-dir", str(kb), "show", "lasers", "-f", "json")
    assert r.exit_code == 0 and '"Laser beams"' in r.stdout


@pytest.mark.parametrize("home", ["", "relative/home"])
def test_an_empty_or_relative_home_never_puts_the_cache_at_the_root(monkeypatch, tmp_path, home):
    from chinaind.core.paths import cache_dir

    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", home)
    chosen = cache_dir()
    assert chosen.is_absolute() and chosen != Path("/.cache/chinaind") and not str(chosen).startswith("/.cache")


@pytest.mark.parametrize("xdg", ["", "relative/cache"])
def test_an_empty_or_relative_xdg_cache_home_is_ignored(monkeypatch, tmp_path, xdg):
    from chinaind.core.paths import cache_dir

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    assert cache_dir() == tmp_path / ".cache" / "chinaind"


def test_an_empty_home_in_a_real_run_writes_nothing_at_the_root(tmp_path):
    kb = _kb(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHINAIND_", "XDG_"))}
    env.update(HOME="", TMPDIR=str(tmp_path))
    before = os.path.lexists("/.cache")
    p = subprocess.run([str(CHINAIND), "-d", str(kb), "list", "sectors", "-f", "ids"], capture_output=True,
                       env=env, timeout=60, cwd=tmp_path)
    assert (p.returncode, p.stdout, p.stderr) == (0, b"lasers\nrobotics\n", b"")
    assert os.path.lexists("/.cache") == before


def test_completion_gives_up_at_once_on_a_locked_cache(run, tmp_path):
    kb = _kb(tmp_path)
    assert run("--data-dir", str(kb), "list", "sectors").exit_code == 0
    from chinaind.store import completion

    holder = sqlite3.connect(cachedb.cache_path(kb), isolation_level=None)
    try:
        # An exclusive lock, as a checkpoint or a run outside WAL mode takes it.
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("PRAGMA journal_mode=DELETE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("UPDATE meta SET value = value WHERE key = 'valid'")
        started = time.monotonic()
        found = completion.ids_of("sector", "", str(kb))
        took = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert found == [] and took < 0.5
