"""The query commands as functions: knowledge base and arguments in, a Listing out. No printing."""

from __future__ import annotations

from typing import Any, Iterable

from chinaind.records import dates
from chinaind.core.errors import NotFoundError, UsageError
from chinaind.query.dating import Window, date_cell, role_date, span_of, split, undated_note, year_inferred
from chinaind.records.figures import baseline_text, figure_text
from chinaind.query.index import KnowledgeBase
from chinaind.query.listing import Column, Listing, cell, col, field
from chinaind.records.text import display_name, marked, zh_part

Record = dict[str, Any]

PLURALS = {"policies": "policy", "companies": "company", "technologies": "technology",
           "agencies": "agency", "sectors": "sector", "people": "person", "sources": "source"}


def check_kind(kind: str | None, *, prefix: str = "--") -> str | None:
    """A record kind as a user typed it (" Policy"), checked: one of RECORD_TYPES, or None."""
    from chinaind.records.kinds import RECORD_TYPES

    if kind is None:
        return None
    key = kind.strip().lower()
    if key not in RECORD_TYPES:
        raise UsageError(f"{prefix}kind: unknown kind {kind!r}; choose one of {', '.join(RECORD_TYPES)}")
    return key


def check_plural(what: str, *, prefix: str = "list: ") -> str:
    """The record type `list` names, in the plural ("policies"); the singular is accepted too."""
    key = what.strip().lower()
    singular = {rtype: name for name, rtype in PLURALS.items()}
    if key in singular:
        return singular[key]
    if key not in PLURALS:
        raise UsageError(f"{prefix}unknown record type {what!r}; choose one of {', '.join(PLURALS)}")
    return key


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _names(kb: KnowledgeBase, ids: Iterable[str]) -> str:
    return ", ".join(kb.name_of(i) for i in ids)


# The primary date; in a table, an inferred year says so (csv and tsv keep the plain date).
DATE = Column("DATE", date_cell, key="date", raw=lambda r: r.get("date"))


def columns_for(rtype: str, kb: KnowledgeBase, role: str | None = None) -> list[Column]:
    if rtype == "policy":
        # Under --date-role the column holds that role's date, which JSON has only inside `dates`.
        when = (Column("DATE", lambda r: date_cell(r, role_date(r, role)), key=f"{role}_date", raw=lambda r: role_date(r, role))
                if role else DATE)
        return [col("ID", "id"), when, col("KIND", "kind"), ISSUERS, col("TITLE", "title", wide=True)]
    if rtype == "person":
        return [col("ID", "id"), col("NAME", "name", wide=True), col("NAME_ZH", "name_zh"),
                Column("POSITIONS", lambda r: "; ".join(_position_titles(r)), wide=True, raw=_position_titles)]
    if rtype == "source":
        return [col("ID", "id"), col("DATE", "issue_date"), col("PUBLICATION", "publication", wide=True),
                col("TITLE", "title", wide=True),
                Column("URL", lambda r: (r.get("urls") or [""])[0], key="urls", raw=lambda r: r.get("urls"))]
    if rtype == "company":
        return [col("ID", "id"), col("NAME", "name", wide=True), col("KIND", "kind"),
                col("COUNTRY", "country"), col("SECTORS", "sectors", wide=True)]
    if rtype == "technology":
        return [col("ID", "id"), col("NO", "list_position"), col("NAME", "name", wide=True),
                col("SECTORS", "sectors", wide=True),
                Column("LEADS", lambda r: _names(kb, _leads(r)), wide=True, raw=_leads)]
    if rtype == "agency":
        return [col("ID", "id"), col("NAME", "name", wide=True), col("NAME_ZH", "name_zh"),
                col("SHORT_ZH", "short_name_zh"), col("KIND", "kind")]
    return [col("ID", "id"), col("NAME", "name"), col("NAME_ZH", "name_zh"), col("ALIASES", "aliases", wide=True)]


MIXED_COLUMNS = [col("TYPE", "type"), col("ID", "id"), DATE,
                 Column("NAME", display_name, wide=True)]


def _position_titles(person: Record) -> list[str]:
    return [p.get("title") or "post not stated" for p in person.get("positions") or []]


