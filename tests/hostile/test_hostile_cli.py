"""Hostile command lines: empty, huge, metacharacter, emoji, mixed-script, NUL and control-char
arguments; unknown options, commands and formats; bad --data-dir paths. Each gives a correct
result (exit 0) or one line on stderr, `chinaind: ...`, with exit 1 (not found) or 2 (usage)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hostile_support import RAW_CONTROL_RE

REPO = Path(__file__).resolve().parents[2]
FIXTURE_KB = REPO / "tests" / "fixtures" / "kb"
CHINAIND = Path(sys.executable).parent / "chinaind"

HOSTILE = {
    "empty": "",
    "spaces": "   ",
    "long-ascii": "x" * 10_000,
    "long-cjk": "机器人" * 3_334,
    "long-words": "robot laser " * 900,
    "regex": ".*[(?{\\1})+$^|",
    "shell": "$(rm -rf ~); `id` | & ; > /tmp/x * ~ !! \"'",
    "printf": "%s%n%x%d{0}{}",
    "emoji-mixed": "🤖 机器人 robot ロボット робот روبوت",
    "fullwidth": "ＲＶ　ｒｅｄｕｃｅｒ",
    "nul": "a\x00b",
    "markup": "[bold]x[/] [link=https://evil.example]y",
    "escape": "\x1b[2J\x1b]0;title\x07",
    "newline": "robot\nlaser",
    "bidi": "\u202eevil",
    "dash": "-",
    "lone-surrogate": "\udcff",  # what Python makes of a non-UTF-8 byte in argv
}
EMPTY = {"empty", "spaces"}
# Over search.MAX_QUERY_CHARS: search refuses them (exit 2), so that its cost stays bounded.
LONG = {"long-ascii", "long-cjk", "long-words"}

# What each command may answer: search finds or lists nothing (0), rejects an empty or an
# overlong query (2);
# name lookups find (0) or not (1); an empty name is "not found" (1) or a usage error (2).
COMMANDS = {
    "search": lambda name: {2} if name in EMPTY | LONG else {0},
    "agency": lambda name: {1, 2} if name in EMPTY else {0, 1},
    "company": lambda name: {1, 2} if name in EMPTY else {0, 1},
    "sector": lambda name: {1, 2} if name in EMPTY else {0, 1},
    "chain": lambda name: {1, 2} if name in EMPTY else {0, 1},
    # `show -` reads ids from stdin (empty here): nothing to show.
    "show": lambda name: {1, 2} if name in EMPTY else ({0} if name == "dash" else {1}),
}


def _check(r, allowed: set[int]) -> None:
    out = r.stdout + r.stderr
    assert "Traceback" not in out
    assert r.exit_code in allowed, (r.exit_code, out[:500])
    if r.exit_code == 0:
        assert r.stderr == ""
        assert not RAW_CONTROL_RE.search(r.stdout)
    else:
        assert r.stdout == ""
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("chinaind: "), r.stderr[:500]
        assert not RAW_CONTROL_RE.search(r.stderr)


@pytest.mark.parametrize("command, name", [
    pytest.param(c, n, id=f"{c}-{n}") for c in COMMANDS for n in HOSTILE
])
@pytest.mark.parametrize("fmt", ["tsv", "json"])
def test_hostile_arguments(fx, command, name, fmt):
    start = time.monotonic()
    r = fx(command, HOSTILE[name], "-f", fmt)
    assert time.monotonic() - start < 5
    _check(r, COMMANDS[command](name))


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize("option", ["--since", "--until"])
def test_hostile_dates(fx, option, name):
    r = fx("list", "policies", option, HOSTILE[name])
    _check(r, {2})


@pytest.mark.parametrize("args, code, says", [
    (["--bogus"], 2, "No such option: --bogus"),
    (["-Z"], 2, "No such option: -Z"),
    (["list", "policies", "--bogus"], 2, "No such option: --bogus"),
    (["bogus"], 2, "No such command 'bogus'"),
    (["[bold]x[/]"], 2, "No such command '[bold]x[/]'"),
    (["list", "nope"], 2, "unknown record type 'nope'"),
    (["list"], 2, "Missing argument"),
    (["search"], 2, "Missing argument"),
    (["list", "policies", "-f", "xml"], 2, "unknown format 'xml'; choose one of table, tsv"),
    (["list", "policies", "--format=XML"], 2, "unknown format 'xml'"),
    (["list", "policies", "-f", "[red]json"], 2, "unknown format '[red]json'"),
    (["list", "policies", "-f", "\x1b[31mjson"], 2, "unknown format '\\x1b[31mjson'"),
    (["list", "policies", "-f", "a\x00b"], 2, "unknown format 'a\\x00b'"),
    (["list", "policies", "-f"], 2, "requires an argument"),
    (["search", "x", "--limit", "-1"], 2, "--limit"),
    (["search", "x", "--limit", "abc"], 2, "--limit"),
    (["search", "x", "--kind", "robot"], 2, "unknown kind 'robot'"),
    (["targets", "--due-by", "3000"], 2, "--due-by"),
    (["targets", "--due-by", "soon"], 2, "--due-by"),
    (["list", "sectors", "--since", "2020"], 2, "apply to policies only"),
    (["list", "policies", "--since", "2023-02-30"], 2, "'2023-02-30' is not a day of 2023-02"),
    (["list", "policies", "--since", "2023-13"], 2, "no month 13"),
    (["list", "policies", "--until", "yesterday"], 2, "is not a date"),
    (["list", "policies", "--since", "0000"], 2, "--since"),
    (["agency", "MIIT", "--with", "nobody"], 1, "no agency matches 'nobody'"),
    (["list", "policies", "--agency", "[/]"], 1, "no agency matches '[/]'"),
    (["list", "policies", "--sector", "\x1b[31m"], 1, "no sector matches '\\x1b[31m'"),
    (["show", "no-such-id"], 1, "no record matches 'no-such-id'"),
])
def test_bad_options_and_values(fx, args, code, says):
    r = fx(*args)
    _check(r, {code})
    assert says in r.stderr


@pytest.mark.parametrize("fmt", ["", " ", "JSON", " tsv "])
def test_format_names_are_trimmed_or_rejected(fx, fmt):
    r = fx("list", "policies", "-f", fmt)
    _check(r, {0, 2})


def _data_dir_cases(tmp: Path) -> dict[str, tuple[str, str]]:
    (tmp / "file.txt").write_text("not a folder\n")
    (tmp / "empty-dir").mkdir()
    (tmp / "other-dir" / "docs").mkdir(parents=True)
    return {
        "missing": (str(tmp / "missing"), "does not exist"),
        "file": (str(tmp / "file.txt"), "is a file, not a folder"),
        "dev-null": ("/dev/null", "is a file, not a folder"),
        "empty-dir": (str(tmp / "empty-dir"), "is not a knowledge base"),
        "not-a-kb": (str(tmp / "other-dir"), "is not a knowledge base"),
        "nul": ("kb\x00x", "NUL byte"),
        "markup": ("[bold]kb[/]", "[bold]kb[/] does not exist"),
        "escape": ("\x1b[31mkb", "\\x1b[31mkb does not exist"),
    }


@pytest.mark.parametrize("via", ["option", "env", "validate-arg"])
@pytest.mark.parametrize("case", ["missing", "file", "dev-null", "empty-dir", "not-a-kb", "nul", "markup", "escape"])
def test_bad_data_dir(run, tmp_path, monkeypatch, via, case):
    path, says = _data_dir_cases(tmp_path)[case]
    if via == "option":
        r = run("--data-dir", path, "list", "policies")
    elif via == "env":
        if "\x00" in path:
            pytest.skip("an environment variable cannot hold NUL")
        monkeypatch.setenv("CHINAIND_DATA", path)
        r = run("list", "policies")
    else:
        r = run("validate", path)
    _check(r, {2})
    assert says in r.stderr


@pytest.mark.parametrize("path", ["x" * 5000, "/tmp/" + "x/" * 3000])
def test_data_dir_path_too_long(run, path):
    r = run("--data-dir", path, "list", "policies")
    _check(r, {2})


def test_data_dir_with_newline_is_one_line(run):
    r = run("--data-dir", "a\nb", "list", "policies")
    _check(r, {2})


def test_unreadable_data_dir(run, tmp_path, monkeypatch):
    kb = tmp_path / "kb"
    (kb / "sectors").mkdir(parents=True)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **k: False if Path(p) == kb else real_access(p, mode, *a, **k))
    r = run("--data-dir", str(kb), "list", "sectors")
    _check(r, {2})
    assert "is not readable; check its permissions" in r.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="permission bits do not stop root")
def test_unreadable_data_dir_for_real(run, tmp_path):
    kb = tmp_path / "kb"
    (kb / "sectors").mkdir(parents=True)
    kb.chmod(0)
    try:
        r = run("--data-dir", str(kb), "list", "sectors")
        _check(r, {2})
    finally:
        kb.chmod(0o755)


@pytest.mark.parametrize("arg", [b"\xff\xfe", b"caf\xe9", b"\xe6\x9c\xba\xe5\x99", "机器人".encode()])
def test_non_utf8_argv_in_a_real_process(tmp_path, arg):
    """A real argv cannot hold NUL but can hold bytes that are not UTF-8."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    for command in (b"search", b"agency"):
        p = subprocess.run([os.fsencode(CHINAIND), b"-d", os.fsencode(FIXTURE_KB), command, arg],
                           capture_output=True, env=env, timeout=60)
        assert p.returncode in (0, 1), p.stderr
        assert b"Traceback" not in p.stdout + p.stderr
        if p.returncode:
            assert len(p.stderr.splitlines()) == 1 and p.stderr.startswith(b"chinaind: ")
