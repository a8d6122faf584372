"""Exporting the knowledge base: a SQLite database (tables, foreign keys, full-text search) or
a folder of CSV files holding the same tables. Writes files; never prints.

Full-text search and Chinese
----------------------------
SQLite's `unicode61` tokenizer does not segment Chinese: a run like 机器人应用 would be one
token, so the word 机器 would never match, and the `trigram` tokenizer ignores queries shorter
than three characters. So the `search` FTS5 table indexes a rewritten text: every run of Han
characters becomes its overlapping character bigrams (机器人 -> "机器 器人"), Latin text keeps
its words. A query is rewritten the same way and asked as a phrase:

    机器     ->  "机器"
    机器人   ->  "机器 器人"        (consecutive bigrams: only where 机器人 is written)
    robot    ->  "robot"           (add * for a prefix: "robot"*)
    机       ->  "机"*             (one character: bigrams starting with it)

    SELECT r.id, r.type, r.name FROM search JOIN records r USING (id)
    WHERE search MATCH '"机器 器人"' ORDER BY rank;

`fts_query()` does the rewrite in Python; the `about` table in the database repeats these rules.
For plain substring matching use the `record_search` view: WHERE body LIKE '%机器%'.

Datasette and sqlite-utils cannot rewrite a query; for them each record table has its own index
`<table>_fts` whose text holds Chinese as 1-6 character n-grams (export_fts.py), and a Datasette
metadata file is written beside the database (export_metadata.py).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import shutil
import sqlite3
import unicodedata
from pathlib import Path
from typing import Any

from chinaind.core import safewrite
from chinaind.core.errors import OSFailure, UsageError
from chinaind.core.escape import csv_cell, one_line
from chinaind.export.fts import create_fts
from chinaind.export.tables import Table, build_tables
from chinaind.query.index import KnowledgeBase
from chinaind.records.kinds import RECORD_TYPES
from chinaind.records.text import names_of, strings_in

# Han ideographs (BMP, extension A, compatibility, and the supplementary planes).
_HAN_RUN_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")

ABOUT = [
    ("generator", "chinaind export sqlite"),
    ("search", "FTS5 table search(id, type, names, body), tokenizer unicode61; names and body hold the "
               "record text with every run of Han characters rewritten as its overlapping bigrams"),
    ("query rewrite", "write each query word as an FTS5 phrase, with Han runs as their bigrams: "
                      "机器 -> \"机器\"; 机器人 -> \"机器 器人\"; robot -> \"robot\" (\"robot\"* for a prefix); "
                      "a single Han character -> \"机\"* (bigrams starting with it)"),
    ("example", "SELECT r.id, r.type, r.name FROM search JOIN records r USING (id) "
                "WHERE search MATCH '\"机器 器人\"' ORDER BY rank"),
    ("substring", "SELECT id, type, name FROM record_search WHERE body LIKE '%机器%'"),
    ("table search", "records and each kind table (policies, companies, ...) have an FTS5 table <table>_fts "
                     "(content=\"<table>\") over their search_text column, where Chinese is written as its 1-6 "
                     "character substrings: ask words as they are, as Datasette's _search= and sqlite-utils search do: "
                     "SELECT id FROM policies WHERE rowid IN (SELECT rowid FROM policies_fts WHERE policies_fts MATCH '机器人')"),
    ("link roles", "policy_agency.role: lead (first issuer), co-issuer, republisher; "
                   "chain_member.role: lead, partner; sources.part: '' for the record, events.N for an event"),
]


def fts_text(text: str) -> str:
    """Text as the index sees it: NFKC (full-width Latin folds), Han runs as bigrams."""
    return _HAN_RUN_RE.sub(lambda m: " " + " ".join(_bigrams(m.group())) + " ", unicodedata.normalize("NFKC", text))


def _bigrams(run: str) -> list[str]:
    return [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]


def fts_query(query: str) -> str:
    """An FTS5 MATCH expression for `query`: each whitespace-separated word one phrase (all
    must match). Raises UsageError for an empty query."""
    phrases = []
    for word in unicodedata.normalize("NFKC", query).split():
        phrase = '"' + " ".join(fts_text(word).split()).replace('"', '""') + '"'
        # One Han character is no bigram: match the bigrams (or lone characters) it starts.
        phrases.append(phrase + "*" if len(word) == 1 and _HAN_RUN_RE.fullmatch(word) else phrase)
    if not phrases:
        raise UsageError("the search query is empty")
    return " ".join(phrases)


def _search_rows(kb: KnowledgeBase) -> list[tuple[str, str, str, str]]:
    rows = []
    for rtype in RECORD_TYPES:
        for rec in kb.of_type(rtype):
            rows.append((rec["id"], rtype, "\n".join(names_of(rec)), "\n".join(strings_in(rec))))
    return rows


# --- SQLite ------------------------------------------------------------------------------------
def _ddl(table: Table) -> str:
    parts = [f"{name} {decl}" for name, decl in table.columns]
    parts.append(f"PRIMARY KEY ({', '.join(table.primary_key)})")
    # Deferred: rows go in kind by kind, and parents may come after their children.
    parts += [f"FOREIGN KEY ({col}) REFERENCES {ref} DEFERRABLE INITIALLY DEFERRED"
              for col, ref in table.foreign_keys]
    return f"CREATE TABLE {table.name} (\n  " + ",\n  ".join(parts) + "\n)"


def metadata_path(path: Path) -> Path:
    """The Datasette metadata file written beside a database: kb.db -> kb.metadata.json."""
    return path.with_name(f"{path.stem}.metadata.json")


def check_target(path: Path, force: bool, what: str) -> None:
    for target in ([path, metadata_path(path)] if what == "sqlite" else [path]):
        safewrite.check_target(target, force=force, what=f"export {what}")


# SQLite's primary result codes for what the system refused (not bugs): PERM, READONLY,
# IOERR, FULL, CANTOPEN.
_SQLITE_OS_CODES = {3: "permission denied", 8: "read-only", 10: "disk I/O error", 13: "disk full", 14: "cannot open"}


def write_sqlite(kb: KnowledgeBase, path: Path, *, force: bool = False) -> dict[str, int]:
    """Write the database to `path` and its Datasette metadata beside it (metadata_path), each
    atomically: a reader never sees half a file. Returns the row count of every table."""
    from chinaind.export.fts import add_search_columns
    from chinaind.export.metadata import metadata

    what = "export sqlite"
    check_target(path, force, "sqlite")
    tables = build_tables(kb)
    add_search_columns(tables, kb)
    with safewrite.building(path, force=force, what=what) as tmp:
        con = sqlite3.connect(tmp)
        try:
            _fill(con, tables, _search_rows(kb))
        except sqlite3.Error as exc:
            if (getattr(exc, "sqlite_errorcode", 0) & 0xFF) not in _SQLITE_OS_CODES:
                raise
            raise OSFailure(f"{what}: cannot write {one_line(str(path))}: {exc}; free some space, "
                            "check the permissions, or write somewhere else") from None
        finally:
            con.close()
    with safewrite.building(metadata_path(path), force=force, what=what) as tmp:
        text = json.dumps(metadata(kb, path.stem), ensure_ascii=False, indent=2)
        Path(tmp).write_text(text + "\n", encoding="utf-8")
    counts = {t.name: len(t.rows) for t in tables}
    counts["search"] = len(kb.records)
    return counts


def _fill(con: sqlite3.Connection, tables: list[Table], search: list[tuple[str, str, str, str]]) -> None:
    con.execute("PRAGMA foreign_keys = ON")
    with con:
        for table in tables:
            con.execute(_ddl(table))
            marks = ", ".join("?" * len(table.columns))
            con.executemany(f"INSERT INTO {table.name} VALUES ({marks})", table.rows)
        con.execute("CREATE TABLE record_text (id TEXT NOT NULL PRIMARY KEY REFERENCES records(id) "
                    "DEFERRABLE INITIALLY DEFERRED, names TEXT NOT NULL, body TEXT NOT NULL)")
        con.executemany("INSERT INTO record_text VALUES (?, ?, ?)", [(i, n, b) for i, _, n, b in search])
        con.execute("CREATE VIEW record_search AS SELECT r.id, r.type, r.name, t.names, t.body "
                    "FROM record_text t JOIN records r USING (id)")
        con.execute("CREATE VIRTUAL TABLE search USING fts5(id UNINDEXED, type UNINDEXED, names, body, "
                    "tokenize = 'unicode61 remove_diacritics 2')")
        con.executemany("INSERT INTO search VALUES (?, ?, ?, ?)",
                        [(i, t, fts_text(n), fts_text(b)) for i, t, n, b in search])
        con.execute("CREATE TABLE about (key TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL)")
        con.executemany("INSERT INTO about VALUES (?, ?)", ABOUT)
        bad = con.execute("PRAGMA foreign_key_check").fetchall()
        if bad:  # build_tables drops dangling links; a row here is a bug, not bad data
            raise RuntimeError(f"export produced rows breaking foreign keys: {bad[:3]}")
    con.execute("VACUUM")
    create_fts(con)  # after VACUUM, which may renumber the rowids the FTS tables point at


# --- CSV ---------------------------------------------------------------------------------------
def csv_tables(kb: KnowledgeBase) -> list[Table]:
    """The tables a CSV export holds: those of the database, with the original record text
    (the FTS index itself is an SQLite structure)."""
    text = Table("record_text", [("id", "TEXT"), ("names", "TEXT"), ("body", "TEXT")], ("id",),
                 rows=[(i, n, b) for i, _, n, b in _search_rows(kb)])
    return [*build_tables(kb), text]


def write_csv(kb: KnowledgeBase, folder: Path, *, force: bool = False) -> dict[str, int]:
    """One `<table>.csv` per table: a header row, RFC 4180 quoting, CRLF line ends, UTF-8."""
    what = "export csv"
    if os.path.lexists(folder) and not folder.is_dir():
        raise UsageError(f"export csv: {one_line(str(folder))} is a file; give a folder")
    tables = csv_tables(kb)
    targets = [folder / f"{t.name}.csv" for t in tables]
    clashes = [p for p in targets if os.path.lexists(p)]
    for clash in clashes:  # never a link, a folder, a FIFO or a device, even with --force
        safewrite.check_target(clash, force=True, what=what)
    if clashes and not force:
        raise UsageError(f"export csv: {one_line(str(folder))} already holds {', '.join(p.name for p in clashes[:3])}"
                         f"{' ...' if len(clashes) > 3 else ''}; pass --force to replace them")
    created = safewrite.make_folder(folder, what)
    try:
        # Every file is built before any is put in place: a failure leaves the folder as it was.
        with contextlib.ExitStack() as stack:
            for table, target in zip(tables, targets):
                tmp = stack.enter_context(safewrite.building(target, force=force, what=what))
                with open(tmp, "w", encoding="utf-8", newline="") as fh:
                    writer = csv.writer(fh, lineterminator="\r\n")
                    writer.writerow(table.header)
                    writer.writerows([_csv_value(v) for v in row] for row in table.rows)
    except BaseException:
        if created:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return {t.name: len(t.rows) for t in tables}


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return csv_cell(value)  # the same cells as `-f csv`: no raw controls, no formulas
    return value
