"""The one output layer: every listing command prints through `render`.

Only the table format imports Rich. Data never goes to Rich as markup: cells are `Text`
objects. Control characters are made visible in table and tsv output, so a record cannot
restyle, retitle or take over a terminal.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from typing import IO, Any

from .errors import UsageError
from .listing import Listing, cell

FORMATS = ("table", "tsv", "csv", "json", "jsonl", "yaml", "ids")
FORMAT_ENV = "CHINAIND_FORMAT"

# C0 and C1 controls, DEL, and the bidirectional overrides that reorder text on screen.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_TSV_RE = re.compile("[\\\\\t\n\r]")
_TSV_ESC = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def choose_format(requested: str | None, stream: IO[str]) -> str:
    """--format, else $CHINAIND_FORMAT, else table on a terminal and tsv elsewhere."""
    fmt = requested or os.environ.get(FORMAT_ENV) or ("table" if _isatty(stream) else "tsv")
    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        source = "--format" if requested else FORMAT_ENV
        raise UsageError(f"{source}: unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return fmt


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def visible(text: str) -> str:
    """Control characters as visible escapes (\\x1b, \\u202e); newlines and tabs kept."""
    return _CONTROL_RE.sub(_escape_char, text)


def _escape_char(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def tsv_field(text: str) -> str:
    return visible(_TSV_RE.sub(lambda m: _TSV_ESC[m.group()], text))


def render(listing: Listing, fmt: str, stream: IO[str]) -> None:
    if fmt == "json":
        # One record a line: readable, and json's C encoder (indent= falls back to Python).
        if not listing.records:
            stream.write("[]\n")
        else:
            stream.write("[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in listing.records) + "\n]\n")
    elif fmt == "jsonl":
        for rec in listing.records:
            stream.write(json.dumps(rec, ensure_ascii=False) + "\n")
    elif fmt == "yaml":
        _yaml(listing.records, stream)
    elif fmt == "ids":
        for rid in listing.ids:
            stream.write(rid + "\n")
    elif fmt == "csv":
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow([c.header for c in listing.columns])
        for row in listing.table_rows:
            writer.writerow([cell(c.get(row)) for c in listing.columns])
    elif fmt == "tsv":
        for row in listing.table_rows:
            stream.write("\t".join(tsv_field(cell(c.get(row))) for c in listing.columns) + "\n")
    else:
        from .render_table import render_table

        render_table(listing, stream, terminal=_isatty(stream))


def _yaml(records: list[dict[str, Any]], stream: IO[str]) -> None:
    import yaml

    if records:
        yaml.safe_dump(records, stream, allow_unicode=True, sort_keys=False, width=10**9)
    else:
        stream.write("[]\n")
