"""Records, facets and search text read from the cache database as a query needs them.

A query over a large knowledge base filters on every record's small facets (type, date,
issuers) or searches every record's text, but usually prints a handful of records: decoding all
of them would cost most of the run and most of its memory. So a record is decoded from its
marshal bytes only when a command reads it, and the lookup tables are SQL queries over indexes.

Every read goes through one read transaction, so a run sees one state of the cache however
many refreshes other runs commit meanwhile. A read that SQLite finds malformed, a row that
fails its check (every column a query reads is covered: ids, dates, issuers, names, text; see
cachedb.row_crc), or a record whose bytes fail their CRC, makes the run rebuild the knowledge
base in memory (see loader.recover) and read from there: damage costs time, never a wrong
answer and never a bug exit.
"""

from __future__ import annotations

import marshal
import sqlite3
import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from chinaind.core.errors import ChinaindError
from chinaind.records.kinds import RECORD_TYPES
from chinaind.records.facets import Facet, Record
from chinaind.store.protocol import RecordStore, TextStore
from chinaind.store.cachedb import ISSUER_ROW, RECORD_ROW, TEXT_ROW, columns, rows_sound, width

# The checked columns of each table as a query selects them (first, block after block), their
# widths, and where each value sits in its block.
R_COLS, T_COLS, I_COLS = columns("r", RECORD_ROW), columns("t", TEXT_ROW), columns("i", ISSUER_ROW)
R_N, T_N, I_N = width(RECORD_ROW), width(TEXT_ROW), width(ISSUER_ROW)
R_ID, R_TYPE, R_DATE, R_ISSUERS, R_LIVE, R_CRC = (RECORD_ROW.index(c) for c in ("id", "type", "date", "issuers", "live", "crc"))
T_ID, T_TYPE, T_NAMES, T_TEXT = (TEXT_ROW.index(c) for c in ("id", "type", "names", "text"))
I_AGENCY, I_ID = ISSUER_ROW.index("agency"), ISSUER_ROW.index("id")

# The search text's field separator as stored: SQLite's LIKE stops at a NUL, and normalised
# text never holds a newline (norm_text folds every space), so the swap is exact both ways.
STORED_SEPARATOR = "\n"
TEXT_SEPARATOR = "\x00"