def issuers_text(policy: Record) -> str:
    """'MIIT, NDRC (+11 not named)' when the source counts more issuers than it names."""
    named = policy.get("issuers") or []
    total = policy.get("issuers_total")
    more = f" (+{total - len(named)} not named)" if total and total > len(named) else ""
    return ", ".join(named) + more


# Issuers named, and how many the source counts when it names fewer.
ISSUERS = Column("ISSUERS", issuers_text, wide=True, parts=(field("issuers"), field("issuers_total")))


def _leads(tech: Record) -> list[str]:
    return [lead for g in tech.get("groups") or [] for lead in g.get("leads") or []]


def tech_date(kb: KnowledgeBase, tech: Record) -> str | None:
    """A technology is dated by the earliest dated policy that lists it."""
    found = [p["date"] for pid in tech.get("listed_in") or [] if (p := kb.get(pid)) and p.get("date")]
    return min(found) if found else None


# --- search --------------------------------------------------------------------------------
def search(kb: KnowledgeBase, query: str, kind: str | None, limit: int | None) -> Listing:
    from chinaind.query.search import search as run

    if not query.strip():
        raise UsageError("search: the query is empty; give a word or name to look for")
    # Rank light references (id and type) against the cached text; decode only what is shown.
    type_of = kb.records.type_of

    def light(rid: str) -> dict[str, str] | None:
        rtype = type_of(rid)
        return {"id": rid, "type": rtype} if not kind or rtype == kind else None

    hits = run(kb.texts, query, light=light)
    shown = hits[:limit] if limit else hits
    records = [{**kb.records[h.record["id"]], "match": h.tier} for h in shown]
    # A cut result is said whatever the format: `-f ids | chinaind show -` must not lose records unseen.
    cut = [f"showing {len(shown)} of {len(hits)} results; use --limit 0 for all"] if len(shown) < len(hits) else []
    columns = [*MIXED_COLUMNS[:3], Column("NAME", display_name, wide=True), col("MATCH", "match")]
    return Listing(records, columns, rows=[{**r, "date": r.get("date") or _any_date(kb, r)} for r in records],
                   title=f"{plural(len(hits), 'result')} for {query!r}", warnings=cut)


def _any_date(kb: KnowledgeBase, rec: Record) -> str | None:
    return tech_date(kb, rec) if rec["type"] == "technology" else None


# --- chain ---------------------------------------------------------------------------------
def chain(kb: KnowledgeBase, name: str) -> Listing:
    tech = kb.resolve("technology", name)
    policies = [p for pid in tech.get("listed_in") or [] if (p := kb.get(pid))]
    members = chain_members(kb, tech)
    listed = "; ".join(f"{display_name(p)} ({p.get('date') or 'undated'})" for p in policies)
    title = f"{tech['name']} [{tech['id']}]" + (f", listed in {listed}" if listed else "")
    notes = []
    if not tech.get("programme") and not tech.get("groups"):
        notes.append("Not a chain programme technology: the source mentions it without a chain programme, "
                     "so it has no leads or partners to name.")
    elif not tech.get("groups"):
        notes.append("The source names no lead or partner organisations for this technology.")
    for n, g in enumerate(tech.get("groups") or [], start=1):
        total = g.get("partners_total")
        if total is not None:
            about = "about " if g.get("partners_total_approximate") else ""
            notes.append(f"group {n}: {len(g.get('partners') or [])} of {about}{total} partners named")
    record = {**tech, "date": tech_date(kb, tech),
              "listed_in_policies": [{"id": p["id"], "title": display_name(p), "date": p.get("date")} for p in policies],
              "members": members}
    # csv and tsv count the partners not named in a column of their own.
    columns = [col("GROUP", "group"), col("ROLE", "role"), col("ID", "id"),
               Column("NAME", lambda r: r.get("name"), wide=True, parts=(field("name"), field("unnamed")))]
    return Listing([record], columns, rows=members, title=title, notes=notes)


def unnamed_partners(group: Record) -> tuple[int, str]:
    """(partners the source counts but does not name, "about " when its count is approximate)."""
    total, named = group.get("partners_total"), len(group.get("partners") or [])
    about = "about " if group.get("partners_total_approximate") else ""
    return (total - named if total is not None and total > named else 0), about


