"""Property tests: whatever bytes a record file holds, the YAML reader and the validator return
located one-line problems (never raise); whatever text a record holds, every output format
prints it without error and gives it back exactly (json, jsonl, csv, yaml) or reversibly
escaped (tsv), and terminal tables never carry a raw control character."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
from datetime import date

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chinaind.records.kinds import RECORD_TYPES
from chinaind.query.listing import LIST_SEPARATOR, Column, Listing, machine_cell
from chinaind.output.render import FORMATS, render
from chinaind.records.validate import validate_file
from chinaind.records.yamlio import read_record

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of YAML, valid and broken, and characters known to upset parsers and terminals.
TOKENS = [
    "id: ", "name: ", "kind: ", "title: ", "summary: ", "sources:", "aliases: ", "targets:", "value: ",
    "date: ", "- ", "  ", "    ", "\n", "\r\n", "\r", "\t", ": ", ":", "[", "]", "{", "}", ", ", "&a ", "*a",
    "&b [*a, *a, *a] ", "!!str ", "!!int ", "!!python/object/apply:os.system ", "!custom ", "? ", "---\n", "...\n",
    "'", '"', "# note", "|\n", ">\n", "\\", "\\e", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "<<: ", "~", "null",
    "true", "NO", "yes", "on", "2023-02-30", "2023-01-19", "010", "0x1F", "1e999", ".nan", "inf", "x",
    "\x00", "\x1b[31m", "\x07", "\x08", "\x85", "\u2028", "\u2029", "\ufeff", "\ufffe", "\u202e",
    "机器人", "🤖", "[bold]", "[/]", "[link=https://x]",
]
yaml_like = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=6)), max_size=40).map("".join)
raw_inputs = st.one_of(
    yaml_like.map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=200),
    yaml_like.map(lambda s: b"\xef\xbb\xbf" + s.encode("utf-8", "surrogatepass")),
)


def _lines_in(raw: bytes) -> int:
    return raw.count(b"\n") + raw.count(b"\r") + raw.count(b"\xe2\x80\xa8") + raw.count(b"\xe2\x80\xa9") + raw.count(b"\xc2\x85") + 1


def _check_problems(problems, raw: bytes, path: str) -> None:
    for p in problems:
        assert p.path == path
        assert p.line >= 1 and p.col >= 1
        assert p.line <= _lines_in(raw), (p, raw)
        assert p.message and p.message == p.message.strip()
        assert not re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029]", p.message), p.message  # one line, no controls


@SETTINGS
@given(raw_inputs)
@example(b"a: &a [1]\nb: &b [*a, *a]\n")
@example(b"\t- x\n")
@example("a: b\u2028c".encode())
@example(b"a: " + b"[" * 2000)
@example(b"a: 1\nb: 2\na: 3\n")
def test_read_record_never_raises(raw):
    data, marks, problems = read_record(raw, "x.yaml")
    assert (data is None) == bool(problems)
    _check_problems(problems, raw, "x.yaml")
    if data is not None:
        assert isinstance(data, dict)
        assert all(isinstance(k, str) for k in data)
    # Without marks (how valid files are read), the same data and the same located problems.
    assert read_record(raw, "x.yaml", marks=False)[::2] == (data, problems)


@SETTINGS
@given(raw_inputs, st.sampled_from(RECORD_TYPES))
@example(b"id: x\nname: X\n", "sector")
@example(b"id: x\nname: X\nparent: true\n", "sector")
def test_validate_file_never_raises(raw, rtype):
    record, problems = validate_file(raw, "dir/x.yaml", rtype, "x")
    assert (record is None) == bool(problems)
    _check_problems(problems, raw, "dir/x.yaml")
    if record is not None:
        assert record["id"] == "x" and record["type"] == rtype
        json.dumps(record, allow_nan=False)  # plain, finite, JSON-ready


# --- structured records with random values ---------------------------------------------------------
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12),
                    st.sampled_from(["2023-02-30", "2023", "NO", "010", "plan", "ministry", "CN", "https://x.example"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=12)
FIELDS = ["id", "name", "title", "kind", "summary", "sources", "date", "issuers", "issuers_total", "targets",
          "aliases", "country", "events", "groups", "parent", "list_position", "nmae", "[bold]", ""]


@SETTINGS
@given(st.sampled_from(RECORD_TYPES), st.dictionaries(st.sampled_from(FIELDS), values, max_size=8))
def test_random_structured_records_validate_or_report(rtype, data):
    raw = yaml.safe_dump(data, allow_unicode=True).encode("utf-8", "surrogatepass")
    record, problems = validate_file(raw, "x.yaml", rtype, "x")
    assert (record is None) == bool(problems)
    _check_problems(problems, raw, "x.yaml")


# --- text survives the reader exactly --------------------------------------------------------------
# What Pydantic's strip_whitespace trims: Unicode White_Space (not Python's wider str.isspace).
WHITE_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
HOSTILE = ["\u061c", "\u200b", "\u200d", "\u2060", "\ufeff", "\xad", "\U000e0041", "=1+1", "-", "@x",
           "[bold]", "[/]", "[link=https://evil.example]x[/link]", "[red]", "\x1b[31m", "\x1b]8;;http://x\x1b\\",
           "\x07", "\r", "\x08", "\x00", "\t", "\n", "\\", "\\t", "\\x1b", "\u202e", "\x9b", "机器人", "🤖", ",", '"', "'"]
hostile_text = st.one_of(any_text, st.lists(st.one_of(st.sampled_from(HOSTILE), any_text), max_size=6).map("".join))


@SETTINGS
@given(hostile_text)
@example("NO")
@example("010")
@example("2023-01-19")
@example("[bold]x[/]")
@example("\x1b[31mred")
def test_text_fields_round_trip_through_yaml(text):
    # Double-quoted: PyYAML's emitter writes U+0085 raw in other styles, where it reads back as a line break.
    raw = yaml.safe_dump({"id": "x", "name": text}, allow_unicode=True, default_style='"').encode()
    record, problems = validate_file(raw, "x.yaml", "sector", "x")
    if text.strip(WHITE_SPACE):
        assert problems == [] and record["name"] == text.strip(WHITE_SPACE)
    else:
        assert record is None and len(problems) == 1 and "name:" in problems[0].message


NULL_OR_BOOL = {"null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"}


@SETTINGS
@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._+/-]{0,15}", fullmatch=True))
@example("NO")
@example("yes")
@example("on")
@example("off")
@example("y")
@example("010")
@example("0x1F")
@example("1e3")
@example("2023-01-19")
@example("12")
def test_plain_scalars_stay_as_written(word):
    data, _, problems = read_record(f"name: {word}\n".encode(), "x.yaml")
    assert problems == []
    if word in NULL_OR_BOOL:
        assert data["name"] in (None, True, False)
    else:
        assert data["name"] == word


@SETTINGS
@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=3))
def test_numbers_read_decimal_never_octal(n, zeros):
    written = "0" * zeros + str(n)
    raw = (f"id: p\ntitle: T\nkind: plan\nsummary: s\nfigures:\n  - id: t\n    kind: goal\n    what: m\n    value: {written}\n"
           f"    unit: u\nsources:\n  - source: p\n    section: s\n").encode()
    record, problems = validate_file(raw, "p.yaml", "policy", "p")
    assert problems == [] and record["figures"][0]["value"] == n


# --- every renderer ------------------------------------------------------------------------------
ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,20}", fullmatch=True)
numbers = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**18, max_value=10**18),
                    st.floats(allow_nan=False, allow_infinity=False))
records_st = st.lists(
    st.fixed_dictionaries({"id": ids, "title": hostile_text, "name": hostile_text,
                           "aliases": st.lists(hostile_text, max_size=3), "n": numbers}),
    max_size=5,
)
COLUMNS = [Column("ID", lambda r: r["id"]), Column("TITLE", lambda r: r["title"], wide=True),
           Column("NAME", lambda r: r["name"]), Column("ALIASES", lambda r: r["aliases"], wide=True),
           Column("N", lambda r: r["n"])]
RAW_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# The promise, from Unicode itself: controls, format characters, surrogates, line and paragraph
# separators never leave raw; only tab and newline, where a format carries them.
UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def _raw_unsafe(text: str) -> list[str]:
    return [ch for ch in text if ch not in "\t\n" and unicodedata.category(ch) in UNSAFE_CATEGORIES]


def _csv_expected(text: str) -> str:
    """A CSV cell: unsafe characters shown as escapes, a would-be formula behind a quote."""
    def esc(ch: str) -> str:
        code = ord(ch)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
    shown = "".join(esc(ch) if _raw_unsafe(ch) else ch for ch in text)
    formula = shown[:1] in ("=", "+", "-", "@", "\t") and not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", shown)
    return "'" + shown if formula else shown


def split_list(text: str) -> list[str]:
    """A csv/tsv list cell back into its items, as the README says: split on each | that no
    backslash escapes; a backslash takes the next character literally."""
    if text == "":
        return []
    items, current, chars = [], [], iter(text)
    for ch in chars:
        if ch == "\\":
            current.append(next(chars))
        elif ch == LIST_SEPARATOR:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    return items + ["".join(current)]


def _tsv_unescape(field: str) -> str:
    simple = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}
    return re.sub(r"\\(\\|t|n|r|x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8})",
                  lambda m: simple.get(m.group(1)) or chr(int(m.group(1)[1:], 16)), field)


def _render(records, fmt, **kw) -> str:
    stream = io.StringIO()
    render(Listing(records, COLUMNS, **kw), fmt, stream)
    return stream.getvalue()


@SETTINGS
@given(records_st)
def test_every_format_renders_and_round_trips(records):
    expected_cells = [[machine_cell(c.value(r)) for c in COLUMNS] for r in records]
    outputs = {fmt: _render(records, fmt, title="[bold]t[/]\x1b[31m", notes=["[red]n\x07"]) for fmt in FORMATS}

    assert json.loads(outputs["json"]) == records
    # U+0085, U+2028 and U+2029 are escaped, so even str.splitlines() keeps JSON Lines whole.
    assert [json.loads(line) for line in outputs["jsonl"].splitlines()] == records
    assert yaml.safe_load(outputs["yaml"]) == records
    assert outputs["ids"].split("\n")[:-1] == list(dict.fromkeys(r["id"] for r in records))

    rows = list(csv.reader(io.StringIO(outputs["csv"], newline="")))
    assert rows == [["id", "title", "name", "aliases", "n"]] + [[_csv_expected(v) for v in row] for row in expected_cells]

    lines = outputs["tsv"].split("\n")
    assert lines[-1] == "" and len(lines) == len(records) + 1  # one line a row, whatever the text
    for line, want in zip(lines, expected_cells):
        fields = line.split("\t")
        assert len(fields) == len(COLUMNS)
        assert [_tsv_unescape(f) for f in fields] == want
        assert not RAW_CONTROL_RE.search(line)

    for fmt in ("json", "jsonl", "yaml"):
        assert not re.search("[\x00-\x08\x0b-\x1f]", outputs[fmt])  # C0 escaped
    for fmt in ("json", "jsonl"):
        assert not RAW_CONTROL_RE.search(outputs[fmt])  # C1 and bidi controls too
    assert not RAW_CONTROL_RE.search(outputs["table"])
    for fmt in FORMATS:  # and nothing else unsafe, in any format
        assert _raw_unsafe(outputs[fmt].replace("\r\n", "\n") if fmt == "csv" else outputs[fmt]) == [], fmt


@SETTINGS
@given(records_st)
def test_terminal_tables_never_carry_raw_controls(records):
    from chinaind.output.table import render_table

    for detail in (False, True):
        stream = io.StringIO()
        render_table(Listing(records, COLUMNS, title="[/]\x1b]0;x\x07", notes=["\x9b2J"], detail=detail), stream, terminal=True)
        out = re.sub("\x1b\\[[0-9;]*m", "", stream.getvalue())
        assert not RAW_CONTROL_RE.search(out), repr(out)


def test_numbers_in_records_are_finite():
    """The validator keeps JSON valid: no NaN or infinity ever reaches a renderer."""
    for text in ("nan", "inf", "-inf", "1e999", "9" * 400):
        raw = (f"id: p\ntitle: T\nkind: plan\nsummary: s\nfigures:\n  - id: t\n    kind: goal\n    what: m\n    value: {text}\n"
               f"    unit: u\nsources:\n  - source: p\n    section: s\n").encode()
        record, problems = validate_file(raw, "p.yaml", "policy", "p")
        assert record is None or all(isinstance(t["value"], int) or math.isfinite(t["value"]) for t in record["figures"])
        if record is not None:
            json.dumps(record, allow_nan=False)
        if record is None:
            # A 400-digit whole number is finite, but beyond what SQLite stores: refused too.
            assert ("too large a whole number" if text.startswith("9") else "is not a finite number") in problems[0].message


# Text as a search meets it: letters, digits, CJK, accents, punctuation and separators.
SEARCH_CHARS = st.sampled_from(list("robotRb0 9_-é中机器人\x00\n.,“”—") + ["\U0001d400", "ß", "\u00b2"])


def _db_texts(texts: list[str]):
    """A DbTexts over records r0, r1, ... whose search text is `texts` (normalised first, as
    the cache stores it), written as refresh writes them."""
    import marshal

    from chinaind.store import cachedb

    from chinaind.store import refresh
    from chinaind.store.dbrecords import DbRecords, DbTexts, Reader
    from chinaind.records.text import norm_text
    from chinaind.store.workers import Fresh

    conn = cachedb.memory()
    rows = []
    for i, text in enumerate(texts):
        rel = f"sectors/r{i}.yaml"
        stat = refresh.FileStat(rel, "sectors/", f"r{i}.yaml", "sector", 1, 1, 1, i, 1)
        record = {"id": f"r{i}", "type": "sector", "name": f"r{i}"}
        fresh = Fresh(f"r{i}", marshal.dumps(record), [], ("", norm_text(text)), ("sector", None, ()), (), 0)
        rows.append((i + 1, stat, fresh))
    refresh._insert(conn, rows, 0)
    conn.execute("UPDATE records SET live = 1")
    conn.execute("UPDATE texts SET live = 1")
    cachedb.add_checks(conn, "1")  # as refresh writes them once `live` is known
    return DbTexts(DbRecords(Reader(conn))), [norm_text(t) for t in texts]


# Wildcards of LIKE and GLOB must be taken literally.
QUERY_CHARS = st.sampled_from(list("robotRb0 9_-é中机器人%\\.,“”—*?[]^") + ["\U0001d400", "ß", "\u00b2"])


@SETTINGS
@given(st.lists(st.text(SEARCH_CHARS, max_size=30), min_size=1, max_size=6),
       st.text(QUERY_CHARS, min_size=1, max_size=4))
def test_db_text_search_answers_like_strings(texts, q):
    """A search's prefilter in SQLite (GLOB over the stored text) finds exactly the records
    whose normalised text holds the query, and hands back that text unchanged, separators
    included; whole-word tests on it agree with the same tests on the text itself."""
    from chinaind.query.search import whole_word

    index, normalised = _db_texts(texts)
    found = index.spans(q)
    expected = [f"r{i}" for i, t in enumerate(normalised) if q in t]
    assert [rid for rid, _, _ in found] == expected
    for rid, _, text in found:
        assert text == normalised[int(rid[1:])] == index[rid][1]
        assert whole_word(q, text) == whole_word(q, normalised[int(rid[1:])])


def _whole_word_by_hand(q: str, text: str) -> bool:
    """The definition: some occurrence with no letter or digit (str.isalnum) on either side."""
    start = text.find(q)
    while start != -1:
        end = start + len(q)
        if (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
            return True
        start = text.find(q, start + 1)
    return False


@SETTINGS
@given(st.text(SEARCH_CHARS, max_size=30), st.text(QUERY_CHARS.filter(lambda c: c not in "中机器人"), min_size=1, max_size=4))
def testwhole_word_regex_is_the_definition(text, q):
    from chinaind.query.search import whole_word

    assert whole_word(q, text) == _whole_word_by_hand(q, text)


def test_a_query_holding_a_field_separator_is_answered_record_by_record():
    index, _ = _db_texts(["a\x00b", "ab"])
    assert index.spans("a\x00b") == [("r0", "", "a\x00b")]  # the stored form cannot fool GLOB
    assert index.spans("a\nb") == []
    assert index["r0"][1] == "a\x00b"


PARTIAL_DATES = st.one_of(
    st.none(),
    st.integers(1998, 2026).map(lambda y: f"{y:04d}"),
    st.dates(min_value=date(1998, 1, 1), max_value=date(2026, 12, 31)).map(lambda d: d.isoformat()[:7]),
    st.dates(min_value=date(1998, 1, 1), max_value=date(2026, 12, 31)).map(lambda d: d.isoformat()),
)
BOUNDS = st.one_of(st.none(), st.dates(min_value=date(1997, 1, 1), max_value=date(2027, 12, 31)))


@SETTINGS
@given(st.lists(PARTIAL_DATES, max_size=40), BOUNDS, BOUNDS)
def test_date_window_by_bisection_equals_checking_every_policy(values, since, until):
    """Policies are kept in date order, so a date window is cut by bisection before checking
    spans; the result must equal checking every policy's span."""
    from chinaind.records import dates
    from chinaind.query.index import _date_range

    pool = [rid for _, rid in sorted(((v or "9999"), f"p{i:03d}") for i, v in enumerate(values))]
    when = {f"p{i:03d}": v for i, v in enumerate(values)}
    lo, hi = _date_range(pool, when.get, since, until)
    cut = [rid for rid in pool[lo:hi] if dates.overlaps(when[rid], since, until)]
    assert cut == [rid for rid in pool if dates.overlaps(when[rid], since, until)]


