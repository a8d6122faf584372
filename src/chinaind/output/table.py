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

from chinaind.query.listing import Listing, cell
from chinaind.core.escape import one_line, visible


WIDE_MIN = 24  # a free-text column narrower than this is unreadable
CODE_MIN = 10
MIN_WIDTH, MAX_WIDTH = 40, 10_000


def render_table(listing: Listing, stream: IO[str], *, terminal: bool) -> None:
    console = _console(stream, terminal)
    if listing.title and terminal:
        console.print(Text(one_line(listing.title), style="bold"))  # names in it: one line
    if listing.detail:
        # The same fields on a terminal and in a pipe; only the decoration differs.
        for record in listing.records:
            console.print(_detail_table(record, terminal))
    else:
        console.print(_table(listing, terminal, console.width))
    if terminal:
        for note in listing.notes:
            console.print(Text(one_line(note), style="dim"))
        for warning in listing.warnings:
            console.print(Text(one_line(warning), style="bold"))


def terminal_width(stream: IO[str]) -> int:
    """$COLUMNS when it is a number, else the terminal's own width, else 80; kept between
    MIN_WIDTH and MAX_WIDTH. Rich would take COLUMNS=0 at its word and print nothing, and a
    table squeezed into 5 columns is one letter a line: the terminal wraps what overflows."""
    raw = os.environ.get("COLUMNS", "").strip()
    width = int(raw) if raw.isdigit() else 0
    if width <= 0:
        try:
            width = os.get_terminal_size(stream.fileno()).columns
        except (AttributeError, ValueError, OSError):
            width = 0
    return min(max(width or 80, MIN_WIDTH), MAX_WIDTH)


def _console(stream: IO[str], terminal: bool) -> Console:
    if terminal:
        return Console(file=stream, width=terminal_width(stream), highlight=False, markup=False, emoji=False)
    # Wide enough that nothing wraps: Rich otherwise assumes 80 columns off a terminal.
    return Console(file=stream, width=1_000_000, color_system=None, force_terminal=False,
                   highlight=False, markup=False, emoji=False, soft_wrap=True)


def _table(listing: Listing, terminal: bool, width: int) -> Table:
    table = Table(box=box.SIMPLE_HEAD if terminal else None, show_edge=False,
                  header_style="bold" if terminal else "", pad_edge=False,
                  collapse_padding=not terminal)
    cells = [[Text(visible(cell(c.get(row)))) for c in listing.columns] for row in listing.table_rows]
    longest = [max([r[i].cell_len for r in cells] + [len(c.header)]) for i, c in enumerate(listing.columns)]
    wide = [c.wide for c in listing.columns]
    code_widths = _code_widths(longest, wide, width) if terminal else {}
    for i, c in enumerate(listing.columns):
        if not terminal:
            table.add_column(Text(c.header), no_wrap=True)
        elif c.wide:
            table.add_column(Text(c.header), overflow="fold", ratio=1, min_width=min(longest[i], WIDE_MIN))
        else:
            table.add_column(Text(c.header), overflow="fold", width=code_widths[i])
    for row_cells in cells:
        table.add_row(*row_cells)
    return table


def _code_widths(longest: list[int], wide: list[bool], total: int) -> dict[int, int]:
    """Widths of the code columns (ids, dates, kinds): whole where they fit beside a readable
    share for the free-text columns; else the widest codes give way first, and fold."""
    budget = total - 3 * len(longest)
    # Free text is what people read: together it gets about half the width when it needs it.
    share = max(WIDE_MIN, budget // (2 * max(1, sum(wide))))
    wide_need = sum(min(n, share) for n, w in zip(longest, wide) if w)
    widths = {i: n for i, (n, w) in enumerate(zip(longest, wide)) if not w}
    while widths and sum(widths.values()) + wide_need > budget:
        i = max(widths, key=lambda k: widths[k])
        if widths[i] <= CODE_MIN:
            break
        widths[i] -= 1
    return widths


def _detail_table(record: dict[str, Any], terminal: bool = True) -> Table:
    """One field a row. Values the editors added (listed in `editorial`) say so, so that what
    the source states and what the knowledge base adds are told apart."""
    table = Table(box=box.SIMPLE_HEAD if terminal else None, show_header=False, pad_edge=False,
                  show_edge=False, collapse_padding=not terminal)
    table.add_column(style="bold" if terminal else "", no_wrap=True)
    table.add_column(overflow="fold", no_wrap=not terminal)
    editorial = set(record.get("editorial") or [])
    for key, value in record.items():
        if value in (None, [], "", False) or key == "editorial":
            continue
        label = f"{key} (editorial)" if key in editorial else key
        if key == "title" and record.get("title_descriptive"):
            label = "title (descriptive)"
        if key == "title_descriptive":
            continue
        marked_values = {e.partition(":")[2] for e in editorial if e.startswith(f"{key}:")}
        if marked_values and isinstance(value, list):
            value = [f"{v} (editorial)" if v in marked_values else v for v in value]
        shown = _dates(value) if key == "dates" else _figures(value) if key == "figures" else _block(value)
        table.add_row(Text(label), Text(visible(shown)))
    return table


def _figures(figures: list[dict[str, Any]]) -> str:
    from chinaind.records.figures import baseline_text, summary_line, when_text

    lines = []
    for f in figures:
        extra = [f"by {f['deadline']}" if f.get("deadline") else when_text(f)]
        extra += [f"baseline {baseline_text(f)}" if f.get("baseline") else "", f"part of {f['part_of']}" if f.get("part_of") else ""]
        tail = "; ".join(e for e in extra if e)
        lines.append(f"- {f['kind']} {f['id']}: {summary_line(f)}" + (f" ({tail})" if tail else ""))
        # Every other part of the figure, each on its own line, so that show leaves nothing out.
        baseline_note = (f.get("baseline") or {}).get("note")
        if baseline_note and baseline_text(f) != baseline_note:
            lines.append(f"  baseline note: {baseline_note}")
        for key in ("scope", "stated_by", "according_to", "note"):
            if f.get(key):
                lines.append(f"  {key.replace('_', ' ')}: {f[key]}")
        for key in ("named", "named_ids", "categories", "sectors"):
            if f.get(key):
                lines.append(f"  {key.replace('_', ' ')}: {', '.join(f[key])}")
    return "\n".join(lines)


def _dates(entries: list[dict[str, Any]]) -> str:
    from chinaind.records.dates import describe

    return "\n".join(f"{e['role']}: {describe(e['date'])}" + (" (year inferred)" if e.get("year_inferred") else "")
                     + (f"; {e['note']}" if e.get("note") else "") for e in entries)


def _block(value: Any) -> str:
    """Nested values one item a line, so a record reads top-down."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return "\n".join(f"- {cell(v)}" for v in value)
    return cell(value)
