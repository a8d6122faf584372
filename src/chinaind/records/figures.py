"""Figures as people write them: "more than 200 applications", "CNY 2 trillion",
"26 per 10,000 people", "double the 2020 level", "at least +20%".

Records keep plain numbers (sortable, comparable); only display goes through here.
"""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]

COMPARATOR_WORDS = {"exactly": "exactly ", "at-least": "at least ", "more-than": "more than ",
                    "up-to": "up to ", "about": "about ", "almost": "almost ", "nearly": "nearly "}
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"))
_FACTOR_WORDS = {2: "double", 3: "triple", 4: "quadruple"}
# After a comparator ("almost twice"): "almost double" reads as a verb the source did not use.
_TIMES_WORDS = {2: "twice", 3: "three times", 4: "four times"}


def number_text(value: Any) -> str:
    """1150000 -> '1.15 million'; 10000 -> '10,000'; 3.5 -> '3.5'."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    for scale, word in _SCALES:
        if abs(value) >= scale:
            scaled = value / scale
            # Scale words only where they keep the number exact to 3 decimals (as people write it).
            if round(scaled, 3) * scale == value:
                return f"{_plain(round(scaled, 3))} {word}"
            break
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,}"


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def amount_text(value: Any, unit: str | None = None, currency: str | None = None) -> str:
    """'CNY 70 billion', '492 robots', '1.15 million base stations'."""
    parts = [currency] if currency else []
    parts.append(number_text(value))
    if unit:
        parts.append(unit)
    return " ".join(p for p in parts if p)


def change_text(change: Record | None, compared: bool = False) -> str:
    """'double', '+20%'; 'twice' or 'x1.5' when a comparator stands before it ('almost twice')."""
    if not change:
        return ""
    factor = change.get("factor")
    if factor is not None:
        words = _TIMES_WORDS if compared else _FACTOR_WORDS
        word = words.get(int(factor)) if float(factor).is_integer() else None
        return word or f"x{_plain(factor)}"
    percent = change["percent"]
    return f"{'+' if percent >= 0 else '-'}{_plain(abs(percent))}%"


def figure_text(f: Record) -> str:
    """The figure's value as a phrase; empty for a goal stated only in words."""
    comparator = COMPARATOR_WORDS.get(f.get("comparator") or "", "")
    parts = []
    if f.get("value") is not None:
        text = amount_text(f["value"], f.get("unit"), f.get("currency"))
        if f.get("equivalent"):
            text += f" ({amount_text(f['equivalent']['value'], None, f['equivalent']['currency'])})"
        per = f.get("per")
        if per:
            text += f" per {number_text(per['value'])} {per['unit']}"
        parts.append(text)
    change = change_text(f.get("change"), compared=bool(comparator))
    if change:
        parts.append(change if f.get("value") is None else f"({change})")
    if not parts:
        return ""
    return comparator + " ".join(parts)


def baseline_text(f: Record) -> str:
    b = f.get("baseline") or {}
    if not b:
        return ""
    about = "about " if b.get("approximate") else ""
    value = amount_text(b["value"], b.get("unit")) if b.get("value") is not None else ""
    year = str(b["year"]) if b.get("year") is not None else ""
    if value and year:
        return f"{about}{value} in {year}"
    if value:
        return about + value
    return f"{about}{year} level" if year else (b.get("note") or "")


def when_text(f: Record) -> str:
    """The date a figure stands at: its deadline (goals), as-of date or period."""
    if f.get("deadline"):
        return f["deadline"]
    if f.get("as_of"):
        return f["as_of"]
    period = f.get("period") or {}
    if period.get("start") or period.get("end"):
        span = f"{period.get('start') or ''}/{period.get('end') or ''}"
        return f"{span}, {period['duration']}" if period.get("duration") else span
    return period.get("duration") or ""


def figure_date(f: Record) -> str | None:
    """The date a figure is placed at on a timeline: deadline, as-of date, else its period's end.
    A period with only a start ("since 2016") runs on to an unstated end: the figure is undated."""
    period = f.get("period") or {}
    return f.get("deadline") or f.get("as_of") or period.get("end")


def named_text(f: Record, name_of: Any = None) -> str:
    """'3 of 12 named' for a tally whose source names some of what it counts."""
    named = len(f.get("named") or []) + len(f.get("named_ids") or [])
    value = f.get("value")
    if not named or not isinstance(value, (int, float)):
        return ""
    return f"{named} of {number_text(value)} named"


def summary_line(f: Record) -> str:
    """One line for listings: '<what>: <value> (by <deadline>)'."""
    text = figure_text(f)
    head = f"{f['what']}: {text}" if text else f["what"]
    named = named_text(f)
    return f"{head} ({named})" if named else head
