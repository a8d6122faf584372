"""`chinaind draft`, registered on the main app. Same rules as the other command modules: only
typer and the standard library at module level; the reader's libraries (pypdf, selectolax)
are imported by draft/reading.py only for the files that need them."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from chinaind.cli.app import app
from chinaind.cli.options import FormatOpt, HeaderOpt
from chinaind.cli.running import OPENED, check_format, emit
from chinaind.core.errors import UsageError

# Standard input is read up to the reader's own limit, plus one byte to tell it was passed.
_STDIN_LIMIT = 50 * 1024 * 1024 + 1


@app.command()
def draft(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE", help="A newsletter or news text: .txt, .md, .pdf or .html; - for standard input.")],
    source_id: Annotated[Optional[str], typer.Option("--source-id", metavar="ID", help="The id of the source record (default: derived from the text).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be drafted; write nothing.")] = False,
    data_dir: Annotated[Optional[str], typer.Option("--data-dir", "-d", metavar="PATH", help="The knowledge base to draft into. Default: the global --data-dir, else $CHINAIND_DATA.")] = None,
    fmt: FormatOpt = None,
    header: HeaderOpt = False,
) -> None:
    """Draft records from a newsletter or news text, for you to confirm: links known records, proposes new ones, marks every value it read.

    Example: chinaind draft issue.pdf -d my-kb, then chinaind -d my-kb validate until it passes."""
    from chinaind.cli.streams import err
    from chinaind.core.paths import DATA_ENV, resolve_data_dir
    from chinaind.draft.reading import read_input
    from chinaind.draft.review import review
    from chinaind.draft.run import draft as run
    from chinaind.query.opening import open as open_kb

    check_format(fmt)
    chosen = data_dir or (ctx.find_root().obj or {}).get("data_dir") or os.environ.get(DATA_ENV)
    if not chosen:
        raise UsageError("draft: no knowledge base given, and the bundled records are not edited in place; "
                         "create your own with `chinaind init DIR`, then pass --data-dir DIR or set CHINAIND_DATA")
    folder = resolve_data_dir(chosen)
    given = read_input(*_read(file))  # before the base is opened: a bad file fails at once
    base = open_kb(folder, cache=not (ctx.find_root().obj or {}).get("no_cache"), skip_invalid=True)
    OPENED.append(base)
    written = run(base, given, source_id_=source_id, dry_run=dry_run)
    emit(review(written, folder), fmt, header=header)
    if base.problems:
        err(f"chinaind: note: the knowledge base had {len(base.problems)} problems before this draft (chinaind validate "
            "lists them); drafted against the records it could read")


def _read(file: str) -> tuple[Optional[Path], bytes, str]:
    if file == "-":
        return None, sys.stdin.buffer.read(_STDIN_LIMIT) if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode(), "standard input"
    path = Path(file)
    if not path.exists():
        raise UsageError(f"draft: {file} does not exist; give the text to draft from")
    if path.is_dir():
        raise UsageError(f"draft: {file} is a folder; give one text file")
    from chinaind.draft.reading import MAX_INPUT_BYTES, UnreadableInput

    size = path.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise UnreadableInput(f"{file}: {size:,} bytes, over the {MAX_INPUT_BYTES:,}-byte limit; split the text")
    return path, path.read_bytes(), file
