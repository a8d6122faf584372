"""Upgrading records written in the first record format (format 1) to the current one (the
files are rewritten by authoring/migrate.py; validate uses the upgrade to say what changed).

Format 1 had one `date` per policy and event, `targets` (value + unit, `exactly` by default)
and sources written out in every record. Now a record carries `dates` with roles, `figures`
(goals, tallies, statistics) and cites source records by id. The upgrade is mechanical and
loses nothing: each date becomes the `issued` (event: `occurred`) date, each target a goal
(its comparator kept only where the author wrote one), and each distinct (publication, issue
date) becomes a source record in `sources/`. Comments, which a YAML round trip drops, are
kept at the top of their file. Files already in the current format are left alone.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple


TARGET_KEYS = ("id", "metric", "value", "unit", "comparator", "baseline", "deadline", "scope", "sectors", "note")
_SLUG_RE = re.compile(r"[^a-z0-9]+")


def source_id(publication: str, issue_date: str) -> str:
    return f"{_SLUG_RE.sub('-', publication.lower()).strip('-')}-{issue_date}"[:128].strip("-")


def _citations(items: Any, found: dict[str, dict[str, Any]]) -> list[Any]:
    out = []
    for item in items or []:
        if not isinstance(item, dict) or "publication" not in item:
            out.append(item)
            continue
        sid = source_id(str(item["publication"]), str(item.get("issue_date", "undated")))
        found.setdefault(sid, {"publication": item["publication"], "issue_date": item.get("issue_date")})
        cited = {"source": sid, "section": item.get("section")}
        # Every other key stays (url, or a typo that validate should still report).
        cited.update({k: v for k, v in item.items() if k not in ("publication", "issue_date", "section")})
        out.append(cited)
    return out


def _replace(record: dict[str, Any], key: str, new_key: str, value: Any) -> dict[str, Any]:
    """The record with `key` replaced by `new_key: value` at the same place."""
    return {(new_key if k == key else k): (value if k == key else v) for k, v in record.items()}


def _goal(target: dict[str, Any]) -> dict[str, Any]:
    goal: dict[str, Any] = {"id": target.get("id"), "kind": "goal", "what": target.get("metric")}
    for key in TARGET_KEYS[2:]:
        if key in target:
            goal[key] = target[key]
    for key, value in target.items():
        if key not in TARGET_KEYS:
            goal[key] = value  # unknown keys stay, so validate reports them as before
    return goal


class Upgrade(NamedTuple):
    """A record in the current format, and what changed (empty when nothing did)."""

    record: dict[str, Any]
    changes: list[str]


def upgrade_record(rtype: str, record: dict[str, Any], found: dict[str, dict[str, Any]]) -> Upgrade:
    """One record in the current format, and what changed (empty when nothing did)."""
    changes: list[str] = []
    if rtype == "policy" and "date" in record and "dates" not in record:
        record = _replace(record, "date", "dates", [{"role": "issued", "date": record["date"]}])
        changes.append("date -> dates (role: issued)")
    if rtype == "policy" and "targets" in record and "figures" not in record:
        goals = [_goal(t) if isinstance(t, dict) else t for t in record["targets"] or []]
        record = _replace(record, "targets", "figures", goals)
        changes.append(f"targets -> figures ({len(goals)} goal{'s' if len(goals) != 1 else ''})")
    if rtype == "company" and isinstance(record.get("events"), list):
        events = []
        for event in record["events"]:
            if isinstance(event, dict) and "date" in event and "dates" not in event:
                event = _replace(event, "date", "dates", [{"role": "occurred", "date": event["date"]}])
                changes.append("event date -> dates (role: occurred)")
            if isinstance(event, dict) and _old_sources(event.get("sources")):
                event = {**event, "sources": _citations(event["sources"], found)}
            events.append(event)
        record = {**record, "events": events}
    if _old_sources(record.get("sources")):
        record = {**record, "sources": _citations(record["sources"], found)}
        changes.append("sources -> citations of source records")
    return Upgrade(record, list(dict.fromkeys(changes)))


def _old_sources(items: Any) -> bool:
    return isinstance(items, list) and any(isinstance(i, dict) and "publication" in i for i in items)
