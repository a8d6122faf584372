"""One set of unsafe characters, escaped the same way in every output (issue #12, class 2).

Unsafe: Unicode categories Cc, Cf, Cs, Zl and Zp (hostile_support.is_unsafe states it from
`unicodedata`, independently of chinaind). Every listing format, the chain tree, the four
graph formats, error lines and the paths that writing commands echo are checked with an
organisation whose name holds one such character; json, jsonl and yaml must still give the
exact name back. CSV cells a spreadsheet would run as formulas get a leading quote."""

from __future__ import annotations

import csv
import io
import json
import sys
import unicodedata
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from chinaind.core import escape
from chinaind.output.render import FORMATS
from hostile_support import is_unsafe, raw_unsafe, shown, shown_one_line

# Each of these passed raw through at least one format before the fix.
HOSTILE = [
    pytest.param("evil\u202ereversed", id="RLO"),
    pytest.param("x\u061cy", id="arabic-letter-mark"),
    pytest.param("zero\u200bwidth", id="ZWSP"),
    pytest.param("zw\u200cnj\u200djoiner", id="ZWNJ-ZWJ"),
    pytest.param("word\u2060joiner\u2062times\u2064plus", id="invisible-operators"),
    pytest.param("\ufeffbom", id="BOM"),
    pytest.param("soft\xadhyphen", id="soft-hyphen"),
    pytest.param("c1\x9b2J", id="C1-CSI"),
    pytest.param("next\x85line", id="NEL"),
    pytest.param("line\u2028sep\u2029para", id="LS-PS"),
    pytest.param("tag\U000e0041\U000e007f", id="tag-characters"),
    pytest.param("\x1b[31mred\x1b]0;title\x07", id="ESC-OSC"),
    pytest.param("two\nlines", id="newline"),
    pytest.param("car\rriage", id="CR"),
    pytest.param("del\x7fete", id="DEL"),
]
ONE_LINE_FORMATS = ("tsv", "ids")


def _with_name(kb: Path, name: str) -> Path:
    """The fixture base with Qinchuan (a chain lead, in every graph) renamed. The YAML file
    itself holds only ASCII: every character is a double-quoted escape."""
    path = kb / "companies" / "qinchuan.yaml"
    text = path.read_text(encoding="utf-8").replace("name: Qinchuan Machine Tool\n", "")
    named = yaml.safe_dump({"name": name}, default_style='"', allow_unicode=False, width=10**9)
    path.write_text(text + named, encoding="ascii")
    return kb


def _lines(out: str) -> int:
    return len(out.split("\n"))


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_listing_format_escapes_every_unsafe_character(run, kb_copy, fmt, name):
    kb = _with_name(kb_copy, name)
    r = run("-d", str(kb), "show", "qinchuan", "-f", fmt)
    assert (r.exit_code, r.stderr) == (0, "")
    assert raw_unsafe(r.stdout.replace("\r\n", "\n"), keep="\t\n") == []
    if fmt in ("json", "jsonl"):
        assert json.loads(r.stdout.splitlines()[0] if fmt == "jsonl" else r.stdout)
        record = json.loads(r.stdout)[0] if fmt == "json" else json.loads(r.stdout.splitlines()[0])
        assert record["name"] == name
    elif fmt == "yaml":
        assert yaml.safe_load(r.stdout)[0]["name"] == name
    listed = run("-d", str(kb), "list", "companies", "-f", fmt)
    assert raw_unsafe(listed.stdout.replace("\r\n", "\n"), keep="\t\n") == []
    if fmt in ONE_LINE_FORMATS:
        assert _lines(listed.stdout) == 5  # four companies, one line each, and the final newline


@pytest.mark.parametrize("name", HOSTILE)
def test_list_formats_show_the_escape_itself(run, kb_copy, name):
    kb = _with_name(kb_copy, name)
    tsv = run("-d", str(kb), "list", "companies", "-f", "tsv").stdout.splitlines()[2]
    assert tsv.split("\t")[1] == shown_one_line(name)  # no backslash in these names to double
    rows = list(csv.reader(io.StringIO(run("-d", str(kb), "list", "companies", "-f", "csv").stdout, newline="")))
    assert rows[3][1] == shown(name)


