"""The `chinaind` process as a shell starts it: edits between runs are seen, and a reader
of its output sees the end when the run ends (no helper child holds the pipe)."""

from __future__ import annotations

import os
import subprocess
import sys
import time


def test_edits_between_runs_are_seen_by_real_processes(kb_copy, tmp_path):
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
