"""Whole-process behaviour: what a shell pipeline sees, and which modules a run imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURE_KB


def chinaind(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "chinaind", "--data-dir", str(FIXTURE_KB), *args],
                          capture_output=True, text=True, env=full_env, input=input, timeout=60)


def test_piped_output_is_plain_tsv():
    r = chinaind("agency", "MIIT", "--since", "2023-01")
    # The note on what the date filter left out goes to stderr in a pipe, never into the data.
    assert r.returncode == 0 and r.stderr == ("chinaind: note: 1 policy without a date left out; "
                                              "--undated include shows them, --undated only lists them\n")
    assert "\x1b" not in r.stdout
    assert r.stdout.splitlines()[0] == "miit-month-item\t2023-01\tmeasures\tMIIT\t\tA MIIT item dated only to a month"


def test_explicit_table_off_terminal_has_no_decoration():
    r = chinaind("list", "policies", "-f", "table", env={"COLUMNS": "40"})
    assert "\x1b" not in r.stdout and "─" not in r.stdout and "…" not in r.stdout
    assert "Notice on the 2022 complete industrial chain directions" in r.stdout


def test_csv_has_crlf_line_ends():
    cmd = [sys.executable, "-m", "chinaind", "--data-dir", str(FIXTURE_KB), "list", "agencies", "-f", "csv"]
    out = subprocess.run(cmd, capture_output=True, timeout=60).stdout  # bytes: no newline translation
    assert out.startswith(b"id,name,name_zh,short_name_zh,kind\r\nMIIT,")


def test_ids_pipe_into_show():
    ids = chinaind("agency", "MIIT", "-f", "ids").stdout
    r = chinaind("show", "-", "-f", "ids", input=ids)
    assert r.returncode == 0 and r.stdout == ids


def test_closed_pipe_ends_quietly(tmp_path):
    # Far more output than a pipe buffer holds, so the writer surely meets the closed pipe.
    kb = tmp_path / "kb"
    (kb / "sectors").mkdir(parents=True)
    for i in range(600):
        (kb / "sectors" / f"s{i:04d}.yaml").write_text(f"id: s{i:04d}\nname: Sector {i} {'x' * 300}\n")
    for fmt in ("jsonl", "tsv", "table", "json"):
        cmd = f"{sys.executable} -m chinaind --data-dir {kb} list sectors -f {fmt} | head -c 10"
        r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, timeout=60)
        assert (r.returncode, r.stderr) == (0, ""), fmt


def _imported(*args: str, cache_dir: Path) -> set[str]:
    env = {**os.environ, "CHINAIND_CACHE_DIR": str(cache_dir)}
    cmd = [sys.executable, "-X", "importtime", "-m", "chinaind", "--data-dir", str(FIXTURE_KB), *args]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    return {line.split("|")[-1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")}


def _top(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_warm_json_search_imports_no_yaml_pydantic_rich_rapidfuzz(tmp_path):
    cache_dir = tmp_path / "cache"
    # Fixture files are old (copied with their mtimes), so the first run's cache is trusted.
    _imported("search", "robot", "-f", "json", cache_dir=cache_dir)
    mods = _top(_imported("search", "robot", "-f", "json", cache_dir=cache_dir))
    assert not mods & {"yaml", "pydantic", "pydantic_core", "rich", "rapidfuzz"}


def test_fuzzy_search_imports_rapidfuzz_only_then(tmp_path):
    cache_dir = tmp_path / "cache"
    _imported("list", "agencies", cache_dir=cache_dir)
    assert "rapidfuzz" in _top(_imported("search", "robto", "-f", "ids", cache_dir=cache_dir))
    assert "rapidfuzz" not in _top(_imported("agency", "MIIT", "-f", "ids", cache_dir=cache_dir))


def test_cold_run_imports_validation_stack(tmp_path):
    mods = _top(_imported("search", "robot", "-f", "json", cache_dir=tmp_path / "cold"))
    assert {"yaml", "pydantic"} <= mods and "rich" not in mods


def test_completion_path_imports_only_typer_and_stdlib():
    r = subprocess.run([sys.executable, "-X", "importtime", "-c", "import chinaind.cli"],
                       capture_output=True, text=True, timeout=60)
    mods = _top({line.split("|")[-1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")})
    assert not mods & {"yaml", "pydantic", "pydantic_core", "rich", "rapidfuzz"}
