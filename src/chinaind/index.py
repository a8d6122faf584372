"""The in-memory index over plain records. Lookup tables are built on first use, so a command
pays only for the tables it needs."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import cached_property
from typing import Any, Iterable

from . import dates
from .errors import NotFoundError
from .kinds import RECORD_TYPES
from .text import names_of, norm

Record = dict[str, Any]

# How a technology relates to an organisation in a chain group.
LEAD, PARTNER = "lead", "partner"


class KnowledgeBase:
    def __init__(self, records: dict[str, Record], texts: dict[str, tuple[str, str]] | None = None) -> None:
        self.records = records
        self._texts = texts or {}

    @property
    def texts(self) -> dict[str, tuple[str, str]]:
        """Normalised search text of every record: from the cache, else computed once."""
        if len(self._texts) != len(self.records):
            from .search import search_text

            self._texts = {rid: self._texts.get(rid) or search_text(rec) for rid, rec in self.records.items()}
        return self._texts

    # --- tables -------------------------------------------------------------------------
    @cached_property
    def by_type(self) -> dict[str, list[Record]]:
        out: dict[str, list[Record]] = {t: [] for t in RECORD_TYPES}
        for rec in self.records.values():
            out[rec["type"]].append(rec)
        for rtype, recs in out.items():
            recs.sort(key=_sort_key)
        return out

    @cached_property
    def _names(self) -> dict[str, dict[str, list[str]]]:
        """type -> normalised name/alias -> ids answering to it."""
        out: dict[str, dict[str, list[str]]] = {t: defaultdict(list) for t in RECORD_TYPES}
        for rec in self.records.values():
            table = out[rec["type"]]
            for name in names_of(rec):
                key = norm(name)
                if key and rec["id"] not in table[key]:
                    table[key].append(rec["id"])
        return out

    @cached_property
    def policies_by_agency(self) -> dict[str, list[Record]]:
        out: dict[str, list[Record]] = defaultdict(list)
        for rec in self.by_type["policy"]:
            for agency in dict.fromkeys(rec.get("issuers") or []):
                out[agency].append(rec)
        return out

    @cached_property
    def chain_roles(self) -> dict[str, list[tuple[Record, int, str]]]:
        """organisation id -> (technology, group number from 1, lead|partner)."""
        out: dict[str, list[tuple[Record, int, str]]] = defaultdict(list)
        for tech in self.by_type["technology"]:
            for n, group in enumerate(tech.get("groups") or [], start=1):
                for org in group.get("leads") or []:
                    out[org].append((tech, n, LEAD))
                for org in group.get("partners") or []:
                    out[org].append((tech, n, PARTNER))
        return out

    @cached_property
    def mentions(self) -> dict[str, list[tuple[Record, str]]]:
        """organisation id -> (policy, role) for every policy naming it."""
        out: dict[str, list[tuple[Record, str]]] = defaultdict(list)
        for rec in self.by_type["policy"]:
            for m in rec.get("organisations") or []:
                out[m["org"]].append((rec, m["role"]))
        return out

    # --- lookups ------------------------------------------------------------------------
    def get(self, rid: str) -> Record | None:
        return self.records.get(rid)

    def of_type(self, rtype: str) -> list[Record]:
        return self.by_type[rtype]

    def name_of(self, rid: str) -> str:
        rec = self.records.get(rid)
        return str(rec.get("title") or rec.get("name")) if rec else rid

    def resolve(self, rtype: str, name: str, what: str | None = None) -> Record:
        """A record of `rtype` by id, name or alias (case-insensitive); fuzzily only when the
        best match is close and clearly ahead. Raises NotFoundError with the closest names."""
        label = what or rtype
        key = norm(name)
        if not key:
            raise NotFoundError(label, name)
        table = self._names[rtype]
        exact = table.get(key)
        if exact:
            return self.records[exact[0]]
        for rid in (name, name.upper(), name.lower()):
            rec = self.records.get(rid)
            if rec is not None and rec["type"] == rtype:
                return rec
        partial = self._containing(rtype, key)
        if len(partial) == 1:
            return self.records[partial[0]]
        if len(partial) > 1:
            raise NotFoundError(label, name, [self._label(rid) for rid in partial[:5]], ambiguous=True)
        from .search import fuzzy_names

        matches = [(table[n][0], score) for n, score in fuzzy_names(key, list(table))]
        if matches and _confident(key, matches):
            return self.records[matches[0][0]]
        suggestions = list(dict.fromkeys(rid for rid, _ in matches))
        raise NotFoundError(label, name, [self._label(s) for s in suggestions[:3]])

    def _containing(self, rtype: str, key: str) -> list[str]:
        """Records with a name holding `key` as whole words ("etching" in "semiconductor
        etching gas"); not for very short keys, which are abbreviations."""
        if len(key) < 3:
            return []
        from .search import _whole_word

        found = [ids for name, ids in self._names[rtype].items() if key in name and _whole_word(key, name)]
        return list(dict.fromkeys(rid for ids in found for rid in ids))

    def _label(self, rid: str) -> str:
        rec = self.records[rid]
        shown = rec.get("name") or rec.get("title")
        return f"{rid} ({shown})" if shown and norm(shown) != norm(rid) else rid

    # --- queries ------------------------------------------------------------------------
    def policies(self, *, agencies: Iterable[str] = (), sector: str | None = None,
                 since: date | None = None, until: date | None = None) -> list[Record]:
        """Policies issued or co-issued by every one of `agencies`, in a sector, dated within."""
        wanted = list(agencies)
        pool = self.policies_by_agency.get(wanted[0], []) if wanted else self.by_type["policy"]
        out = []
        for rec in pool:
            issuers = rec.get("issuers") or []
            if any(a not in issuers for a in wanted[1:]):
                continue
            if sector and sector not in (rec.get("sectors") or []):
                continue
            if not dates.overlaps(rec.get("date"), since, until):
                continue
            out.append(rec)
        return out

    def in_sector(self, sector: str, rtype: str) -> list[Record]:
        return [r for r in self.by_type[rtype] if sector in (r.get("sectors") or [])]

    def targets(self) -> list[tuple[Record, Record]]:
        """(policy, target) pairs for every target in the knowledge base."""
        return [(p, t) for p in self.by_type["policy"] for t in p.get("targets") or []]


def _sort_key(rec: Record) -> tuple[str, str]:
    # Dated records first in date order, undated after them, ties by id.
    return (rec.get("date") or "9999", rec["id"])


def _confident(key: str, matches: list[tuple[str, float]]) -> bool:
    """Accept a fuzzy match (id, score) only when it is strong, not for very short names
    (abbreviations like SAC must match exactly), and clearly ahead of any other record."""
    best, score = matches[0]
    if len(key) < 5 or score < 85:
        return False
    rivals = [s for rid, s in matches[1:] if rid != best]
    return not rivals or rivals[0] <= score - 3
