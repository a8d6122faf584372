"""Loading a knowledge base: scan its files, serve the cache when the scan shows nothing
changed, else refresh the cache (validating only what changed) in one write transaction.
Returns plain records; never prints.

Without a usable cache (--no-cache, an unwritable cache dir, a cache another run holds too
long) the same refresh fills a database in memory, so there is one path for both.
"""

from __future__ import annotations

import sqlite3
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from chinaind.store import cachedb, freshness
from chinaind.store.dbrecords import DbRecords, DbTexts, Reader
from chinaind.core.errors import InvalidKnowledgeBase, Problem
from chinaind.records.fileread import NotRegular, Oversized, read_record_file
from chinaind.store.scan import FileEntry, files, scan, stem_of

Record = dict[str, Any]
__all__ = ["FileEntry", "LoadResult", "files", "load", "scan", "stem_of", "validate_entry"]


@dataclass
class LoadResult:
    """A loaded knowledge base: records by id, their search text, and every problem found."""

    records: DbRecords
    texts: DbTexts
    problems: list[Problem] = field(default_factory=list)


def validate_entry(data_dir: Path, entry: FileEntry) -> tuple[Record | None, list[Problem], int | None]:
    """(record or None, problems, CRC32 of the bytes read or None when unreadable)."""
    from chinaind.records.validate import validate_file

    display = str(data_dir / entry.rel)
    try:
        raw = read_record_file(data_dir / entry.rel)
    except Oversized as exc:  # refused by its size, before a byte of it is read
        from chinaind.records.yamlio import too_big

        return None, [Problem(display, 1, 1, too_big(exc.size))], None
    except NotRegular:
        return None, [Problem(display, 1, 1, "not a regular file any more (a FIFO or a device?); put a record file here or remove it")], None
    except OSError as exc:
        from chinaind.store.scanproblems import what_to_do

        return None, [Problem(display, 1, 1, f"cannot read the file ({exc.strerror}); {what_to_do(exc.errno)}")], None
    return (*validate_file(raw, display, entry.rtype, stem_of(entry.rel)), zlib.crc32(raw))


def load(data_dir: Path, *, use_cache: bool = True, skip_invalid: bool = False) -> LoadResult:
    """Load a knowledge base. Raises InvalidKnowledgeBase unless it is valid or skip_invalid."""
    result, confirm = load_speculatively(data_dir, use_cache=use_cache, skip_invalid=skip_invalid, share=None)
    return confirm() or result


def load_speculatively(data_dir: Path, *, use_cache: bool = True, skip_invalid: bool = False,
                       share: float | None = 0.25) -> tuple[LoadResult, Callable[[], LoadResult | None]]:
    """A result served from the cache before the scan has confirmed that no file changed,
    and a function that waits for the scan: it returns None when the result stands, else the
    right result (so a caller can answer a query while a child process is still checking).
    `share` is this process's part of the scan's lstat calls (None: the default)."""
    import gc

    # A first build makes a great many objects and no cycles worth collecting: with the
    # collector running, it runs markedly slower. (Not frozen afterwards: a connection to the
    # cache is freed only by the collector, since sqlite3's statement cache refers back to it.)
    def collecting_off(work: Callable[[], Any]) -> Any:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return work()
        finally:
            if enabled:
                gc.enable()

    def checked(result: LoadResult) -> LoadResult:
        # One file's problems together, in file order: field and reference problems alike.
        result.problems = sorted(result.problems, key=lambda p: (p.path, p.line, p.col))
        if result.problems and not skip_invalid:
            raise InvalidKnowledgeBase(result.problems)
        return result

    served, finish = collecting_off(lambda: _load(data_dir, use_cache, share))
    if served is None or served.problems:
        return checked(collecting_off(finish) or served), lambda: None
    return served, lambda: (lambda r: checked(r) if r is not None else None)(collecting_off(finish))


