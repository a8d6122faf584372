"""Which date of a record a query filters on, and what happens to records without one.

A record can carry several dates (issued, published, reported, effective ...) and a period it
covers. Queries filter on its primary date (issued, else the first known; models.py) unless
asked for a role. A record without the date asked for is "undated" for that query: left out
by default, and counted so that the user is told (never dropped silently).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Iterable, NamedTuple

from chinaind.records import dates

UNDATED_MODES = ("exclude", "include", "only")
ROLES = ("issued", "adopted", "announced", "published", "reported", "effective", "occurred", "extended", "circulated",
         "started", "period")
_FAR_PAST, _FAR_FUTURE = date(1, 1, 1), date(9999, 12, 31)

Record = dict[str, Any]


class Window(NamedTuple):
    """A query's date filter: the span, the date role (None: the primary date) and what to do
    with records that lack that date."""

    since: date | None = None
    until: date | None = None
    role: str | None = None
    undated: str = "exclude"

    @property
    def bounded(self) -> bool:
        return self.since is not None or self.until is not None

    @property
    def filters(self) -> bool:
        """True when this window can leave a record out."""
        return self.bounded or self.undated == "only"

    def describe(self) -> str:
        """What the dates in the listing are, for titles: 'by issued date'."""
        return "by period covered" if self.role == "period" else f"by {self.role or 'primary'} date"

    @classmethod
    def parse(cls, since: str | None = None, until: str | None = None, role: str | None = None,
              undated: str = "exclude", *, prefix: str = "--") -> "Window":
        """A window from the values a user typed (YYYY, YYYY-MM or YYYY-MM-DD; a role; a mode):
        since as the first day it covers, until as the last. A bad value is a UsageError naming
        the option (`prefix` + name: "--since" on the command line, "since" in Python)."""
        from chinaind.core.errors import UsageError

        mode = undated.strip().lower()
        if mode not in UNDATED_MODES:
            raise UsageError(f"{prefix}undated: unknown mode {undated!r}; choose one of {', '.join(UNDATED_MODES)}")
        chosen = role.strip().lower() if role is not None else None
        if chosen is not None and chosen not in ROLES:
            raise UsageError(f"{prefix}date-role: unknown role {role!r}; choose one of {', '.join(ROLES)}")
        return cls(_bound(since, f"{prefix}since", end=False), _bound(until, f"{prefix}until", end=True), chosen, mode)


def _bound(value: str | None, option: str, *, end: bool) -> date | None:
    from chinaind.core.errors import UsageError

    if value is None:
        return None
    try:
        span = dates.parse_span(value)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None
    return span.end if end else span.start


def span_of(record: Record, role: str | None) -> tuple[date, date] | None:
    """The days the record's date of `role` covers; None when it has none (or no year)."""
    if role is None:
        value = record.get("date")
        return dates.parse_span(value) if value and not dates.is_yearless(value) else None
    if role == "period":
        period = record.get("period") or {}
        # A duration alone ("over three years") places the record nowhere on a calendar.
        if not period.get("start") and not period.get("end"):
            return None
        start = dates.parse_span(period["start"]).start if period.get("start") else _FAR_PAST
        end = dates.parse_span(period["end"]).end if period.get("end") else _FAR_FUTURE
        return start, end
    for entry in record.get("dates") or []:
        if entry["role"] == role and not dates.is_yearless(entry["date"]):
            return dates.parse_span(entry["date"])
    return None


def role_date(record: Record, role: str | None) -> str | None:
    """The date text of `role` (None: the primary date), for display and sorting."""
    if role is None:
        return record.get("date")
    if role == "period":
        period = record.get("period") or {}
        return f"{period.get('start') or ''}/{period.get('end') or ''}" if period.get("start") or period.get("end") else None
    return next((e["date"] for e in record.get("dates") or [] if e["role"] == role
                 and not dates.is_yearless(e["date"])), None)


def in_window(span: tuple[date, date] | None, window: Window) -> bool | None:
    """True/False for a dated record; None for an undated one (the caller counts it)."""
    if span is None:
        return None
    if window.undated == "only":
        return False
    start, end = span
    if window.since is not None and end < window.since:
        return False
    if window.until is not None and start > window.until:
        return False
    return True


class Split(NamedTuple):
    kept: list[Any]
    undated_left_out: int


def split(items: Iterable[Any], span: Any, window: Window) -> Split:
    """Items kept by the window, and how many were left out for lack of a date."""
    kept, undated = [], 0
    for item in items:
        verdict = in_window(span(item), window)
        if verdict is None:
            if window.undated == "exclude" and window.filters:
                undated += 1
                continue
            kept.append(item)
        elif verdict:
            kept.append(item)
    return Split(kept, undated)


def undated_note(count: int, noun: str, nouns: str, what: str = "date") -> list[str]:
    """The line telling the user what a date filter left out."""
    if not count:
        return []
    shown = noun if count == 1 else nouns
    article = "an" if what[:1] in "aeiou" else "a"
    return [f"{count} {shown} without {article} {what} left out; --undated include shows them, --undated only lists them"]


def year_inferred(rec: Record, value: str | None = None) -> bool:
    """Whether the date a record (or event) stands at, or `value`, has a year the editors inferred."""
    value = rec.get("date") if value is None else value
    if rec.get("year_inferred") is not None and "dates" not in rec:
        return bool(rec["year_inferred"]) and value is not None
    return any(e.get("year_inferred") for e in rec.get("dates") or [] if e.get("date") == value and value)


def date_cell(rec: Record, value: str | None = None) -> str:
    """A date as a table shows it: '2023-01-29 (year inferred)' when the editors inferred the year."""
    value = rec.get("date") if value is None else value
    if not value:
        return ""
    return f"{value} (year inferred)" if year_inferred(rec, value) else value
