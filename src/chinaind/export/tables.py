"""The knowledge base as relational tables: one per record kind, link tables for the lists
inside records, and the sources of every fact. Shared by the SQLite and CSV exports, so both
hold the same tables, columns and rows.

Ids are unique across the knowledge base, so `records` lists every id once and tables that can
point at any kind of record (aliases, sources) reference it. Link rows whose target is missing
(a base loaded with --skip-invalid) are left out, so every foreign key holds.
"""

from __future__ import annotations

from typing import Any, Iterator

from chinaind.export.dates import add_date_bounds
from chinaind.export.figures import date_table, figure_tables, people_tables
from chinaind.export.tabular import Check, Table
from chinaind.query.index import KnowledgeBase
from chinaind.records.kinds import FOLDERS, RECORD_TYPES
from chinaind.records.text import display_name

Record = dict[str, Any]
__all__ = ["Table", "build_tables"]


_KIND_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "policy": [("id", "TEXT NOT NULL"), ("title", "TEXT NOT NULL"), ("title_descriptive", "INTEGER NOT NULL"),
               ("title_zh", "TEXT"), ("kind", "TEXT NOT NULL"), ("draft", "INTEGER NOT NULL"), ("date", "TEXT"),
               ("period_start", "TEXT"), ("period_end", "TEXT"), ("period_duration", "TEXT"), ("issuers_total", "INTEGER"),
               ("summary", "TEXT NOT NULL"), ("analysis", "TEXT"), ("stated_by", "TEXT"), ("according_to", "TEXT")],
    "company": [("id", "TEXT NOT NULL"), ("name", "TEXT NOT NULL"), ("name_zh", "TEXT"), ("kind", "TEXT"),
                ("country", "TEXT"), ("parent", "TEXT"), ("description", "TEXT")],
    "person": [("id", "TEXT NOT NULL"), ("name", "TEXT NOT NULL"), ("name_zh", "TEXT"), ("description", "TEXT")],
    "source": [("id", "TEXT NOT NULL"), ("publication", "TEXT NOT NULL"), ("title", "TEXT"), ("kind", "TEXT NOT NULL"),
               ("issue_date", "TEXT"), ("url", "TEXT"), ("description", "TEXT")],
    "technology": [("id", "TEXT NOT NULL"), ("name", "TEXT NOT NULL"), ("name_zh", "TEXT"), ("programme", "TEXT"),
                   ("list_position", "INTEGER"), ("description", "TEXT")],
    "agency": [("id", "TEXT NOT NULL"), ("name", "TEXT NOT NULL"), ("name_zh", "TEXT"), ("short_name_zh", "TEXT"),
               ("kind", "TEXT NOT NULL"), ("parent", "TEXT")],
    "sector": [("id", "TEXT NOT NULL"), ("name", "TEXT NOT NULL"), ("name_zh", "TEXT"), ("parent", "TEXT"),
               ("description", "TEXT")],
}
_PARENT_OF = {"company": "companies", "agency": "agencies", "sector": "sectors"}


