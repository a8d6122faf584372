"""What every command returns: records for the structured formats, rows and columns for the
tabular ones. Commands build Listings; render.py is the one place that prints them."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

Record = dict[str, Any]


class Column(NamedTuple):
    header: str
    get: Callable[[Record], Any]
    # Wide free text (titles, summaries) folds on a terminal; short codes never do.
    wide: bool = False


class Listing:
    def __init__(self, records: list[Record], columns: list[Column], *, rows: list[Record] | None = None,
                 title: str | None = None, notes: list[str] | None = None, detail: bool = False,
                 warnings: list[str] | None = None) -> None:
        self.records = records  # what json, jsonl and yaml print
        self.columns = columns
        self.rows = rows  # tabular rows when they differ from the records
        self.title = title  # shown above a terminal table only
        self.notes = notes or []  # shown under a terminal table only
        self.detail = detail  # on a terminal, one field/value table per record
        # What the user must hear whatever the format (records a filter left out for lack of a
        # date): under a terminal table, else one line each on stderr.
        self.warnings = warnings or []

    @property
    def table_rows(self) -> list[Record]:
        return self.rows if self.rows is not None else self.records

    @property
    def ids(self) -> list[str]:
        known = getattr(self.table_rows, "ids", None)  # a LazyRecords: no need to decode
        if known is not None:
            return list(dict.fromkeys(known))
        return list(dict.fromkeys(str(r["id"]) for r in self.table_rows if r.get("id")))


def cell(value: Any) -> str:
    """A field value as one line of plain text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {cell(v)}" for k, v in value.items() if v not in (None, [], "", False))
    return str(value)


def col(header: str, key: str, wide: bool = False) -> Column:
    return Column(header, lambda r: r.get(key), wide)
