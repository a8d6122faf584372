"""Rich tables for people. On a terminal: boxed, folded to the width, CJK aligned. Off a
terminal (when a table is asked for explicitly): plain aligned columns, no colour, no box,
nothing wrapped or cut."""

from __future__ import annotations

import os
from typing import IO, Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .listing import Listing, cell
from .render import visible


def render_table(listing: Listing, stream: IO[str], *, terminal: bool) -> None:
    console = _console(stream, terminal)
    if listing.title and terminal:
        console.print(Text(visible(listing.title), style="bold"))
    if listing.detail and terminal:
        for record in listing.records:
            console.print(_detail_table(record))
    else:
        console.print(_table(listing, terminal))
    if terminal:
        for note in listing.notes:
            console.print(Text(visible(note), style="dim"))


def _console(stream: IO[str], terminal: bool) -> Console:
    if terminal:
        return Console(file=stream, highlight=False, markup=False, emoji=False)
    # Wide enough that nothing wraps: Rich otherwise assumes 80 columns off a terminal.
    return Console(file=stream, width=1_000_000, color_system=None, force_terminal=False,
                   highlight=False, markup=False, emoji=False, soft_wrap=True)


def _table(listing: Listing, terminal: bool) -> Table:
    table = Table(box=box.SIMPLE_HEAD if terminal else None, show_edge=False,
                  header_style="bold" if terminal else "", pad_edge=False,
                  collapse_padding=not terminal)
    for c in listing.columns:
        table.add_column(Text(c.header), overflow="fold", no_wrap=not (terminal and c.wide),
                         ratio=3 if (terminal and c.wide) else None)
    for row in listing.table_rows:
        table.add_row(*(Text(visible(cell(c.get(row)))) for c in listing.columns))
    return table


def _detail_table(record: dict[str, Any]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_header=False, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in record.items():
        if value in (None, [], ""):
            continue
        table.add_row(Text(key), Text(visible(_block(value))))
    return table


def _block(value: Any) -> str:
    """Nested values one item a line, so a record reads top-down."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return "\n".join(f"- {cell(v)}" for v in value)
    return cell(value)


def terminal_width() -> int:
    return int(os.environ.get("COLUMNS", "0") or 0)
