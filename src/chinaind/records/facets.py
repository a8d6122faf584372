"""Records as plain dicts, and their facets: what every filter reads without decoding a
record (type, date, issuers), stored beside each record in the cache."""

from __future__ import annotations

from typing import Any, NamedTuple

Record = dict[str, Any]
class Facet(NamedTuple):
    """What every query may read without decoding a record."""

    type: str
    date: str | None
    issuers: tuple[str, ...]


def facet_of(record: Record) -> Facet:
    return Facet(record["type"], record.get("date"), tuple(record.get("issuers") or ()))
