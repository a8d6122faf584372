"""What `draft` prints: a review of every drafted value (record, field, value, the words of the
text it came from), then what it left to the analyst, as a Listing for the one renderer."""

from __future__ import annotations

from typing import Any

from chinaind.draft.run import Written, _field, as_data
from chinaind.query.listing import Column, Listing, col


def _value(record: dict[str, Any], path: tuple[Any, ...]) -> Any:
    value: Any = record
    for step in path:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def review(written: Written, data_dir: Any) -> Listing:
    rows: list[dict[str, Any]] = []
    for p in written.draft.proposals:
        state = "new" if p.new else "linked"
        rows.append({"id": p.rid, "record": f"{p.kind} {p.rid}", "field": f"({state})", "value": str(written.paths.get(p.rid) or ""),
                     "words": "", "line": None})
        for path, evidence in p.marks.items():
            rows.append({"id": p.rid, "record": p.rid, "field": _field(path), "value": _value(p.record, path),
                         "words": evidence.words, "line": evidence.line or None})
        for key, value in p.record.items():
            if isinstance(value, str) and value.startswith("TODO"):
                rows.append({"id": p.rid, "record": p.rid, "field": key, "value": "TODO", "words": "(yours to write)", "line": None})
    new = sum(1 for p in written.draft.proposals if p.new)
    marks = sum(len(p.marks) for p in written.draft.proposals)
    verb = "wrote" if written.written else "would write (dry run)"
    title = f"draft {verb} {new} new records with {marks} values to confirm"
    warnings = [f"left to you: line {l.line}: {l.words} ({l.reason})" for l in written.draft.left]
    if written.written and new:
        warnings.append("confirm each value marked UNCONFIRMED, write the TODO fields, then run `chinaind validate`")
    columns = [col("RECORD", "record"), col("FIELD", "field"), Column("VALUE", lambda r: r["value"], wide=True, key="value"),
               Column("FROM THE TEXT", lambda r: r["words"], wide=True, key="words"), col("LINE", "line")]
    return Listing(as_data(written, data_dir), columns, rows=rows, title=title, warnings=warnings)
