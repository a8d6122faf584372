"""`chinaind export sqlite|csv`: tables, foreign keys, sources, and Chinese full-text search."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from chinaind.core.escape import csv_cell

from chinaind.export.write import fts_query, fts_text

SQLITE_CLI = "/usr/bin/sqlite3"
TABLES = ["records", "sectors", "agencies", "companies", "technologies", "policies", "aliases",
          "policy_agency", "policy_sector", "policy_technology", "policy_organisation", "policy_reference",
          "policy_link", "organisation_link", "places",
          "chain_group", "chain_member", "company_sector", "technology_sector", "figures", "figure_sector",
          "figure_named", "events", "event_party", "people", "sources", "person_position", "policy_person", "dates",
          "citations"]
HITS = {"机器": ["robot-plus", "robotics"], "机器人": ["robot-plus", "robotics"], "robot": ["future-roadmap", "robot-plus", "rv-reducer"],
        "工信": ["MIIT"], "半导体": ["semiconductors"], "人应": [], "机": ["robot-plus", "robotics"]}


@pytest.fixture
def db(fx, tmp_path: Path) -> Path:
    path = tmp_path / "kb.sqlite"
    result = fx("export", "sqlite", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (f"wrote {path} (25 records) and its Datasette metadata {tmp_path / 'kb.metadata.json'}; "
                             "its `about` table shows how to search it in SQL\n")
    return path


def fts_ids(con: sqlite3.Connection, match: str) -> list[str]:
    rows = con.execute("SELECT r.id FROM search JOIN records r USING (id) WHERE search MATCH ? ORDER BY r.id", (match,))
    return [r[0] for r in rows]


def test_query_rewrite():
    assert fts_text("《“机器人+”应用》 Robot") == "《“ 机器 器人 +” 应用 》 Robot"
    assert fts_query("机器人") == '"机器 器人"'
    assert fts_query("机器") == '"机器"'
    assert fts_query("robot 半导体") == '"robot" "半导 导体"'
    assert fts_query("机") == '"机"*'
    assert fts_query('say "hi"') == '"say" """hi"""'
    assert fts_query("ＲＯＢＯＴ") == '"ROBOT"'  # full-width folds as it does in the index


@pytest.mark.parametrize("query", list(HITS))
def test_fts_with_the_sqlite3_module(db, query):
    con = sqlite3.connect(db)
    assert fts_ids(con, fts_query(query)) == HITS[query]


def test_fts_literal_queries_as_documented(db):
    con = sqlite3.connect(db)
    assert fts_ids(con, '"机器"') == ["robot-plus", "robotics"]
    assert fts_ids(con, '"机器 器人"') == ["robot-plus", "robotics"]
    assert fts_ids(con, "robot") == ["future-roadmap", "robot-plus", "rv-reducer"]
    example = dict(con.execute("SELECT key, value FROM about"))["example"]
    assert sorted(r[0] for r in con.execute(example)) == ["robot-plus", "robotics"]
    like = con.execute("SELECT id FROM record_search WHERE body LIKE '%机器%' ORDER BY id").fetchall()
    assert [r[0] for r in like] == ["robot-plus", "robotics"]


@pytest.mark.skipif(not Path(SQLITE_CLI).exists(), reason="no sqlite3 command-line shell")
def test_fts_with_the_sqlite3_cli(db):
    def ask(sql: str) -> list[str]:
        out = subprocess.run([SQLITE_CLI, str(db), sql], capture_output=True, text=True, check=True).stdout
        return out.split()

    base = "SELECT r.id FROM search JOIN records r USING (id) WHERE search MATCH '{}' ORDER BY r.id"
    assert ask(base.format('"机器"')) == ["robot-plus", "robotics"]
    assert ask(base.format('"机器 器人"')) == ["robot-plus", "robotics"]
    assert ask(base.format('"robot"')) == ["future-roadmap", "robot-plus", "rv-reducer"]
    assert ask("PRAGMA foreign_key_check") == []
    assert ask("PRAGMA integrity_check") == ["ok"]


def test_tables_keys_and_rows(db):
    con = sqlite3.connect(db)
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert set(TABLES) | {"record_text", "search", "about"} <= names
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    fks = {(r[2], r[3], r[4]) for r in con.execute("PRAGMA foreign_key_list(chain_member)")}
    assert {("technologies", "technology_id", "id"), ("companies", "organisation_id", "id")} <= fks
    assert con.execute("SELECT * FROM policy_agency WHERE policy_id = 'robot-plus' ORDER BY position").fetchall() == [
        ("robot-plus", "MIIT", 1, "lead"), ("robot-plus", "NDRC", 2, "co-issuer")]
    assert con.execute("SELECT group_no, role, position, organisation_id FROM chain_member "
                       "WHERE technology_id = 'fiber-laser' ORDER BY role, position").fetchall() == [
        (1, "lead", 1, "wuhan-raycus"), (1, "partner", 1, "hust"), (1, "partner", 2, "catl")]
    assert con.execute("SELECT partners_total FROM chain_group WHERE technology_id = 'fiber-laser'").fetchone() == (18,)
    assert con.execute("SELECT figure_id, kind, comparator, value, deadline FROM figures WHERE record_id = 'robot-plus' "
                       "ORDER BY position").fetchall() == [("robot-density", "goal", None, 492, "2025"),
                                                         ("applications", "goal", "more-than", 200, "2025")]
    assert con.execute("SELECT change_percent, comparator FROM figures WHERE figure_id = 'productivity'").fetchone() == (20, "at-least")
    assert con.execute("SELECT per_value, per_unit FROM figures WHERE figure_id = 'doctors'").fetchone() == (10000, "people")
    assert con.execute("SELECT role, date, year_inferred FROM dates WHERE record_id = 'inferred-news' ORDER BY position"
                       ).fetchall() == [("issued", "2023-01-29", 1), ("effective", "2023-07-01", 0)]
    assert con.execute("SELECT person_id, title, agency_id FROM person_position").fetchall() == [("li-ming", "Minister", "MIIT")]
    assert con.execute("SELECT date, amount, currency FROM events WHERE organisation_id = 'catl'").fetchone() == (
        "2023-02-10", 190000000, "USD")
    assert con.execute("SELECT count(*) FROM citations").fetchone() == (20,)
    assert con.execute("SELECT part FROM citations WHERE record_id = 'catl' ORDER BY part").fetchall() == [("",), ("events.1",)]
    assert con.execute("SELECT date FROM policies WHERE id = 'miit-month-item'").fetchone() == ("2023-01",)


def test_refuses_to_overwrite_without_force(fx, db):
    before = db.read_bytes()
    result = fx("export", "sqlite", str(db))
    assert result.exit_code == 2
    assert result.stderr == f"chinaind: export sqlite: {db} exists; pass --force to replace it\n"
    assert db.read_bytes() == before
    assert fx("export", "sqlite", str(db), "--force").exit_code == 0
    assert sorted(p.name for p in db.parent.iterdir()) == ["kb.metadata.json", "kb.sqlite"]  # no temporary files left


def test_bad_targets_exit_2(fx, tmp_path):
    assert fx("export", "sqlite", str(tmp_path)).exit_code == 2  # a folder
    assert fx("export", "sqlite", str(tmp_path / "missing" / "kb.sqlite")).exit_code == 2
    assert fx("export", "xlsx", str(tmp_path / "x")).exit_code == 2


def test_skip_invalid_export_keeps_foreign_keys(run, kb_copy, tmp_path):
    path = kb_copy / "policies" / "robot-plus.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  - MIIT\n  - NDRC\n", "  - MIIT\n  - NOPE\n"),
                    encoding="utf-8")
    db = tmp_path / "out.sqlite"
    result = run("--data-dir", str(kb_copy), "--skip-invalid", "export", "sqlite", str(db))
    assert result.exit_code == 0, result.stderr
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    assert con.execute("SELECT agency_id FROM policy_agency WHERE policy_id = 'robot-plus'").fetchall() == [("MIIT",)]


# --- CSV ---------------------------------------------------------------------------------------
def read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_csv_holds_the_same_tables(fx, db, tmp_path):
    out = tmp_path / "csv"
    result = fx("export", "csv", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"wrote 31 CSV files to {out}: 25 records\n"
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.csv" for t in [*TABLES, "record_text"])
    con = sqlite3.connect(db)
    for table in [*TABLES, "record_text"]:
        rows = read_csv(out / f"{table}.csv")
        # The search column is for SQLite's FTS tables only; the CSV export has record_text instead.
        columns = [r[1] for r in con.execute(f"PRAGMA table_info({table})") if r[1] != "search_text"]
        cursor = con.execute(f"SELECT {', '.join(columns)} FROM {table}")
        assert rows[0] == [d[0] for d in cursor.description]
        # Text a spreadsheet would run as a formula ("--01", a date without its year) gets a quote.
        expected = [["" if v is None else csv_cell(str(v)) if isinstance(v, str) else str(v) for v in row]
                    for row in cursor.fetchall()]
        assert sorted(rows[1:]) == sorted(expected), table


def test_csv_is_rfc4180(fx, tmp_path):
    out = tmp_path / "csv"
    fx("export", "csv", str(out))
    raw = (out / "policies.csv").read_bytes()
    assert raw.count(b"\r\n") == 8 and b"\n" not in raw.replace(b"\r\n", b"")
    assert b'"Implementation Plan for ""Robot +"" Application Actions"' in raw
    assert "《“机器人+”应用行动实施方案》" in raw.decode("utf-8")
    citations = read_csv(out / "citations.csv")
    assert citations[0] == ["record_id", "part", "position", "source_id", "section", "url"]
    assert ["catl", "events.1", "1", "test-gazette-2023-03-01", "Fixture", ""] in citations
    figures = read_csv(out / "figures.csv")
    row = dict(zip(figures[0], next(r for r in figures if r[1] == "investment")))
    assert (row["value"], row["currency"], row["period_start"], row["kind"]) == ("70000000000", "CNY", "2018", "statistic")


def test_csv_refuses_to_overwrite(fx, tmp_path):
    out = tmp_path / "csv"
    assert fx("export", "csv", str(out)).exit_code == 0
    result = fx("export", "csv", str(out))
    assert result.exit_code == 2 and "pass --force" in result.stderr and len(result.stderr.splitlines()) == 1
    assert fx("export", "csv", str(out), "--force").exit_code == 0
    (tmp_path / "file").write_text("x")
    assert fx("export", "csv", str(tmp_path / "file")).exit_code == 2


def test_export_without_subcommand_shows_help(fx):
    result = fx("export")
    assert result.exit_code == 0 and "sqlite" in result.stdout and "csv" in result.stdout


def test_toolkit_imports_nothing_at_start_up():
    # Shell completion imports the CLI on every TAB: the toolkit's modules load only when run.
    modules = ["sqlite3", "chinaind.export.write", "chinaind.export.tables", "chinaind.query.graph", "chinaind.output.graph_formats",
               "chinaind.output.tree", "chinaind.query.chains", "chinaind.query.timeline", "chinaind.query.stats", "chinaind.authoring.skeletons"]
    code = f"import sys, chinaind.cli.commands; print([m for m in {modules!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- properties of the bigram index --------------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x4E40)
TEXT = st.lists(st.one_of(st.text(HAN, min_size=1, max_size=6), st.sampled_from(["robot", " ", "+", "，", "Ａ", "1"])),
                max_size=8).map("".join)


@settings(max_examples=150, deadline=None)
@given(TEXT, st.data())
def test_any_han_substring_of_two_or_more_is_found(text, data):
    """Whatever the text, every run of two or more Han characters written in it matches."""
    import re

    runs = re.findall("[\u4e00-\u9fff]{2,}", text)
    if not runs:
        return
    run_ = data.draw(st.sampled_from(runs))
    start = data.draw(st.integers(0, len(run_) - 2))
    end = data.draw(st.integers(start + 2, len(run_)))
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE s USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')")
    con.execute("INSERT INTO s VALUES (?)", (fts_text(text),))
    assert con.execute("SELECT count(*) FROM s WHERE s MATCH ?", (fts_query(run_[start:end]),)).fetchone() == (1,)
