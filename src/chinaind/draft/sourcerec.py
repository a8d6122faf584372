"""The source record of a drafted text: its address, publication, title, date, authors and
the headlines of its contents, as the text gives them."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from chinaind.draft.layout import Layout
from chinaind.draft.names import Names
from chinaind.draft.proposals import Evidence, Ids, Proposal, slug
from chinaind.draft.reading import Input


def source_id(layout: Layout, given: Input) -> str:
    """An id from what the text says: the publication (or the site) and the issue date, else
    the address's last part, else the title."""
    site = _site(layout.url)
    publication = layout.publication.text if layout.publication else site
    if layout.issue_date_value:
        return slug(f"{publication or 'source'} {layout.issue_date_value}", 80)
    path = urlsplit(layout.url).path.rstrip("/").rsplit("/", 1)[-1] if layout.url else ""
    path = re.sub(r"\.(?:s?html?|php|aspx?)$", "", path)
    if path and not path.isdigit() and len(slug(path)) > 8:
        return slug(f"{site or ''} {path}", 80)
    from pathlib import PurePath

    title = layout.title.text if layout.title else given.title or PurePath(given.name).stem
    return slug(f"{site or publication or ''} {title}", 80) or "drafted-source"


def _site(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url).hostname or ""
    parts = [p for p in host.split(".") if p not in ("www", "new", "en", "m")]
    return parts[0] if parts else None


def source_proposal(layout: Layout, given: Input, rid: str, names: Names, ids: Ids) -> tuple[Proposal, list[Proposal]]:
    """The source record, and new person records for its authors the base does not know."""
    record: dict[str, Any] = {"id": rid}
    marks: dict[tuple[Any, ...], Evidence] = {}
    address = layout.url or given.url
    if layout.publication is not None:
        record["publication"] = layout.publication.text
        marks[("publication",)] = Evidence(layout.publication.text, layout.publication.number)
    elif given.publication:
        record["publication"] = given.publication
        marks[("publication",)] = Evidence(f"the page's site name: {given.publication}", 0)
    elif address:
        record["publication"] = urlsplit(address).hostname or address
        marks[("publication",)] = Evidence(f"the address {address} (the text names no publication)", 0)
    else:
        record["publication"] = "TODO the publication's name (the text gives none)"
    title = given.title or (layout.title.text if layout.title else None)
    if title:
        record["title"] = title
        marks[("title",)] = Evidence(title, layout.title.number if layout.title else 0)
    record["kind"] = "newsletter-issue" if layout.newsletter and layout.issue_date_value else (
        "web-page" if layout.url or given.kind == "html" else "article")
    if layout.issue_date is not None and layout.issue_date_value:
        record["issue_date"] = layout.issue_date_value
        marks[("issue_date",)] = Evidence(layout.issue_date.text.strip(), layout.issue_date.number)
    url = layout.url or given.url
    if url:
        record["urls"] = [url]
        marks[("urls", 0)] = Evidence(url, 1)
    people: list[Proposal] = []
    for field, listed in (("authors", layout.authors), ("editors", layout.editors)):
        pids: list[str] = []
        for person in listed:
            known = [l for l in names.find(person.text) if l.rtype == "person" and l.words == person.text]
            pid = known[0].rid if known else next((p.rid for p in people if p.record["name"] == person.text), None)
            if pid is None:
                pid = ids.fresh(slug(person.text), "person")
                people.append(Proposal("person", pid, {"id": pid, "name": person.text,
                                                       "sources": [{"source": rid, "section": field.capitalize()}]},
                                       {("name",): Evidence(person.text, person.number)}, True, field.capitalize()))
            marks[(field, len(pids))] = Evidence(person.text, person.number)
            pids.append(pid)
        if pids:
            record[field] = pids
    if layout.headlines:
        record["headlines"] = [{"section": section, "text": text} for section, text in layout.headlines]
        for i, (section, text) in enumerate(layout.headlines):
            marks[("headlines", i, "text")] = Evidence(text, 0)
    # No description placeholder: a source that validates lets the records citing it resolve
    # while their own values wait for confirmation (the review says a description may be added).
    return Proposal("source", rid, record, marks, True, None), people
