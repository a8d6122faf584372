"""Who and where from: a person's posts and appearances, and what the knowledge base took from a
source. Listings only; nothing here prints."""

from __future__ import annotations

from typing import Any

from chinaind.records import dates
from chinaind.query.index import KnowledgeBase
from chinaind.query.dating import date_cell
from chinaind.query.listing import Column, Listing, col
from chinaind.records.text import display_name, marked, zh_part

Record = dict[str, Any]
RELATION_COLUMNS = [col("RELATION", "relation"), col("ID", "id"), Column("DATE", date_cell, key="date", raw=lambda r: r.get("date")),
                    col("NAME", "name", wide=True), col("DETAIL", "detail", wide=True)]


def citations_of(kb: KnowledgeBase, source_id: str) -> list[Record]:
    """Every record (or event) citing the source, with the section it took."""
    out = []
    for rtype in ("policy", "company", "technology", "agency", "sector", "person"):
        for rec in kb.of_type(rtype):
            for cited in rec.get("sources") or []:
                if cited["source"] == source_id:
                    out.append({"id": rec["id"], "type": rtype, "name": display_name(rec), "section": cited["section"]})
            for n, event in enumerate(rec.get("events") or [], start=1):
                for cited in event.get("sources") or []:
                    if cited["source"] == source_id:
                        out.append({"id": rec["id"], "type": rtype, "name": f"{display_name(rec)}: event {n}",
                                    "section": cited["section"]})
    return out


def event_parties(kb: KnowledgeBase, party_id: str, key: str) -> list[Record]:
    """Organisation events naming `party_id` among their agencies, organisations or people (`key`)."""
    return [{"id": org["id"], "date": e.get("date"), "name": f"{org['name']}: {e['summary']}", "role": f"event: {e['kind']}",
             "year_inferred": any(d.get("year_inferred") for d in e.get("dates") or [] if d.get("date") == e.get("date"))}
            for org in kb.of_type("company") for e in org.get("events") or [] if party_id in (e.get(key) or [])]


def person_links(kb: KnowledgeBase, person_id: str) -> dict[str, list[Record]]:
    named = [{"id": p["id"], "date": p.get("date"), "name": display_name(p), "role": m["role"]}
             for p in kb.of_type("policy") for m in p.get("people") or [] if m["person"] == person_id]
    named += [{k: v for k, v in e.items() if k != "year_inferred"} for e in event_parties(kb, person_id, "people")]
    wrote = [{"id": s["id"], "date": s.get("issue_date"), "name": s.get("title") or s["publication"],
              "role": role} for s in kb.of_type("source")
             for role, key in (("author", "authors"), ("editor", "editors")) if person_id in (s.get(key) or [])]
    return {"named_in": named, "wrote": wrote}


def with_links(kb: KnowledgeBase, record: Record) -> Record:
    """A record as `show` prints it: a source with what was taken from it, a person with where
    they appear."""
    if record["type"] == "source":
        return {**record, "cited_by": citations_of(kb, record["id"])}
    if record["type"] == "person":
        return {**record, **person_links(kb, record["id"])}
    return record


def person(kb: KnowledgeBase, name: str) -> Listing:
    rec = kb.resolve("person", name, what="person")
    links = person_links(kb, rec["id"])
    rows = [{"relation": "post", "id": p.get("agency") or p.get("organisation"), "date": _post_dates(p),
             "name": p.get("title") or "post not stated", "detail": kb.name_of(p.get("agency") or p.get("organisation") or "")}
            for p in rec.get("positions") or []]
    rows += [{"relation": f"named in ({m['role']})", "id": m["id"], "date": m["date"], "name": m["name"], "detail": ""}
             for m in links["named_in"]]
    rows += [{"relation": w["role"], "id": w["id"], "date": w["date"], "name": w["name"], "detail": ""}
             for w in links["wrote"]]
    return Listing([{**rec, **links}], RELATION_COLUMNS, rows=rows, title=f"{marked(rec, 'name')}{zh_part(rec)} [{rec['id']}]")


def _post_dates(post: Record) -> str:
    if post.get("as_of"):
        return f"as of {post['as_of']}"
    since, until = post.get("since"), post.get("until")
    if since or until:
        return f"{since or ''}/{until or ''}"
    return ""


def source(kb: KnowledgeBase, name: str) -> Listing:
    """A source record and every record that cites it (`show` gives the whole record)."""
    rec = kb.records.get(name) if name in kb.records else None
    if rec is None or rec["type"] != "source":
        rec = kb.resolve("source", name, what="source")
    rows = [{"relation": f"cited by ({c['section']})", "id": c["id"], "date": None, "name": c["name"], "detail": c["type"]}
            for c in citations_of(kb, rec["id"])]
    when = rec.get("issue_date") or "date not stated"
    head = marked(rec, "title") if rec.get("title") else marked(rec, "publication")
    title = f"{head} [{rec['id']}], {marked(rec, 'publication')}, {marked(rec, 'issue_date', dates.describe(when))}"
    return Listing([with_links(kb, rec)], RELATION_COLUMNS, rows=rows, title=title)
