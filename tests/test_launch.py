"""The launch-time prefetch: a query's child starts scanning before Typer is imported; the
run adopts its work only for the data dir it really loads, and never prints a stale answer."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chinaind import launch, prefetch, scan
from chinaind.launch import guess_data_dir

BUNDLED = launch.bundled_data_path()


@pytest.mark.parametrize("argv, env, expected", [
    (["search", "robot"], {}, BUNDLED),
    (["search", "robot"], {"CHINAIND_DATA": "/kb"}, "/kb"),
    (["--data-dir", "/a", "search", "robot"], {"CHINAIND_DATA": "/kb"}, "/a"),
    (["-d", "/a", "agency", "MIIT"], {}, "/a"),
    (["--data-dir=/a", "chain", "x"], {}, "/a"),
    (["-d/a", "list", "policies"], {}, "/a"),
    (["--data-dir", "", "search", "x"], {"CHINAIND_DATA": "/kb"}, "/kb"),
    (["--skip-invalid", "show", "x"], {}, BUNDLED),
    (["--no-cache", "search", "robot"], {}, None),
    (["validate"], {}, None),
    (["init", "x"], {}, None),
    (["new", "policy", "x"], {}, None),
    (["search", "--help"], {}, None),
    (["--help"], {}, None),
    ([], {}, None),
    (["--data-dir"], {}, None),
])
def test_guess_data_dir(monkeypatch, argv, env, expected):
    monkeypatch.delenv("CHINAIND_DATA", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert guess_data_dir(argv) == expected


def _prefetch_for(monkeypatch, data_dir: Path) -> None:
    monkeypatch.setattr(launch, "PREFETCH", None)
    monkeypatch.setattr(launch, "SMALL_BYTES", 0)
    launch._prefetch(["--data-dir", str(data_dir), "search", "x"])
    assert launch.PREFETCH is not None


def test_adopted_scan_equals_a_plain_one(kb_copy, monkeypatch):
    plain = scan.scan(kb_copy)
    _prefetch_for(monkeypatch, kb_copy)
    assert prefetch.prefetching()
    assert scan.start(kb_copy).result() == plain
    assert launch.PREFETCH is None and not prefetch.prefetching()


def test_a_prefetch_for_another_dir_is_stopped(kb_copy, tmp_path, monkeypatch):
    other = tmp_path / "other"
    (other / "sectors").mkdir(parents=True)
    (other / "sectors" / "x.yaml").write_text("id: x\nname: X\n")
    _prefetch_for(monkeypatch, other)
    pid = launch.PREFETCH[1]
    assert scan.start(kb_copy).result() == scan.scan(kb_copy)
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, 0)  # already reaped: stopped, not left running


def test_a_prefetch_of_a_folder_that_is_not_a_knowledge_base_falls_back(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    _prefetch_for(monkeypatch, empty)
    from chinaind.errors import UsageError

    with pytest.raises(UsageError, match="not a knowledge base"):
        scan.start(empty)


def test_edits_between_runs_are_seen_by_prefetched_runs(kb_copy, tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "chinaind", "--data-dir", str(kb_copy)]

    def names() -> str:
        r = subprocess.run([*cmd, "list", "sectors", "-f", "tsv"], capture_output=True, text=True, env=env, timeout=60)
        assert r.returncode == 0 and r.stderr == ""
        return r.stdout

    first = names()
    path = kb_copy / "sectors" / "lasers.yaml"
    path.write_text(path.read_text().replace("name: Lasers", "name: Photonics"))
    t = time.time() - 5
    os.utime(path, (t, t))
    assert names() == first.replace("Lasers", "Photonics") != first


def test_the_helper_child_lets_go_of_stdout(kb_copy, tmp_path):
    """A reader of the output sees its end when the run ends, not when a helper child does."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "chinaind", "--data-dir", str(kb_copy), "search", "robot", "-f", "ids"]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env) as proc:
        out = proc.stdout.read()  # EOF only once every holder of the pipe has closed it
        assert proc.wait(timeout=60) == 0
    assert b"robot-plus" in out


def test_a_small_knowledge_base_is_scanned_without_a_child(kb_copy, monkeypatch):
    monkeypatch.setattr(launch, "PREFETCH", None)
    launch._prefetch(["--data-dir", str(kb_copy), "search", "x"])
    assert launch.PREFETCH is None


def _child_done(pending) -> None:
    helper = pending.helper
    deadline = time.time() + 30
    while any(helper.shared[helper.states_at + c] != helper.DONE for c in range(helper.chunks)):
        assert time.time() < deadline
        time.sleep(0.01)


def test_a_change_the_child_has_seen_is_known_before_the_scan_ends(kb_copy, monkeypatch):
    before = scan.scan(kb_copy)
    _prefetch_for(monkeypatch, kb_copy)
    pending = scan.start(kb_copy)
    _child_done(pending)
    assert pending.differs_already(before) is False
    assert pending.result() == before

    path = kb_copy / "sectors" / "lasers.yaml"
    path.write_text(path.read_text() + "description: Beams.\n")
    _prefetch_for(monkeypatch, kb_copy)
    pending = scan.start(kb_copy)
    _child_done(pending)
    assert pending.differs_already(before) is True
    assert pending.result() != before
