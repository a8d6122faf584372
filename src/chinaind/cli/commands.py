"""The command line: each command parses its arguments, calls the library and hands the
result to the renderer (the app, error mapping and shared options live in cliapp.py).

Only typer and the standard library are imported at module level: shell completion runs this
module on every TAB.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any, Optional

import typer

from chinaind.cli.app import app
from chinaind.cli.options import LimitOpt, AgencyOpt, DateRoleOpt, FormatOpt, HeaderOpt, SectorOpt, SinceOpt, UndatedOpt, UntilOpt
from chinaind.cli.running import check_format, index, query, date_window, write_out
from chinaind.cli import complete
from chinaind.cli.streams import quiet_fd
from chinaind.core.errors import UsageError
from chinaind.core.terminal import isatty
from chinaind.records.kinds import KINDS_TEXT

__all__ = ["app", "main"]


@app.command()
def search(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(metavar="QUERY", help="Words, a name, an id or Chinese text. Typos are tolerated.")],
    kind: Annotated[Optional[str], typer.Option("--kind", "-k", metavar="KIND", autocompletion=complete.kinds, help=f"Only records of one kind: {KINDS_TEXT}.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, metavar="N", help="At most this many results; 0 for all.")] = 20,
    fmt: FormatOpt = None,
    header: HeaderOpt = False,
) -> None:
    """Search every record: exact names first, then text containing the query, then close spellings."""
    from chinaind.query import queries

    check_format(fmt)
    chosen = queries.check_kind(kind)
    query(ctx, lambda kb: queries.search(kb, text, chosen, limit or None), fmt)


@app.command()
def chain(
    ctx: typer.Context,
    technology: Annotated[str, typer.Argument(metavar="TECHNOLOGY", autocompletion=complete.names("technology"), help="Technology name, alias or id, e.g. \"fiber laser\".")],
    fmt: Annotated[Optional[str], typer.Option(
        "--format", "-f", metavar="FORMAT", autocompletion=complete.chain_formats,
        help="tree (technology, groups, leads, partners), or any listing format: table, tsv, csv, json, jsonl, yaml, ids.")] = None,
    header: HeaderOpt = False,
) -> None:
    """A "complete industrial chain" technology: its groups, leads, partners and the policy listing it."""
    from chinaind.query import queries

    if fmt is not None and fmt.strip().lower() == "tree":
        kb = index(ctx)
        _emit_tree(kb, kb.resolve("technology", technology))
        return
    check_format(fmt)
    query(ctx, lambda kb: queries.chain(kb, technology), fmt)


def _emit_tree(kb: Any, tech: Any) -> None:
    from chinaind.output.tree import chain_tree

    if isatty(sys.stdout):
        from rich.console import Console

        from chinaind.output.table import terminal_width
        from chinaind.output.tree import rich_tree

        console = Console(file=sys.stdout, width=terminal_width(sys.stdout), markup=False, highlight=False, emoji=False)
        write_out(lambda: console.print(rich_tree(kb, tech)))
    else:
        write_out(lambda: sys.stdout.write("\n".join(chain_tree(kb, tech)) + "\n"))


@app.command()
def agency(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", autocompletion=complete.names("agency"), help="Abbreviation, English name or Chinese full or short name (MIIT, 工信部).")],
    with_: Annotated[Optional[list[str]], typer.Option("--with", "-w", metavar="AGENCY", autocompletion=complete.names("agency"), help="Only documents co-issued with this agency too (repeatable).")] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    date_role: DateRoleOpt = None,
    undated: UndatedOpt = "exclude",
    sector: SectorOpt = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = None,
    header: HeaderOpt = False,
) -> None:
    """Policies an agency issued or co-issued."""
    from chinaind.query import queries

    check_format(fmt)
    window = date_window(since, until, date_role, undated)
    query(ctx, lambda kb: queries.agency(kb, name, with_=with_ or [], window=window, sector=sector), fmt, limit=limit)


@app.command()
def company(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", autocompletion=complete.names("company"), help="Organisation name, alias or id.")],
    fmt: FormatOpt = None,
    header: HeaderOpt = False,
) -> None:
    """An organisation: its chain roles, the policies that mention it and its events."""
    from chinaind.query import queries

    check_format(fmt)
    query(ctx, lambda kb: queries.company(kb, name), fmt)


@app.command()
def person(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", autocompletion=complete.names("person"), help="A person's name, Chinese name, alias or id.")],
    fmt: FormatOpt = None,
    header: HeaderOpt = False,
) -> None:
    """A person: posts held, the policies that name them, the sources they wrote or edited."""
    from chinaind.query import lookups

    check_format(fmt)
    query(ctx, lambda kb: lookups.person(kb, name), fmt)


@app.command()
def source(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="SOURCE", autocompletion=complete.names("source"), help="A source record's id, title or publication.")],
    fmt: FormatOpt = None,
    header: HeaderOpt = False,
) -> None:
    """A source document and everything the knowledge base took from it."""
    from chinaind.query import lookups

    check_format(fmt)
    query(ctx, lambda kb: lookups.source(kb, name), fmt)


@app.command()
def sector(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", autocompletion=complete.names("sector"), help="Sector id, name or alias (robotics, EVs, 半导体).")],
    since: SinceOpt = None,
    until: UntilOpt = None,
    date_role: DateRoleOpt = None,
    undated: UndatedOpt = "exclude",
    limit: LimitOpt = None,
    fmt: FormatOpt = None,
    header: HeaderOpt = False,
) -> None:
    """Policies, technologies and organisations in a sector."""
    from chinaind.query import queries

    check_format(fmt)
    window = date_window(since, until, date_role, undated)
    query(ctx, lambda kb: queries.sector(kb, name, window=window), fmt, limit=limit)


@app.command()
def targets(
    ctx: typer.Context,
    agency: AgencyOpt = None,
    sector: SectorOpt = None,
    due_by: Annotated[Optional[int], typer.Option("--due-by", metavar="YEAR", min=1900, max=2200, help="Only goals due in or before this year.")] = None,
    undated: UndatedOpt = "exclude",
    limit: LimitOpt = None,
    stated_by: Annotated[Optional[str], typer.Option("--stated-by", metavar="WHO", help="Only goals stated by: document (the document's own), commentary (the newsletter's comment) or third-party.")] = None,
    fmt: FormatOpt = None,
    header: HeaderOpt = False,
) -> None:
    """Goals (numeric, relative or in words), sorted by deadline; each says who states it."""
    from chinaind.query import queries

    check_format(fmt)
    mode = date_window(None, None, None, undated).undated
    query(ctx, lambda kb: queries.targets(kb, agency_name=agency, sector_name=sector, due_by=due_by, undated=mode,
                                          stated_by=stated_by), fmt, limit=limit)


@app.command("list")
def list_(
    ctx: typer.Context,
    what: Annotated[str, typer.Argument(metavar="WHAT", autocompletion=complete.plurals, help="policies, companies, technologies, agencies, sectors, people or sources.")],
    since: SinceOpt = None,
    until: UntilOpt = None,
    date_role: DateRoleOpt = None,
    undated: UndatedOpt = "exclude",
    agency: AgencyOpt = None,
    sector: SectorOpt = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = None,
    header: HeaderOpt = False,
) -> None:
    """List every record of one type, optionally filtered."""
    from chinaind.query import queries

    check_format(fmt)
    key = queries.check_plural(what)
    window = date_window(since, until, date_role, undated)
    query(ctx, lambda kb: queries.list_records(kb, key, window=window, agency_name=agency, sector_name=sector), fmt, limit=limit)


@app.command()
def show(
    ctx: typer.Context,
    ids: Annotated[list[str], typer.Argument(metavar="ID...", autocompletion=complete.ids, help="Record ids, or - to read ids from stdin, one per line.")],
    fmt: FormatOpt = None,
    header: HeaderOpt = False,
) -> None:
    """Whole records by id."""
    from chinaind.query import queries

    check_format(fmt)
    wanted: list[str] = []
    for item in ids:
        wanted.extend(_stdin_ids() if item == "-" else [item])
    query(ctx, lambda kb: queries.show(kb, wanted, from_stdin="-" in ids), fmt)


# `show -` reads at most this many characters of ids (some 50,000 ids): `yes | chinaind show -`
# or a file piped by mistake ends in a clear error, not in a run eating memory.
MAX_STDIN_CHARS = 1_000_000


def _stdin_ids() -> list[str]:
    text = sys.stdin.read(MAX_STDIN_CHARS + 1)
    if len(text) > MAX_STDIN_CHARS:
        raise UsageError(f"show -: more than {MAX_STDIN_CHARS:,} characters on stdin; pass fewer ids, one per line")
    return text.splitlines()


@app.command()
def validate(
    ctx: typer.Context,
    directory: Annotated[Optional[str], typer.Argument(metavar="[DIR]", help="Knowledge base folder (default: --data-dir, $CHINAIND_DATA or the bundled records).")] = None,
    fmt: FormatOpt = None,
    staged: Annotated[bool, typer.Option("--staged", help="Check the knowledge base as git's index stages it: what a commit would hold (the pre-commit hook).")] = False,
) -> None:
    """Check a knowledge base and print every problem as path:line:col: message. Exit 0 when valid, 3 when not."""
    from chinaind.cli.running import OPENED
    from chinaind.output.validation import render_report
    from chinaind.query.opening import open as open_kb

    chosen = check_format(fmt)
    opts = ctx.find_root().obj or {}
    folder = directory if directory is not None else opts.get("data_dir")
    if staged:
        from chinaind.core.paths import resolve_data_dir
        from chinaind.query.opening import OpenKnowledgeBase
        from chinaind.store.gitrev import load_staged

        data_dir = resolve_data_dir(folder)
        base = OpenKnowledgeBase(load_staged(data_dir), data_dir)
    else:
        base = open_kb(folder, cache=not opts.get("no_cache"), skip_invalid=True)
    OPENED.append(base)
    try:
        write_out(lambda: render_report(base, chosen, sys.stdout))
    finally:
        # Even when the reader went away (| head), an invalid base must not exit 0.
        if base.problems:
            raise typer.Exit(3)


# The analyst's toolkit (graph, timeline, exports, authoring) registers its commands on `app`.
from chinaind.cli import tools as cli_tools  # noqa: E402,F401
from chinaind.cli import serve as cli_serve  # noqa: E402,F401
from chinaind.cli import drafting as cli_drafting  # noqa: E402,F401


# Root options that take a value, to find the subcommand in argv without parsing it.
_VALUE_OPTIONS = {"--data-dir", "-d"}


def requested_command(argv: list[str]) -> str | None:
    """The subcommand named in argv, if any (skipping the root options before it)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in _VALUE_OPTIONS:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def _quiet_fd(stream: Any) -> None:
    try:
        quiet_fd(stream.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main() -> None:
    # Typer converts every registered command to a Click command on each run (about 1.5 ms
    # each). A run needs only the one it invokes; help, errors and completion still see all.
    name = requested_command(sys.argv[1:])
    def command_name(info: Any) -> str:
        return info.name or getattr(info.callback, "__name__", "").replace("_", "-")

    known = {command_name(info) for info in app.registered_commands}
    if name in known and not any(k.endswith("_COMPLETE") for k in os.environ):
        app.registered_commands = [info for info in app.registered_commands if command_name(info) == name]
    try:
        app(prog_name="chinaind")
        code: Any = 0
    except SystemExit as exc:
        code = exc.code
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            # A reader gone, a full or closed stream: what is left cannot be written; the
            # status already says how the run ended. Point the descriptor at /dev/null so the
            # buffered rest is dropped quietly.
            _quiet_fd(stream)
    # Skip interpreter teardown: every object is about to vanish with the process anyway.
    os._exit(code if isinstance(code, int) else (0 if code is None else 1))
