"""Clear exits (issue #12, class 3): exit 70 ("internal error") is for bugs only. What the
operating system refuses (a full output device, a closed stdout, permission denied, a
read-only file system) is one line and exit 74; a closed or full stderr never turns into a
traceback or another status; an output encoding that cannot write Chinese degrades to
escapes; a number that validates also exports; odd terminal widths still print the table."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURE_KB

CHINAIND = Path(sys.executable).parent / "chinaind"
NO_SPACE = "chinaind: cannot write the output: No space left on device; free some space, or write somewhere else"
CLOSED = "chinaind: cannot write the output: standard output is closed; give it a file or a pipe"
COMMANDS = [
    ["search", "laser", "-f", "json"],
    ["list", "sectors"],
    ["show", "catl", "-f", "yaml"],
    ["chain", "rv-reducer", "-f", "tree"],
    ["graph", "-f", "mermaid"],
    ["stats"],
    ["validate"],
    ["schema", "sector"],
    ["--version"],
    ["--help"],
    ["list", "--help"],
    [],  # no command: the help
]


def _shell(command: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), **env}
    full.pop("CHINAIND_DATA", None)
    return subprocess.run(["bash", "-c", command], capture_output=True, env=full, timeout=60)


def _cmd(args: list[str]) -> str:
    if not args:  # `chinaind` alone prints its help
        return str(CHINAIND)
    return " ".join([str(CHINAIND), "-d", str(FIXTURE_KB), *(f"'{a}'" for a in args)])


# --- full and closed standard streams ----------------------------------------------------------
@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: "-".join(a) or "no-command")
def test_a_full_stdout_is_one_line_and_exit_74(tmp_path, args):
    p = _shell(_cmd(args) + " > /dev/full", tmp_path)
    assert (p.returncode, p.stderr.decode()) == (74, NO_SPACE + "\n")


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: "-".join(a) or "no-command")
def test_a_closed_stdout_is_one_line_and_exit_74(tmp_path, args):
    p = _shell(_cmd(args) + " >&-", tmp_path)
    assert (p.returncode, p.stderr.decode()) == (74, CLOSED + "\n")


@pytest.mark.parametrize("redirect", ["2>&-", "2>/dev/full"])
@pytest.mark.parametrize("args, code", [(["list", "sectors"], 0), (["agency", "nowhere"], 1),
                                         (["list", "widgets"], 2), (["--data-dir", "/nonexistent", "stats"], 2)])
def test_a_closed_or_full_stderr_keeps_the_status(tmp_path, redirect, args, code):
    p = _shell(_cmd(args) + f" {redirect}", tmp_path)
    assert p.returncode == code and p.stderr == b""
    assert (p.stdout != b"") == (code == 0) and b"Traceback" not in p.stdout


def test_an_invalid_base_with_a_full_stderr_still_exits_3(tmp_path):
    kb = tmp_path / "kb"
    (kb / "sectors").mkdir(parents=True)
    (kb / "sectors" / "x.yaml").write_text("id: x\nnmae: X\n")
    p = _shell(f"{CHINAIND} -d {kb} list sectors 2>/dev/full", tmp_path)
    assert (p.returncode, p.stdout, p.stderr) == (3, b"", b"")


def test_every_standard_stream_closed(tmp_path):
    p = _shell(_cmd(["list", "sectors"]) + " >&- 2>&- <&-", tmp_path)
    assert p.returncode == 74


# --- encodings -----------------------------------------------------------------------------------
ENCODINGS = [{"PYTHONIOENCODING": "ascii"}, {"PYTHONIOENCODING": "latin-1"}, {"LC_ALL": "C", "LANG": "C"}]


@pytest.mark.parametrize("env", ENCODINGS, ids=lambda e: "-".join(e.values()))
def test_json_and_yaml_stay_exact_in_any_output_encoding(tmp_path, env):
    p = _shell(_cmd(["show", "catl", "-f", "json"]), tmp_path, **env)
    assert (p.returncode, p.stderr) == (0, b"")
    assert json.loads(p.stdout)[0]["name_zh"] == "宁德时代"
    p = _shell(_cmd(["show", "catl", "-f", "yaml"]), tmp_path, **env)
    assert (p.returncode, p.stderr) == (0, b"")
    assert yaml.safe_load(p.stdout)[0]["name_zh"] == "宁德时代"
    p = _shell(_cmd(["graph", "-f", "json"]), tmp_path, **env)
    assert (p.returncode, p.stderr) == (0, b"")
    nodes = {n["id"]: n for n in json.loads(p.stdout)["nodes"]}
    assert nodes["catl"]["label_zh"] == "宁德时代"


@pytest.mark.parametrize("args", [["list", "sectors", "-f", "tsv"], ["list", "sectors", "-f", "csv"],
                                  ["list", "sectors", "-f", "table"], ["list", "sectors", "-f", "ids"],
                                  ["chain", "fiber-laser", "-f", "tree"], ["graph", "-f", "dot"],
                                  ["graph", "-f", "json"], ["search", "机器人"]])
@pytest.mark.parametrize("env", ENCODINGS[:2], ids=lambda e: "-".join(e.values()))
def test_text_formats_degrade_to_escapes_in_a_narrow_encoding(tmp_path, env, args):
    p = _shell(_cmd(args), tmp_path, **env)
    assert (p.returncode, p.stderr) == (0, b"")
    out = p.stdout.decode(env["PYTHONIOENCODING"])
    if args[0] == "chain":  # the tree's guides and CATL's Chinese name, escaped
        assert "\\u2514\\u2500\\u2500 group 1" in out and "CATL \\u5b81\\u5fb7\\u65f6\\u4ee3 [catl]" in out
    elif args[0] != "search" and args[-1] != "ids":  # 机器人, the robotics sector's Chinese name
        assert "\\u673a\\u5668\\u4eba" in out
    assert "robotics" in out or args[0] == "chain"


@pytest.mark.parametrize("env", ENCODINGS[:2], ids=lambda e: "-".join(e.values()))
def test_error_lines_degrade_to_escapes_in_a_narrow_encoding(tmp_path, env):
    p = _shell(_cmd(["agency", "工信部门户"]), tmp_path, **env)
    assert p.returncode == 1 and p.stdout == b""
    assert p.stderr.decode("ascii").startswith("chinaind: no agency matches '\\u5de5\\u4fe1")


# --- what the system refuses: exit 74, one line, never 70 ---------------------------------------------
REFUSALS = [
    (errno.EACCES, "Permission denied", "check the permissions, or write somewhere else"),
    (errno.EROFS, "Read-only file system", "the file system is read-only; write somewhere else"),
    (errno.ENOSPC, "No space left on device", "free some space, or write somewhere else"),
    (errno.EIO, "Input/output error", "the device reported an error; check it, or write somewhere else"),
]


@pytest.mark.parametrize("code, reason, hint", REFUSALS)
@pytest.mark.parametrize("args", [["export", "sqlite", "{tmp}/x.db"], ["export", "csv", "{tmp}/csv"],
                                  ["schema", "--write", "{tmp}/s"], ["init", "{tmp}/kb", "--empty"]])
def test_writes_the_system_refuses(fx, tmp_path, monkeypatch, args, code, reason, hint):
    real_open = os.open

    def refusing(path, flags, *rest, **kw):
        if flags & os.O_CREAT or flags & os.O_WRONLY:
            raise OSError(code, reason, path)
        return real_open(path, flags, *rest, **kw)

    monkeypatch.setattr(os, "open", refusing)
    monkeypatch.setattr(os, "mkdir", lambda *a, **kw: (_ for _ in ()).throw(OSError(code, reason)))
    result = fx(*[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 74 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"chinaind: {args[0]}") and line.endswith(f": {reason}; {hint}")


def test_an_unexpected_os_error_is_74_not_an_internal_error(fx, monkeypatch):
    import chinaind.core.paths

    def unreadable(value):
        raise PermissionError(errno.EACCES, "Permission denied", "/srv/kb/policies")

    monkeypatch.setattr(chinaind.core.paths, "resolve_data_dir", unreadable)
    result = fx("stats")
    assert (result.exit_code, result.stdout) == (74, "")
    assert result.stderr == ("chinaind: cannot read or write /srv/kb/policies: Permission denied; "
                             "check the permissions, or write somewhere else\n")


def test_a_bug_is_still_an_internal_error(fx, monkeypatch):
    import chinaind.query.queries

    monkeypatch.setattr(chinaind.query.queries, "list_records", lambda *a, **kw: 1 / 0)
    result = fx("list", "sectors")
    assert result.exit_code == 70 and "internal error: ZeroDivisionError" in result.stderr


# --- numbers that validate also export -----------------------------------------------------------------
LIMIT = 2**63


@pytest.mark.parametrize("value, valid", [(LIMIT - 1, True), (-LIMIT, True), (LIMIT, False), (-LIMIT - 1, False),
                                          (10**30, False), ("1e30", True), (12.5, True)])
def test_numbers_that_validate_also_export(run, kb_copy, tmp_path, value, valid):
    path = kb_copy / "policies" / "robot-plus.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("value: 492", f"value: {value}"), encoding="utf-8")
    checked = run("validate", str(kb_copy))
    if not valid:
        assert checked.exit_code == 3
        (line,) = checked.stdout.splitlines()
        assert line.endswith(f"figures.0.value: '{value}' is too large a whole number (SQLite and most tools stop at "
                             "9223372036854775807); check the digits, or use a larger unit")
        return
    assert checked.exit_code == 0, checked.stdout
    result = run("-d", str(kb_copy), "export", "sqlite", str(tmp_path / "x.db"))
    assert (result.exit_code, result.stderr) == (0, "")
    con = sqlite3.connect(tmp_path / "x.db")
    stored = con.execute("SELECT value FROM figures WHERE record_id = 'robot-plus' AND position = 1").fetchone()[0]
    assert stored == float(value) if isinstance(value, str) else stored == value
    assert run("-d", str(kb_copy), "export", "csv", str(tmp_path / "csv")).exit_code == 0


# --- odd terminal widths -----------------------------------------------------------------------------
@pytest.fixture
def terminal(monkeypatch):
    """Standard output taken for a terminal: chinaind chooses (and draws) a Rich table."""
    import chinaind.cli.commands
    import chinaind.output.render

    monkeypatch.setattr(chinaind.output.render, "isatty", lambda stream: True)
    monkeypatch.setattr(chinaind.cli.commands, "isatty", lambda stream: True)


@pytest.mark.parametrize("columns", ["0", "1", "5", "-3", "abc", "", " 12 ", "99999999999"])
def test_odd_widths_still_print_the_table(fx, terminal, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", columns)
    result = fx("list", "sectors")
    assert (result.exit_code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[0] == "4 sectors" and lines[1].split()[:2] == ["ID", "NAME"]
    for sid in ("lasers", "robotics", "semiconductors", "standards"):  # folded when narrow
        assert any(line.startswith(sid[:8]) for line in lines), sid
    assert max(len(line) for line in lines) <= 10_000
    tree = fx("chain", "rv-reducer", "-f", "tree")
    assert tree.exit_code == 0 and tree.stdout.startswith("Industrial robot rotate vector reducer")


def test_output_refused_only_at_the_final_flush_is_one_line(monkeypatch, capsys):
    """Most output sits in the buffer until the run ends: the device refusing it then is the
    run's error too, reported once."""
    from chinaind.cli import app as cliapp
    from chinaind.cli.streams import GuardedOutput

    class FullAtFlush(io.StringIO):
        def flush(self) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sys, "stdout", GuardedOutput(FullAtFlush()))
    with pytest.raises(SystemExit) as exit_:
        cliapp._final_flush()
    monkeypatch.undo()
    assert exit_.value.code == 74 and capsys.readouterr().err == NO_SPACE + "\n"


def test_a_closed_stdin_reads_as_empty(tmp_path):
    p = _shell(_cmd(["show", "-", "-f", "ids"]) + " <&-", tmp_path)
    assert (p.returncode, p.stdout, p.stderr) == (0, b"", b"")
