"""Hostile data: every case of cases.toml through `chinaind validate` (text and JSON) and through
a query command, plus the YAML 1.1 values, bounded resources and a read-only data directory.

Each case must end with its exit code and exactly its problems, one line each, shaped
`path:line:col: message`, never a traceback, and must leave the data directory untouched."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hostile_support import (
    CASE_BY_NAME, CASES, HUGE_BYTES, PROBLEM_RE, RAW_CONTROL_RE, build_case, make_read_only,
    make_writable, snapshot,
)

CHINAIND = Path(sys.executable).parent / "chinaind"
SECONDS = 5.0


@pytest.fixture(autouse=True)
def _drop_huge_file(tmp_path):
    """pytest keeps the temporary folders of recent runs: don't keep 50 MB files in them."""
    yield
    (tmp_path / "kb" / "sectors" / "huge.yaml").unlink(missing_ok=True)


def _params(cases, *, text: bool = True):
    out = []
    for case in cases:
        failing = case.get("xfail") and (text or not case.get("xfail_only_text"))
        marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if failing else []
        out.append(pytest.param(case, id=case["name"], marks=marks))
    return out


def _expected_lines(case: dict, kb: Path) -> list[tuple[str, str]]:
    """(line prefix, message fragment) per expected problem, in output order."""
    return [(f"{kb}/{p['file']}:{p['line']}:{p['col']}: ", p["says"].format(kb=kb)) for p in case.get("problems", [])]


def _assert_reported(case: dict, kb: Path, lines: list[str]) -> None:
    expected = _expected_lines(case, kb)
    assert len(lines) == len(expected), "\n".join(lines)
    for line, (prefix, says) in zip(lines, expected):
        assert PROBLEM_RE.match(line), line
        assert line.startswith(prefix), (line, prefix)
        assert says in line, (line, says)
        assert not RAW_CONTROL_RE.search(line), line
        assert "; " in line[len(prefix):] or "?" in line, f"no advice on what to do: {line}"


def _assert_valid(case: dict, kb: Path, out: str) -> None:
    if case.get("or_reported") and out.startswith(str(kb)):
        return
    assert out.startswith(f"valid: {case['records']} records in {kb} ("), out


@pytest.mark.parametrize("case", _params(CASES))
def test_validate_case(case, run, tmp_path):
    kb = build_case(case["name"], tmp_path)
    before = snapshot(kb)
    start = time.monotonic()
    r = run("validate", str(kb))
    assert time.monotonic() - start < SECONDS
    assert "Traceback" not in r.stdout + r.stderr
    if case.get("or_reported") and r.exit_code == 3:
        assert any(PROBLEM_RE.match(line) for line in r.stdout.splitlines())
    else:
        assert r.exit_code == case["exit"], r.stdout + r.stderr
        if case["exit"] == 0:
            _assert_valid(case, kb, r.stdout)
        else:
            _assert_reported(case, kb, r.stdout.splitlines())
    assert r.stderr == ""
    assert snapshot(kb) == before, "chinaind wrote into the data directory"


@pytest.mark.parametrize("case", _params([c for c in CASES if c["exit"] == 3], text=False))
def test_validate_case_json(case, run, tmp_path):
    kb = build_case(case["name"], tmp_path)
    r = run("validate", "-f", "json", str(kb))
    assert r.exit_code == 3 and "Traceback" not in r.stdout + r.stderr
    got = json.loads(r.stdout)
    expected = case["problems"]
    assert len(got) == len(expected)
    for item, want in zip(got, expected):
        assert set(item) == {"path", "line", "col", "message"}
        # JSON carries the path itself; the text output shows a newline in it as \\n.
        assert item["path"].replace("\n", "\\n") == f"{kb}/{want['file']}"
        assert (item["line"], item["col"]) == (want["line"], want["col"])
        # JSON carries the message itself; the text output shows it with controls made visible.
        assert want["says"].format(kb=kb).replace("\\x1b", "\x1b") in item["message"].replace("\\x1b", "\x1b")
        assert "\n" not in item["message"]


@pytest.mark.parametrize("case", _params([c for c in CASES if c["exit"] == 3 and not c.get("xfail")]))
def test_query_on_invalid_case_lists_problems_on_stderr(case, run, tmp_path):
    kb = build_case(case["name"], tmp_path)
    r = run("--data-dir", str(kb), "list", "sectors")
    assert r.exit_code == 3 and r.stdout == "" and "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    n = len(case["problems"])
    assert lines[-1].startswith(f"chinaind: the knowledge base has {n} problem")
    _assert_reported(case, kb, lines[:-1])