def build_tables(kb: KnowledgeBase) -> list[Table]:
    """Every table in dependency order (a table comes after those it references)."""
    known = {t: {r["id"] for r in kb.of_type(t)} for t in RECORD_TYPES}

    def ok(rtype: str, rid: str) -> bool:
        return rid in known[rtype]

    records = Table("records", [("id", "TEXT NOT NULL"), ("type", "TEXT NOT NULL"), ("name", "TEXT NOT NULL"),
                                ("date", "TEXT")], ("id",))
    records.rows = [(r["id"], r["type"], display_name(r), r.get("date")) for t in RECORD_TYPES for r in kb.of_type(t)]
    tables = [records]
    for rtype in ("sector", "agency", "company", "technology", "policy", "person", "source"):
        cols = _KIND_COLUMNS[rtype]
        fks = [("id", "records(id)")]
        if rtype in _PARENT_OF:
            fks.append(("parent", f"{_PARENT_OF[rtype]}(id)"))
        table = Table(FOLDERS[rtype], cols, ("id",), fks)
        for r in kb.of_type(rtype):
            row = [_column(r, c) for c, _ in cols]
            if rtype in _PARENT_OF and r.get("parent") and not ok(rtype, r["parent"]):
                row[[c for c, _ in cols].index("parent")] = None
            table.rows.append(tuple(row))
        tables.append(table)
    tables.append(Table("aliases", [("record_id", "TEXT NOT NULL"), ("position", "INTEGER NOT NULL"),
                                    ("alias", "TEXT NOT NULL")], ("record_id", "position"),
                        [("record_id", "records(id)")],
                        [(r["id"], n, a) for _, r in _all(kb) for n, a in enumerate(r.get("aliases") or [])]))
    tables.extend(_policy_links(kb, ok))
    tables.extend(_typed_links(kb, ok))
    tables.append(_places(kb))
    tables.extend(_chain_tables(kb, ok))
    tables.extend(_sector_links(kb, ok))
    tables.extend(figure_tables(kb, ok))
    tables.extend(_event_tables(kb, ok))
    tables.extend(people_tables(kb, ok))
    tables.append(date_table(kb))
    tables.append(_citations(kb, ok))
    add_date_bounds(tables)
    return tables


def _column(record: Record, name: str) -> Any:
    """A record's value for a table column: plain fields, flags as 0/1, period bounds, first url."""
    if name in ("title_descriptive", "draft"):
        return int(bool(record.get(name)))
    if name.startswith("period_"):
        return (record.get("period") or {}).get(name.removeprefix("period_"))
    if name == "url":
        return (record.get("urls") or [None])[0]
    return record.get(name)


def _all(kb: KnowledgeBase) -> Iterator[tuple[str, Record]]:
    for t in RECORD_TYPES:
        for r in kb.of_type(t):
            yield t, r


def _link(name: str, left: tuple[str, str], right: tuple[str, str], extra: tuple[tuple[str, str], ...] = ()) -> Table:
    """A link table: (left id, right id, position, ...), keyed by left id and position."""
    cols = [(left[0], "TEXT NOT NULL"), (right[0], "TEXT NOT NULL"), ("position", "INTEGER"), *extra]
    return Table(name, cols, (left[0], right[0], *[c for c, _ in extra if c == "role"]),
                 [(left[0], left[1]), (right[0], right[1])])


def _policy_links(kb: KnowledgeBase, ok: Check) -> list[Table]:
    agency = _link("policy_agency", ("policy_id", "policies(id)"), ("agency_id", "agencies(id)"),
                   (("role", "TEXT NOT NULL CHECK (role IN ('lead', 'co-issuer', 'republisher'))"),))
    sector = _link("policy_sector", ("policy_id", "policies(id)"), ("sector_id", "sectors(id)"))
    tech = _link("policy_technology", ("policy_id", "policies(id)"), ("technology_id", "technologies(id)"))
    org = _link("policy_organisation", ("policy_id", "policies(id)"), ("organisation_id", "companies(id)"),
                (("role", "TEXT NOT NULL"),))
    refs = _link("policy_reference", ("policy_id", "policies(id)"), ("refers_to", "policies(id)"))
    org.primary_key = ("policy_id", "position")
    for p in kb.of_type("policy"):
        pid = p["id"]
        for n, a in enumerate(i for i in dict.fromkeys(p.get("issuers") or []) if ok("agency", i)):
            agency.rows.append((pid, a, n + 1, "lead" if n == 0 else "co-issuer"))
        for n, a in enumerate(i for i in dict.fromkeys(p.get("republished_by") or []) if ok("agency", i)):
            agency.rows.append((pid, a, n + 1, "republisher"))
        sector.rows += [(pid, s, n + 1) for n, s in enumerate(dict.fromkeys(p.get("sectors") or [])) if ok("sector", s)]
        tech.rows += [(pid, t, n + 1) for n, t in enumerate(dict.fromkeys(p.get("technologies") or []))
                      if ok("technology", t)]
        org.rows += [(pid, m["org"], n + 1, m["role"]) for n, m in enumerate(p.get("organisations") or [])
                     if ok("company", m["org"])]
        refs.rows += [(pid, r, n + 1) for n, r in enumerate(dict.fromkeys(p.get("refers_to") or [])) if ok("policy", r)]
    # A technology's listed_in says the same as a policy's technologies; either side may hold it.
    have = {(r[0], r[1]) for r in tech.rows}
    for t in kb.of_type("technology"):
        for pid in t.get("listed_in") or []:
            if ok("policy", pid) and (pid, t["id"]) not in have:
                have.add((pid, t["id"]))
                tech.rows.append((pid, t["id"], None))
    return [agency, sector, tech, org, refs]