def glob_literal(text: str) -> str:
    """`text` as a GLOB pattern matching only itself: each wildcard inside brackets of its own."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


class CacheCorrupt(ChinaindError):
    exit_code = 3


DAMAGED = "the cache is damaged; run again with --no-cache, or delete the cache"


class Reader:
    """The connection a run reads through, and what to do when it turns out damaged."""

    def __init__(self, conn: sqlite3.Connection, recover: Callable[[], sqlite3.Connection] | None = None) -> None:
        self.conn = conn
        self._recover = recover

    def rows(self, sql: str, args: tuple[Any, ...] = (), checked: tuple[int, ...] = ()) -> list[Any]:
        """The rows of a query. `checked` gives the widths of the checked blocks the query
        selects first, in order (R_N for R_COLS, ...): every row's blocks are verified. A
        failed check is damage: the run recovers and asks again."""
        for attempt in range(2):
            try:
                rows = self.conn.execute(sql, args).fetchall()
            except UnicodeEncodeError:
                # A lone surrogate (from an undecodable argument) has no UTF-8, so the cache holds
                # no such text (refresh stores it replaced): nothing matches it.
                return []
            except sqlite3.DatabaseError:
                if attempt:
                    raise
                self.recover()
                continue
            if _sound(rows, checked):
                return rows
            self.recover()
        raise CacheCorrupt(DAMAGED)  # pragma: no cover - the rebuilt base is in memory

    def recover(self) -> None:
        if self._recover is None:
            raise CacheCorrupt(DAMAGED)
        recover, self._recover = self._recover, None  # once: a second failure is a bug
        self.conn = recover()


def checked_rows(reader: Reader, sql: str, width: int) -> Iterator[Any]:
    """The rows of `sql`, a batch at a time, each batch checked (in C where it can be). Damage
    found, here or by any other read of the run meanwhile (the reader then has a new
    connection), and the rows come on from the rebuilt base: a caller skips those it has had."""
    for _ in range(3):
        conn = reader.conn
        try:
            cursor = conn.execute(sql)
            while rows := cursor.fetchmany(512):
                if reader.conn is not conn:
                    break  # rebuilt meanwhile: this cursor reads the damaged file
                if not rows_sound(rows, 0, width):
                    raise sqlite3.DatabaseError("a row fails its check")
                yield from rows
            else:
                return
        except sqlite3.DatabaseError:
            if reader.conn is conn:
                reader.recover()  # raises CacheCorrupt if already rebuilt
    raise CacheCorrupt(DAMAGED)


def _sound(rows: list[Any], widths: tuple[int, ...]) -> bool:
    start = 0
    for width in widths:
        if not rows_sound(rows, start, width):
            return False
        start += width
    return True


class DbRecords(RecordStore):
    """A mapping id -> record over the cache's live records (the first file of each id)."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self._decoded: dict[str, Record] = {}
        self._ids: list[str] | None = None
        self._count: int | None = None
        self._facets: dict[str, Facet] | None = None
        # Dates and types seen by table and search queries: filters read them without facets.
        self.seen = Seen({}, {})
        self._by_type = IdsByType(reader, self.seen)
        self._by_agency = IdsByAgency(reader, self.seen)

    def __getitem__(self, rid: str) -> Record:
        found = self._decoded.get(rid)
        if found is not None:
            return found
        rows = self.reader.rows(f"SELECT {R_COLS}, r.body FROM records r WHERE r.id = ? AND r.live = 1", (rid,), (R_N,))
        if not rows:
            if self._listed(rid):  # the cache itself named it, yet it is not found: damage
                self.reader.recover()
                return self[rid]
            raise KeyError(rid)
        row = rows[0]
        body = row[R_N]
        if zlib.crc32(body) != row[R_CRC] or row[R_ID] != rid or row[R_LIVE] != 1:  # the index led elsewhere
            self.reader.recover()
            return self[rid]
        record = marshal.loads(body)
        self._decoded[rid] = record
        return record

    def _listed(self, rid: str) -> bool:
        """Whether a query of this run read `rid` from the cache (an id, not a user's word)."""
        return rid in self.seen.types or (self._facets is not None and rid in self._facets) or \
            (self._ids is not None and rid in self._ids)

    def __contains__(self, rid: object) -> bool:
        if rid in self._decoded:
            return True
        return isinstance(rid, str) and bool(self.reader.rows("SELECT 1 FROM records WHERE id = ? AND live = 1", (rid,)))

    def __iter__(self) -> Iterator[str]:
        # A generator: `(... for rid in records)` calls iter() at once, and a search builds
        # such a pool it reads only when nothing matches literally.
        yield from self.ids

    def __len__(self) -> int:
        if self._count is None:
            self._count = self.reader.rows("SELECT count(*) FROM records WHERE live = 1")[0][0]
        return self._count

    @property
    def ids(self) -> list[str]:
        """Every live id, in file path order (the order records load in)."""
        if self._ids is None:
            self._ids = [row[R_ID] for row in self.reader.rows(
                f"SELECT {R_COLS} FROM records r JOIN files f ON f.file = r.file WHERE r.live = 1 ORDER BY f.rel",
                (), (R_N,))]
        return self._ids

    @property
    def facets(self) -> dict[str, Facet]:
        if self._facets is None:
            rows = self.reader.rows(f"SELECT {R_COLS} FROM records r WHERE r.live = 1", (), (R_N,))
            self._facets = {row[R_ID]: Facet(row[R_TYPE], row[R_DATE], tuple(row[R_ISSUERS].split()) if row[R_ISSUERS] else ())
                            for row in rows}
        return self._facets

    @property
    def ids_by_type(self) -> Mapping[str, list[str]]:
        return self._by_type

    @property
    def policy_ids_by_agency(self) -> Mapping[str, list[str]]:
        return self._by_agency

    def all_names(self) -> Iterator[tuple[str, str, list[str]]]:
        """(id, type, normalised names) of every live record, streamed (as checked rows):
        what a matcher of names is built from without decoding a single record (draft)."""
        seen: set[str] = set()
        for row in checked_rows(self.reader, f"SELECT {T_COLS} FROM texts t WHERE t.live = 1", T_N):
            if row[T_ID] not in seen:
                seen.add(row[T_ID])
                yield row[T_ID], row[T_TYPE], row[T_NAMES].split("\n")

    def ids_named(self, rtype: str, key: str) -> list[str]:
        """Ids of `rtype` one of whose normalised names (id, name, alias: the names column of
        the search text) is exactly `key`, in date order."""
        if not key or "\n" in key:
            return []
        pattern = "*\n" + glob_literal(key) + "\n*"
        return [row[R_ID] for row in self.reader.rows(
            f"SELECT {R_COLS}, {T_COLS} FROM texts t JOIN records r ON r.file = t.file WHERE t.type = ? AND t.live = 1 "
            "AND (char(10) || t.names || char(10)) GLOB ? ORDER BY r.sort_date, r.id", (rtype, pattern), (R_N, T_N))]

    def close(self) -> None:
        """Close the connection (and end its read transaction): the records read so far stay."""
        self.reader.conn.close()

    def date_of(self, rid: str) -> str | None:
        dates = self.seen.dates
        return dates[rid] if rid in dates else self.facets[rid].date

    def type_of(self, rid: str) -> str:
        return self.seen.types.get(rid) or self.facets[rid].type


