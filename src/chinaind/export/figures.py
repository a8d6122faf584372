"""Export tables for the parts of records added with the second record format: figures (goals,
tallies, statistics), dates with roles, people and their positions and mentions."""

from __future__ import annotations

from typing import Any, Iterator

from chinaind.query.index import FIGURE_TYPES, KnowledgeBase
from chinaind.records.kinds import RECORD_TYPES
from chinaind.export.tabular import Check, Table

Record = dict[str, Any]

FIGURE_COLUMNS = [
    ("record_id", "TEXT NOT NULL"), ("figure_id", "TEXT NOT NULL"), ("position", "INTEGER NOT NULL"),
    ("kind", "TEXT NOT NULL CHECK (kind IN ('goal', 'tally', 'statistic', 'scheduled'))"), ("what", "TEXT NOT NULL"),
    ("value", "NUMERIC"), ("unit", "TEXT"), ("currency", "TEXT"), ("equivalent_value", "NUMERIC"),
    ("equivalent_currency", "TEXT"), ("per_value", "NUMERIC"), ("per_unit", "TEXT"),
    ("comparator", "TEXT"), ("change_factor", "NUMERIC"), ("change_percent", "NUMERIC"),
    ("baseline_year", "INTEGER"), ("baseline_value", "NUMERIC"), ("baseline_unit", "TEXT"),
    ("baseline_approximate", "INTEGER NOT NULL"), ("baseline_note", "TEXT"), ("deadline", "TEXT"), ("as_of", "TEXT"),
    ("period_start", "TEXT"), ("period_end", "TEXT"), ("period_duration", "TEXT"), ("scope", "TEXT"), ("part_of", "TEXT"),
    ("named_count", "INTEGER NOT NULL"), ("categories", "TEXT"), ("stated_by", "TEXT"), ("according_to", "TEXT"), ("note", "TEXT")]


def _figure_row(rid: str, n: int, f: Record) -> tuple[Any, ...]:
    b, per, change, period, eq = (f.get(k) or {} for k in ("baseline", "per", "change", "period", "equivalent"))
    return (rid, f["id"], n, f["kind"], f["what"], f.get("value"), f.get("unit"), f.get("currency"), eq.get("value"),
            eq.get("currency"), per.get("value"),
            per.get("unit"), f.get("comparator"), change.get("factor"), change.get("percent"), b.get("year"),
            b.get("value"), b.get("unit"), int(bool(b.get("approximate"))), b.get("note"), f.get("deadline"),
            f.get("as_of"), period.get("start"), period.get("end"), period.get("duration"), f.get("scope"), f.get("part_of"),
            len(f.get("named") or []) + len(f.get("named_ids") or []), "|".join(f.get("categories") or []) or None,
            f.get("stated_by"), f.get("according_to"),
            f.get("note"))


def figure_tables(kb: KnowledgeBase, ok: Check) -> list[Table]:
    figures = Table("figures", FIGURE_COLUMNS, ("record_id", "figure_id"), [("record_id", "records(id)")])
    sectors = Table("figure_sector", [("record_id", "TEXT NOT NULL"), ("figure_id", "TEXT NOT NULL"),
                                      ("sector_id", "TEXT NOT NULL"), ("position", "INTEGER NOT NULL")],
                    ("record_id", "figure_id", "sector_id"),
                    [("record_id, figure_id", "figures(record_id, figure_id)"), ("sector_id", "sectors(id)")])
    named = Table("figure_named", [("record_id", "TEXT NOT NULL"), ("figure_id", "TEXT NOT NULL"),
                                   ("position", "INTEGER NOT NULL"), ("name", "TEXT"), ("named_id", "TEXT")],
                  ("record_id", "figure_id", "position"),
                  [("record_id, figure_id", "figures(record_id, figure_id)"), ("named_id", "records(id)")])
    for rtype in FIGURE_TYPES:
        for r in kb.of_type(rtype):
            for n, f in enumerate(r.get("figures") or [], start=1):
                figures.rows.append(_figure_row(r["id"], n, f))
                sectors.rows += [(r["id"], f["id"], s, i + 1) for i, s in enumerate(dict.fromkeys(f.get("sectors") or []))
                                 if ok("sector", s)]
                items = [(name, None) for name in f.get("named") or []]
                items += [(None, i) for i in f.get("named_ids") or [] if any(ok(t, i) for t in RECORD_TYPES)]
                named.rows += [(r["id"], f["id"], i + 1, name, rid) for i, (name, rid) in enumerate(items)]
    return [figures, sectors, named]


def _dated(kb: KnowledgeBase) -> Iterator[tuple[str, str, list[Record]]]:
    for r in kb.of_type("policy"):
        yield r["id"], "", r.get("dates") or []
    for org in kb.of_type("company"):
        for n, e in enumerate(org.get("events") or [], start=1):
            yield org["id"], f"events.{n}", e.get("dates") or []


def date_table(kb: KnowledgeBase) -> Table:
    """Every date with its role; year-less dates (--MM-DD) as the source gives them."""
    table = Table("dates", [("record_id", "TEXT NOT NULL"), ("part", "TEXT NOT NULL"), ("position", "INTEGER NOT NULL"),
                            ("role", "TEXT NOT NULL"), ("date", "TEXT NOT NULL"), ("year_inferred", "INTEGER NOT NULL"),
                            ("note", "TEXT")],
                  ("record_id", "part", "position"), [("record_id", "records(id)")])
    for rid, part, entries in _dated(kb):
        table.rows += [(rid, part, n, e["role"], e["date"], int(bool(e.get("year_inferred"))), e.get("note"))
                       for n, e in enumerate(entries, start=1)]
    return table


def people_tables(kb: KnowledgeBase, ok: Check) -> list[Table]:
    positions = Table("person_position", [("person_id", "TEXT NOT NULL"), ("position", "INTEGER NOT NULL"),
                                          ("title", "TEXT"), ("agency_id", "TEXT"), ("organisation_id", "TEXT"),
                                          ("since", "TEXT"), ("until", "TEXT"), ("as_of", "TEXT"), ("note", "TEXT")],
                      ("person_id", "position"),
                      [("person_id", "people(id)"), ("agency_id", "agencies(id)"), ("organisation_id", "companies(id)")])
    mentions = Table("policy_person", [("policy_id", "TEXT NOT NULL"), ("position", "INTEGER NOT NULL"),
                                       ("person_id", "TEXT NOT NULL"), ("role", "TEXT NOT NULL")],
                     ("policy_id", "position"), [("policy_id", "policies(id)"), ("person_id", "people(id)")])
    for person in kb.of_type("person"):
        for n, p in enumerate(person.get("positions") or [], start=1):
            agency = p.get("agency") if p.get("agency") and ok("agency", p["agency"]) else None
            org = p.get("organisation") if p.get("organisation") and ok("company", p["organisation"]) else None
            positions.rows.append((person["id"], n, p.get("title"), agency, org, p.get("since"), p.get("until"), p.get("as_of"),
                                   p.get("note")))
    for policy in kb.of_type("policy"):
        mentions.rows += [(policy["id"], n, m["person"], m["role"]) for n, m in enumerate(policy.get("people") or [], start=1)
                          if ok("person", m["person"])]
    return [positions, mentions]
