"""The compiled cache: one SQLite database per data directory, under the cache dir.

SQLite gives what a cache shared by concurrent runs needs (atomic commits, crash safety,
readers that never see a half-written refresh, one writer at a time) without a format of our
own. Tables:

- `folders`: per scanned folder, a digest of its listing and its files' stat data, so that
  "has anything changed" is one comparison per folder, with no per-file row read;
- `files`: per record file, its stat data (size, mtime, ctime, inode, device; also as one
  string, which the next refresh compares as a whole) and, for a file
  written too close to the refresh to trust its stat, the CRC32 of its content;
- `records`: per record file, its id, type, date, issuers (the facets queries filter on) and
  the record itself (marshal bytes, with their CRC32: a record is checked when decoded);
- `texts`: per record, its normalised names and search text, apart from the records so that
  a search reads only text pages;
- `refs`, `issuers`, `problems`: the ids each record points at, which agencies issued each
  policy, and every problem found (field, reference and duplicate-id problems).

A database that cannot be opened, that SQLite finds malformed, or that another version of
chinaind wrote counts as no cache: it is rebuilt, or the run works in memory. Only a regular
file the user owns, with one name, is opened for writing, never through a symbolic link (one
in the cache dir could point at any database the user can write, a hard link is that
database), and nothing is written into a database that is not a chinaind cache: one carries
APPLICATION_ID in its header (older ones a `meta` table with a stamp); any other is left as it
is and the run works in memory.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import zlib
from pathlib import Path
from stat import S_ISREG

from chinaind.core.version import SCHEMA_VERSION

from chinaind.core.version import __version__
from chinaind.core.paths import cache_dir

# A run waits this long for another run's refresh (a first build of a large base takes some
# seconds) before it gives up the cache and works in memory.
BUSY_TIMEOUT_S = 60.0
# The suffixes of SQLite's companion files in WAL mode.
COMPANIONS = ("-wal", "-shm")
# In the header of every cache database (PRAGMA application_id): b"cnid".
APPLICATION_ID = 0x636E6964

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE folders (prefix TEXT PRIMARY KEY, rtype TEXT NOT NULL, digest BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE files (
    file INTEGER PRIMARY KEY,
    rel TEXT NOT NULL,
    folder TEXT NOT NULL,
    name TEXT NOT NULL,
    rtype TEXT NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
    ino INTEGER NOT NULL, dev INTEGER NOT NULL,
    stat TEXT NOT NULL,
    crc INTEGER,
    racy INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE records (
    file INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    date TEXT,
    sort_date TEXT NOT NULL,
    issuers TEXT NOT NULL,
    live INTEGER NOT NULL,
    body BLOB NOT NULL,
    crc INTEGER NOT NULL,
    rcrc INTEGER
);
CREATE TABLE texts (
    file INTEGER PRIMARY KEY,
    id TEXT,
    type TEXT,
    live INTEGER NOT NULL,
    names TEXT NOT NULL,
    text TEXT NOT NULL,
    tcrc INTEGER
);
CREATE TABLE issuers (file INTEGER NOT NULL, agency TEXT NOT NULL, id TEXT NOT NULL, sort_date TEXT NOT NULL,
                      icrc INTEGER);
CREATE TABLE refs (file INTEGER NOT NULL, k INTEGER NOT NULL, target TEXT NOT NULL, target_type TEXT NOT NULL);
CREATE TABLE problems (file INTEGER NOT NULL, line INTEGER NOT NULL, col INTEGER NOT NULL,
                       message TEXT NOT NULL, kind TEXT NOT NULL);
"""
# Created once the rows of a first build are in (see create_indexes): building an index from
# rows already there is a sort, several times cheaper than keeping it up to date row by row.
INDEXES = """
CREATE UNIQUE INDEX IF NOT EXISTS files_rel ON files (rel);
CREATE INDEX IF NOT EXISTS files_folder ON files (folder);
CREATE INDEX IF NOT EXISTS records_id ON records (id);
CREATE INDEX IF NOT EXISTS records_by_type ON records (type, live, sort_date, id);
CREATE INDEX IF NOT EXISTS issuers_by_agency ON issuers (agency, sort_date, id);
CREATE INDEX IF NOT EXISTS issuers_file ON issuers (file);
CREATE INDEX IF NOT EXISTS refs_file ON refs (file);
CREATE INDEX IF NOT EXISTS refs_target ON refs (target);
CREATE INDEX IF NOT EXISTS problems_file ON problems (file);
"""
TABLES = ("meta", "folders", "files", "records", "texts", "issuers", "refs", "problems")

