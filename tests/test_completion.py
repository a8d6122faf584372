"""Shell completion of values (agencies, sectors, ids, formats ...), through the protocol bash's
completion script uses, and in a real bash. Values come from the cache, without Pydantic."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURE_KB

BIN = Path(sys.executable).parent / "chinaind"


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "CHINAIND_DATA": str(FIXTURE_KB), **extra}


@pytest.fixture
def warm() -> None:
    """One query builds the cache completion reads (in this test's own cache dir)."""
    r = subprocess.run([str(BIN), "list", "agencies", "-f", "ids"], env=_env(), capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr


def complete(line: str, **extra: str) -> list[str]:
    words = line.split(" ")
    env = _env(_CHINAIND_COMPLETE="complete_bash", COMP_WORDS=line, COMP_CWORD=str(len(words) - 1), **extra)
    r = subprocess.run([str(BIN)], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return r.stdout.splitlines()


@pytest.mark.parametrize("line, expected", [
    # Candidates start with exactly what was typed (Typer drops the others): ids, names, aliases.
    ("chinaind agency M", ["MIIT", "Ministry of Industry and Information Technology"]),
    ("chinaind agency Min", ["Ministry of Industry and Information Technology"]),
    ("chinaind agency 工", ["工业和信息化部", "工信部"]),
    ("chinaind list policies --agency SA", ["SAC", "SASAC"]),
    ("chinaind sector rob", ["robotics", "robots"]),
    ("chinaind chain fib", ["fiber lasers", "fiber-laser", "fibre laser"]),
    ("chinaind company ca", ["catl"]),
    ("chinaind company C", ["CATL", "Contemporary Amperex Technology"]),
    ("chinaind person li", ["li-ming"]),
    ("chinaind show made", ["made-in-china-2025"]),
    ("chinaind related wuhan", ["wuhan-raycus"]),
    ("chinaind search x --kind t", ["technology"]),
    ("chinaind list p", ["policies", "people"]),
    ("chinaind list policies -f t", ["table", "tsv"]),
    ("chinaind list policies --date-role p", ["published", "period"]),
    ("chinaind list policies --undated in", ["include"]),
    ("chinaind graph -f g", ["gexf"]),
    ("chinaind chain x -f t", ["tree", "table", "tsv"]),
])
def test_values_complete(warm, line, expected):
    assert complete(line) == expected


def test_data_dir_on_the_command_line_is_used(warm, tmp_path):
    assert complete(f"chinaind --data-dir {FIXTURE_KB} agency N", CHINAIND_DATA=str(tmp_path)) == [
        "NDRC", "National Development and Reform Commission"]


def test_no_cache_offers_nothing_quietly():
    # No query has run yet: completion does not load (and validate) the whole base on a TAB.
    assert "".join(complete("chinaind agency M")) == ""  # no candidate (Typer prints one empty line)


def test_completion_never_imports_pydantic_yaml_or_rich(warm):
    env = _env(_CHINAIND_COMPLETE="complete_bash", COMP_WORDS="chinaind agency M", COMP_CWORD="2")
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "chinaind"], env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.stdout.splitlines() == ["MIIT", "Ministry of Industry and Information Technology"]
    modules = {line.split("|")[-1].strip().split(".")[0] for line in r.stderr.splitlines() if line.startswith("import time:")}
    assert not modules & {"pydantic", "yaml", "rich", "rapidfuzz"}


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_real_bash_completion(warm):
    script = subprocess.run([str(BIN)], env=_env(_CHINAIND_COMPLETE="source_bash"), capture_output=True,
                            text=True, timeout=60).stdout
    assert "complete -o default -F _chinaind_completion chinaind" in script
    drive = (script + "\nCOMP_WORDS=(chinaind targets --sector rob); COMP_CWORD=3\n"
             f"_chinaind_completion {BIN}\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n")
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", drive], env=_env(), capture_output=True, text=True, timeout=60)
    assert r.stdout.splitlines() == ["robotics", "robots"]
