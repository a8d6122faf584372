"""Normalising names and queries so that pasted text matches what the records hold."""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterable

_QUOTES = "\"'“”‘’«»「」『』《》()（）"
_SPACE_RE = re.compile(r"[\s_\-‐‑‒–—]+")
# CJK punctuation, Extension A, Unified Ideographs, Compatibility Ideographs.
_CJK_RANGES = ((0x3000, 0x303F), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


def norm(value: str) -> str:
    """NFKC, case-folded, outer quotes stripped, hyphens and runs of space folded to one space."""
    text = unicodedata.normalize("NFKC", value).casefold()
    text = _SPACE_RE.sub(" ", text).strip()
    return text.strip(_QUOTES).strip()


def norm_text(value: str) -> str:
    """norm() without the quote stripping, for a whole record's text at once."""
    return _SPACE_RE.sub(" ", unicodedata.normalize("NFKC", value).casefold())


def has_cjk(value: str) -> bool:
    # A loop, not a regex: compiling a wide Unicode class costs milliseconds on every run.
    return any(lo <= ord(ch) <= hi for ch in value if ord(ch) >= 0x3000 for lo, hi in _CJK_RANGES)


def display_name(record: dict[str, Any]) -> str:
    return str(record.get("title") or record.get("name") or record.get("publication") or record.get("id"))


def marked(record: dict[str, Any], field: str, text: str | None = None) -> str:
    """A field's value as printed in a header, with "(editorial)" when the editors added it."""
    shown = str(record.get(field)) if text is None else text
    return f"{shown} (editorial)" if field in (record.get("editorial") or []) and record.get(field) else shown


def zh_part(record: dict[str, Any]) -> str:
    """' (中文名)' after an English name in a header, ' (中文名, editorial)' when the editors added it."""
    zh = record.get("name_zh")
    if not zh:
        return ""
    return f" ({zh}, editorial)" if "name_zh" in (record.get("editorial") or []) else f" ({zh})"


def names_of(record: dict[str, Any]) -> list[str]:
    """Every name a record answers to: id, English and Chinese names, aliases."""
    out = [record["id"]]
    for key in ("name", "title", "name_zh", "title_zh", "short_name_zh"):
        if record.get(key):
            out.append(record[key])
    out.extend(record.get("aliases") or [])
    return out


def strings_in(value: Any) -> Iterable[str]:
    """Every string inside a record (for full-text search), skipping the sources block."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in ("sources", "type", "url", "urls"):
                yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def search_text(record: dict[str, Any]) -> tuple[str, str]:
    """(names, everything) of a record, normalised: names one a line, for exact matches; all
    text fields NUL-separated and normalised in one pass (per field it was a sixth of a build)."""
    names = "\n".join(norm(n) for n in names_of(record))
    return names, norm_text("\x00".join(strings_in(record)))


def near_typos(value: str, allowed: list[str]) -> list[str]:
    """The allowed values a slip of the keyboard away from `value` (a letter or two missing,
    extra, swapped or wrong), closest first. A value of another meaning is never offered:
    'almost' is not 'at-least', 'agreement' is not 'announcement'."""
    key = value.strip().lower()
    limit = 1 if len(key) <= 5 else 2
    found = sorted((d, a) for a in allowed if (d := _edit_distance(key, a.lower())) <= limit)
    return [a for _, a in found]


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps."""
    if abs(len(a) - len(b)) > 2:
        return 3  # beyond any limit near_typos uses
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]
