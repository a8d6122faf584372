"""The one output layer: every listing command prints through `render`.

Only the table format imports Rich. Data never goes to Rich as markup: cells are `Text`
objects. Which characters are unsafe, and how each format escapes them, is escape.py's
business: no format lets a record restyle, retitle, reorder or take over a terminal.
"""

from __future__ import annotations

import csv
import json
import os
import re
from typing import IO, Any

from chinaind.core.errors import UsageError
from chinaind.core.terminal import isatty
from chinaind.core.escape import csv_cell, has_unsafe, json_safe, one_line, unicode_stream, visible
from chinaind.query.listing import Listing, machine_cell

__all__ = ["FORMATS", "choose_format", "render", "visible", "one_line", "tsv_field", "json_line"]

FORMATS = ("table", "tsv", "csv", "json", "jsonl", "yaml", "ids")
FORMAT_ENV = "CHINAIND_FORMAT"

_TSV_RE = re.compile("[\\\\\t\n\r]")
_TSV_ESC = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def choose_format(requested: str | None, stream: IO[str]) -> str:
    """--format, else $CHINAIND_FORMAT, else table on a terminal and tsv elsewhere."""
    fmt = requested or os.environ.get(FORMAT_ENV) or ("table" if isatty(stream) else "tsv")
    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        source = "--format" if requested else FORMAT_ENV
        raise UsageError(f"{source}: unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return fmt


def tsv_field(text: str) -> str:
    return one_line(_TSV_RE.sub(lambda m: _TSV_ESC[m.group()], text))


def json_line(value: Any, ascii_only: bool = False) -> str:
    return json_safe(json.dumps(value, ensure_ascii=ascii_only))


def render(listing: Listing, fmt: str, stream: IO[str], *, header: bool = False) -> None:
    """Print a listing. csv always starts with its header row; tsv only with `header` (--header),
    so that pipelines reading rows from the first line keep working."""
    # Where the stream cannot encode everything, JSON and YAML use their own escapes, exactly.
    ascii_only = not unicode_stream(stream)
    if fmt == "json":
        # One record a line: readable, and json's C encoder (indent= falls back to Python).
        if not listing.records:
            stream.write("[]\n")
        else:
            stream.write("[\n" + ",\n".join(json_line(r, ascii_only) for r in listing.records) + "\n]\n")
    elif fmt == "jsonl":
        for rec in listing.records:
            stream.write(json_line(rec, ascii_only) + "\n")
    elif fmt == "yaml":
        stream.write(yaml_text(list(listing.records), ascii_only))
    elif fmt == "ids":
        for rid in listing.ids:
            stream.write(one_line(rid) + "\n")
    elif fmt in ("csv", "tsv") and listing.detail:
        _render_fields(listing, fmt, stream, header)
    elif fmt == "csv":
        columns = listing.machine_columns
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow([c.name for c in columns])
        for row in listing.table_rows:
            writer.writerow([csv_cell(machine_cell(c.value(row))) for c in columns])
    elif fmt == "tsv":
        columns = listing.machine_columns
        if header:
            stream.write("\t".join(tsv_field(c.name) for c in columns) + "\n")
        for row in listing.table_rows:
            stream.write("\t".join(tsv_field(machine_cell(c.value(row))) for c in columns) + "\n")
    else:
        from chinaind.output.table import render_table

        render_table(listing, stream, terminal=isatty(stream))


DETAIL_HEADER = ("id", "field", "value")


def _render_fields(listing: Listing, fmt: str, stream: IO[str], header: bool) -> None:
    """Whole records (show) in csv and tsv: one row a field, (id, field, value), every field
    of every record, so that a pipe gets all a terminal shows and not a one-row summary."""
    rows = [(str(rec.get("id") or ""), key, machine_cell(value)) for rec in listing.records for key, value in rec.items()]
    if fmt == "csv":
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(DETAIL_HEADER)
        for row in rows:
            writer.writerow([csv_cell(v) for v in row])
        return
    if header:
        stream.write("\t".join(DETAIL_HEADER) + "\n")
    for row in rows:
        stream.write("\t".join(tsv_field(v) for v in row) + "\n")


def yaml_text(records: list[dict[str, Any]], ascii_only: bool = False) -> str:
    """YAML in which every string holding an unsafe character is double-quoted, so that each
    such character can be written as a YAML escape ("\\u202e"): PyYAML leaves bidi marks,
    zero-width characters and the like raw even there."""
    import yaml

    if not records:
        return "[]\n"

    class Dumper(yaml.SafeDumper):
        pass

    def represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        # Double quotes also for U+0085, which PyYAML writes raw in plain or single-quoted
        # scalars, where YAML reads it as a line break.
        style = '"' if "\x85" in value or has_unsafe(value) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, represent_str)
    text = yaml.dump(records, Dumper=Dumper, allow_unicode=not ascii_only, sort_keys=False, width=10**9)
    # Every unsafe character PyYAML left raw stands in a double-quoted string, where YAML reads
    # the escape visible() writes (\u202e) back as that very character.
    return visible(text)
