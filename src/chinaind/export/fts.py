"""Full-text search on every record table that Datasette and sqlite-utils find by themselves.

Both tools look for an FTS virtual table `<table>_fts` declared with `content="<table>"` (the
layout `sqlite-utils enable-fts` creates), and search it with the user's words as they are:
Datasette's `_search=机器人` asks `"机器人"`, one token to FTS5's `unicode61` tokenizer, which
does not segment Chinese. So the index must hold every Chinese word as a token of its own, and
nothing can rewrite the query (the bigram trick of the `search` table needs a rewritten query).

The design: each record table gets a last column `search_text`, the record's text (names,
aliases, summaries, every string field) in which every run of Han characters is replaced by all
its substrings of 1 to NGRAM_MAX characters, and by the whole run when it is longer:

    机器人应用  ->  机 机器 机器人 机器人应 机器人应用 器 器人 ... 应用 (and the run itself)

`<table>_fts` indexes that column (external content: the text is stored once, in the table).
A Chinese query of up to NGRAM_MAX characters then matches exactly the records whose text
contains it, in Datasette's search box, `sqlite-utils search` and plain SQL alike; English words
are ordinary unicode61 tokens. A longer Chinese query matches where it is a whole run (a name
written on its own); otherwise split it with a space (both halves must match).

The FTS tables are filled after the database's VACUUM, which may renumber the rowids of tables
without an INTEGER PRIMARY KEY and so would detach an external-content index from its rows.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata

from chinaind.query.index import KnowledgeBase
from chinaind.records.kinds import FOLDERS, RECORD_TYPES
from chinaind.export.tabular import Table
from chinaind.records.text import names_of, strings_in

NGRAM_MAX = 6  # most Chinese words and short names: 机器人, 集成电路, 新能源汽车, 工业和信息化
TOKENIZER = "unicode61 remove_diacritics 2"
SEARCH_COLUMN = "search_text"
# The tables that get a search column and an FTS table: `records` (every kind at once) and one
# per record kind.
FTS_TABLES = ("records", *(FOLDERS[t] for t in RECORD_TYPES))
_HAN_RUN_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")


def ngrams(run: str) -> list[str]:
    """Every distinct substring of a Han run up to NGRAM_MAX characters, then the run itself."""
    grams = dict.fromkeys(run[i:i + n] for i in range(len(run)) for n in range(1, NGRAM_MAX + 1) if i + n <= len(run))
    grams[run] = None
    return list(grams)


def search_text(strings: list[str]) -> str:
    """The text `<table>_fts` indexes: NFKC-folded (full-width Latin becomes ASCII), Han runs as
    their n-grams, one line per source string."""
    lines = []
    for text in dict.fromkeys(strings):
        folded = unicodedata.normalize("NFKC", text)
        lines.append(_HAN_RUN_RE.sub(lambda m: " " + " ".join(ngrams(m.group())) + " ", folded).strip())
    return "\n".join(lines)


def add_search_columns(tables: list[Table], kb: KnowledgeBase) -> None:
    """Append `search_text` to every table of FTS_TABLES (rows are keyed by id, first column)."""
    texts = {r["id"]: search_text([*names_of(r), *strings_in(r)]) for t in RECORD_TYPES for r in kb.of_type(t)}
    for table in tables:
        if table.name in FTS_TABLES:
            table.columns = [*table.columns, (SEARCH_COLUMN, "TEXT NOT NULL")]
            table.rows = [(*row, texts[row[0]]) for row in table.rows]


def create_fts(con: sqlite3.Connection) -> None:
    """`<table>_fts` for every table of FTS_TABLES, filled from the table's search column."""
    with con:
        for table in FTS_TABLES:
            con.execute(f'CREATE VIRTUAL TABLE "{table}_fts" USING fts5({SEARCH_COLUMN}, content="{table}", '
                        f"tokenize = '{TOKENIZER}')")
            con.execute(f'INSERT INTO "{table}_fts" (rowid, {SEARCH_COLUMN}) SELECT rowid, {SEARCH_COLUMN} FROM "{table}"')
