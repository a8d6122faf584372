"""Records by id, decoded from the cache only when a command touches them.

A query over a large knowledge base reads every record's small facets (type, date, issuers)
and search text, but usually prints a handful of records: decoding all of them would cost most
of the run and most of its memory.
"""

from __future__ import annotations

import marshal
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from .errors import ChinaindError
from .kinds import RECORD_TYPES

Record = dict[str, Any]
# Where a record's marshal bytes lie in the cache's heap: (offset, length, crc32).
Location = tuple[int, int, int]
# What every query may read without decoding a record: (type, date or None, issuers).
Facet = tuple[str, Any, tuple[str, ...]]


class CacheCorrupt(ChinaindError):
    exit_code = 3


def facet_of(record: Record) -> Facet:
    return (record["type"], record.get("date"), tuple(record.get("issuers") or ()))


class RecordStore(Mapping[str, Record]):
    """A mapping id -> record; an entry is a record, or the slot of one still in the heap."""

    def __init__(self, heap: Any = None, locations: Sequence[Sequence[int]] | None = None) -> None:
        self._entries: dict[str, Record | int] = {}
        self._heap = heap  # a buffer (mmap) holding cached records' marshal bytes
        self._locations = locations  # (offsets, lengths, crc32s), by slot
        self._facets: dict[str, Facet] = {}
        self._facet_column: tuple[dict[str, int], Callable[[], list[Facet]]] | None = None
        self._types: tuple[dict[str, int], bytes] | None = None
        self._dates: tuple[dict[str, int], Any] | None = None
        # Called with an id when its cached bytes fail their CRC: re-reads the record from its
        # YAML file (and drops the damaged cache), so damage costs time, never a wrong answer.
        self.on_damage: Callable[[str], Record | None] | None = None
        # Tables derived from the facets, when the cache supplied them (see index.py).
        self.tables: Mapping[str, Any] | None = None

    def add(self, rid: str, record: Record | None = None, slot: int | None = None,
            facet: Facet | None = None) -> None:
        self._entries[rid] = record if record is not None else slot  # type: ignore[assignment]
        self._facets[rid] = facet if facet is not None else facet_of(record)  # type: ignore[arg-type]

    def bulk(self, slots: dict[str, int], facets: Callable[[], list[Facet]],
             types: bytes | None = None, dates: Callable[[], list[Any]] | None = None) -> None:
        """Take every record from the heap: `slots` maps ids to slots, `facets` gives the
        facet column by slot when first needed. For queries that need only part of a facet:
        `types` holds each slot's type as its index in RECORD_TYPES, `dates` gives the dates."""
        self._entries = dict(slots)  # type: ignore[arg-type]
        self._facet_column = (slots, facets)
        self._types = (slots, types) if types is not None else None
        self._dates = (slots, dates) if dates is not None else None

    def date_of(self, rid: str) -> Any:
        if self._dates is not None:
            slots, dates = self._dates
            if callable(dates):
                dates = dates()
                self._dates = (slots, dates)
            return dates[slots[rid]]
        return self.facets[rid][1]

    def type_of(self, rid: str) -> str:
        if self._types is not None:
            slots, types = self._types
            return RECORD_TYPES[types[slots[rid]]]
        return self.facets[rid][0]

    def put(self, rid: str, record: Record | bytes) -> None:
        """Hold a record just validated instead of its heap slot: decoded, or as its marshal
        bytes (decoded when first read)."""
        self._entries[rid] = record  # type: ignore[assignment]

    @property
    def facets(self) -> dict[str, Facet]:
        if self._facet_column is not None:
            slots, column = self._facet_column
            values = column()
            self._facets = {rid: values[i] for rid, i in slots.items()}
            self._facet_column = None
        return self._facets

    def __getitem__(self, rid: str) -> Record:
        entry = self._entries[rid]
        if isinstance(entry, dict):
            return entry
        record = marshal.loads(entry) if isinstance(entry, bytes) else self._decode(rid, entry)
        self._entries[rid] = record
        return record

    def _decode(self, rid: str, slot: int) -> Record:
        offset, length, crc = (column[slot] for column in self._locations)  # type: ignore[union-attr]
        raw = self._heap[offset: offset + length]
        if zlib.crc32(raw) != crc:
            record = self.on_damage(rid) if self.on_damage else None
            if record is not None:
                return record
            raise CacheCorrupt(f"the cache entry of {rid!r} is damaged; run again with --no-cache, or delete the cache")
        return marshal.loads(raw)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, rid: object) -> bool:
        return rid in self._entries

    def location(self, rid: str) -> Location | None:
        entry = self._entries.get(rid)
        if isinstance(entry, int) and self._locations is not None:
            return tuple(column[entry] for column in self._locations)  # type: ignore[return-value]
        return None


class LazyRecords(Sequence[Record]):
    """Records by id, decoded as they are read: `-f ids` of a large result decodes none."""

    def __init__(self, ids: list[str], records: Mapping[str, Record]) -> None:
        self.ids = ids
        self._records = records

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self._records[rid] for rid in self.ids[i]]
        return self._records[self.ids[i]]

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[Record]:
        return (self._records[rid] for rid in self.ids)
