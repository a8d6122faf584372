"""Every dated item in one sequence: policies by their date, organisation events, and targets
by the date they fall due. A Listing; nothing here prints."""

from __future__ import annotations

from itertools import groupby
from typing import Any, Iterator

from chinaind.records import dates
from chinaind.query.dating import Window, date_cell, split, undated_note, year_inferred
from chinaind.records.figures import figure_date, summary_line
from chinaind.query.index import FIGURE_TYPES, KnowledgeBase
from chinaind.query.listing import Column, Listing, col

Record = dict[str, Any]
# Within one date: the document first, then what happened, then what falls due.
_TYPE_RANK = {"policy": 0, "event": 1, "statistic": 2, "tally": 3, "scheduled": 4, "goal": 5}


def items(kb: KnowledgeBase, *, agency: str | None = None, sector: str | None = None) -> Iterator[Record]:
    """Every item, dated or not (date None), filtered by agency and sector ids (resolved)."""
    for p in kb.of_type("policy"):
        if agency and agency not in (p.get("issuers") or []):
            continue
        if not sector or sector in (p.get("sectors") or []):
            yield {"date": p.get("date"), "year_inferred": year_inferred(p), "type": "policy", "id": p["id"],
                   "what": p["title"] + _who(p), "kind": p["kind"], "issuers": p.get("issuers") or []}
    for rtype in FIGURE_TYPES:
        for rec in kb.of_type(rtype):
            if agency and agency not in (rec.get("issuers") or []):
                continue
            yield from _figure_items(rec, sector)
    for org in kb.of_type("company"):
        if sector and sector not in (org.get("sectors") or []):
            continue
        for n, e in enumerate(org.get("events") or []):
            if agency and agency not in (e.get("agencies") or []):
                continue
            event = {k: v for k, v in e.items() if k != "sources"}
            yield {"date": e.get("date"), "year_inferred": year_inferred(e), "type": "event", "id": org["id"],
                   "what": f"{org['name']}: {e['summary']}{_who(e)}",
                   "position": n, "event": event}


def _who(holder: Record) -> str:
    """' (newsletter commentary)' or ' (according to X)' after what the document does not say itself."""
    if holder.get("stated_by") == "commentary":
        return " (newsletter commentary)"
    if holder.get("stated_by") == "third-party":
        return f" (according to {holder.get('according_to')})"
    return ""


def _figure_items(rec: Record, sector: str | None) -> Iterator[Record]:
    in_sector = not sector or sector in (rec.get("sectors") or [])
    for n, f in enumerate(rec.get("figures") or []):
        if sector and sector not in (f.get("sectors") or []) and not in_sector:
            continue
        # A goal stands at its deadline; a tally or statistic at its as-of date or period.
        kind = "goal" if f["kind"] == "goal" else f["kind"]
        yield {"date": figure_date(f), "year_inferred": False, "type": kind, "id": rec["id"],
               "what": summary_line(f) + _who(f.get("stated_by") and f or rec), "position": n, "figure": f}


def _order(item: Record) -> tuple[str, int, str, int]:
    # Partial dates sort as text: "2025" before "2025-01" before "2025-01-19"; undated last.
    return (item["date"] or "9999~", _TYPE_RANK[item["type"]], item["id"], item.get("position", 0))


def month_of(value: str) -> str:
    """The month an item is grouped under; a date known only to the year stands alone."""
    return value[:7]


def timeline(kb: KnowledgeBase, *, window: Window = Window(), agency: str | None = None,
             sector: str | None = None, by_month: bool = False) -> Listing:
    """`by_month` (for a terminal table) adds a MONTH column shown once per month, with an
    empty row between months; the records and the other formats are unchanged. A timeline is
    a dated question: items without a date are left out (and counted) unless --undated says."""
    agency_id = kb.resolve("agency", agency)["id"] if agency else None
    sector_id = kb.resolve("sector", sector)["id"] if sector else None
    # Even unbounded, a timeline filters on dates: undated items have no place on it.
    always = window if window.bounded else window._replace(since=dates.parse_span("0001").start)
    picked = split(items(kb, agency=agency_id, sector=sector_id), _span, always)
    found = sorted(picked.kept, key=_order)
    columns = [Column("DATE", date_cell, key="date", raw=lambda r: r.get("date")), col("TYPE", "type"), col("ID", "id"), col("WHAT", "what", wide=True)]
    warnings = undated_note(picked.undated_left_out, "item", "items")
    months = list(dict.fromkeys(month_of(i["date"]) for i in found if i["date"]))
    title = f"{len(found)} items" + (f", {months[0]} to {months[-1]}" if months else "")
    if not by_month:
        return Listing(found, columns, title=title, warnings=warnings)
    rows: list[Record] = []
    # Sorted by date text, so each month (a prefix of the date) is one contiguous run.
    for month, group in groupby(found, key=lambda i: month_of(i["date"] or "undated")):
        if rows:
            rows.append({})  # an empty row separates months on screen; it has no id
        rows.extend({**i, "month": month if n == 0 else ""} for n, i in enumerate(group))
    return Listing(found, [col("MONTH", "month"), *columns], rows=rows, title=title, warnings=warnings)


def _span(item: Record) -> Any:
    value = item["date"]
    return dates.parse_span(value) if value and not dates.is_yearless(value) else None