class Seen(NamedTuple):
    """Types and dates of the records a query's rows carried, by id. (Held apart from
    DbRecords so that nothing refers back to it: a loaded base is freed, and its connection
    closed, as soon as the last reference goes, with no cycle for the collector to find.)"""

    types: dict[str, str]
    dates: dict[str, str | None]

    def note(self, rows: list[Any]) -> list[str]:
        """Note (id, type, date) rows; return their ids."""
        for rid, rtype, when in rows:
            self.types[rid] = rtype
            self.dates[rid] = when
        return [row[0] for row in rows]


class IdsByType(Mapping[str, list[str]]):
    """type -> ids, dated records first in date order, then undated, ties by id."""

    def __init__(self, reader: Reader, seen: Seen) -> None:
        self._reader, self._seen = reader, seen
        self._found: dict[str, list[str]] = {}

    def __getitem__(self, rtype: str) -> list[str]:
        if rtype not in RECORD_TYPES:
            raise KeyError(rtype)
        if rtype not in self._found:
            rows = self._reader.rows(f"SELECT {R_COLS} FROM records r WHERE r.type = ? AND r.live = 1 "
                                     "ORDER BY r.sort_date, r.id", (rtype,), (R_N,))
            if any(row[R_TYPE] != rtype for row in rows):  # the index led to another row
                self._reader.recover()
                return self[rtype]
            self._found[rtype] = self._seen.note([(row[R_ID], row[R_TYPE], row[R_DATE]) for row in rows])
        return self._found[rtype]

    def __iter__(self) -> Iterator[str]:
        return iter(RECORD_TYPES)

    def __len__(self) -> int:
        return len(RECORD_TYPES)


