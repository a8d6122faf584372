"""Values for shell completion (TAB): record ids and names read straight from the cache
database, with the standard library only. Completion runs the whole app on every TAB, so this
never imports Pydantic, PyYAML or Rich and never loads or validates a record file: without a
cache (no query has run on this knowledge base yet) it offers nothing rather than wait.
"""

from __future__ import annotations

import marshal
import os
import sqlite3
import zlib
from pathlib import Path
from typing import Any

# Offered for free-text arguments when the prefix is empty: a shell would page through them all.
MAX_CANDIDATES = 200
# How long a TAB waits for a cache another run holds locked: a shell waits on completion with
# the user's keyboard blocked, so it offers nothing rather than wait.
LOCK_WAIT_S = 0.1
# Record fields that name a record, besides its id (as the resolvers accept them).
NAME_FIELDS = ("name", "name_zh", "short_name_zh", "title", "title_zh")


def _data_dir(explicit: str | None) -> Path | None:
    from chinaind.core.paths import DATA_ENV, bundled_data_dir

    chosen = explicit or os.environ.get(DATA_ENV)
    try:
        path = Path(chosen) if chosen else bundled_data_dir()
        return path if path.is_dir() else None
    except (OSError, ValueError):
        return None


def _rows(data_dir: str | None, sql: str, args: tuple[Any, ...]) -> list[Any]:
    """Rows of a query on the data dir's cache, if it is a valid one of this version; else none."""
    from chinaind.store import cachedb

    root = _data_dir(data_dir)
    if root is None:
        return []
    conn = cachedb.connect(cachedb.cache_path(root), readonly=True, timeout=LOCK_WAIT_S)
    if conn is None:
        return []
    try:
        conn.execute("BEGIN")
        valid = conn.execute("SELECT value FROM meta WHERE key = 'valid'").fetchone()
        if cachedb.stored_stamp(conn) != cachedb.stamp(root) or not valid or valid[0] != 1:
            return []
        return conn.execute(sql, args).fetchall()
    except sqlite3.Error:
        return []
    finally:
        conn.close()


def ids_of(rtype: str | None, incomplete: str, data_dir: str | None = None) -> list[str]:
    """Ids of one record type (all types when None) starting with `incomplete`."""
    where = "live = 1" + (" AND type = ?" if rtype else "")
    rows = _rows(data_dir, f"SELECT id FROM records WHERE {where}", (rtype,) if rtype else ())
    return _first([rid for (rid,) in rows if rid.startswith(incomplete)])


def names_of(rtype: str, incomplete: str, data_dir: str | None = None) -> list[str]:
    """Ids and names (English, Chinese, aliases) of one record type that start with
    `incomplete`. Case counts: Typer drops every candidate that does not start with the exact
    text typed. Only the records of that type are decoded."""
    found: dict[str, None] = {}
    for body, crc in _rows(data_dir, "SELECT body, crc FROM records WHERE live = 1 AND type = ?", (rtype,)):
        if zlib.crc32(body) != crc:  # damaged: offer nothing from it (the next query rebuilds)
            continue
        for name in _names(marshal.loads(body)):
            if name.startswith(incomplete):
                found.setdefault(name, None)
    return _first(list(found))


def _names(record: dict[str, Any]) -> list[str]:
    out = [record["id"]]
    out.extend(record[k] for k in NAME_FIELDS if isinstance(record.get(k), str))
    out.extend(a for a in record.get("aliases") or [] if isinstance(a, str))
    return out


def _first(values: list[str]) -> list[str]:
    return sorted(values)[:MAX_CANDIDATES]