# The layers whose code decides what the cache holds (records, facets, search text, the
# schema, how files are scanned and compared): a change to any of their modules (an upgrade,
# or a developer's edit) invalidates it.
_SCHEMA_PACKAGES = ("records", "store")


def cache_path(data_dir: Path) -> Path:
    real = os.path.realpath(data_dir)
    # zlib rather than hashlib: this runs on every query and hashlib costs a few ms to import.
    key = f"{zlib.crc32(os.fsencode(real)):08x}{zlib.adler32(os.fsencode(real)):08x}"
    return cache_dir() / f"kb-{key}.sqlite"


def stamp(data_dir: Path) -> str:
    package = Path(__file__).resolve().parent.parent
    digest = 0
    for layer in _SCHEMA_PACKAGES:
        for module in sorted((package / layer).glob("*.py")):
            digest = zlib.crc32(module.read_bytes(), digest)
    # marshal's format belongs to the Python version that wrote it.
    python = "%d.%d" % sys.version_info[:2]
    return f"{__version__}/{SCHEMA_VERSION}/{digest:08x}/{python}/{os.path.realpath(data_dir)}"


def _regular_or_absent(path: Path) -> bool:
    """Something else may stand where a cache file should (a FIFO would block a read forever,
    a device could hand out anything, a folder cannot be opened): then the cache is ignored,
    never waited on."""
    try:
        return S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        return True
    except OSError:
        return False


