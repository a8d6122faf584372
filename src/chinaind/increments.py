"""Updating what depends on the whole knowledge base (dangling references, the date-ordered
tables) after files came, went or changed, without going over every record again.

Both apply to a valid base staying valid (one record per file, unique ids): there, only the
records whose id or type came, went or changed, and the records pointing at those ids, can
gain or lose a dangling reference or move in a table.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any, Callable

from .kinds import RECORD_TYPES

# Above this many changed records, recomputing everything is as cheap.
MAX_CHANGED = 2000

Row = tuple[str, int, int, str]


def touched_ids(old_ids: list[Any], old_types: bytes, ids: list[Any], types: bytes) -> set[str]:
    """Ids that came, went or changed type (compared as (id, type) pairs, in C)."""
    return {rid for rid, _ in set(zip(old_ids, old_types)) ^ set(zip(ids, types)) if rid is not None}


def cross_rows(old_rows: list[Row], rels: list[str], refs: list[Any], slots: dict[str, int],
               changed: set[int], touched: set[str],
               check: Callable[[list[tuple[str, int]]], list[Row]]) -> list[Row]:
    """The old rows of records left alone, plus `check` of the records that changed or that
    point at a touched id."""
    again = set(changed)
    if touched:
        again.update(slot for slot, flat in enumerate(refs) if flat and not touched.isdisjoint(flat))
    live = set(rels)
    stale = {rels[slot] for slot in again}
    rows = [row for row in old_rows if row[0] in live and row[0] not in stale]
    rows += check([(rid, slot) for rid, slot in slots.items() if slot in again])
    return sorted(rows)


def tables(by_type: dict[str, list[str]], by_agency: dict[str, list[str]], moved: set[str],
           facet_of: Callable[[str], Any]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The tables with the records in `moved` taken out and, those still there (facet_of(id)
    not None), put back where their type, date and issuers place them."""
    def key(rid: str) -> tuple[str, str]:
        return (facet_of(rid)[1] or "9999", rid)

    by_type = {t: [r for r in ids if r not in moved] if not moved.isdisjoint(ids) else ids
               for t, ids in by_type.items()}
    by_agency = {a: [r for r in ids if r not in moved] if not moved.isdisjoint(ids) else ids
                 for a, ids in by_agency.items()}
    for rid in sorted(moved):
        facet = facet_of(rid)
        if facet is None:
            continue  # gone
        rtype, _, issuers = facet
        lst = by_type.setdefault(rtype, [])
        lst.insert(bisect_left(lst, key(rid), key=key), rid)
        if rtype == "policy":
            for agency in dict.fromkeys(issuers):
                lst = by_agency.setdefault(agency, [])
                lst.insert(bisect_left(lst, key(rid), key=key), rid)
    by_agency = {a: ids for a, ids in by_agency.items() if ids}
    return {t: by_type.get(t, []) for t in RECORD_TYPES}, by_agency