@pytest.mark.parametrize("case", _params([c for c in CASES if c["exit"] == 0 and not c.get("xfail")]))
def test_valid_case_can_be_queried(case, run, tmp_path):
    kb = build_case(case["name"], tmp_path)
    r = run("--data-dir", str(kb), "list", "sectors", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ""
    assert [rec["id"] for rec in json.loads(r.stdout)]


def test_yaml11_values_are_kept_as_written(run, tmp_path):
    kb = build_case("yaml11-kept-as-written", tmp_path)
    r = run("--data-dir", str(kb), "show", "plan", "NO", "-f", "json")
    assert r.exit_code == 0, r.stderr
    plan, agency = json.loads(r.stdout)
    # Text fields keep the author's text: never a boolean, a date or a number.
    assert plan["title"] == "2025" and plan["title_zh"] == "on" and plan["summary"] == "y"
    assert plan["dates"][0]["date"] == "2023-01-19" and plan["date"] == "2023-01-19"
    assert agency["id"] == "NO" and agency["name"] == "NO" and agency["short_name_zh"] == "yes"
    target = plan["figures"][0]
    assert target["what"] == "off" and target["unit"] == "1e3" and target["scope"] == "12:30"
    assert target["deadline"] == "2025"
    # Number fields read decimal: `010` is ten, never octal eight.
    assert plan["issuers_total"] == 10 and target["value"] == 10
    assert target["baseline"] == {"year": 2020, "value": 0.5, "unit": None, "approximate": False, "note": None}


@pytest.mark.parametrize("name", ["huge-file", "billion-laughs", "alias-string-bomb", "deep-nesting-flow", "deep-nesting-block"])
def test_resource_bombs_are_bounded_in_a_real_process(name, tmp_path):
    """A real process, its address space capped at 512 MiB, must answer within 5 s."""
    kb = build_case(name, tmp_path)
    if name == "huge-file":
        assert (kb / "sectors" / "huge.yaml").stat().st_size == HUGE_BYTES

    def cap() -> None:
        limit = 512 * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    start = time.monotonic()
    p = subprocess.run([str(CHINAIND), "validate", str(kb)], capture_output=True, text=True,
                       env=env, preexec_fn=cap, timeout=30)
    assert time.monotonic() - start < SECONDS
    assert p.returncode == 3 and p.stderr == ""
    case = CASE_BY_NAME[name]
    _assert_reported(case, kb, p.stdout.splitlines())


def test_read_only_data_directory_works_and_is_never_written(run, tmp_path, monkeypatch):
    kb = build_case("hostile-text", tmp_path)
    # Old mtimes, so the cache really stores these records (fresh files are never cached).
    for path in kb.rglob("*.yaml"):
        os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    make_read_only(kb)
    try:
        before = snapshot(kb)
        commands = [
            ("validate", str(kb)),
            ("--data-dir", str(kb), "list", "sectors"),
            ("--data-dir", str(kb), "list", "policies", "-f", "json"),
            ("--data-dir", str(kb), "show", "robotics", "plan", "-f", "yaml"),
            ("--data-dir", str(kb), "search", "robot"),
            ("--data-dir", str(kb), "--no-cache", "sector", "robotics", "-f", "csv"),
            ("--data-dir", str(kb), "targets"),
        ]
        for args in commands * 2:  # the second round reads the cache
            r = run(*args)
            assert r.exit_code == 0, (args, r.stderr)
            assert "Traceback" not in r.stdout + r.stderr
        assert snapshot(kb) == before
        # And with the cache pointed at an unwritable place too.
        monkeypatch.setenv("CHINAIND_CACHE_DIR", str(kb / "sectors" / "robotics.yaml"))
        r = run("--data-dir", str(kb), "list", "sectors")
        assert r.exit_code == 0 and r.stderr == ""
        assert snapshot(kb) == before
    finally:
        make_writable(kb)


def test_unreadable_record_file_is_a_located_problem(run, tmp_path, monkeypatch):
    kb = build_case("not-records-ignored", tmp_path)
    target = kb / "sectors" / "robotics.yaml"
    real = os.open  # record files are opened with os.open (their size is checked before reading)

    def deny(path, *args, **kwargs):
        if Path(os.fsdecode(path)) == target:
            raise PermissionError(13, "Permission denied")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    r = run("--no-cache", "validate", str(kb))
    assert r.exit_code == 3
    assert r.stdout.splitlines() == [f"{target}:1:1: cannot read the file (Permission denied); check its permissions"]