def chain_members(kb: KnowledgeBase, tech: Record) -> list[Record]:
    """One row per named lead or partner, plus one row counting partners not named."""
    rows: list[Record] = []
    for n, g in enumerate(tech.get("groups") or [], start=1):
        for role, key in (("lead", "leads"), ("partner", "partners")):
            rows.extend({"group": n, "role": role, "id": oid, "name": kb.name_of(oid)} for oid in g.get(key) or [])
        unnamed, about = unnamed_partners(g)
        if unnamed:
            rows.append({"group": n, "role": "partner", "id": None,
                         "name": f"+{about}{unnamed} more not named", "unnamed": unnamed})
    return rows


# --- agency, sector, company ------------------------------------------------------------------
def agency(kb: KnowledgeBase, name: str, *, with_: list[str], window: Window, sector: str | None) -> Listing:
    main = kb.resolve("agency", name)
    others = [kb.resolve("agency", w)["id"] for w in with_]
    sector_id = kb.resolve("sector", sector)["id"] if sector else None
    found = kb.policies(agencies=[main["id"], *others], sector=sector_id, window=window)
    title = f"{main['id']}: {marked(main, 'name')}{zh_part(main)}, {plural(len(found), 'policy', 'policies')}{_dated_by(window)}"
    from chinaind.query.lookups import event_parties

    # The agency's part in organisations' events is not a policy: said under the table, not dropped.
    events = event_parties(kb, main["id"], "agencies")
    notes = [f"also party to {plural(len(events), 'organisation event')}: "
             + "; ".join(f"{e['id']} ({e['role'].removeprefix('event: ')}, {date_cell(e) or 'undated'})" for e in events)
             + f"; `chinaind related {main['id']}` shows them"] if events else []
    return Listing(found, columns_for("policy", kb, window.role), title=title, notes=notes,
                   warnings=undated_note(len(found.undated), "policy", "policies", _what_date(window)))


def _dated_by(window: Window) -> str:
    return f" ({window.describe()})" if window.role else ""


def _what_date(window: Window) -> str:
    return "period" if window.role == "period" else f"{window.role} date" if window.role else "date"


def sector(kb: KnowledgeBase, name: str, *, window: Window) -> Listing:
    """Policies, technologies (dated by the policy listing them) and, unless a date filter is
    given, organisations in a sector. Undated policies and technologies a filter leaves out are
    counted; organisations have no date and are simply not part of a dated question."""
    sec = kb.resolve("sector", name)
    sid = sec["id"]
    policies = kb.policies(sector=sid, window=window)
    rows: list[Record] = list(policies)
    techs = split([{**t, "date": tech_date(kb, t)} for t in kb.in_sector(sid, "technology")],
                  lambda t: span_of(t, None), window._replace(role=None))
    rows += techs.kept
    if not window.filters:
        rows.extend(kb.in_sector(sid, "company"))
    title = f"{sec['name']} [{sid}]: {plural(len(rows), 'record')}{_dated_by(window)}"
    left_out = len(policies.undated) + techs.undated_left_out
    return Listing(rows, MIXED_COLUMNS, title=title, warnings=undated_note(left_out, "record", "records", _what_date(window)))


def company(kb: KnowledgeBase, name: str) -> Listing:
    org = kb.resolve("company", name, what="company or organisation")
    roles = [{"relation": f"chain {role}", "id": tech["id"], "date": tech_date(kb, tech),
              "name": tech["name"], "detail": f"group {n}"} for tech, n, role in kb.chain_roles.get(org["id"], [])]
    mentions = [{"relation": "mentioned in", "id": p["id"], "date": p.get("date"), "year_inferred": year_inferred(p),
                 "name": display_name(p), "detail": role} for p, role in kb.mentions.get(org["id"], [])]
    events = [{"relation": f"event: {e['kind']}", "id": None, "date": e.get("date"), "year_inferred": year_inferred(e),
               "name": e["summary"], "detail": _event_detail(kb, e)} for e in org.get("events") or []]
    named = [{"relation": f"named in event: {e['kind']}", "id": other["id"], "date": e.get("date"),
              "year_inferred": year_inferred(e), "name": f"{other['name']}: {e['summary']}", "detail": _event_detail(kb, e)}
             for other, e in kb.event_mentions.get(org["id"], [])]
    events += named
    record = {**org, "chain_roles": roles, "mentioned_in": mentions, "named_in_events": named}
    title = f"{marked(org, 'name')} [{org['id']}]: {_org_kind_text(org)}" + (f"; sectors: {cell(org.get('sectors'))}" if org.get("sectors") else "")
    columns = [col("RELATION", "relation"), col("ID", "id"), DATE,
               col("NAME", "name", wide=True), col("DETAIL", "detail", wide=True)]
    return Listing([record], columns, rows=roles + mentions + events, title=title)