class IdsByAgency(Mapping[str, list[str]]):
    """agency -> ids of the policies it issued or co-issued, in date order."""

    def __init__(self, reader: Reader, seen: Seen) -> None:
        self._reader, self._seen = reader, seen
        self._found: dict[str, list[str]] = {}
        self._agencies: list[str] | None = None

    def __getitem__(self, agency: str) -> list[str]:
        if agency not in self._found:
            rows = self._reader.rows(
                f"SELECT {I_COLS}, {R_COLS} FROM issuers i JOIN records r ON r.file = i.file "
                "WHERE i.agency = ? AND r.live = 1 ORDER BY i.sort_date, i.id", (agency,), (I_N, R_N))
            if not rows:
                raise KeyError(agency)
            if any(row[I_AGENCY] != agency or row[I_ID] != row[I_N + R_ID] for row in rows):  # led elsewhere
                self._reader.recover()
                return self[agency]
            self._found[agency] = self._seen.note([(row[I_ID], "policy", row[I_N + R_DATE]) for row in rows])
        return self._found[agency]

    def __iter__(self) -> Iterator[str]:
        if self._agencies is None:
            rows = self._reader.rows(f"SELECT {I_COLS} FROM issuers i JOIN records r ON r.file = i.file "
                                     "WHERE r.live = 1", (), (I_N,))
            self._agencies = sorted({row[I_AGENCY] for row in rows})
        return iter(self._agencies)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class DbTexts(TextStore):
    """id -> normalised (names, text) of each live record, and the records whose text holds a
    string: found by SQLite's GLOB over the text table (in C, reading text pages only; GLOB
    rather than LIKE, which also matches other ASCII case and measured slower)."""

    def __init__(self, records: DbRecords) -> None:
        self._records = records

    def __getitem__(self, rid: str) -> tuple[str, str]:
        rows = self._records.reader.rows(f"SELECT {T_COLS} FROM records r JOIN texts t ON t.file = r.file "
                                         "WHERE r.id = ? AND r.live = 1", (rid,), (T_N,))
        if not rows or rows[0][T_ID] != rid:
            if rows or self._records._listed(rid):  # the index led elsewhere, or lost it: damage
                self._records.reader.recover()
                return self[rid]
            raise KeyError(rid)
        names, text = rows[0][T_NAMES], rows[0][T_TEXT]
        return names, text.replace(STORED_SEPARATOR, TEXT_SEPARATOR)

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, rid: object) -> bool:
        return rid in self._records

    def stream(self) -> Iterator[tuple[str, str, str]]:
        """Every live record's (id, names, text), row by row: typo tolerance reads them all
        (twice), and holding 100,000 texts at once would cost hundreds of megabytes. Damage
        found midway: the rest comes from the rebuilt base, without the ids already given."""
        given: set[str] = set()
        for row in checked_rows(self._records.reader, f"SELECT {T_COLS} FROM texts t WHERE t.live = 1", T_N):
            rid = row[T_ID]
            if rid not in given:
                given.add(rid)
                yield rid, row[T_NAMES], row[T_TEXT].replace(STORED_SEPARATOR, TEXT_SEPARATOR)

    def spans(self, needle: str) -> list[tuple[str, str, str]]:
        """(id, names, text) of the records whose text contains `needle`, in path order."""
        if not needle:
            return []
        if TEXT_SEPARATOR in needle or STORED_SEPARATOR in needle:
            # GLOB cannot see the separator as stored: test the texts one by one (rare: no
            # normalised query holds one).
            return [row for row in self.stream() if needle in row[2]]
        pattern = "*" + glob_literal(needle) + "*"
        rows = self._records.reader.rows(
            f"SELECT {T_COLS} FROM texts t JOIN files f ON f.file = t.file "
            "WHERE t.live = 1 AND t.text GLOB ? ORDER BY f.rel", (pattern,), (T_N,))
        out = []
        for row in rows:
            rid, rtype, names, text = row[T_ID], row[T_TYPE], row[T_NAMES], row[T_TEXT]
            if needle in text:
                self._records.seen.types[rid] = rtype
                out.append((rid, names, text.replace(STORED_SEPARATOR, TEXT_SEPARATOR)))
        return out