def _chain_tables(kb: KnowledgeBase, ok: Check) -> list[Table]:
    groups = Table("chain_group", [("technology_id", "TEXT NOT NULL"), ("group_no", "INTEGER NOT NULL"),
                                   ("partners_total", "INTEGER"), ("partners_total_approximate", "INTEGER NOT NULL")],
                   ("technology_id", "group_no"), [("technology_id", "technologies(id)")])
    members = Table("chain_member", [("technology_id", "TEXT NOT NULL"), ("group_no", "INTEGER NOT NULL"),
                                     ("role", "TEXT NOT NULL CHECK (role IN ('lead', 'partner'))"),
                                     ("position", "INTEGER NOT NULL"), ("organisation_id", "TEXT NOT NULL")],
                    ("technology_id", "group_no", "role", "position"),
                    [("technology_id", "technologies(id)"), ("organisation_id", "companies(id)"),
                     ("technology_id, group_no", "chain_group(technology_id, group_no)")])
    for t in kb.of_type("technology"):
        for g_no, g in enumerate(t.get("groups") or [], start=1):
            groups.rows.append((t["id"], g_no, g.get("partners_total"), int(bool(g.get("partners_total_approximate")))))
            for role, key in (("lead", "leads"), ("partner", "partners")):
                members.rows += [(t["id"], g_no, role, n + 1, o) for n, o in enumerate(g.get(key) or [])
                                 if ok("company", o)]
    return [groups, members]


def _sector_links(kb: KnowledgeBase, ok: Check) -> list[Table]:
    out = []
    for rtype, name, key in (("company", "company_sector", "company_id"),
                             ("technology", "technology_sector", "technology_id")):
        table = _link(name, (key, f"{FOLDERS[rtype]}(id)"), ("sector_id", "sectors(id)"))
        table.rows = [(r["id"], s, n + 1) for r in kb.of_type(rtype)
                      for n, s in enumerate(dict.fromkeys(r.get("sectors") or [])) if ok("sector", s)]
        out.append(table)
    return out


_LINK_EXTRA = (("relation", "TEXT NOT NULL"), ("stated_by", "TEXT"), ("according_to", "TEXT"), ("note", "TEXT"))


def _typed_links(kb: KnowledgeBase, ok: Check) -> list[Table]:
    """Typed links: a policy implementing, following, superseding ... another; an organisation
    supplying, owning ... another; with who says so."""
    out = []
    for rtype, name, left, right in (("policy", "policy_link", ("policy_id", "policies(id)"), ("to_id", "policies(id)")),
                                     ("company", "organisation_link", ("organisation_id", "companies(id)"),
                                      ("to_id", "companies(id)"))):
        table = _link(name, left, right, _LINK_EXTRA)
        table.primary_key = (left[0], "position")
        for r in kb.of_type(rtype):
            table.rows += [(r["id"], link["to"], n + 1, link["relation"], link.get("stated_by"), link.get("according_to"),
                            link.get("note")) for n, link in enumerate(r.get("links") or []) if ok(rtype, link["to"])]
        out.append(table)
    return out


