"""The index over a loaded knowledge base. Lookup tables are built on first use, so a command
pays only for the tables it needs, and records are decoded only when a command touches them."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import cached_property
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Iterable

from chinaind.records import dates
from chinaind.core.errors import NotFoundError
from chinaind.records.kinds import RECORD_TYPES
from chinaind.records.facets import Facet
from chinaind.store.protocol import RecordStore, TextStore
from chinaind.query.dating import Window, in_window, span_of
from chinaind.query.listing import LazyRecords, PolicyResult
from chinaind.records.text import names_of, norm

Record = dict[str, Any]

# The record types that carry figures.
FIGURE_TYPES = ("policy", "company", "technology", "source")

# How a technology relates to an organisation in a chain group.
LEAD, PARTNER = "lead", "partner"


class KnowledgeBase:
    """Queries over the store (store/protocol.py): the facets (type, date, issuers) and the
    store's tables answer filters without decoding records; only records a command returns, or
    a table it needs, are decoded. Opened through query/opening.py."""

    def __init__(self, records: RecordStore, texts: TextStore) -> None:
        self.records = records
        self.texts = texts
        self._of_type: dict[str, list[Record]] = {}
        self._names_of_type: dict[str, dict[str, list[str]]] = {}
        # Names resolved by a close guess, said to the user whatever the format ("MIIIT" -> MIIT).
        self.guesses: list[str] = []

    @property
    def facets(self) -> Mapping[str, Facet]:
        return self.records.facets

    # --- tables -------------------------------------------------------------------------
    @property
    def ids_by_type(self) -> Mapping[str, list[str]]:
        """type -> ids, dated records first in date order, then undated, ties by id."""
        return self.records.ids_by_type

    def of_type(self, rtype: str) -> list[Record]:
        """Every record of a type, in date order (decoding them all)."""
        if rtype not in self._of_type:
            self._of_type[rtype] = [self.records[rid] for rid in self.ids_by_type[rtype]]
        return self._of_type[rtype]

    def _names(self, rtype: str) -> dict[str, list[str]]:
        """Normalised name/alias -> ids answering to it, for one record type."""
        if rtype not in self._names_of_type:
            table: dict[str, list[str]] = defaultdict(list)
            for rec in self.of_type(rtype):
                for name in names_of(rec):
                    key = norm(name)
                    if key and rec["id"] not in table[key]:
                        table[key].append(rec["id"])
            self._names_of_type[rtype] = table
        return self._names_of_type[rtype]

    def all_names(self) -> dict[str, list[str]]:
        """Normalised name/alias -> ids across every record type, in RECORD_TYPES order."""
        table: dict[str, list[str]] = {}
        for rtype in RECORD_TYPES:
            for key, ids in self._names(rtype).items():
                table.setdefault(key, []).extend(i for i in ids if i not in table[key])
        return table

    @property
    def policy_ids_by_agency(self) -> Mapping[str, list[str]]:
        return self.records.policy_ids_by_agency

    @cached_property
    def chain_roles(self) -> dict[str, list[tuple[Record, int, str]]]:
        """organisation id -> (technology, group number from 1, lead|partner)."""
        out: dict[str, list[tuple[Record, int, str]]] = defaultdict(list)
        for tech in self.of_type("technology"):
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
        for rec in self.of_type("policy"):
            for m in rec.get("organisations") or []:
                out[m["org"]].append((rec, m["role"]))
        return out

    @cached_property
    def event_mentions(self) -> dict[str, list[tuple[Record, Record]]]:
        """organisation id -> (organisation, event) for events of other organisations naming it."""
        out: dict[str, list[tuple[Record, Record]]] = defaultdict(list)
        for org in self.of_type("company"):
            for event in org.get("events") or []:
                for other in dict.fromkeys(event.get("organisations") or []):
                    if other != org["id"]:
                        out[other].append((org, event))
        return out

    # --- lookups ------------------------------------------------------------------------
    def get(self, rid: str) -> Record | None:
        return self.records.get(rid)

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
        exact = self._named(rtype, key)
        if exact:
            return self.records[exact[0]]
        for rid in (name, name.upper(), name.lower()):
            rec = self.records.get(rid)
            if rec is not None and rec["type"] == rtype:
                return rec
        table = self._names(rtype)
        partial = self._containing(rtype, key)
        if len(partial) == 1:
            return self.records[partial[0]]
        if len(partial) > 1:
            raise NotFoundError(label, name, [self.label(rid) for rid in partial[:5]], ambiguous=True)
        from chinaind.query.search import fuzzy_names

        matches = [(table[n][0], score) for n, score in fuzzy_names(key, list(table))]
        if matches and _confident(key, matches):
            found = self.records[matches[0][0]]
            self.guesses.append(f"no {label} is named {name!r}; answering for the closest, {self.label(found['id'])}")
            return found
        suggestions = list(dict.fromkeys(rid for rid, _ in matches))
        raise NotFoundError(label, name, [self.label(s) for s in suggestions[:3]])

    def _named(self, rtype: str, key: str) -> list[str]:
        """Ids of `rtype` with a name, alias or id normalising to `key`, in date order. From the
        cache's names column when there is one: a lookup need not decode every record of the
        type (28,000 technologies at 100,000 records), only the partial and fuzzy fallbacks do."""
        if rtype not in self._names_of_type:
            return self.records.ids_named(rtype, key)
        return self._names(rtype).get(key, [])

    def _containing(self, rtype: str, key: str) -> list[str]:
        """Records with a name holding `key` as whole words ("etching" in "semiconductor
        etching gas"); not for very short keys, which are abbreviations."""
        if len(key) < 3:
            return []
        from chinaind.query.search import whole_word

        found = [ids for name, ids in self._names(rtype).items() if key in name and whole_word(key, name)]
        return list(dict.fromkeys(rid for ids in found for rid in ids))

    def label(self, rid: str) -> str:
        """`id (name)` for messages that suggest records."""
        rec = self.records[rid]
        shown = rec.get("name") or rec.get("title")
        return f"{rid} ({shown})" if shown and norm(shown) != norm(rid) else rid

    # --- queries ------------------------------------------------------------------------
    def policies(self, *, agencies: Iterable[str] = (), sector: str | None = None,
                 window: Window = Window()) -> "PolicyResult":
        """Policies issued or co-issued by every one of `agencies`, in a sector, within the date
        window. Agencies and primary dates are checked on the facets; records are decoded only
        when a sector filter or another date role needs them, or when the caller reads them."""
        wanted = list(agencies)
        pool = self.policy_ids_by_agency.get(wanted[0], []) if wanted else self.ids_by_type["policy"]
        date_of = self.records.date_of
        lo, hi = 0, len(pool)
        if window.role is None and window.undated == "exclude" and window.bounded:
            lo, hi = _date_range(pool, date_of, window.since, window.until)
        found: list[str] = []
        undated: list[str] = []
        for rid in pool[lo:hi]:
            if wanted[1:] and any(a not in self.facets[rid].issuers for a in wanted[1:]):
                continue
            if sector and sector not in (self.records[rid].get("sectors") or []):
                continue
            span: tuple[date, date] | None
            if window.role is None:
                value = date_of(rid)
                span = dates.parse_span(value) if value and not dates.is_yearless(value) else None
            else:
                span = span_of(self.records[rid], window.role)
            verdict = in_window(span, window)
            if verdict is None:
                (undated if window.undated == "exclude" and window.filters else found).append(rid)
            elif verdict:
                found.append(rid)
        if hi < len(pool):
            # The bisection cut off the undated tail; count those matching the other filters.
            undated += [rid for rid in pool[hi:] if not date_of(rid)
                       and not (wanted[1:] and any(a not in self.facets[rid].issuers for a in wanted[1:]))
                       and not (sector and sector not in (self.records[rid].get("sectors") or []))]
        return PolicyResult(found, self.records, undated)

    def in_sector(self, sector: str, rtype: str) -> list[Record]:
        return [r for r in self.of_type(rtype) if sector in (r.get("sectors") or [])]

    def figures(self) -> list[tuple[Record, Record]]:
        """(record, figure) pairs for every figure in the knowledge base, policies first."""
        return [(r, f) for t in FIGURE_TYPES for r in self.of_type(t) for f in r.get("figures") or []]


def _date_range(pool: list[str], date_of: Any, since: date | None, until: date | None) -> tuple[int, int]:
    """The part of a date-ordered pool (dated ids by date, undated last) that can overlap
    [since, until]. Dates are YYYY[-MM[-DD]], so string order is date order, and a date sorts
    after a bound's year string exactly when its span can reach the bound."""
    from bisect import bisect_left, bisect_right

    def key(rid: str) -> str:
        return date_of(rid) or "9999"

    lo = bisect_left(pool, f"{since.year:04d}", key=key) if since is not None else 0
    hi = bisect_right(pool, until.isoformat(), key=key) if until is not None else len(pool)
    return lo, max(lo, hi)


def _confident(key: str, matches: list[tuple[str, float]]) -> bool:
    """Accept a fuzzy match (id, score) only when it is strong, not for very short names
    (abbreviations like SAC must match exactly), and clearly ahead of any other record."""
    best, score = matches[0]
    if len(key) < 5 or score < 85:
        return False
    rivals = [s for rid, s in matches[1:] if rid != best]
    return not rivals or rivals[0] <= score - 3
