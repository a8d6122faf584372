"""Records as plain dicts, and their facets: what every filter reads without decoding a
record (type, date, issuers), stored beside each record in the cache."""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]
# What every query may read without decoding a record: (type, date or None, issuers).
Facet = tuple[str, Any, tuple[str, ...]]


def facet_of(record: Record) -> Facet:
    return (record["type"], record.get("date"), tuple(record.get("issuers") or ()))
