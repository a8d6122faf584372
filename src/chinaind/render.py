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
from typing import IO, Any

from .errors import UsageError
from .listing import Listing, machine_cell

FORMATS = ("table", "tsv", "csv", "json", "jsonl", "yaml", "ids")
FORMAT_ENV = "CHINAIND_FORMAT"

# C0 and C1 controls, DEL, and the bidirectional overrides that reorder text on screen.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Characters json.dumps(ensure_ascii=False) leaves raw that a terminal acts on or reorders; in
# JSON text they can only occur inside strings, so escaping them after dumping is safe.
_JSON_UNSAFE_RE = re.compile("[\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
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


def one_line(text: str) -> str:
    """For messages that must stay on one line (errors, problems): also escape \\n, \\r, \\t."""
    return visible(text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t"))


def tsv_field(text: str) -> str:
    return visible(_TSV_RE.sub(lambda m: _TSV_ESC[m.group()], text))


def json_line(value: Any) -> str:
    return _JSON_UNSAFE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))


def render(listing: Listing, fmt: str, stream: IO[str], *, header: bool = False) -> None:
    """Print a listing. csv always starts with its header row; tsv only with `header` (--header),
    so that pipelines reading rows from the first line keep working."""
    if fmt == "json":
        # One record a line: readable, and json's C encoder (indent= falls back to Python).
        if not listing.records:
            stream.write("[]\n")
        else:
            stream.write("[\n" + ",\n".join(json_line(r) for r in listing.records) + "\n]\n")
    elif fmt == "jsonl":
        for rec in listing.records:
            stream.write(json_line(rec) + "\n")
    elif fmt == "yaml":
        _yaml(list(listing.records), stream)
    elif fmt == "ids":
        for rid in listing.ids:
            stream.write(rid + "\n")
    elif fmt == "csv":
        columns = listing.machine_columns
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow([c.name for c in columns])
        for row in listing.table_rows:
            writer.writerow([machine_cell(c.value(row)) for c in columns])
    elif fmt == "tsv":
        columns = listing.machine_columns
        if header:
            stream.write("\t".join(tsv_field(c.name) for c in columns) + "\n")
        for row in listing.table_rows:
            stream.write("\t".join(tsv_field(machine_cell(c.value(row))) for c in columns) + "\n")
    else:
        from .render_table import render_table

        render_table(listing, stream, terminal=_isatty(stream))


def _yaml(records: list[dict[str, Any]], stream: IO[str]) -> None:
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        # PyYAML writes U+0085, U+2028 and U+2029 raw in plain or single-quoted scalars, where
        # YAML reads them as line breaks; double quotes escape them.
        style = '"' if any(ch in value for ch in "\x85\u2028\u2029") else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, represent_str)
    if records:
        yaml.dump(records, stream, Dumper=Dumper, allow_unicode=True, sort_keys=False, width=10**9)
    else:
        stream.write("[]\n")
