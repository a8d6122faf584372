"""Dates as texts write them, turned into the model's partial dates only when the text gives
them: "January 19, 2023" -> 2023-01-19; "February 3" in an issue of March 2023 -> 2023-02-03 with
its year marked inferred; "on Tuesday", "last week" -> no date at all (the analyst is told).
Periods ("2023-2025", "from 2021-2035", "from 2023 to 2025") and deadlines ("by 2025") too.
"""

from __future__ import annotations

import re
from typing import NamedTuple

MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
ISSUE_DATE_RE = re.compile(rf"(?i)\b{_MONTH}\s+\d{{1,2}},\s+\d{{4}}\b")
_MONTH_DAY_RE = re.compile(rf"(?i)^{_MONTH}\s+\d{{1,2}}$")
_PERIOD_RE = re.compile(r"(?<![\d.-])((?:19|20)\d\d)\s*(?:-|–|—|to|through|until)\s*((?:19|20)\d\d)(?![\d.-])")
DEADLINE_RE = re.compile(r"\b(?:by|before|until|no later than|by the end of)\s+((?:19|20)\d\d)\b(?![\d-])", re.I)
_RELATIVE_RE = re.compile(r"\b(?:on|last|this|next)\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|week|month)\b"
                          r"|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|recently)\b", re.I)


class Found(NamedTuple):
    """A date the text gives: the value for the record, and the words it came from."""

    value: str
    words: str
    year_inferred: bool = False


def parse_written_date(text: str) -> str | None:
    """"January 19, 2023" -> "2023-01-19"; None for anything else."""
    m = re.fullmatch(rf"(?i)\s*({_MONTH})\s+(\d{{1,2}}),\s+(\d{{4}})\s*", text)
    if m is None:
        return None
    month, day, year = MONTHS[m.group(1).lower()], int(m.group(2)), int(m.group(3))
    return f"{year:04d}-{month:02d}-{day:02d}" if _valid(year, month, day) else None


def month_day(text: str, issue_date: str | None) -> Found | None:
    """A Noteworthy date without a year ("February 3"): its year is the issue's, or the one
    before for a month after the issue's (a January issue reporting December), and marked
    inferred; without an issue date, the yearless form --MM-DD, which dates nothing."""
    if _MONTH_DAY_RE.match(text.strip()) is None:
        full = parse_written_date(text)
        return Found(full, text) if full else None
    name, day_text = text.split()
    month, day = MONTHS[name.lower()], int(day_text)
    if issue_date is None or len(issue_date) < 7:
        return Found(f"--{month:02d}-{day:02d}", text) if _valid(2000, month, day) else None
    year, issue_month = int(issue_date[:4]), int(issue_date[5:7])
    year -= 1 if month > issue_month else 0
    return Found(f"{year:04d}-{month:02d}-{day:02d}", text, year_inferred=True) if _valid(year, month, day) else None


def _valid(year: int, month: int, day: int) -> bool:
    import datetime

    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


def dates_in(text: str) -> list[Found]:
    """Full dates written in a sentence ("on January 19, 2023")."""
    return [Found(value, m.group(0)) for m in ISSUE_DATE_RE.finditer(text) if (value := parse_written_date(m.group(0)))]


class Span(NamedTuple):
    start: str
    end: str
    words: str


def periods_in(text: str) -> list[Span]:
    return [Span(m.group(1), m.group(2), m.group(0)) for m in _PERIOD_RE.finditer(text)
            if int(m.group(1)) < int(m.group(2))]


def deadline_in(text: str) -> Found | None:
    m = DEADLINE_RE.search(text)
    return Found(m.group(1), m.group(0)) if m else None


def relative_dates(text: str) -> list[str]:
    """Words that date something relative to a day the text does not give ("on Monday")."""
    return [m.group(0) for m in _RELATIVE_RE.finditer(text)]
