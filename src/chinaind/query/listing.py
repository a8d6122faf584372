"""What every command returns: records for the structured formats, rows and columns for the
tabular ones. Commands build Listings; render.py is the one place that prints them.

A column has two faces: a header and a readable cell for tables ("ISSUERS": "MIIT, NDRC (+11
not named)"), and for csv and tsv a machine name (the JSON field name, "issuers") and a plain
value. A phrase that packs several fields into one cell ("at least 492 robots per 10,000
workers") lists the columns that replace it in csv and tsv (`parts`)."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional, Sequence

Record = dict[str, Any]
# Joins the items of a list in csv and tsv cells. No record text holds it today; an item that
# does has it written \| (and a backslash \\), so splitting on an unescaped | is always right.
LIST_SEPARATOR = "|"


class Column(NamedTuple):
    header: str
    get: Callable[[Record], Any]
    # Wide free text (titles, summaries) folds on a terminal; short codes never do.
    wide: bool = False
    # The name csv and tsv give the column: the JSON field it shows (default: the header, lower case).
    key: Optional[str] = None
    # The value csv and tsv print, when the table shows a phrase made from it (default: get).
    raw: Optional[Callable[[Record], Any]] = None
    # Machine columns that stand for this one in csv and tsv (the phrase's numbers, unit ...).
    parts: tuple["Column", ...] = ()

    @property
    def name(self) -> str:
        return self.key or self.header.lower()

    def value(self, row: Record) -> Any:
        return (self.raw or self.get)(row)


class Listing:
    def __init__(self, records: Sequence[Record], columns: list[Column], *, rows: Sequence[Record] | None = None,
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
    def table_rows(self) -> Sequence[Record]:
        return self.rows if self.rows is not None else self.records

    @property
    def machine_columns(self) -> list[Column]:
        """The columns of csv and tsv: each table column, or the parts that stand for it."""
        return [part for c in self.columns for part in (c.parts or (c,))]

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


def machine_cell(value: Any) -> str:
    """A field value for csv and tsv: numbers plain, booleans as in JSON (true, false), lists
    joined by LIST_SEPARATOR, a nested object as JSON text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return LIST_SEPARATOR.join(_list_item(machine_cell(v)) for v in value)
    if isinstance(value, dict):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _list_item(text: str) -> str:
    return text.replace("\\", "\\\\").replace(LIST_SEPARATOR, "\\" + LIST_SEPARATOR)


def col(header: str, key: str, wide: bool = False) -> Column:
    return Column(header, lambda r: r.get(key), wide, key)


def field(key: str, *path: str) -> Column:
    """A machine-only column: the value at key (then path, through nested objects), named
    key_path ("per", "value" -> per_value)."""
    def get(r: Record) -> Any:
        value = r.get(key)
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        return value

    return Column("_".join((key, *path)).upper(), get, key="_".join((key, *path)))
