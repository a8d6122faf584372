"""The Datasette metadata written beside an SQLite export (`<stem>.metadata.json`): title,
description, sources, licences, table and column descriptions, labels for foreign keys, default
facets and the full-text search tables. `datasette kb.db -m kb.metadata.json` reads it.

Licences, decided for the export: the code is MIT (pyproject.toml); the records' own text
(summaries, analysis, the structure and the links between records) is CC BY 4.0, by the
chinaind editors; the facts they report come from the cited sources, whose texts stay under
their publishers' terms.
"""

from __future__ import annotations

from typing import Any

from chinaind.export.dates import DATE_COLUMNS
from chinaind.export.fts import FTS_TABLES, NGRAM_MAX, SEARCH_COLUMN
from chinaind.query.index import KnowledgeBase

LICENSE = ("records: CC BY 4.0, the chinaind editors (summaries, analysis, links); facts from the cited "
           "sources, whose texts keep their publishers' terms; code: MIT")
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"

# Per table: description, label column (what Datasette shows for a foreign key to it), facets.
_TABLES: dict[str, tuple[str, str | None, list[str]]] = {
    "records": ("Every record of every kind: id, kind, display name and primary date. Search here to search "
                "everything at once.", "name", ["type"]),
    "policies": ("Policy documents: plans, guidelines, notices, lists, laws.", "title", ["kind", "draft"]),
    "companies": ("Companies, universities, institutes and other organisations.", "name", ["kind", "country"]),
    "technologies": ("Technologies named by policies (for example the chain technologies of a programme).",
                     "name", ["programme"]),
    "agencies": ("Government agencies that issue or republish policies.", "name", ["kind"]),
    "sectors": ("The sector vocabulary; parent gives the hierarchy.", "name", ["parent"]),
    "people": ("People: officials, executives, researchers.", "name", []),
    "sources": ("The publications every fact is cited from (newsletter issues, documents, articles).",
                "publication", ["publication", "kind"]),
    "aliases": ("Other names a record answers to.", None, []),
    "policy_agency": ("Which agencies issued (lead first, then co-issuers) or republished each policy.", None, ["role"]),
    "policy_sector": ("The sectors each policy concerns.", None, ["sector_id"]),
    "policy_technology": ("The technologies each policy names.", None, []),
    "policy_organisation": ("Organisations a policy names, with their role.", None, ["role"]),
    "policy_reference": ("Policies that refer to other policies.", None, []),
    "chain_group": ("Industrial chain groups of a technology; partners_total as the source states it.", None, []),
    "chain_member": ("Leads and partners of each chain group, in the source's order.", None, ["role"]),
    "company_sector": ("The sectors of each organisation.", None, ["sector_id"]),
    "technology_sector": ("The sectors of each technology.", None, ["sector_id"]),
    "figures": ("Goals, tallies and statistics stated in records.", None, ["kind", "unit"]),
    "figure_sector": ("The sectors a figure concerns.", None, []),
    "figure_named": ("Things a figure names (by name or record id).", None, []),
    "events": ("Events of organisations: investments, listings, deals.", None, ["kind", "currency"]),
    "event_party": ("Agencies and organisations taking part in an event.", None, ["party_type"]),
    "person_position": ("Positions people hold or held.", None, []),
    "policy_person": ("People a policy mentions, with their role.", None, ["role"]),
    "dates": ("Every dated step of a policy or event (issued, effective, ...); year-less dates as the source "
              "gives them.", None, ["role"]),
    "citations": ("Every citation: which source (and section) backs a record, or one of its events (part).",
                  None, ["source_id"]),
    "record_text": ("The text of every record, for substring search (LIKE).", None, []),
    "search": ("A full-text index of all records with Chinese as character bigrams; query it with a rewritten "
               "phrase, see the about table.", None, []),
    "about": ("How this database was made and how to search it.", None, []),
}


def metadata(kb: KnowledgeBase, database: str) -> dict[str, Any]:
    """Datasette metadata for the export named `database` (the file's stem)."""
    return {
        "title": "chinaind: China's industrial policy",
        "description": (f"{len(kb.records)} sourced records of China's industrial policy: policies, agencies, "
                        "technologies, organisations, sectors, people and the publications they are cited from. "
                        f"The search box finds English words and Chinese words of up to {NGRAM_MAX} characters."),
        "license": LICENSE,
        "license_url": LICENSE_URL,
        "source": "; ".join(_publications(kb)) or "no sources",
        "source_url": f"/{database}/sources",
        "about": "chinaind export sqlite",
        "databases": {database: {"tables": {name: _table(name, *spec) for name, spec in _TABLES.items()}}},
    }


def _publications(kb: KnowledgeBase) -> list[str]:
    return list(dict.fromkeys(s.get("publication") or s["id"] for s in kb.of_type("source")))


def _table(name: str, description: str, label: str | None, facets: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description}
    if label:
        out["label_column"] = label
    if facets:
        out["facets"] = facets
    columns = {}
    for col in DATE_COLUMNS.get(name, ()):
        columns[col] = "a date as precise as its source: YYYY, YYYY-MM or YYYY-MM-DD"
        columns[f"{col}_start"] = f"the first day {col} covers (ISO), for date facets and sorting"
        columns[f"{col}_end"] = f"the last day {col} covers (ISO)"
    if name in FTS_TABLES:
        out["fts_table"] = f"{name}_fts"
        columns[SEARCH_COLUMN] = (f"the record's text with Chinese written as its 1-{NGRAM_MAX} character "
                                  f"substrings, indexed by {name}_fts: for the search box, not for reading")
    if columns:
        out["columns"] = columns
    return out
