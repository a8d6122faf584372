"""Hostile text on the way out: Rich markup and control characters in records, in every format,
in terminal tables, in error messages and in help; TSV rows that never break; a closed pipe.

The knowledge base is cases/hostile-text: valid records whose text holds `[bold]`, `[/]`,
`[link=…]`, `[red]`, ESC/CSI and OSC 8 sequences, BEL, CR, backspace, NUL, tabs, newlines,
a C1 CSI, a bidi override, CJK and emoji (written with YAML double-quoted escapes)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from chinaind.query.listing import Column, Listing
from chinaind.store.loader import load
from chinaind.output.render import FORMATS, render
from chinaind.output.table import render_table
from hostile_support import RAW_CONTROL_RE, build_case, sector, shown, tsv_unescape

CHINAIND = Path(sys.executable).parent / "chinaind"
MARKUP = ["[bold]Robotics[/]", "[red]robots", "[link=https://evil.example]click me[/link]", "机器人[/]"]
# Rich's own styling on a terminal is SGR only (ESC [ digits m); anything else came from data.
RICH_SGR_RE = re.compile("\x1b\\[[0-9;]*m")
COMMANDS = [
    ("list", "sectors"),
    ("list", "policies"),
    ("show", "robotics", "plan"),
    ("search", "robot"),
    ("sector", "robotics"),
]


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return build_case("hostile-text", tmp_path)


@pytest.fixture
def records(kb: Path) -> dict:
    return load(kb, use_cache=False).records


def _columns(rec: dict) -> list[Column]:
    keys = [k for k in rec if k != "sources"]
    return [Column(k.upper(), lambda r, k=k: r.get(k), wide=True) for k in keys]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: "-".join(a))
def test_every_command_and_format_prints_hostile_text_safely(run, kb, fmt, args):
    r = run("--data-dir", str(kb), *args, "-f", fmt)
    assert r.exit_code == 0, r.stderr
    assert r.stderr == "" and "Traceback" not in r.stdout
    out = r.stdout
    if fmt in ("table", "tsv", "ids", "json", "jsonl", "yaml"):
        # JSON and YAML escape controls themselves; table and tsv make them visible.
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f]", out), repr(out)
    if fmt in ("table", "tsv"):
        assert not RAW_CONTROL_RE.search(out), repr(out)
    if fmt in ("table", "tsv", "csv") and args[0] != "search":
        assert "[bold]" in out  # markup printed literally, never interpreted


def test_json_jsonl_yaml_round_trip_exactly(run, kb, records):
    for fmt, parse in (("json", json.loads),
                       ("jsonl", lambda s: [json.loads(line) for line in s.splitlines()]),
                       ("yaml", yaml.safe_load)):
        r = run("--data-dir", str(kb), "show", "robotics", "plan", "-f", fmt)
        assert r.exit_code == 0
        assert parse(r.stdout) == [records["robotics"], records["plan"]], fmt
    robotics = records["robotics"]
    assert robotics["name"] == "[bold]Robotics[/] \x1b[31mred\x1b[0m"
    assert "\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\" in robotics["aliases"]
    assert "nul\x00byte" in robotics["aliases"] and "cr\rover" in robotics["aliases"]


def test_json_escapes_the_terminal_controls(run, kb):
    out = run("--data-dir", str(kb), "show", "robotics", "plan", "-f", "json").stdout
    for raw in ("\x1b", "\x07", "\x08", "\x00", "\r"):
        assert raw not in out
    assert "\\u001b[31m" in out and "\\u001b]8;;http://evil.example" in out and "\\u0000" in out


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_escapes_c1_controls_and_bidi_overrides(run, kb, fmt):
    out = run("--data-dir", str(kb), "show", "robotics", "-f", fmt).stdout
    assert not RAW_CONTROL_RE.search(out), repr(out)
    assert json.loads(out.splitlines()[0] if fmt == "jsonl" else out)


def test_yaml_keeps_next_line_character():
    records = [{"id": "x", "name": "a\x85b", "aliases": ["\x85"]}]
    stream = io.StringIO()
    render(Listing(records, [Column("ID", lambda r: r["id"])]), "yaml", stream)
    assert yaml.safe_load(stream.getvalue()) == records


def joined(items: list[str]) -> str:
    """A list cell of csv and tsv: items joined by |, a backslash or | inside one escaped."""
    return "|".join(i.replace("\\", "\\\\").replace("|", "\\|") for i in items)


def test_csv_parses_back_to_the_values_with_unsafe_characters_shown(run, kb, records):
    # CSV has no escapes of its own: unsafe characters are shown as \\x1b, \\u202e (newline
    # and tab are kept, inside quotes). JSON, YAML and TSV are the exact formats.
    r = run("--data-dir", str(kb), "list", "sectors", "-f", "csv")
    assert r.exit_code == 0
    rows = list(csv.reader(io.StringIO(r.stdout, newline="")))
    rec = records["robotics"]
    assert rows[0] == ["id", "name", "name_zh", "aliases"]
    assert rows[1:] == [[rec["id"], shown(rec["name"]), shown(rec["name_zh"]), shown(joined(rec["aliases"]))]]
    assert rows[1][1] == "[bold]Robotics[/] \\x1b[31mred\\x1b[0m"


def test_tsv_rows_never_break_and_unescape_to_the_values(run, kb, records):
    r = run("--data-dir", str(kb), "list", "sectors", "-f", "tsv")
    lines = r.stdout.split("\n")
    assert lines[-1] == "" and len(lines) == 2  # one record, one line
    fields = lines[0].split("\t")
    rec = records["robotics"]
    assert [tsv_unescape(f) for f in fields] == [rec["id"], rec["name"], rec["name_zh"], joined(rec["aliases"])]
    assert "\\x1b[31m" in lines[0] and "\\t" in lines[0] and "\\n" in lines[0] and "\\x00" in lines[0]

    r = run("--data-dir", str(kb), "list", "policies", "-f", "tsv")
    (line,) = r.stdout.splitlines()
    fields = line.split("\t")
    assert len(fields) == 6 and tsv_unescape(fields[-1]) == records["plan"]["title"]


@pytest.mark.parametrize("detail", [False, True])
@pytest.mark.parametrize("terminal", [True, False])
def test_rich_table_shows_markup_literally_and_controls_escaped(records, terminal, detail, monkeypatch):
    monkeypatch.setenv("COLUMNS", "600")  # wide enough that no cell is folded mid-marker
    recs = [records["robotics"], records["plan"]]
    columns = [Column("ID", lambda r: r["id"]), Column("NAME", lambda r: r.get("name") or r.get("title"), wide=True),
               Column("NAME_ZH", lambda r: r.get("name_zh")), Column("ALIASES", lambda r: r.get("aliases"), wide=True),
               Column("TEXT", lambda r: r.get("description") or r.get("summary"), wide=True)]
    listing = Listing(recs, columns, title="[bold]Title[/] \x1b[31m", notes=["[red]note\x07"], detail=detail)
    stream = io.StringIO()
    render_table(listing, stream, terminal=terminal)
    out = RICH_SGR_RE.sub("", stream.getvalue())
    assert not RAW_CONTROL_RE.search(out), repr(out)
    for text in MARKUP + ["[/]\\x07bell", "[see note]", "[注释]", "\\x1b]8;;http://evil.example"]:
        assert text in out, text
    if terminal:
        assert "[bold]Title[/] \\x1b[31m" in out and "[red]note\\x07" in out


def _script(command: str, tmp_path: Path) -> str:
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "200", "LINES": "50",
           "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("NO_COLOR", None)
    p = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True, env=env,
                       stdin=subprocess.DEVNULL, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout.decode("utf-8", "replace")


@pytest.mark.skipif(shutil.which("script") is None, reason="needs script(1) for a real terminal")
def test_real_terminal_shows_markup_literally_and_no_data_escape_sequences(kb, tmp_path):
    out = _script(f"{CHINAIND} -d {kb} list sectors; {CHINAIND} -d {kb} show robotics plan; "
                  f"{CHINAIND} -d {kb} search '[bold]'; {CHINAIND} -d {kb} agency '[red]x\x1b[31m'; "
                  f"{CHINAIND} -d {kb} validate --help", tmp_path)
    assert "\x1b[1m" in out  # it really was a terminal: Rich styled the headers
    text = RICH_SGR_RE.sub("", out).replace("\r", "")
    assert not RAW_CONTROL_RE.search(text), repr(text)
    for marker in MARKUP + ["\\x1b[31mred\\x1b[0m", "\\x1b]8;;http://evil.example", "[DIR]"]:
        assert marker in text, marker
    assert "no agency matches '[red]x\\x1b[31m'" in text


@pytest.mark.parametrize("arg, shown", [
    ("[bold]x[/]", "'[bold]x[/]'"),
    ("[/]", "'[/]'"),
    ("[link=https://evil.example]x", "'[link=https://evil.example]x'"),
    ("\x1b[31mred", "'\\x1b[31mred'"),
    ("\x1b]8;;http://evil.example\x1b\\x", "'\\x1b]8;;http://evil.example\\x1b\\\\x'"),
    ("bell\x07", "'bell\\x07'"),
    ("a\rb", "'a\\rb'"),
    ("a\x00b", "'a\\x00b'"),
])
@pytest.mark.parametrize("command", ["agency", "company", "chain", "sector", "show"])
def test_error_messages_print_markup_literally_and_escape_controls(fx, command, arg, shown):
    r = fx(command, arg)  # the fixture knowledge base: nothing there resembles these names
    assert r.exit_code == 1 and r.stdout == ""
    (line,) = r.stderr.splitlines()
    assert line.startswith("chinaind: no ") and shown in line
    assert not RAW_CONTROL_RE.search(r.stderr)


@pytest.mark.parametrize("command", [None, "search", "chain", "agency", "company", "sector", "targets", "list", "show", "validate"])
def test_help_text_prints_brackets_literally(run, command):
    args = [command, "--help"] if command else ["--help"]
    r = run(*args)
    assert r.exit_code == 0 and r.stderr == "" and "Traceback" not in r.stdout
    assert "[OPTIONS]" in r.stdout and not RAW_CONTROL_RE.search(r.stdout)
    if command == "validate":
        assert "[DIR]" in r.stdout and "path:line:col: message" in " ".join(r.stdout.split())
    if command == "show":
        assert "ID..." in r.stdout


def _big_kb(tmp_path: Path, n: int = 400, invalid: bool = False) -> Path:
    kb = tmp_path / "big"
    (kb / "sectors").mkdir(parents=True)
    filler = "a long name to fill the pipe buffer " * 8
    for i in range(n):
        text = sector(f"s{i:04d}", f"Sector {i} {filler}") if not invalid else f"id: s{i:04d}\nnmae: {filler}\n"
        (kb / "sectors" / f"s{i:04d}.yaml").write_text(text)
    old = 1_600_000_000_000_000_000
    for p in (kb / "sectors").iterdir():
        os.utime(p, ns=(old, old))
    return kb


def _read_one_line_and_close(args: list[str], env: dict) -> tuple[int, bytes, bytes]:
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    first = p.stdout.readline()
    p.stdout.close()  # the reader goes away, like `| head -1`
    err = p.stderr.read()
    p.stderr.close()
    return p.wait(timeout=60), first, err


@pytest.fixture(scope="module")
def big_kbs(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("pipe")
    return {"valid": _big_kb(base / "v"), "invalid": _big_kb(base / "i", invalid=True)}


@pytest.mark.parametrize("fmt", FORMATS)
def test_closed_pipe_ends_quietly(big_kbs, tmp_path, fmt):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    code, first, err = _read_one_line_and_close([str(CHINAIND), "-d", str(big_kbs["valid"]), "list", "sectors", "-f", fmt], env)
    assert first and err == b""
    assert code in (0, -13, 141)  # success or SIGPIPE, never an error code


def test_closed_pipe_through_a_shell_pipeline(big_kbs, tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    p = subprocess.run(["bash", "-c", f"set -o pipefail; {CHINAIND} -d {big_kbs['valid']} list sectors | head -1"],
                       capture_output=True, env=env, timeout=60)
    assert p.stderr == b"" and p.stdout.startswith(b"s0000\t")
    assert p.returncode == 0


def test_closed_pipe_on_validate_of_an_invalid_base_is_quiet(big_kbs, tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    code, first, err = _read_one_line_and_close([str(CHINAIND), "validate", str(big_kbs["invalid"])], env)
    assert first.startswith(str(big_kbs["invalid"]).encode()) and err == b""


def test_closed_pipe_on_validate_still_says_invalid(big_kbs, tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    code, first, err = _read_one_line_and_close([str(CHINAIND), "validate", str(big_kbs["invalid"])], env)
    assert err == b"" and code == 3