def _org_kind_text(org: Record) -> str:
    """'firm, CN'; what the record does not say is said in words, values the editors added are marked."""
    return f"{marked(org, 'kind', org.get('kind') or 'kind not stated')}, " \
           f"{marked(org, 'country', org.get('country') or 'country not stated')}"


def _event_detail(kb: KnowledgeBase, event: Record) -> str:
    parts = []
    if event.get("amount") is not None:
        amount = event["amount"]
        shown = f"{int(amount):,}" if float(amount).is_integer() else f"{amount:,}"
        parts.append(f"{event.get('currency') or ''} {shown}".strip())
        if event.get("equivalent"):
            from chinaind.records.figures import amount_text

            parts[-1] += f" ({amount_text(event['equivalent']['value'], None, event['equivalent']['currency'])})"
    if event.get("share_percent") is not None:
        words = {"up-to": "up to ", "at-least": "at least ", "more-than": "more than ", "about": "about "}
        parts.append(f"{words.get(event.get('share_comparator') or '', '')}{cell(event['share_percent'])}%")
    dated = [e for e in event.get("dates") or [] if e["role"] != "occurred" or e.get("year_inferred")]
    parts.extend(f"{e['role']} {dates.describe(e['date'])}{' (year inferred)' if e.get('year_inferred') else ''}"
                 for e in dated)
    if event.get("venue"):
        parts.append(event["venue"])
    parts.extend(kb.name_of(i) for i in (event.get("agencies") or []) + (event.get("organisations") or []))
    return "; ".join(parts)


# --- targets -------------------------------------------------------------------------------
STATED_BY = ("document", "commentary", "third-party")


def stated_by_of(rec: Record, figure: Record | None = None) -> tuple[str, str | None]:
    """Who states a figure (or a record): (document | commentary | third-party, according to whom)."""
    for holder in (figure or {}, rec):
        if holder.get("stated_by"):
            return holder["stated_by"], holder.get("according_to")
    return "document", None


def stated_by_text(row: Record) -> str:
    """'', 'MERICS commentary' or 'according to Yicai Global': said beside a goal in a table."""
    if row.get("stated_by") == "commentary":
        return "newsletter commentary"
    if row.get("stated_by") == "third-party":
        return f"according to {row.get('according_to')}"
    return ""


def targets(kb: KnowledgeBase, *, agency_name: str | None, sector_name: str | None, due_by: int | None,
            undated: str = "exclude", stated_by: str | None = None) -> Listing:
    """Goals (figures of kind goal) of every record, by deadline. `due_by` leaves out goals
    without a deadline; they are counted, or shown with --undated include/only. Each goal says
    who states it (the document, the newsletter's commentary, a third party); `stated_by` keeps one."""
    if stated_by is not None and stated_by not in STATED_BY:
        raise UsageError(f"targets --stated-by: unknown value {stated_by!r}; choose one of {', '.join(STATED_BY)}")
    agency_id = kb.resolve("agency", agency_name)["id"] if agency_name else None
    sector_id = kb.resolve("sector", sector_name)["id"] if sector_name else None
    rows, left_out = [], 0
    for rec, f in kb.figures():
        if f["kind"] != "goal":
            continue
        if agency_id and agency_id not in (rec.get("issuers") or []):
            continue
        if sector_id and sector_id not in (f.get("sectors") or []) + (rec.get("sectors") or []):
            continue
        year = dates.year_of(f.get("deadline"))
        if year is None and (due_by is not None or undated == "only"):
            if undated == "exclude":
                left_out += 1
                continue
        elif undated == "only" or (due_by is not None and year is not None and year > due_by):
            continue
        who, according_to = stated_by_of(rec, f)
        if stated_by is not None and who != stated_by:
            continue
        rows.append({**f, "stated_by": who, "according_to": according_to, "record": {"id": rec["id"], "type": rec["type"], "title": display_name(rec),
                                     "date": rec.get("date"), "issuers": rec.get("issuers") or []}})
    rows.sort(key=lambda r: (r.get("deadline") or "9999", r["record"].get("date") or "9999", r["record"]["id"]))
    # Table rows carry the record's id as "id" (what -f ids prints); the goal's own id moves.
    table_rows = [{**r, "id": r["record"]["id"], "goal_id": r["id"]} for r in rows]
    return Listing(rows, TARGET_COLUMNS, rows=table_rows, title=plural(len(rows), "goal"),
                   warnings=undated_note(left_out, "goal", "goals", "deadline"))


