"""The record types, the folders that hold them and the references between them.

Kept apart from models.py so that a cached load never imports Pydantic.
"""

from __future__ import annotations

RECORD_TYPES = ("policy", "company", "technology", "agency", "sector")

# Folder under the data directory holding each record type.
FOLDERS: dict[str, str] = {
    "policy": "policies",
    "company": "companies",
    "technology": "technologies",
    "agency": "agencies",
    "sector": "sectors",
}

# Where each record type points at other records: a path into the record ("*" = every
# item of a list) and the record type the id there must name.
REFERENCES: dict[str, list[tuple[tuple[str, ...], str]]] = {
    "policy": [
        (("issuers", "*"), "agency"),
        (("republished_by", "*"), "agency"),
        (("sectors", "*"), "sector"),
        (("technologies", "*"), "technology"),
        (("organisations", "*", "org"), "company"),
        (("targets", "*", "sectors", "*"), "sector"),
        (("refers_to", "*"), "policy"),
    ],
    "company": [
        (("sectors", "*"), "sector"),
        (("parent",), "company"),
        (("events", "*", "agencies", "*"), "agency"),
        (("events", "*", "organisations", "*"), "company"),
    ],
    "technology": [
        (("sectors", "*"), "sector"),
        (("listed_in", "*"), "policy"),
        (("groups", "*", "leads", "*"), "company"),
        (("groups", "*", "partners", "*"), "company"),
    ],
    "agency": [(("parent",), "agency")],
    "sector": [(("parent",), "sector")],
}
