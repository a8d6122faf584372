"""Never stale: a record file rewritten with the same size and modification time (`cp -p`,
`rsync -a`, `tar x`, `touch -d`, an editor restoring timestamps) or replaced by a rename is
read again, and `validate` never says less than `--no-cache validate` says.

The racy-file window is turned off here (RACY_NS = 0): otherwise files written seconds before
the cache would be re-read for their recent change time, and the test would not show that the
scan itself sees the rewrite."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from chinaind.store import freshness

from chinaind.store import scan

OLD_NS = 1_600_000_000_000_000_000
GOOD = "id: robotics\nname: Robotics\n"
# The same size as GOOD, but invalid: an unknown field.
BAD = "id: robotics\nnmae: Robotics\n"


@pytest.fixture(autouse=True)
def no_racy_window(monkeypatch):
    monkeypatch.setattr(freshness, "RACY_NS", 0)


def _kb(tmp_path: Path) -> Path:
    kb = tmp_path / "kb"
    (kb / "sectors").mkdir(parents=True)
    for rid in ("robotics", "lasers", "drones"):
        path = kb / "sectors" / f"{rid}.yaml"
        path.write_text(GOOD.replace("robotics", rid).replace("Robotics", rid.title()))
        os.utime(path, ns=(OLD_NS, OLD_NS))
    return kb


def _in_place(target: Path, tmp: Path) -> None:
    """cp -p, touch -d, an editor restoring timestamps: same inode, size and mtime."""
    before = target.stat()
    target.write_text(BAD)
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))


def _renamed(target: Path, tmp: Path) -> None:
    """rsync -a, tar x, editors saving by rename: a new inode, same size and mtime."""
    before = target.stat()
    new = target.with_name(".robotics.yaml.tmp")  # hidden: never scanned
    new.write_text(BAD)
    os.utime(new, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(new, target)


def _cp_p(target: Path, tmp: Path) -> None:
    """The real `cp -p` from a copy with the same size and mtime."""
    source = tmp / "bad.yaml"
    source.write_text(BAD)
    os.utime(source, ns=(OLD_NS, OLD_NS))
    subprocess.run(["cp", "-p", str(source), str(target)], check=True)


REWRITES = {"in-place-same-mtime": _in_place, "replaced-by-rename": _renamed}
if shutil.which("cp"):
    REWRITES["cp-p"] = _cp_p


def _scanned_by(scanner: str, kb: Path, monkeypatch) -> None:
    """Make the next run's scan take the named path: this process alone, or a forked helper
    sharing the stat calls."""
    if scanner == "forked":
        monkeypatch.setattr(scan, "FORK_MIN", 1)


@pytest.mark.parametrize("scanner", ["in-process", "forked"])
@pytest.mark.parametrize("how", sorted(REWRITES))
def test_rewrite_keeping_size_and_mtime_is_seen(run, tmp_path, monkeypatch, how, scanner):
    kb = _kb(tmp_path)
    first = run("validate", str(kb))
    assert (first.exit_code, first.stderr) == (0, "")
    target = kb / "sectors" / "robotics.yaml"
    before = target.stat()
    REWRITES[how](target, tmp_path)
    after = target.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    _scanned_by(scanner, kb, monkeypatch)
    query = run("-d", str(kb), "list", "sectors")
    assert query.exit_code == 3 and "unknown field 'nmae'" in query.stderr

    cached = run("validate", str(kb))
    truth = run("--no-cache", "validate", str(kb))
    assert truth.exit_code == 3 and "unknown field 'nmae'" in truth.stdout
    assert (cached.exit_code, cached.stdout, cached.stderr) == (truth.exit_code, truth.stdout, truth.stderr)


def test_fixing_the_rewrite_back_is_seen(run, tmp_path):
    """The way back: a good version restored with the bad one's size and mtime."""
    kb = _kb(tmp_path)
    target = kb / "sectors" / "robotics.yaml"
    _in_place(target, tmp_path)
    assert run("validate", str(kb)).exit_code == 3
    before = target.stat()
    target.write_text(GOOD)
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    again = run("validate", str(kb))
    assert (again.exit_code, again.stderr) == (0, "")
    assert again.stdout.startswith("valid: 3 records")