def _own_or_absent(path: Path) -> tuple[int, int] | None | bool:
    """(device, inode) of a regular file of the user's with a single name, not a symbolic
    link; None when nothing is there; False when something else is."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError:
        return False
    mine = not hasattr(os, "geteuid") or st.st_uid == os.geteuid()
    return (st.st_dev, st.st_ino) if S_ISREG(st.st_mode) and st.st_nlink == 1 and mine else False


def _ours(conn: sqlite3.Connection) -> bool:
    """Whether the database holds a chinaind cache (or nothing at all), read before any write."""
    if conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID:
        return True
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return not tables or ("meta" in tables and stored_stamp(conn) is not None)


def connect(path: Path, readonly: bool = False, timeout: float = BUSY_TIMEOUT_S) -> sqlite3.Connection | None:
    """A connection to the cache database at `path` in WAL mode (created if absent unless
    `readonly`), or None when it cannot be used: unwritable cache dir, something else than
    files in the way, a database that is not a chinaind cache. A file that is no database
    (garbage, another format) is replaced."""
    companions = [Path(f"{path}{suffix}") for suffix in COMPANIONS]
    if not all(_regular_or_absent(p) for p in (path, *companions)):
        return None
    if readonly:
        try:
            return sqlite3.connect(Path(os.path.abspath(path)).as_uri() + "?mode=ro", uri=True,
                                   timeout=timeout, isolation_level=None, check_same_thread=False)
        except (OSError, ValueError, sqlite3.Error):
            return None
    for attempt in range(2):
        if any(_own_or_absent(p) is False for p in (path, *companions)):
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error):
            return None
        try:
            # The file opened is the one checked (not swapped for a link meanwhile), and ours.
            if not isinstance(_own_or_absent(path), tuple) or not _ours(conn):
                conn.close()
                return None
            conn.execute("PRAGMA journal_mode=WAL")
            # A cache can be rebuilt: lose the last commit on power loss rather than sync each one.
            conn.execute("PRAGMA synchronous=NORMAL")
            return conn
        except sqlite3.OperationalError:  # locked, read-only, out of space: leave it be
            conn.close()
            return None
        except sqlite3.DatabaseError:  # "file is not a database": ours to replace, once
            conn.close()
            if attempt == 0:
                discard(path)
    return None


def memory() -> sqlite3.Connection:
    """A database for a run without a usable cache: the same tables, in memory."""
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    create(conn, "")
    return conn


def create(conn: sqlite3.Connection, stamp_value: str) -> None:
    """Replace whatever the database holds with empty tables (in the caller's transaction)."""
    for table in TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    # Statement by statement: executescript() would commit the caller's transaction first.
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("INSERT INTO meta VALUES ('stamp', ?), ('valid', 0)", (stamp_value,))
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


# The columns of a row its check covers, the check last: every query that reads a row reads
# all of them and verifies the check (row_crc). A damaged byte anywhere in such a row (an id,
# a date, an issuer, a name, the search text) is found, never answered from. (Measured on
# 50,000 records: the facets of every record read in 130 ms instead of 60; the same check
# computed by SQLite, joining the values in SQL, took 185.)
RECORD_ROW = ("file", "id", "type", "date", "sort_date", "issuers", "live", "crc", "rcrc")
TEXT_ROW = ("file", "id", "type", "live", "names", "text", "tcrc")
ISSUER_ROW = ("file", "agency", "id", "sort_date", "icrc")
_FORMATS = {n: "\x1f".join(["%s"] * n) for n in range(1, 12)}


def row_crc(*values: object) -> int:
    """The check of one row: a CRC32 of its values as text, joined by US (SQLite hands them
    back as the same Python values they were written from)."""
    return zlib.crc32((_FORMATS[len(values)] % values).encode("utf-8", "surrogatepass"))


def columns(alias: str, row: tuple[str, ...]) -> str:
    """`r.file, r.id, ...`: a row's checked columns for a SELECT."""
    return ", ".join(f"{alias}.{c}" for c in row)


def width(row: tuple[str, ...]) -> int:
    return len(row)


def rows_sound(rows: list[tuple[object, ...]], start: int, width: int) -> bool:
    """Whether every row's check holds for its block row[start:start + width] (the check
    last). One expression over all rows, the formatting in C."""
    fmt, end, crc = _FORMATS[width - 1], start + width - 1, zlib.crc32
    return not any(crc((fmt % row[start:end]).encode("utf-8", "surrogatepass")) != row[end] for row in rows)


def add_checks(conn: sqlite3.Connection, scope: str) -> None:
    """Write the checks of the rows of the records whose `live` is settled, in `scope` (a
    WHERE clause on records): theirs, their texts' and their issuers'."""
    conn.create_function("chinaind_crc", -1, row_crc, deterministic=True)
    files = f"(SELECT file FROM records WHERE {scope})"
    for table, row, where in (("records", RECORD_ROW, scope), ("texts", TEXT_ROW, f"file IN {files}"),
                              ("issuers", ISSUER_ROW, f"file IN {files}")):
        conn.execute(f"UPDATE {table} SET {row[-1]} = chinaind_crc({', '.join(row[:-1])}) WHERE {where}")


def create_indexes(conn: sqlite3.Connection) -> None:
    """The indexes queries and refreshes use (those that exist are left as they are)."""
    for statement in INDEXES.split(";"):
        if statement.strip():
            conn.execute(statement)


def stored_stamp(conn: sqlite3.Connection) -> str | None:
    """The stamp the database was written with; None when it holds no cache of ours."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'stamp'").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row and isinstance(row[0], str) else None


def discard(path: Path) -> None:
    """Remove a database found damaged, with its companions, so that the next run rebuilds it.
    A run still reading it keeps its open files."""
    for victim in (str(path), *(f"{path}{suffix}" for suffix in COMPANIONS)):
        try:
            if _regular_or_absent(Path(victim)):
                os.unlink(victim)
        except OSError:
            pass
