"""What changed between two knowledge bases: records added, removed and changed, and for a
changed record the top-level fields that differ (for a list, which of its items).

Compares the validated plain records, so that reformatting a file, reordering its keys or
adding comments is no change, and a value written two ways (`2023` and `"2023"` where a year
belongs) is one value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, NamedTuple

from chinaind.core.errors import InvalidKnowledgeBase, Problem, UsageError
from chinaind.records.kinds import RECORD_TYPES
from chinaind.query.listing import Column, Listing, Record, col
from chinaind.records.text import display_name

# Computed from other fields (`date` from `dates`): the change shows where it was made.
DERIVED = frozenset({"date"})
CHANGES = ("added", "removed", "changed")


class FieldChange(NamedTuple):
    """One top-level field that differs; for a list, the items that do: an id or position
    changed, `+x` added, `-x` removed (none when the field changed as a whole, or only its
    order did)."""

    field: str
    items: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.field}[{', '.join(self.items)}]" if self.items else self.field


class RecordChange(NamedTuple):
    change: str  # added, removed or changed
    type: str
    id: str
    name: str
    fields: tuple[FieldChange, ...] = ()

    def as_dict(self) -> Record:
        return {"change": self.change, "type": self.type, "id": self.id, "name": self.name,
                "fields": {f.field: list(f.items) for f in self.fields}}


class Side(NamedTuple):
    """One knowledge base of a comparison: its records, and the problems skipped (--skip-invalid)."""

    records: Mapping[str, Record]
    problems: list[Problem]


def load_side(data_dir: Path, *, use_cache: bool, skip_invalid: bool, shown_as: str | None = None) -> Side:
    """Load one side. `shown_as` names a temporary folder in problems (`HEAD~1:data/`), so that
    they point at the revision, not at a folder that is gone when they are read."""
    from chinaind.query.opening import open as open_kb

    def shown(problems: list[Problem]) -> list[Problem]:
        if shown_as is None:
            return problems
        root = str(data_dir).rstrip("/") + "/"
        return [p._replace(path=shown_as + p.path[len(root):]) if p.path.startswith(root) else p
                for p in problems]

    try:
        with open_kb(data_dir, cache=use_cache, skip_invalid=skip_invalid) as base:
            return Side(dict(base.records.items()), shown(base.problems))
    except InvalidKnowledgeBase as exc:
        raise InvalidKnowledgeBase(shown(exc.problems)) from None
    except UsageError as exc:  # not a knowledge base at all
        if shown_as is None:
            raise
        raise UsageError(str(exc).replace(str(data_dir), shown_as.rstrip("/:") or shown_as)) from None


def compare(old: Mapping[str, Record], new: Mapping[str, Record]) -> list[RecordChange]:
    """Every record added, removed or changed, by record type (in RECORD_TYPES order), then id."""
    out = []
    for rid in old.keys() - new.keys():
        out.append(_change("removed", old[rid]))
    for rid in new.keys() - old.keys():
        out.append(_change("added", new[rid]))
    for rid in old.keys() & new.keys():
        fields = changed_fields(old[rid], new[rid])
        if fields:
            out.append(_change("changed", new[rid], fields))
    return sorted(out, key=lambda c: (_type_rank(c.type), c.id))


def _change(change: str, record: Record, fields: tuple[FieldChange, ...] = ()) -> RecordChange:
    return RecordChange(change, record["type"], record["id"], display_name(record), fields)


def _type_rank(rtype: str) -> int:
    return RECORD_TYPES.index(rtype) if rtype in RECORD_TYPES else len(RECORD_TYPES)


def changed_fields(old: Record, new: Record) -> tuple[FieldChange, ...]:
    """The top-level fields that differ, in the new record's field order (then removed ones)."""
    keys = list(dict.fromkeys([*new, *old]))
    out = []
    for key in keys:
        if key in DERIVED or old.get(key) == new.get(key):
            continue
        a, b = old.get(key), new.get(key)
        items = list_items(a, b) if isinstance(a, list) and isinstance(b, list) else ()
        out.append(FieldChange(key, items))
    return tuple(out)


def list_items(old: list[Any], new: list[Any]) -> tuple[str, ...]:
    """Which items of a list differ: by id for lists of records with ids (figures) and for
    lists of ids (issuers, sectors), by 0-based position otherwise (dates, sources)."""
    old_keys, new_keys = _keys(old), _keys(new)
    if old_keys is None or new_keys is None:
        return _by_position(old, new)
    old_by, new_by = dict(zip(old_keys, old)), dict(zip(new_keys, new))
    changed = [k for k in new_keys if k in old_by and old_by[k] != new_by[k]]
    added = [f"+{k}" for k in new_keys if k not in old_by]
    removed = [f"-{k}" for k in old_keys if k not in new_by]
    return (*changed, *added, *removed)


def _keys(items: list[Any]) -> list[str] | None:
    """Each item's identity when every item has a unique one: a string item is its own, a
    mapping's is its `id`. None when the list has no such identities."""
    if all(isinstance(i, str) for i in items):
        keys = list(items)
    elif all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in items):
        keys = [i["id"] for i in items]
    else:
        return None
    return keys if len(set(keys)) == len(keys) else None


def _by_position(old: list[Any], new: list[Any]) -> tuple[str, ...]:
    common = min(len(old), len(new))
    changed = [str(i) for i in range(common) if old[i] != new[i]]
    added = [f"+{i}" for i in range(common, len(new))]
    removed = [f"-{i}" for i in range(common, len(old))]
    return (*changed, *added, *removed)


def listing(changes: list[RecordChange], old_label: str, new_label: str) -> Listing:
    counts = {c: sum(1 for x in changes if x.change == c) for c in CHANGES}
    summary = ", ".join(f"{n} {c}" for c, n in counts.items())
    columns = [col("CHANGE", "change"), col("TYPE", "type"), col("ID", "id"), Column("NAME", lambda r: r["name"], wide=True),
               Column("FIELDS", lambda r: ", ".join(str(f) for f in r["_fields"]), wide=True)]
    rows = [{**c.as_dict(), "_fields": c.fields} for c in changes]
    return Listing([c.as_dict() for c in changes], columns, rows=rows,
                   title=f"{old_label} -> {new_label}: {summary}",
                   notes=[] if changes else ["no differences"])