def _places(kb: KnowledgeBase) -> Table:
    """Every place a record (`part` empty) or one of its events ("events.1") names."""
    table = Table("places", [("record_id", "TEXT NOT NULL"), ("part", "TEXT NOT NULL"), ("position", "INTEGER NOT NULL"),
                             ("name", "TEXT NOT NULL"), ("role", "TEXT NOT NULL")],
                  ("record_id", "part", "position"), [("record_id", "records(id)")])
    for _, r in _all(kb):
        table.rows += [(r["id"], "", n, p["name"], p["role"]) for n, p in enumerate(r.get("places") or [], start=1)]
        for e_no, e in enumerate(r.get("events") or [], start=1):
            table.rows += [(r["id"], f"events.{e_no}", n, p["name"], p["role"]) for n, p in enumerate(e.get("places") or [], start=1)]
    return table


def _event_tables(kb: KnowledgeBase, ok: Check) -> list[Table]:
    events = Table("events", [
        ("organisation_id", "TEXT NOT NULL"), ("event_no", "INTEGER NOT NULL"), ("date", "TEXT"),
        ("kind", "TEXT NOT NULL"), ("summary", "TEXT NOT NULL"), ("amount", "NUMERIC"), ("currency", "TEXT"),
        ("share_percent", "NUMERIC"), ("venue", "TEXT"), ("stated_by", "TEXT"), ("according_to", "TEXT"),
        ("equivalent_amount", "NUMERIC"), ("equivalent_currency", "TEXT")],
        ("organisation_id", "event_no"), [("organisation_id", "companies(id)")])
    parties = Table("event_party", [("organisation_id", "TEXT NOT NULL"), ("event_no", "INTEGER NOT NULL"),
                                    ("party_id", "TEXT NOT NULL"),
                                    ("party_type", "TEXT NOT NULL CHECK (party_type IN ('agency', 'company', 'person'))")],
                    ("organisation_id", "event_no", "party_id"),
                    [("organisation_id, event_no", "events(organisation_id, event_no)"), ("party_id", "records(id)")])
    for org in kb.of_type("company"):
        for n, e in enumerate(org.get("events") or [], start=1):
            events.rows.append((org["id"], n, e.get("date"), e["kind"], e["summary"], e.get("amount"), e.get("currency"),
                                e.get("share_percent"), e.get("venue"), e.get("stated_by"), e.get("according_to"),
                                (e.get("equivalent") or {}).get("value"), (e.get("equivalent") or {}).get("currency")))
            for key, rtype in (("agencies", "agency"), ("organisations", "company"), ("people", "person")):
                parties.rows += [(org["id"], n, i, rtype) for i in dict.fromkeys(e.get(key) or []) if ok(rtype, i)]
    return [events, parties]


def _citations(kb: KnowledgeBase, ok: Check) -> Table:
    """Every citation: of a record (`part` empty) or of one of its events ("events.1")."""
    table = Table("citations", [("record_id", "TEXT NOT NULL"), ("part", "TEXT NOT NULL"), ("position", "INTEGER NOT NULL"),
                                ("source_id", "TEXT NOT NULL"), ("section", "TEXT NOT NULL"), ("url", "TEXT")],
                  ("record_id", "part", "position"), [("record_id", "records(id)"), ("source_id", "sources(id)")])
    for _, r in _all(kb):
        blocks = [("", r.get("sources") or [])]
        blocks += [(f"events.{n}", e.get("sources") or []) for n, e in enumerate(r.get("events") or [], start=1)]
        for part, sources in blocks:
            table.rows += [(r["id"], part, n, s["source"], s["section"], s.get("url"))
                           for n, s in enumerate(sources, start=1) if ok("source", s["source"])]
    return table
