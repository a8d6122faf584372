"""Counts over the knowledge base, one facet at a time: a quick view of what it holds.

Facets: `kind` (records of each type, zeros included), `agency` (policies each agency issued
or co-issued), `sector` (records of any type in each sector) and `month` (policies by month;
a date known only to its year counts under the year, none under "undated").
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from chinaind.query.dating import Window, undated_note
from chinaind.query.index import KnowledgeBase
from chinaind.records.kinds import RECORD_TYPES
from chinaind.query.listing import Listing, col

Record = dict[str, Any]
FACETS = ("kind", "agency", "sector", "month")
UNDATED = "undated"


def _by_count(counts: Counter[str]) -> list[tuple[str, int]]:
    # Largest first, ties by value, so the output is stable.
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def facets(kb: KnowledgeBase, policies: Any = None) -> dict[str, list[tuple[str, int]]]:
    policies = kb.of_type("policy") if policies is None else list(policies)
    kinds = [(t, len(kb.of_type(t))) for t in RECORD_TYPES]
    agencies = Counter(a for p in policies for a in dict.fromkeys(p.get("issuers") or []))
    sectors = Counter(s for t in RECORD_TYPES for r in kb.of_type(t) for s in dict.fromkeys(r.get("sectors") or []))
    months = Counter((p.get("date") or UNDATED)[:7] for p in policies)
    # Months in time order, the undated at the end.
    month_rows = sorted(months.items(), key=lambda kv: (kv[0] == UNDATED, kv[0]))
    return {"kind": kinds, "agency": _by_count(agencies), "sector": _by_count(sectors), "month": month_rows}


def stats(kb: KnowledgeBase, window: Window = Window()) -> Listing:
    """With a date window, the agency and month facets count the policies inside it."""
    policies = kb.policies(window=window) if window.filters else None
    rows: list[Record] = []
    for facet, counts in facets(kb, policies).items():
        for value, count in counts:
            row: Record = {"facet": facet, "value": value, "count": count}
            if facet in ("agency", "sector") and (rec := kb.get(value)):
                row["name"] = rec.get("name")
            rows.append(row)
    columns = [col("FACET", "facet"), col("VALUE", "value"), col("COUNT", "count")]
    notes = ["agency: policies issued or co-issued; sector: records of every type; month: policies"]
    warnings = undated_note(len(policies.undated), "policy", "policies") if policies is not None else []
    return Listing(rows, columns, title=f"{len(kb.records)} records", notes=notes, warnings=warnings)
