"""The SQLite export as Datasette and sqlite-utils read it: `<table>_fts` search found without
configuration (English and Chinese words), date start/end columns, labels, the metadata file."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chinaind.export.fts import FTS_TABLES, NGRAM_MAX, TOKENIZER, search_text

datasette_app = pytest.importorskip("datasette.app")
sqlite_utils = pytest.importorskip("sqlite_utils")

RECORD_TABLES = ["policies", "companies", "technologies", "agencies", "sectors", "people", "sources"]
# (table, query) -> ids, the same through Datasette's search box, sqlite-utils and SQL.
SEARCHES = {
    ("policies", "robot"): ["future-roadmap", "robot-plus"],
    ("policies", "机器"): ["robot-plus"],
    ("policies", "机器人"): ["robot-plus"],
    ("records", "机器"): ["robot-plus", "robotics"],
    ("records", "半导体"): ["semiconductors"],
    ("agencies", "工信"): ["MIIT"],
    ("technologies", "robot"): ["rv-reducer"],
    ("policies", "人应"): [],
}


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    from typer.testing import CliRunner

    from chinaind.cli.commands import app
    from conftest import FIXTURE_KB

    path = tmp_path_factory.mktemp("ds") / "kb.db"
    with pytest.MonkeyPatch.context() as mp:  # module-wide: made before conftest's per-test home exists
        mp.setenv("HOME", str(path.parent))
        mp.setenv("XDG_CACHE_HOME", str(path.parent / ".cache"))
        mp.delenv("CHINAIND_DATA", raising=False)
        result = CliRunner().invoke(app, ["--data-dir", str(FIXTURE_KB), "export", "sqlite", str(path)],
                                    prog_name="chinaind")
    assert result.exit_code == 0, result.stderr
    return path


def ask(path: Path, *urls: str) -> list:
    """GET each url from an in-process Datasette serving `path` with its metadata file."""
    async def run() -> list:
        meta = json.loads(path.with_name("kb.metadata.json").read_text(encoding="utf-8"))
        ds = datasette_app.Datasette([str(path)], immutables=[], metadata=meta)
        await ds.invoke_startup()
        out = []
        for url in urls:
            response = await ds.client.get(url)
            assert response.status_code == 200, (url, response.text[:300])
            out.append(response.json())
        return out
    return asyncio.run(run())


def test_every_record_table_has_an_fts_table_datasette_detects(export):
    con = sqlite3.connect(export)
    for table in ["records", *RECORD_TABLES]:
        sql = con.execute("SELECT sql FROM sqlite_master WHERE name = ?", (f"{table}_fts",)).fetchone()[0]
        assert sql == (f'CREATE VIRTUAL TABLE "{table}_fts" USING fts5(search_text, content="{table}", '
                       f"tokenize = '{TOKENIZER}')")
        con.execute(f"INSERT INTO {table}_fts ({table}_fts) VALUES ('integrity-check')")  # index matches its rows
    (info,) = ask(export, "/kb.json")
    found = {t["name"]: t["fts_table"] for t in info["tables"] if not t["hidden"]}
    assert {t: found[t] for t in FTS_TABLES} == {t: f"{t}_fts" for t in FTS_TABLES}


@pytest.mark.parametrize("table, query", list(SEARCHES))
def test_datasette_search_box(export, table, query):
    (rows,) = ask(export, f"/kb/{table}.json?_search={query}&_shape=array&_col=id&_sort=id")
    assert [r["id"] for r in rows] == SEARCHES[table, query]


@pytest.mark.parametrize("table, query", list(SEARCHES))
def test_sqlite_utils_search(export, table, query):
    db = sqlite_utils.Database(export)
    assert db[table].detect_fts() == f"{table}_fts"
    assert sorted(r["id"] for r in db[table].search(query)) == SEARCHES[table, query]


def test_sqlite_utils_cli_search(export):
    cli = Path(sys.executable).with_name("sqlite-utils")
    if not cli.exists():
        pytest.skip("no sqlite-utils command beside this Python")
    for query in ("robot", "机器人"):
        out = subprocess.run([str(cli), "search", str(export), "policies", query, "-c", "id", "--csv"],
                             capture_output=True, text=True, check=True).stdout
        assert sorted(out.split()[1:]) == SEARCHES["policies", query]


def test_date_columns_have_iso_bounds(export):
    con = sqlite3.connect(export)
    assert con.execute("SELECT date, date_start, date_end FROM policies WHERE id = 'miit-month-item'").fetchone() == (
        "2023-01", "2023-01-01", "2023-01-31")
    assert con.execute("SELECT date, date_start, date_end FROM dates WHERE date LIKE '--%'").fetchall() == [
        ("--01", None, None)]  # a date without a year has no bounds
    assert con.execute("SELECT period_start, period_start_start, period_start_end FROM figures "
                       "WHERE figure_id = 'investment'").fetchone() == ("2018", "2018-01-01", "2018-12-31")
    (page,) = ask(export, "/kb/policies.json?_facet_date=date_start&_size=0")
    years = {r["value"][:4] for r in page["facet_results"]["date_start"]["results"]}
    assert years == {"2023"}  # not -4707, what a facet on the bare `date` column makes of a year


def test_metadata_labels_facets_and_licences(export):
    meta = json.loads(export.with_name("kb.metadata.json").read_text(encoding="utf-8"))
    assert meta["license"].startswith("records: CC BY 4.0") and meta["license"].endswith("code: MIT")
    assert meta["source"] == "Test Gazette; Test Briefs" and meta["source_url"] == "/kb/sources"
    tables = meta["databases"]["kb"]["tables"]
    assert {t: tables[t]["fts_table"] for t in RECORD_TABLES} == {t: f"{t}_fts" for t in RECORD_TABLES}
    assert tables["policies"]["columns"]["date_start"].startswith("the first day date covers")
    shown, links, page = ask(export, "/-/metadata.json", "/kb/policy_agency.json?_shape=array&_labels=on&policy_id=robot-plus",
                             "/kb/policies.json?_size=0")
    assert shown["title"] == meta["title"]
    assert [(r["agency_id"]["value"], r["agency_id"]["label"]) for r in links] == [
        ("MIIT", "Ministry of Industry and Information Technology"), ("NDRC", "National Development and Reform Commission")]
    assert sorted(page["facet_results"]) == ["draft", "kind"]


def test_files_get_the_users_umask(fx, tmp_path):
    old = os.umask(0o027)
    try:
        assert fx("export", "sqlite", str(tmp_path / "kb.db")).exit_code == 0
        assert fx("export", "csv", str(tmp_path / "csv")).exit_code == 0
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in [tmp_path / "kb.db", tmp_path / "kb.metadata.json",
                                                        tmp_path / "csv" / "policies.csv"]}
    assert modes == {"kb.db": 0o640, "kb.metadata.json": 0o640, "policies.csv": 0o640}


def test_an_existing_metadata_file_needs_force(fx, tmp_path):
    (tmp_path / "kb.metadata.json").write_text("{}")
    result = fx("export", "sqlite", str(tmp_path / "kb.db"))
    assert result.exit_code == 2
    assert result.stderr == f"chinaind: export sqlite: {tmp_path / 'kb.metadata.json'} exists; pass --force to replace it\n"
    assert not (tmp_path / "kb.db").exists()


HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x4E30)
TEXT = st.lists(st.one_of(st.text(HAN, min_size=1, max_size=9), st.sampled_from(["robot", " ", "+", "，", "1"])),
                max_size=8).map("".join)


@settings(max_examples=150, deadline=None)
@given(TEXT, st.text(HAN, min_size=1, max_size=NGRAM_MAX))
def test_a_han_query_up_to_ngram_max_matches_exactly_the_texts_containing_it(text, query):
    """As Datasette asks it ("query", one unicode61 token): found if and only if it is in the text."""
    con = sqlite3.connect(":memory:")
    con.execute(f"CREATE VIRTUAL TABLE s USING fts5(body, tokenize = '{TOKENIZER}')")
    con.execute("INSERT INTO s VALUES (?)", (search_text([text]),))
    found = con.execute("SELECT count(*) FROM s WHERE s MATCH ?", (f'"{query}"',)).fetchone()[0]
    assert found == (query in text)


def test_the_about_table_shows_a_working_table_search(export):
    con = sqlite3.connect(export)
    example = dict(con.execute("SELECT key, value FROM about"))["table search"].split(": ")[-1]
    assert [r[0] for r in con.execute(example)] == ["robot-plus"]
