"""Dates with precision: 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD', each standing for its whole span."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import NamedTuple

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class Span(NamedTuple):
    """The first and last day a partial date covers."""

    start: date
    end: date


@lru_cache(maxsize=4096)  # a knowledge base repeats its dates; filters parse each once
def parse_span(text: str) -> Span:
    """Return the first and last day a partial date covers; ValueError if impossible."""
    m = _DATE_RE.match(text.strip()) if isinstance(text, str) else None
    if not m:
        raise ValueError(f"{text!r} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD")
    year = int(m.group(1))
    if m.group(2) is None:
        return Span(date(year, 1, 1), date(year, 12, 31))
    month = int(m.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"{text!r} has no month {month}; months run 01-12")
    last = _days_in_month(year, month)
    if m.group(3) is None:
        return Span(date(year, month, 1), date(year, month, last))
    day = int(m.group(3))
    if not 1 <= day <= last:
        raise ValueError(f"{text!r} is not a day of {year}-{month:02d}, which has {last} days")
    d = date(year, month, day)
    return Span(d, d)


def _days_in_month(year: int, month: int) -> int:
    # calendar.monthrange would cost an import of calendar (and locale) on every run.
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def check(text: str) -> str:
    """Validate a partial date and return it normalised (stripped)."""
    parse_span(text)
    return text.strip()


_YEARLESS_RE = re.compile(r"^--(\d{2})(?:-(\d{2}))?$")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


STATED_FORMS_MESSAGE = ("{text} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD, or --MM / --MM-DD "
                        "when the source gives no year")


def is_yearless(text: str | None) -> bool:
    """A date the source gives without a year: --MM or --MM-DD (ISO 8601's form)."""
    return bool(text) and text.startswith("--")  # type: ignore[union-attr]


def check_stated(text: str) -> str:
    """Validate a date as a source states it: a partial date, or --MM / --MM-DD without a year."""
    value = text.strip() if isinstance(text, str) else text
    m = _YEARLESS_RE.match(value) if isinstance(value, str) else None
    if m is None:
        if isinstance(value, str) and value.startswith("--"):
            raise ValueError(STATED_FORMS_MESSAGE.format(text=repr(text)))
        try:
            return check(text)
        except ValueError as exc:
            # A field that takes yearless dates names those forms too.
            if "is not a date" in str(exc):
                raise ValueError(STATED_FORMS_MESSAGE.format(text=repr(text))) from None
            raise
    month = int(m.group(1))
    if not 1 <= month <= 12:
        raise ValueError(f"{text!r} has no month {month}; months run 01-12")
    if m.group(2) is not None and not 1 <= int(m.group(2)) <= _days_in_month(2000, month):
        raise ValueError(f"{text!r} is not a day of month {month:02d}")
    return value


def describe(text: str) -> str:
    """A date for people: year-less dates in words ("January 29, year not stated")."""
    m = _YEARLESS_RE.match(text or "")
    if not m:
        return text
    month = _MONTHS[int(m.group(1)) - 1]
    return f"{month} {int(m.group(2))}, year not stated" if m.group(2) else f"{month}, year not stated"


def overlaps(value: str | None, since: date | None, until: date | None) -> bool:
    """True when the span of `value` overlaps [since, until]; undated values never match a bound."""
    if since is None and until is None:
        return True
    if not value or is_yearless(value):
        return False
    start, end = parse_span(value)
    if since is not None and end < since:
        return False
    if until is not None and start > until:
        return False
    return True


def year_of(value: str | None) -> int | None:
    return int(value[:4]) if value and not is_yearless(value) else None
