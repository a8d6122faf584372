"""What queries see of a loaded record collection: records as plain dicts, the facets every
filter reads without decoding a record, and result lists decoded only as they are read."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

Record = dict[str, Any]
# What every query may read without decoding a record: (type, date or None, issuers).
Facet = tuple[str, Any, tuple[str, ...]]


def facet_of(record: Record) -> Facet:
    return (record["type"], record.get("date"), tuple(record.get("issuers") or ()))


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
