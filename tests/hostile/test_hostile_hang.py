"""No hang, no runaway: no process outlives a killed run holding its pipe; nothing in the
cache folder can block a run; size limits are checked before reading."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import pytest

from hostile_support import sector

CHINAIND = Path(sys.executable).parent / "chinaind"
# A first build of this many files is validated by worker processes (workers.PARALLEL_MIN)
# and its listing is big enough for the launch child (launch.SMALL_BYTES).
N_BUILD = 3000


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "CHINAIND_CACHE_DIR": str(tmp_path / "cache")}


@pytest.fixture(scope="module")
def big_kb(tmp_path_factory) -> Path:
    """Shared by the tests of this module: each builds its own cache (in its tmp_path)."""
    kb = tmp_path_factory.mktemp("big") / "kb"
    (kb / "sectors").mkdir(parents=True)
    for i in range(N_BUILD):
        (kb / "sectors" / f"s{i:05d}.yaml").write_text(sector(f"s{i:05d}", f"Robot sector {i}") + f"description: {'robot arms ' * 40}\n")
    return kb


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Drained(NamedTuple):
    eof: bool  # both pipes reached their end
    seconds: float


def _drain(proc: subprocess.Popen, limit: float) -> Drained:
    """Read stdout and stderr until both reach EOF or `limit` seconds pass."""
    start = time.monotonic()
    open_fds = {proc.stdout.fileno(), proc.stderr.fileno()}
    while open_fds and time.monotonic() - start < limit:
        ready, _, _ = select.select(list(open_fds), [], [], 0.1)
        for fd in ready:
            if not os.read(fd, 65536):
                open_fds.discard(fd)
    return Drained(not open_fds, time.monotonic() - start)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc to see the run's workers")
@pytest.mark.parametrize("moment", ["at-launch", "workers-running"])
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_killed_first_build_leaves_no_process_holding_the_pipe(tmp_path, big_kb, sig, moment):
    kb = big_kb
    proc = subprocess.Popen([str(CHINAIND), "-d", str(kb), "search", "robot", "-f", "ids"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(tmp_path))
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 30
        if moment == "at-launch":
            time.sleep(0.05)
            seen.update(_children(proc.pid))
        else:  # once the validating workers exist (and before the build ends)
            while len(_children(proc.pid)) < 2 and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            seen.update(_children(proc.pid))
            assert proc.poll() is None and len(seen) >= 2, "the build ended before its workers were seen"
        proc.send_signal(sig)
        drained = _drain(proc, 5.0)
        assert drained.eof, f"a process still holds the run's output {drained.seconds:.1f} s after {sig.name}"
        assert proc.wait(timeout=5) in (-sig, 130)
    finally:
        for pid in seen | set(_children(proc.pid)):  # only the processes this run started
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if proc.poll() is None:
            proc.kill()
        proc.wait()
