"""ISO start and end columns beside every partial-date column of the export tables.

Records give dates as precise as their sources: 2016, 2016-07 or 2016-07-01. Tools that read
dates from a column (Datasette's date facets, spreadsheets, `date()` in SQLite) misread the
short forms: SQLite's date('2016') takes 2016 for a Julian day number, and Datasette's facet then
shows the year -4707. So beside each such column `<col>` the export adds `<col>_start` and
`<col>_end`, the first and last day the value covers (2016 -> 2016-01-01 and 2016-12-31).
A date the source gives without a year (--07-01) has no bounds: both columns are NULL.
"""

from __future__ import annotations

from typing import Any

from chinaind.records.dates import parse_span
from chinaind.export.tabular import Table

# The columns holding partial dates, table by table (the same in the SQLite and CSV exports).
DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "records": ("date",),
    "policies": ("date", "period_start", "period_end"),
    "sources": ("issue_date",),
    "events": ("date",),
    "dates": ("date",),
    "figures": ("deadline", "as_of", "period_start", "period_end"),
    "person_position": ("since", "until", "as_of"),
}


def bounds(value: Any) -> tuple[str | None, str | None]:
    """(first day, last day) of a partial date as ISO text; (None, None) for anything else."""
    if not isinstance(value, str):
        return None, None
    try:
        first, last = parse_span(value)
    except ValueError:  # year-less (--MM-DD) or not a date: nothing to bound
        return None, None
    return first.isoformat(), last.isoformat()


def add_date_bounds(tables: list[Table]) -> None:
    """Insert `<col>_start` and `<col>_end` right after every column listed in DATE_COLUMNS."""
    for table in tables:
        wanted = DATE_COLUMNS.get(table.name)
        if not wanted:
            continue
        names = table.header
        missing = [c for c in wanted if c not in names]
        if missing:  # a renamed column must not silently lose its bounds
            raise RuntimeError(f"table {table.name} has no date column {missing[0]}")
        spots = [names.index(c) for c in wanted]
        columns = []
        for i, column in enumerate(table.columns):
            columns.append(column)
            if i in spots:
                columns += [(f"{column[0]}_start", "TEXT"), (f"{column[0]}_end", "TEXT")]
        table.columns = columns
        table.rows = [_widen(row, spots) for row in table.rows]


def _widen(row: tuple[Any, ...], spots: list[int]) -> tuple[Any, ...]:
    out: list[Any] = []
    for i, value in enumerate(row):
        out.append(value)
        if i in spots:
            out.extend(bounds(value))
    return tuple(out)