@pytest.mark.parametrize("name", HOSTILE)
def test_chain_tree_stays_one_line_a_node(run, kb_copy, name):
    kb = _with_name(kb_copy, name)
    r = run("-d", str(kb), "chain", "rv-reducer", "-f", "tree")
    assert (r.exit_code, r.stderr) == (0, "")
    lines = r.stdout.split("\n")
    assert len(lines) == 6 and raw_unsafe(r.stdout, keep="\n") == []
    assert lines[2] == f"    └── lead: {shown_one_line(name)} [qinchuan]"


@pytest.mark.parametrize("name", HOSTILE)
def test_chain_tree_on_a_terminal_stays_one_line_a_node(kb_copy, name):
    from rich.console import Console

    import chinaind
    from chinaind.output.tree import rich_tree

    kb = chinaind.open(_with_name(kb_copy, name), cache=False).index
    stream = io.StringIO()
    Console(file=stream, width=300, force_terminal=True, color_system=None).print(rich_tree(kb, kb.get("rv-reducer")))
    assert len(stream.getvalue().splitlines()) == 5 and raw_unsafe(stream.getvalue(), keep="\n") == []


@pytest.mark.parametrize("name", HOSTILE)
def test_terminal_table_titles_stay_one_line(run, kb_copy, monkeypatch, name):
    import chinaind.output.render

    kb = _with_name(kb_copy, name)
    monkeypatch.setattr(chinaind.output.render, "isatty", lambda stream: True)
    monkeypatch.setenv("COLUMNS", "300")
    r = run("-d", str(kb), "company", "qinchuan")
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout.splitlines()[0] == f"{shown_one_line(name)} [qinchuan]: firm, CN; sectors: robotics"
    assert raw_unsafe(r.stdout, keep="\n") == []


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("fmt", ["dot", "mermaid", "gexf", "json"])
def test_graph_formats_escape_every_unsafe_character(run, kb_copy, fmt, name):
    kb = _with_name(kb_copy, name)
    r = run("-d", str(kb), "graph", "-f", fmt)
    assert (r.exit_code, r.stderr) == (0, "")
    assert raw_unsafe(r.stdout, keep="\n") == []
    if fmt == "json":
        labels = {n["id"]: n["label"] for n in json.loads(r.stdout)["nodes"]}
        assert labels["qinchuan"] == name


@pytest.mark.parametrize("directive", ['%%{init: {"theme": "dark"}}%%', "%%{ init: { 'flowchart': { 'curve': 'step' } } }%%"])
def test_mermaid_directives_in_names_are_plain_text(run, kb_copy, directive):
    kb = _with_name(kb_copy, f"Qinchuan {directive}")
    out = run("-d", str(kb), "graph", "-f", "mermaid").stdout
    assert "%" not in out
    assert "Qinchuan #37;#37;{" in out


@pytest.mark.parametrize("name", HOSTILE)
def test_error_lines_escape_every_unsafe_character(fx, name):
    r = fx("agency", name)
    assert r.exit_code == 1 and r.stdout == ""
    (line,) = r.stderr.splitlines()
    assert raw_unsafe(r.stderr, keep="\n") == [] and line.startswith("chinaind: no agency matches")


@pytest.mark.parametrize("name", ["kb\x1b[31m", "kb\u202eevil", "kb\nnewline", "kb\u200bzw"])
def test_writing_commands_echo_paths_escaped(run, tmp_path, name):
    target = tmp_path / name
    r = run("init", str(target), "--empty")
    assert r.exit_code == 0, r.stderr
    assert raw_unsafe(r.stdout, keep="\n") == [] and _lines(r.stdout) == 2
    r = run("-d", str(target), "new", "policy", "p1")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == shown_one_line(str(target / "policies" / "p1.yaml")) + "\n"
    r = run("-d", str(target), "--skip-invalid", "export", "sqlite", str(tmp_path / f"{name}.db"))
    assert r.exit_code == 0 and raw_unsafe(r.stdout, keep="\n") == [] and _lines(r.stdout) == 2


# --- CSV and spreadsheets ------------------------------------------------------------------------
# (Leading tabs and CRs cannot reach a record's name, which is stripped: see the unit test below.)
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1:A9)", "=cmd|' /C calc'!A0"]
NOT_FORMULAS = ["-5", "+3.5", "-0.25e3", "Qinchuan = good", "a-b", "'quoted"]