class _Cache:
    """The run's cache database: where it lies, and the connection (None: in memory)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = cachedb.cache_path(data_dir)
        self.stamp = cachedb.stamp(data_dir)
        self.conn = cachedb.connect(self.path)

    def serve(self) -> LoadResult | None:
        """The stored result when the cache is ours and valid and no racy file changed (the
        scan decides the rest), in a read transaction kept for the run; else None."""
        if self.conn is None:
            return None
        try:
            self.conn.execute("BEGIN")
            if cachedb.stored_stamp(self.conn) != self.stamp or not _valid(self.conn):
                return None
            if freshness.has_racy(self.conn) and freshness.racy_suspects(self.conn, self.data_dir):
                return None
            return _result(self.data_dir, self.conn, self._recover)
        except sqlite3.DatabaseError:
            self._damaged()
            return None

    def unchanged(self, folders: list[Any]) -> bool:
        try:
            return freshness.unchanged(self.conn, folders) if self.conn is not None else False
        except sqlite3.DatabaseError:
            self._damaged()
            return False

    def refreshed(self, folders: list[Any]) -> LoadResult:
        """Bring the cache up to date with the scan `folders` in one write transaction; in
        memory when the cache cannot be written."""
        for _ in range(2):  # once more on a fresh file when the first turns out damaged
            if self.conn is None:
                break
            try:
                _end(self.conn)
                self.conn.execute("BEGIN IMMEDIATE")
                if cachedb.stored_stamp(self.conn) != self.stamp:
                    cachedb.create(self.conn, self.stamp)
                _refresh(self.conn, self.data_dir, folders)
                self.conn.execute("COMMIT")
                self.conn.execute("BEGIN")  # the state just written, for the whole run
                return _result(self.data_dir, self.conn, self._recover)
            except sqlite3.OperationalError as exc:
                if "malformed" in str(exc) or "not a database" in str(exc):
                    self._damaged()
                    continue
                _end(self.conn)  # locked too long, read-only, disk full: work in memory
                break
            except sqlite3.DatabaseError:
                self._damaged()
        return _in_memory(self.data_dir, folders)

    def settle(self) -> None:
        """Racy files old enough to trust their stat again are no longer re-read. Written
        through a connection of its own: the run's read transaction must stay on the state
        it answers from."""
        if self.conn is None or not freshness.has_racy(self.conn):
            return
        try:
            conn = cachedb.connect(self.path, timeout=0.1)  # the same checks as the run's own
            if conn is None:
                return
            try:
                conn.execute("BEGIN IMMEDIATE")
                freshness.settle(conn, time.time_ns())
                conn.execute("COMMIT")
            finally:
                conn.close()
        except sqlite3.Error:
            pass  # busy or read-only: a later run settles them

    def _damaged(self) -> None:
        if self.conn is not None:
            self.conn.close()
        cachedb.discard(self.path)
        self.conn = cachedb.connect(self.path)

    def _recover(self) -> sqlite3.Connection:
        """Damage found while reading: drop the cache, answer from a fresh load in memory."""
        if self.conn is not None:
            self.conn.close()
        cachedb.discard(self.path)
        self.conn = None
        return _in_memory(self.data_dir, scan(self.data_dir)).records.reader.conn


def _valid(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT value FROM meta WHERE key = 'valid'").fetchone()
    return bool(row and row[0] == 1)


def _end(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _refresh(conn: sqlite3.Connection, data_dir: Path, folders: list[Any]) -> None:
    suspects = freshness.racy_suspects(conn, data_dir) if freshness.has_racy(conn) else set()
    from chinaind.store import refresh

    # validate_entry is looked up now: tests spy on it.
    refresh.apply(conn, data_dir, refresh.plan(conn, folders, suspects), validate_entry)


def _in_memory(data_dir: Path, folders: list[Any]) -> LoadResult:
    conn = cachedb.memory()
    conn.execute("BEGIN")
    _refresh(conn, data_dir, folders)
    conn.execute("COMMIT")
    return _result(data_dir, conn, None)


def _result(data_dir: Path, conn: sqlite3.Connection, recover: Callable[[], sqlite3.Connection] | None) -> LoadResult:
    records = DbRecords(Reader(conn, recover))
    problems = [Problem(str(data_dir / rel), line, col, message) for rel, line, col, message in conn.execute(
        "SELECT f.rel, p.line, p.col, p.message FROM problems p JOIN files f ON f.file = p.file")]
    return LoadResult(records, DbTexts(records), problems)


def _load(data_dir: Path, use_cache: bool, share: float | None) -> tuple[LoadResult | None, Callable[[], LoadResult | None]]:
    """(the cache's result, or None when it cannot be served; a function finishing the load:
    None when the served result stands, else the loaded one)."""
    from chinaind.store.scan import start

    # The scan's child lstat-s its share of the files while this process reads the cache.
    scanning = start(data_dir, share)
    if not use_cache:
        return None, lambda: _settled(data_dir, scanning, scanning.result(),
                                       lambda folders: _in_memory(data_dir, folders))
    cache = _Cache(data_dir)
    served = cache.serve()

    def finish() -> LoadResult | None:
        folders = scanning.result()
        if served is not None and cache.unchanged(folders):
            cache.settle()
            return _with_scan_problems(served, scanning) if scanning.problems else None
        return _settled(data_dir, scanning, folders, cache.refreshed)

    return served, finish


# How many times a run scans again when the files change under it (an editor saving).
RESCANS = 20


def _settled(data_dir: Path, scanning: Any, folders: list[Any], refresh: Callable[[list[Any]], LoadResult]) -> LoadResult:
    """The result of a refresh from the scan, and from a new scan as long as it finds problems
    and the files have changed since the last scan: a file moved or deleted between the scan
    and its read (`cannot read the file`, `unknown sector` for one moved) is a problem of no
    state the files were ever in. A run answers from a state two scans agree on."""
    result = refresh(folders)
    from chinaind.store.scan import start

    for _ in range(RESCANS):
        if not result.problems and not scanning.problems:
            break
        again = start(data_dir, 0.5)
        newer = again.result()
        if freshness.same(folders, newer):
            break
        scanning, folders = again, newer
        result = refresh(folders)
    return _with_scan_problems(result, scanning)


def _with_scan_problems(result: LoadResult, scanning: Any) -> LoadResult:
    """A result with what the scan could not list or read: found again by every run's scan
    (the cache never holds them), so that a record that cannot be read never just vanishes."""
    if scanning.problems:
        result.problems = result.problems + scanning.problems
    return result
