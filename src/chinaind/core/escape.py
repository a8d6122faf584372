"""The one definition of the characters that never leave chinaind raw, and how each output
writes them instead. Every format (table, tsv, csv, json, jsonl, yaml, ids, the chain tree,
the graph formats, error lines and echoed paths) escapes through this module.

Unsafe are the Unicode categories that draw nothing of their own but act on a terminal or on
the text around them:

- Cc: C0 and C1 controls and DEL (ESC sequences, BEL, CR, backspace, NUL);
- Cf: format characters: bidirectional marks, overrides and isolates (U+061C, U+200E/F,
  U+202A..E, U+2066..9), zero-width space and joiners (U+200B..D), word joiner and invisible
  operators (U+2060..4), the byte-order mark U+FEFF, the soft hyphen U+00AD, tag characters;
- Zl, Zp: the line and paragraph separators U+2028 and U+2029, read as line breaks;
- Cs: lone surrogates, which is how Python carries the bytes of a file name that is not UTF-8.

They are written as Python-style escapes (\\x1b, \\u202e, \\U000e0001), or by the format's own
escape where it has one (JSON \\u202e, YAML "\\u202e"). Newline and tab are kept where a
format carries them itself (table cells, CSV fields, JSON and YAML strings); on one line
(tsv, ids, tree labels, messages) they are written \\n and \\t.

The ranges below are those of Unicode 15.1; tests/hostile/test_hostile_escaping.py checks them
against the running Python's `unicodedata` (computing them at import would cost start-up time).
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple


class Span(NamedTuple):
    first: int
    last: int


UNSAFE_SPANS = (
    Span(0x0000, 0x001F), Span(0x007F, 0x009F), Span(0x00AD, 0x00AD), Span(0x0600, 0x0605),
    Span(0x061C, 0x061C), Span(0x06DD, 0x06DD), Span(0x070F, 0x070F), Span(0x0890, 0x0891),
    Span(0x08E2, 0x08E2), Span(0x180E, 0x180E), Span(0x200B, 0x200F), Span(0x2028, 0x202E),
    Span(0x2060, 0x2064), Span(0x2066, 0x206F), Span(0xD800, 0xDFFF), Span(0xFEFF, 0xFEFF),
    Span(0xFFF9, 0xFFFB), Span(0x110BD, 0x110BD), Span(0x110CD, 0x110CD), Span(0x13430, 0x1343F),
    Span(0x1BCA0, 0x1BCA3), Span(0x1D173, 0x1D17A), Span(0xE0001, 0xE0001), Span(0xE0020, 0xE007F),
)
# Kept by formats that carry them themselves.
LAYOUT = "\t\n"


def _char_class(spans: tuple[Span, ...], keep: str = "") -> re.Pattern[str]:
    """One character class; `keep` is cut out of the spans (cheaper to compile and to match
    than a lookahead)."""
    cut: list[Span] = []
    for span in spans:
        start = span.first
        for code in sorted(ord(c) for c in keep if span.first <= ord(c) <= span.last):
            if start < code:
                cut.append(Span(start, code - 1))
            start = code + 1
        if start <= span.last:
            cut.append(Span(start, span.last))
    return re.compile("[" + "".join(f"\\U{s.first:08x}-\\U{s.last:08x}" for s in cut) + "]")


# Compiled on first need: the classes cost about a millisecond each to compile, and most
# text is printable (str.isprintable is false for every unsafe character), so most runs never
# need them.
_COMPILED: dict[str, re.Pattern[str]] = {}


def unsafe_pattern(keep: str = "") -> re.Pattern[str]:
    """The unsafe characters but those in `keep` ("" or LAYOUT), as a compiled class."""
    pattern = _COMPILED.get(keep)
    if pattern is None:
        pattern = _COMPILED[keep] = _char_class(UNSAFE_SPANS, keep)
    return pattern


def has_unsafe(text: str, keep: str = LAYOUT) -> bool:
    return not text.isprintable() and unsafe_pattern(keep).search(text) is not None


_ONE_LINE = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# What a spreadsheet runs as a formula when a cell starts with it (OWASP, "CSV injection");
# a leading CR is already written \\x0d by visible().
FORMULA_START = ("=", "+", "-", "@", "\t")
_NUMBER_CHARS = frozenset("+-.eE0123456789")


def escape_char(ch: str) -> str:
    """\\x1b, \\u202e or \\U000e0001: Python's spelling, read back by tsv_unescape in the tests."""
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def visible(text: str) -> str:
    """Unsafe characters as visible escapes; newlines and tabs kept (table cells, CSV)."""
    if text.isprintable():
        return text
    return unsafe_pattern(LAYOUT).sub(lambda m: escape_char(m.group()), text)


def one_line(text: str) -> str:
    """For what must stay on one line (tsv fields, ids, tree labels, messages, paths): newline,
    carriage return and tab as \\n, \\r and \\t, every other unsafe character escaped."""
    if text.isprintable():
        return text
    return unsafe_pattern().sub(lambda m: _ONE_LINE.get(m.group()) or escape_char(m.group()), text)


def json_escape_char(ch: str) -> str:
    """JSON's own escape; characters beyond the BMP as a surrogate pair, as JSON wants."""
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_safe(text: str) -> str:
    """JSON text with every unsafe character escaped. json.dumps already escapes C0 controls
    in strings (a raw newline or tab is indentation); the others it leaves raw can only stand
    inside strings, so escaping them there is exact."""
    if text.isprintable():
        return text
    return unsafe_pattern(LAYOUT).sub(lambda m: json_escape_char(m.group()), text)


def csv_cell(value: str) -> str:
    """A CSV field: unsafe characters visible (newline and tab kept: CSV quotes them), and a
    text that a spreadsheet would run as a formula prefixed with a single quote, as OWASP
    advises. Numbers (-5, +3.5) are left as they are: a spreadsheet reads them as numbers."""
    text = visible(value)
    if text.startswith(FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    """A plain decimal number (-5, +3.5, -1e3): no formula. float() alone would also take
    'inf', 'nan', '1_000' and surrounding spaces."""
    if not _NUMBER_CHARS.issuperset(text):
        return False
    try:
        float(text)
    except ValueError:
        return False
    return True


def unicode_stream(stream: Any) -> bool:
    """Whether a text stream encodes all of Unicode. Elsewhere (PYTHONIOENCODING=ascii, a
    Latin-1 locale) chinaind's standard streams write what they cannot encode as \\u4e2d
    (cliapp), and JSON and YAML use their own escapes instead, so they stay exact."""
    encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("-", "").replace("_", "")
    return encoding.startswith(("utf8", "utf16", "utf32"))
