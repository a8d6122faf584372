"""Bringing the cache database up to date with the files, in the caller's write transaction:
find what changed since the last refresh, validate only that, replace those files' rows, and
check again only the cross-record problems the change can touch.

"What changed" is decided by the scan's stat data (size, mtime, ctime, inode, device: a
rewrite keeping size and mtime still moves ctime), folder by folder: a folder whose listing
and stat columns are byte for byte as stored is skipped without reading a row of it. A file
written too close to the refresh to trust its stat keeps the CRC of its content, and every run
re-reads it until that window has passed (see freshness.py).
"""

from __future__ import annotations

import marshal
import sqlite3
import time
import zlib
from pathlib import Path
from stat import S_IFMT, S_IFREG
from typing import Iterable, NamedTuple

from chinaind.records.kinds import ANY, REFERENCES
from chinaind.store import cachedb, freshness
from chinaind.store.freshness import snapshot
from chinaind.records.references import KnownIds, Row, dangling, duplicate, raw_dangling
from chinaind.store.scan import YAML_SUFFIXES, FileEntry, Folder
from chinaind.store.workers import Fresh, Validator, validate_stream

# Above this many changed files, checking every reference again is as cheap as finding which.
MAX_CHANGED = 2000


class FileStat(NamedTuple):
    """A record file as the scan saw it, as the `files` table keeps it."""

    rel: str
    folder: str
    name: str
    rtype: str
    size: int
    mtime_ns: int
    ctime_ns: int
    ino: int
    dev: int

    def entry(self) -> FileEntry:
        return FileEntry(self.rel, self.rtype, self.size, self.mtime_ns, self.ctime_ns)


class Plan(NamedTuple):
    """What a refresh does: validate `changed` (new or modified files), drop `gone` (rels)."""

    changed: list[FileStat]
    gone: list[str]
    folders: list[Folder]


def record_stats(folder: Folder) -> dict[str, str]:
    """name -> "size,mtime,ctime,inode,device" of the record files a scanned folder holds, as
    the files table gives it back (see _stored_stats): a folder of 100,000 files is compared
    with the stored rows as sets of pairs, in C. Inodes and devices are read as signed 64-bit
    numbers, as SQLite stores them."""
    sizes, mtimes, modes, inos, ctimes, devs = (memoryview(c).cast("q") for c in folder.stats())
    names = folder.names()
    stats = map(STAT_FORMAT.format, sizes, mtimes, ctimes, inos, devs)
    keep = [S_IFMT(mode) == S_IFREG and name.lower().endswith(YAML_SUFFIXES) for name, mode in zip(names, modes)]
    if all(keep):
        return dict(zip(names, stats))
    return {name: stat for name, stat, kept in zip(names, stats, keep) if kept}


# A file's stat data as one string, as the files table keeps it beside the numbers.
STAT_FORMAT = "{},{},{},{},{}"


def _stored_stats(conn: sqlite3.Connection, folder: Folder) -> dict[str, str]:
    return dict(conn.execute("SELECT name, stat FROM files WHERE folder = ? AND rtype = ?", (folder.prefix, folder.rtype)))


def _file_stat(folder: Folder, name: str, stat: str) -> FileStat:
    return FileStat(folder.prefix + name, folder.prefix, name, folder.rtype, *map(int, stat.split(",")))


def plan(conn: sqlite3.Connection, folders: list[Folder], suspects: set[str]) -> Plan:
    """Compare the scan with the stored state; `suspects` are rels whose content changed
    under an unchanged stat."""
    stored = {prefix: (rtype, digest) for prefix, rtype, digest in conn.execute("SELECT prefix, rtype, digest FROM folders")}
    changed: list[FileStat] = []
    gone: list[str] = []
    for folder in folders:
        same = stored.pop(folder.prefix, None) == (folder.rtype, snapshot(folder))
        if same and not suspects:
            continue
        now = record_stats(folder)
        if same:
            changed += [_file_stat(folder, name, now[name]) for name in now if folder.prefix + name in suspects]
            continue
        before = _stored_stats(conn, folder)
        # Set operations in C: the names whose stat is new, then those no longer there.
        fresh = {name for name, _ in now.items() - before.items()}
        fresh.update(name for name in now if folder.prefix + name in suspects)
        changed += [_file_stat(folder, name, now[name]) for name in fresh]
        gone += [folder.prefix + name for name in before.keys() - now.keys()]
    for prefix in stored:  # folders no longer there
        gone += [rel for (rel,) in conn.execute("SELECT rel FROM files WHERE folder = ?", (prefix,))]
    changed.sort()
    return Plan(changed, sorted(gone), folders)