@pytest.mark.parametrize("name", FORMULAS)
def test_csv_cells_a_spreadsheet_would_run_get_a_leading_quote(run, kb_copy, tmp_path, name):
    kb = _with_name(kb_copy, name)
    rows = list(csv.reader(io.StringIO(run("-d", str(kb), "list", "companies", "-f", "csv").stdout, newline="")))
    assert rows[3][:2] == ["qinchuan", "'" + name]
    r = run("-d", str(kb), "export", "csv", str(tmp_path / "out"))
    assert r.exit_code == 0, r.stderr
    with open(tmp_path / "out" / "companies.csv", encoding="utf-8", newline="") as fh:
        exported = {row["id"]: row for row in csv.DictReader(fh)}
    assert exported["qinchuan"]["name"] == "'" + name


@pytest.mark.parametrize("name", NOT_FORMULAS)
def test_csv_numbers_and_ordinary_text_stay_as_written(run, kb_copy, name):
    kb = _with_name(kb_copy, name)
    rows = list(csv.reader(io.StringIO(run("-d", str(kb), "list", "companies", "-f", "csv").stdout, newline="")))
    assert rows[3][:2] == ["qinchuan", name]


@pytest.mark.parametrize("value, cell", [("\t=1+1", "'\t=1+1"), ("\r=1+1", "\\x0d=1+1"), ("=1", "'=1"),
                                         ("-1", "-1"), ("-", "'-"), ("", ""), ("\u202e=1", "\\u202e=1")])
def test_csv_cell(value, cell):
    assert escape.csv_cell(value) == cell


def test_csv_is_the_only_format_that_guards_formulas(run, kb_copy):
    kb = _with_name(kb_copy, "=1+1")
    assert run("-d", str(kb), "list", "companies", "-f", "tsv").stdout.splitlines()[2].split("\t")[:2] == ["qinchuan", "=1+1"]
    assert json.loads(run("-d", str(kb), "show", "qinchuan", "-f", "json").stdout)[0]["name"] == "=1+1"


# --- the one definition --------------------------------------------------------------------------
def test_unsafe_spans_match_unicode_categories():
    """escape.py's ranges are the unsafe categories of this Python's Unicode; a character they
    add is at most one this Unicode version has not assigned yet (a newer one does)."""
    unsafe = escape.unsafe_pattern()
    missing = [hex(cp) for cp in range(sys.maxunicode + 1) if is_unsafe(chr(cp)) and not unsafe.match(chr(cp))]
    extra = [hex(cp) for cp in range(sys.maxunicode + 1)
             if unsafe.match(chr(cp)) and not is_unsafe(chr(cp)) and unicodedata.category(chr(cp)) != "Cn"]
    assert (missing, extra) == ([], [])


def test_unsafe_characters_are_never_printable():
    """escape.py skips text that str.isprintable() accepts: that must never skip one."""
    assert not [hex(cp) for cp in range(sys.maxunicode + 1) if is_unsafe(chr(cp)) and chr(cp).isprintable()]


def test_layout_characters_are_kept_only_where_a_format_carries_them():
    assert escape.visible("a\tb\nc\rd") == "a\tb\nc\\x0dd"
    assert escape.one_line("a\tb\nc\rd\u202e") == "a\\tb\\nc\\rd\\u202e"
    assert escape.json_safe('"\U000e0041"') == '"\\udb40\\udc41"'


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_no_unsafe_character_survives_any_escape(text):
    assert raw_unsafe(escape.visible(text), keep="\t\n") == []
    assert raw_unsafe(escape.one_line(text)) == []
    assert raw_unsafe(escape.csv_cell(text), keep="\t\n") == []
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        assert json.loads(escape.json_safe(json.dumps(text, ensure_ascii=False))) == text


@pytest.mark.parametrize("fmt", ["dot", "mermaid", "gexf", "json"])
def test_graph_formats_carry_no_raw_tab(run, kb_copy, fmt):
    """A TAB in a label is layout nowhere in a graph file: dot and Mermaid show it as \\t
    (issue #23), GEXF and JSON as their own escapes."""
    kb = _with_name(kb_copy, "tab\there")
    r = run("-d", str(kb), "graph", "-f", fmt)
    assert (r.exit_code, r.stderr) == (0, "")
    assert "\t" not in r.stdout
    if fmt == "dot":
        assert '[label="tab\\\\there' in r.stdout  # DOT reads \\t as a backslash and a t
    elif fmt == "mermaid":
        assert '("tab\\there")' in r.stdout
