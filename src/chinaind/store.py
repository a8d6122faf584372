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

Record = dict[str, Any]
# Where a record's marshal bytes lie in the cache file: (offset, length, crc32).
Location = tuple[int, int, int]
# What every query may read without decoding a record: (type, date or None, issuers).
Facet = tuple[str, Any, tuple[str, ...]]


class CacheCorrupt(ChinaindError):
    exit_code = 3


def facet_of(record: Record) -> Facet:
    return (record["type"], record.get("date"), tuple(record.get("issuers") or ()))


class RecordStore(Mapping[str, Record]):
    """A mapping id -> record; entries are records or locations in a cache's record section."""

    def __init__(self, blob: Any = None) -> None:
        self._entries: dict[str, Record | Location] = {}
        self._blob = blob  # a buffer (mmap) holding the record section
        self.facets: dict[str, Facet] = {}
        # Called with an id when its cached bytes fail their CRC: re-reads the record from its
        # YAML file (and drops the damaged cache), so damage costs time, never a wrong answer.
        self.on_damage: Callable[[str], Record | None] | None = None
        # Tables derived from the facets, when the cache supplied them (see index.py).
        self.tables: dict[str, Any] | None = None

    def add(self, rid: str, record: Record | None = None, location: Location | None = None,
            facet: Facet | None = None) -> None:
        self._entries[rid] = record if record is not None else location  # type: ignore[assignment]
        self.facets[rid] = facet if facet is not None else facet_of(record)  # type: ignore[arg-type]

    def bulk(self, ids: list[str], locations: list[Location], facets: list[Facet]) -> None:
        """Add many cached records at once (ids known unique)."""
        self._entries.update(zip(ids, locations))
        self.facets.update(zip(ids, facets))

    def __getitem__(self, rid: str) -> Record:
        entry = self._entries[rid]
        if isinstance(entry, dict):
            return entry
        record = self._decode(rid, entry)
        self._entries[rid] = record
        return record

    def _decode(self, rid: str, location: Location) -> Record:
        offset, length, crc = location
        raw = self._blob[offset: offset + length]
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
        return entry if isinstance(entry, tuple) else None


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