def apply(conn: sqlite3.Connection, data_dir: Path, work: Plan, validate: Validator) -> None:
    """Carry out a plan: its files' rows replaced, cross-record problems checked again."""
    now = time.time_ns()
    changed_rels = [f.rel for f in work.changed]
    old_ids = _forget(conn, changed_rels + work.gone)
    first_build = not conn.execute("SELECT EXISTS (SELECT 1 FROM files)").fetchone()[0]
    next_file = conn.execute("SELECT coalesce(max(file), 0) + 1 FROM files").fetchone()[0]
    new_ids: set[str] = set()
    new_files: list[int] = []
    by_rel = {f.rel: f for f in work.changed}
    for chunk in validate_stream(data_dir, [f.entry() for f in work.changed], validate):
        rows = [(next_file + i, by_rel[entry.rel], fresh) for i, (entry, fresh) in enumerate(chunk)]
        next_file += len(chunk)
        _insert(conn, rows, now)
        new_files += [file for file, _, _ in rows]
        new_ids.update(fresh.rid for _, _, fresh in rows if fresh.rid is not None)
    cachedb.create_indexes(conn)
    conn.execute("DELETE FROM folders")
    conn.executemany("INSERT INTO folders VALUES (?, ?, ?)", [(f.prefix, f.rtype, snapshot(f)) for f in work.folders])
    everything = first_build or len(work.changed) + len(work.gone) > MAX_CHANGED
    touched = None if everything else old_ids | new_ids
    remember_touched(conn, touched)
    _mark_live(conn, data_dir, touched)
    _check_references(conn, data_dir, None if everything else new_files, touched)
    freshness.settle(conn, now)
    valid = not conn.execute("SELECT EXISTS (SELECT 1 FROM problems)").fetchone()[0]
    conn.execute("UPDATE meta SET value = ? WHERE key = 'valid'", (int(valid),))


def _forget(conn: sqlite3.Connection, rels: list[str]) -> set[str]:
    """Delete every row of these files; return the ids their records had."""
    if not rels:
        return set()
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS doomed (file INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM doomed")
    conn.executemany("INSERT OR IGNORE INTO doomed SELECT file FROM files WHERE rel = ?", ((rel,) for rel in rels))
    ids = {rid for (rid,) in conn.execute("SELECT id FROM records WHERE file IN doomed")}
    for table in ("files", "records", "texts", "issuers", "refs", "problems"):
        conn.execute(f"DELETE FROM {table} WHERE file IN doomed")
    return ids


def _insert(conn: sqlite3.Connection, rows: list[tuple[int, FileStat, Fresh]], now: int) -> None:
    files, records, texts, issuers, refs, problems = [], [], [], [], [], []
    for file, f, fresh in rows:
        racy = max(f.mtime_ns, f.ctime_ns) >= now - freshness.RACY_NS and fresh.crc is not None
        files.append((file, f.rel, f.folder, f.name, f.rtype, f.size, f.mtime_ns, f.ctime_ns, f.ino, f.dev,
                      STAT_FORMAT.format(f.size, f.mtime_ns, f.ctime_ns, f.ino, f.dev), fresh.crc if racy else None,
                      int(racy)))
        problems += [(file, line, col, message, "file") for line, col, message in fresh.raw]
        if fresh.rid is None:
            continue
        # A file that passed its model has its blob and text too (workers.py builds them together).
        assert fresh.blob is not None and fresh.text is not None
        rtype, when, agencies = fresh.facet
        sort_date = when or "9999"
        records.append((file, fresh.rid, rtype, when, sort_date, " ".join(agencies), fresh.blob, zlib.crc32(fresh.blob)))
        names, text = fresh.text
        texts.append((file, fresh.rid, rtype, _storable(names), _storable(text).replace("\x00", "\n")))
        if rtype == "policy":
            issuers += [(file, agency, fresh.rid, sort_date) for agency in dict.fromkeys(agencies)]
        spec = REFERENCES[rtype]
        refs += [(file, k, target, spec[k].target) for k, target in zip(fresh.refs[::2], fresh.refs[1::2])]
    conn.executemany("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", files)
    # The rows' checks are written once `live` is known (_mark_live).
    conn.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, NULL)", records)
    conn.executemany("INSERT INTO texts VALUES (?, ?, ?, 0, ?, ?, NULL)", texts)
    conn.executemany("INSERT INTO issuers VALUES (?, ?, ?, ?, NULL)", issuers)
    conn.executemany("INSERT INTO refs VALUES (?, ?, ?, ?)", refs)
    conn.executemany("INSERT INTO problems VALUES (?, ?, ?, ?, ?)", problems)