@SETTINGS
@given(st.one_of(st.floats(), st.text(st.sampled_from("0123456789eE+-._infatyINFATY"), min_size=1, max_size=12),
                 st.integers(300, 420).map(lambda n: "9" * n)))
def test_non_finite_numbers_never_slip_past_the_prefilter(value):
    """The validator skips its non-finite walk on files that cannot hold one; whatever a
    number is written as, no NaN or infinity reaches a record."""
    raw = (f"id: p\ntitle: T\nkind: plan\nsummary: s\nfigures:\n  - id: t\n    kind: goal\n    what: m\n    value: {value}\n"
           f"    unit: u\nsources:\n  - source: p\n    section: s\n").encode()
    record, _ = validate_file(raw, "p.yaml", "policy", "p")
    if record is not None:
        json.dumps(record, allow_nan=False)


@pytest.mark.parametrize("field", ["figures.value", "figures.baseline.value", "figures.per.value", "figures.change.percent", "events.amount"])
@pytest.mark.parametrize("text", ["nan", ".inf", "-Infinity", "1e999", "-1.5e400"])
def test_every_number_field_refuses_non_finite_values(field, text):
    """Each number field the models have, nested or not, reports a non-finite value."""
    if field.startswith("events"):
        source = "sources:\n  - source: p\n    section: s\n"
        raw = (f"id: o\nname: O\nkind: firm\ncountry: CN\nevents:\n  - dates: [{{role: occurred, date: 2023}}]\n    kind: other\n    summary: s\n"
               f"    amount: {text}\n    {source.replace(chr(10) + '  ', chr(10) + '      ')}{source}").encode()
        rtype = "company"
    else:
        nested = {"figures.baseline.value": f"    baseline:\n      value: {text}\n      year: 2020\n",
                  "figures.per.value": f"    per:\n      value: {text}\n      unit: people\n",
                  "figures.change.percent": f"    change:\n      percent: {text}\n"}
        baseline = nested.get(field, "")
        value = "1" if baseline else text
        raw = (f"id: o\ntitle: T\nkind: plan\nsummary: s\nfigures:\n  - id: t\n    kind: goal\n    what: m\n    value: {value}\n"
               f"    unit: u\n{baseline}sources:\n  - source: p\n    section: s\n").encode()
        rtype = "policy"
    record, problems = validate_file(raw, "o.yaml", rtype, "o")
    assert record is None, record
    assert [p.message.split(":", 1)[0] for p in problems] == [field.replace("s.", "s.0.", 1)], problems
