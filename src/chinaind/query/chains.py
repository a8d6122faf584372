"""Every chain technology at once: who the source names as leads and partners, and how much
it leaves blank. A Listing like every query; nothing here prints."""

from __future__ import annotations

from typing import Any

from chinaind.query.index import KnowledgeBase
from chinaind.query.listing import Column, Listing, col, field

Record = dict[str, Any]
NAMED, PARTLY, BLANK = "named", "partly named", "blank"
STATUSES = (NAMED, PARTLY, BLANK)


def in_chain_programme(tech: Record) -> bool:
    """A technology of a chain programme (the 2022 notice lists 16), not one a document merely
    mentions: it names its programme or its chain groups."""
    return bool(tech.get("programme") or tech.get("groups"))


def _chain_technologies(kb: KnowledgeBase) -> tuple[list[Record], list[str]]:
    """(the chain programme's technologies, a warning counting the others left out)."""
    techs = list(kb.of_type("technology"))
    chain = [t for t in techs if in_chain_programme(t)]
    other = len(techs) - len(chain)
    what = "technology" if other == 1 else "technologies"
    warning = (f"{other} {what} mentioned outside a chain programme left out; `chinaind list technologies` "
               "shows every technology") if other else None
    return chain, [warning] if warning else []


def coverage_of(kb: KnowledgeBase, tech: Record) -> Record:
    """Counts for one technology. A group without partners_total is taken to name all its
    partners; a technology without groups names nobody (blank)."""
    groups = tech.get("groups") or []
    leads = [oid for g in groups for oid in g.get("leads") or []]
    partners = [oid for g in groups for oid in g.get("partners") or []]
    total = sum(g["partners_total"] if g.get("partners_total") is not None else len(g.get("partners") or [])
                for g in groups)
    approximate = any(g.get("partners_total_approximate") for g in groups)
    if not groups:
        status = BLANK
    elif total > len(partners):
        status = PARTLY
    else:
        status = NAMED
    return {
        "type": "technology", "id": tech["id"], "name": tech["name"], "list_position": tech.get("list_position"),
        "listed_in": tech.get("listed_in") or [], "groups": len(groups),
        "leads": [{"id": oid, "name": kb.name_of(oid)} for oid in leads],
        "partners": [{"id": oid, "name": kb.name_of(oid)} for oid in partners],
        "leads_named": len(leads), "partners_named": len(partners),
        "partners_total": total if groups else None, "partners_total_approximate": approximate,
        "status": status,
    }


def _total_cell(row: Record) -> str:
    if row["partners_total"] is None:
        return ""
    return ("about " if row["partners_total_approximate"] else "") + str(row["partners_total"])


# "about 43" on a terminal; the count and whether it is approximate apart in csv and tsv.
PARTNERS_TOTAL = Column("PARTNERS_TOTAL", _total_cell,
                        parts=(field("partners_total"), field("partners_total_approximate")))


def _order(row: Record) -> tuple[int, int, str]:
    pos = row["list_position"]
    return (pos is None, pos or 0, row["id"])


def chains(kb: KnowledgeBase) -> Listing:
    techs, warnings = _chain_technologies(kb)
    rows = sorted((coverage_of(kb, t) for t in techs), key=_order)
    columns = [col("NO", "list_position"), col("ID", "id"), col("NAME", "name", wide=True),
               col("GROUPS", "groups"), col("LEADS", "leads_named"), col("PARTNERS_NAMED", "partners_named"),
               PARTNERS_TOTAL, col("STATUS", "status")]
    return Listing(rows, columns, title=f"{len(rows)} chain technologies", notes=[totals_note(rows)], warnings=warnings)


def totals_note(rows: list[Record]) -> str:
    by = {s: sum(r["status"] == s for r in rows) for s in STATUSES}
    leads = sum(r["leads_named"] for r in rows)
    named = sum(r["partners_named"] for r in rows)
    total = sum(r["partners_total"] or 0 for r in rows)
    about = "about " if any(r["partners_total_approximate"] for r in rows) else ""
    return (f"{len(rows)} technologies: {by[NAMED]} named, {by[PARTLY]} partly named, {by[BLANK]} blank; "
            f"{leads} leads and {named} of {about}{total} partners named")


def coverage(kb: KnowledgeBase) -> Listing:
    """One row per status and one for all: how much of the chain programme the source names."""
    techs, warnings = _chain_technologies(kb)
    rows = [coverage_of(kb, t) for t in techs]
    summary = []
    for status in (*STATUSES, "all"):
        part = rows if status == "all" else [r for r in rows if r["status"] == status]
        summary.append({
            "status": status, "technologies": len(part), "groups": sum(r["groups"] for r in part),
            "leads_named": sum(r["leads_named"] for r in part),
            "partners_named": sum(r["partners_named"] for r in part),
            "partners_total": sum(r["partners_total"] or 0 for r in part),
            "partners_total_approximate": any(r["partners_total_approximate"] for r in part),
            "ids": [r["id"] for r in sorted(part, key=_order)],
        })
    columns = [col("STATUS", "status"), col("TECHNOLOGIES", "technologies"), col("GROUPS", "groups"),
               col("LEADS", "leads_named"), col("PARTNERS_NAMED", "partners_named"),
               PARTNERS_TOTAL, Column("SHARE_NAMED", _share, key="share_named_percent", raw=_share_percent)]
    return Listing(summary, columns, title="Chain coverage", notes=[totals_note(rows)], warnings=warnings)


def _share_percent(row: Record) -> float | None:
    total = row["partners_total"]
    return round(100 * row["partners_named"] / total, 1) if total else None


def _share(row: Record) -> str:
    total = row["partners_total"]
    return f"{100 * row['partners_named'] / total:.0f}%" if total else ""