def _storable(text: str) -> str:
    """Text SQLite can take: a lone surrogate (a YAML escape can make one) has no UTF-8."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _mark_live(conn: sqlite3.Connection, data_dir: Path, touched: set[str] | None) -> None:
    """Make the first file (in path order) of each id touched (of every id, None) its live
    record, and report the others as duplicates."""
    scope = _scope("records.id", touched)
    conn.execute(f"DELETE FROM problems WHERE kind = 'duplicate' AND file IN (SELECT file FROM records WHERE {scope})")
    conn.execute(f"""UPDATE records SET live = (file = (
        SELECT r.file FROM records r JOIN files f ON f.file = r.file WHERE r.id = records.id ORDER BY f.rel LIMIT 1))
        WHERE {scope}""")
    # By file (texts has no index on id): the rows of the records just updated.
    conn.execute(f"UPDATE texts SET live = (SELECT live FROM records WHERE records.file = texts.file) "
                 f"WHERE texts.file IN (SELECT file FROM records WHERE {scope})")
    # Every row whose `live` may have changed, new rows among them (their ids are touched).
    cachedb.add_checks(conn, scope)
    found = conn.execute(f"""SELECT r.file, f.rel, r.id, (SELECT f2.rel FROM records r2 JOIN files f2 ON f2.file = r2.file
        WHERE r2.id = r.id AND r2.live = 1) FROM records r JOIN files f ON f.file = r.file
        WHERE r.live = 0 AND {scope.replace('records.', 'r.')}""").fetchall()
    rows = [(file, duplicate(data_dir, rel, first, rid)) for file, rel, rid, first in found]
    _add_problems(conn, rows, "duplicate")


def _scope(column: str, ids: set[str] | None) -> str:
    """A WHERE clause limiting `column` to the touched ids (kept in a temp table, see
    remember_touched), or to everything when `ids` is None."""
    return "1" if ids is None else f"{column} IN touched_ids"


def _check_references(conn: sqlite3.Connection, data_dir: Path, new_files: list[int] | None,
                      touched: set[str] | None) -> None:
    """Check again the references of the new files and of the files pointing at a touched
    id (every file, None), and those of every file that failed its model."""
    if new_files is None:
        conn.execute("DELETE FROM problems WHERE kind = 'reference'")
        where = "1"
    else:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS recheck (file INTEGER PRIMARY KEY)")
        conn.execute("DELETE FROM recheck")
        conn.executemany("INSERT OR IGNORE INTO recheck VALUES (?)", ((f,) for f in new_files))
        conn.execute("INSERT OR IGNORE INTO recheck SELECT file FROM refs WHERE target IN touched_ids")
        # Files that failed their model: exactly those with field problems (small, indexed).
        conn.execute("INSERT OR IGNORE INTO recheck SELECT file FROM problems WHERE kind = 'file' "
                     "AND file NOT IN (SELECT file FROM records)")
        conn.execute("DELETE FROM problems WHERE kind = 'reference' AND file IN recheck")
        where = "r.file IN recheck"
    found: dict[int, set[int]] = {}
    for file, k in conn.execute(f"""SELECT r.file, r.k FROM refs r JOIN records y ON y.file = r.file AND y.live = 1
            WHERE {where} AND NOT EXISTS (SELECT 1 FROM records x WHERE x.id = r.target AND x.live = 1
            AND (r.target_type = '{ANY}' OR x.type = r.target_type))"""):
        found.setdefault(file, set()).add(k)
    among = "files f" if new_files is None else "recheck c JOIN files f ON f.file = c.file"
    invalid = conn.execute(f"SELECT f.file, f.rel FROM {among} WHERE f.file NOT IN (SELECT file FROM records)").fetchall()
    if not found and not invalid:
        return
    known = _known_ids(conn)
    rows: list[tuple[int, Row]] = []
    for file, bad in sorted(found.items()):
        rel, body = conn.execute("SELECT f.rel, r.body FROM files f JOIN records r ON r.file = f.file WHERE f.file = ?",
                                 (file,)).fetchone()
        rows += [(file, row) for row in dangling(data_dir, rel, marshal.loads(body), bad, known)]
    at = {rel: file for file, rel in invalid}
    rows += [(at[row.rel], row) for row in raw_dangling(data_dir, [rel for _, rel in invalid], known)]
    _add_problems(conn, rows, "reference")


def _known_ids(conn: sqlite3.Connection) -> KnownIds:
    cache: dict[str, set[str]] = {}

    def known(rtype: str) -> set[str]:
        if rtype not in cache:
            sql, args = ("SELECT id FROM records WHERE live = 1", ()) if rtype == ANY else \
                ("SELECT id FROM records WHERE live = 1 AND type = ?", (rtype,))
            cache[rtype] = {rid for (rid,) in conn.execute(sql, args)}
        return cache[rtype]

    return known


def _add_problems(conn: sqlite3.Connection, rows: Iterable[tuple[int, Row]], kind: str) -> None:
    conn.executemany("INSERT INTO problems VALUES (?, ?, ?, ?, ?)",
                     ((file, r.line, r.col, r.message, kind) for file, r in rows))


def remember_touched(conn: sqlite3.Connection, ids: set[str] | None) -> None:
    """Keep the ids a refresh touched in a temp table, for the checks' SQL to join with."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS touched_ids (id TEXT PRIMARY KEY) WITHOUT ROWID")
    conn.execute("DELETE FROM touched_ids")
    if ids:
        conn.executemany("INSERT OR IGNORE INTO touched_ids VALUES (?)", ((rid,) for rid in ids))
