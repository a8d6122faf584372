"""The record types, the folders that hold them and the references between them.

Kept apart from models.py so that a cached load never imports Pydantic.
"""

from __future__ import annotations

import re

from typing import NamedTuple

RECORD_TYPES = ("policy", "company", "technology", "agency", "sector", "person", "source")
# Every kind in words, for help texts: the one place they are listed ("policy, ... or source").
KINDS_TEXT = ", ".join(RECORD_TYPES[:-1]) + " or " + RECORD_TYPES[-1]

# Folder under the data directory holding each record type.
FOLDERS: dict[str, str] = {
    "policy": "policies",
    "company": "companies",
    "technology": "technologies",
    "agency": "agencies",
    "sector": "sectors",
    "person": "people",
    "source": "sources",
}

# A reference that may name a record of any type.
ANY = "any"

class Reference(NamedTuple):
    """Where a record type points at other records: a path into the record ("*" = every item
    of a list) and the record type the id there must name (ANY: any type)."""

    path: tuple[str, ...]
    target: str


_REFERENCES: dict[str, list[tuple[tuple[str, ...], str]]] = {
    "policy": [
        (("issuers", "*"), "agency"),
        (("republished_by", "*"), "agency"),
        (("sectors", "*"), "sector"),
        (("technologies", "*"), "technology"),
        (("organisations", "*", "org"), "company"),
        (("people", "*", "person"), "person"),
        (("figures", "*", "sectors", "*"), "sector"),
        (("figures", "*", "named_ids", "*"), ANY),
        (("refers_to", "*"), "policy"),
        (("sources", "*", "source"), "source"),
        (("links", "*", "to"), "policy"),
    ],
    "company": [
        (("sectors", "*"), "sector"),
        (("parent",), "company"),
        (("events", "*", "agencies", "*"), "agency"),
        (("events", "*", "organisations", "*"), "company"),
        (("events", "*", "people", "*"), "person"),
        (("events", "*", "sources", "*", "source"), "source"),
        (("figures", "*", "sectors", "*"), "sector"),
        (("figures", "*", "named_ids", "*"), ANY),
        (("sources", "*", "source"), "source"),
        (("links", "*", "to"), "company"),
    ],
    "technology": [
        (("sectors", "*"), "sector"),
        (("listed_in", "*"), "policy"),
        (("groups", "*", "leads", "*"), "company"),
        (("groups", "*", "partners", "*"), "company"),
        (("figures", "*", "sectors", "*"), "sector"),
        (("figures", "*", "named_ids", "*"), ANY),
        (("sources", "*", "source"), "source"),
    ],
    "agency": [(("parent",), "agency"), (("sources", "*", "source"), "source")],
    "sector": [(("parent",), "sector"), (("sources", "*", "source"), "source")],
    "person": [
        (("positions", "*", "agency"), "agency"),
        (("positions", "*", "organisation"), "company"),
        (("sources", "*", "source"), "source"),
    ],
    "source": [
        (("authors", "*"), "person"),
        (("editors", "*"), "person"),
        (("charts", "*", "data_sources", "*"), "company"),
        (("figures", "*", "sectors", "*"), "sector"),
        (("figures", "*", "named_ids", "*"), ANY),
    ],
}

REFERENCES: dict[str, list[Reference]] = {rtype: [Reference(*spec) for spec in specs] for rtype, specs in _REFERENCES.items()}


# A record id, which is also its file name: the one definition every check uses.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$"
ID_RE = re.compile(ID_PATTERN)


def check_id(rid: str, command: str) -> None:
    """A usage error unless `rid` can be a record id (fullmatch: `$` would let a final newline through)."""
    from chinaind.core.errors import UsageError

    if not ID_RE.fullmatch(rid):
        raise UsageError(f"{command}: {rid!r} is not a valid id; use letters, digits, '-' and '_' "
                         "(starting with a letter or digit, at most 128 characters), e.g. robot-plus-2023")

