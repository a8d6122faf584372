"""Every dated item in one sequence: policies by their date, organisation events, and targets
by the date they fall due. A Listing; nothing here prints."""

from __future__ import annotations

from datetime import date
from itertools import groupby
from typing import Any, Iterator

from . import dates
from .index import KnowledgeBase
from .listing import Listing, col

Record = dict[str, Any]
# Within one date: the document first, then what happened, then what falls due.
_TYPE_RANK = {"policy": 0, "event": 1, "target": 2}


def items(kb: KnowledgeBase, *, agency: str | None = None, sector: str | None = None) -> Iterator[Record]:
    """Dated items, filtered by agency and sector ids (already resolved)."""
    for p in kb.of_type("policy"):
        if agency and agency not in (p.get("issuers") or []):
            continue
        in_sector = not sector or sector in (p.get("sectors") or [])
        if p.get("date") and in_sector:
            yield {"date": p["date"], "type": "policy", "id": p["id"], "what": p["title"],
                   "kind": p["kind"], "issuers": p.get("issuers") or []}
        for n, t in enumerate(p.get("targets") or []):
            if not t.get("deadline"):
                continue
            if sector and sector not in (t.get("sectors") or []) and not in_sector:
                continue
            yield {"date": t["deadline"], "type": "target", "id": p["id"], "what": _target_what(t),
                   "position": n, "target": t}
    for org in kb.of_type("company"):
        if sector and sector not in (org.get("sectors") or []):
            continue
        for n, e in enumerate(org.get("events") or []):
            if agency and agency not in (e.get("agencies") or []):
                continue
            event = {k: v for k, v in e.items() if k != "sources"}
            yield {"date": e["date"], "type": "event", "id": org["id"], "what": f"{org['name']}: {e['summary']}",
                   "position": n, "event": event}


def _target_what(t: Record) -> str:
    from .queries import target_text

    return f"{t['metric']}: {target_text(t)}"


def _order(item: Record) -> tuple[str, int, str, int]:
    # Partial dates sort as text: "2025" before "2025-01" before "2025-01-19".
    return (item["date"], _TYPE_RANK[item["type"]], item["id"], item.get("position", 0))


def month_of(value: str) -> str:
    """The month an item is grouped under; a date known only to the year stands alone."""
    return value[:7]


def timeline(kb: KnowledgeBase, *, since: date | None = None, until: date | None = None,
             agency: str | None = None, sector: str | None = None, by_month: bool = False) -> Listing:
    """`by_month` (for a terminal table) adds a MONTH column shown once per month, with an
    empty row between months; the records and the other formats are unchanged."""
    agency_id = kb.resolve("agency", agency)["id"] if agency else None
    sector_id = kb.resolve("sector", sector)["id"] if sector else None
    found = sorted((i for i in items(kb, agency=agency_id, sector=sector_id)
                    if dates.overlaps(i["date"], since, until)), key=_order)
    columns = [col("DATE", "date"), col("TYPE", "type"), col("ID", "id"), col("WHAT", "what", wide=True)]
    notes = []
    undated = [p for p in kb.of_type("policy") if not p.get("date")
               and (not agency_id or agency_id in (p.get("issuers") or []))
               and (not sector_id or sector_id in (p.get("sectors") or []))]
    if undated:
        noun = "policy" if len(undated) == 1 else "policies"
        notes.append(f"{len(undated)} undated {noun} not shown: {', '.join(p['id'] for p in undated)}")
    months = list(dict.fromkeys(month_of(i["date"]) for i in found))
    title = f"{len(found)} dated items" + (f", {months[0]} to {months[-1]}" if months else "")
    if not by_month:
        return Listing(found, columns, title=title, notes=notes)
    rows: list[Record] = []
    # Sorted by date text, so each month (a prefix of the date) is one contiguous run.
    for month, group in groupby(found, key=lambda i: month_of(i["date"])):
        if rows:
            rows.append({})  # an empty row separates months on screen; it has no id
        rows.extend({**i, "month": month if n == 0 else ""} for n, i in enumerate(group))
    return Listing(found, [col("MONTH", "month"), *columns], rows=rows, title=title, notes=notes)