def _goal_what(f: Record) -> str:
    return f"{f['what']} (part of {f['part_of']})" if f.get("part_of") else f["what"]


# A goal's phrases ("at least 492 robots per 10,000 workers") split into JSON's fields in csv/tsv.
_TARGET_PARTS = (field("comparator"), field("value"), field("unit"), field("currency"), field("per", "value"),
                 field("per", "unit"), field("change", "factor"), field("change", "percent"))
_BASELINE_PARTS = tuple(field("baseline", k) for k in ("value", "unit", "year", "approximate", "note"))
TARGET_COLUMNS = [
    col("DEADLINE", "deadline"),
    Column("RECORD", lambda r: r["record"]["id"], parts=(Column("ID", lambda r: r["goal_id"], key="id"),
                                                         field("record", "id"))),
    Column("WHAT", _goal_what, wide=True, parts=(field("what"), field("part_of"))),
    Column("TARGET", figure_text, wide=True, parts=_TARGET_PARTS),
    Column("BASELINE", baseline_text, parts=_BASELINE_PARTS),
    col("SCOPE", "scope", wide=True),
    # Last, so that the columns before it keep their places: who states the goal, when not the document.
    Column("STATED BY", stated_by_text, key="stated_by", raw=lambda r: r.get("stated_by"),
           parts=(field("stated_by"), field("according_to"))),
]



# --- list, show ----------------------------------------------------------------------------
def list_records(kb: KnowledgeBase, what: str, *, window: Window,
                 agency_name: str | None, sector_name: str | None) -> Listing:
    rtype = PLURALS[what]
    agency_id = kb.resolve("agency", agency_name)["id"] if agency_name else None
    sector_id = kb.resolve("sector", sector_name)["id"] if sector_name else None
    if rtype == "policy":
        found = kb.policies(agencies=[agency_id] if agency_id else [], sector=sector_id, window=window)
        return Listing(found, columns_for(rtype, kb, window.role), title=plural(len(found), rtype, what) + _dated_by(window),
                       warnings=undated_note(len(found.undated), "policy", "policies", _what_date(window)))
    if agency_id or window.filters or window.role:
        raise UsageError(f"list {what}: --agency, --since, --until, --date-role and --undated apply to policies only")
    matching = [r for r in kb.of_type(rtype) if not sector_id or sector_id in (r.get("sectors") or [])]
    return Listing(matching, columns_for(rtype, kb), title=plural(len(matching), rtype, what))


def show(kb: KnowledgeBase, ids: list[str], *, from_stdin: bool = False) -> Listing:
    """Whole records by id. Ids piped in may be none at all (an empty result upstream)."""
    wanted = [i.strip() for i in ids if i.strip()]
    if not wanted and not from_stdin:
        raise UsageError("show: no ids given; pass record ids, or - to read them from stdin")
    missing = [i for i in wanted if kb.get(i) is None]
    if missing:
        import difflib

        close = difflib.get_close_matches(missing[0], list(kb.records), n=3, cutoff=0.6)
        raise NotFoundError("record", ", ".join(missing), close)
    from chinaind.query.lookups import with_links

    records = [with_links(kb, kb.records[i]) for i in dict.fromkeys(wanted)]
    return Listing(records, MIXED_COLUMNS, detail=True)
