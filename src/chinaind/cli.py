"""The command line: parse arguments, call the library, hand the result to the renderer.

Only typer and the standard library are imported at module level: shell completion runs this
module on every TAB, and a query with a fresh cache needs neither Pydantic, PyYAML nor Rich.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from . import __version__
from .errors import ChinaindError, InvalidKnowledgeBase, UsageError

DEBUG_ENV = "CHINAIND_DEBUG"
# Typer vendors Click; its exception base is reached through a public class, not a private import.
_ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
_Abort = next((c for c in type(typer.Abort()).__mro__ if c.__name__ == "Abort"), RuntimeError)


class _Group(TyperGroup):
    """Maps every error to one line on stderr and an exit code, in one place, for real runs
    and for CliRunner alike."""

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except ChinaindError as exc:
            _report(exc)
            sys.exit(exc.exit_code)
        except _ClickException as exc:  # usage errors from argument parsing
            if type(exc).__name__ == "NoArgsIsHelpError" and getattr(exc, "ctx", None):
                sys.stdout.write(exc.ctx.get_help() + "\n")
                sys.exit(0)
            where = f" (see '{exc.ctx.command_path} --help')" if getattr(exc, "ctx", None) else ""
            _err(f"chinaind: usage error: {exc.format_message()}{where}")
            sys.exit(2)
        except (_Abort, KeyboardInterrupt):
            _err("chinaind: interrupted")
            sys.exit(130)
        except BrokenPipeError:
            _quiet_stdout()
            sys.exit(0)
        except Exception as exc:  # a bug: still no traceback unless asked for
            if os.environ.get(DEBUG_ENV):
                raise
            _err(f"chinaind: internal error: {type(exc).__name__}: {exc}; please report it (set {DEBUG_ENV}=1 for a traceback)")
            sys.exit(70)
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_stdout()
        sys.exit(rv if isinstance(rv, int) else 0)


def _err(line: str) -> None:
    from .render import one_line

    sys.stderr.write(one_line(line) + "\n")


def _quiet_stdout() -> None:
    # The reader went away (| head): point stdout at /dev/null so the final flush is silent.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _report(exc: ChinaindError) -> None:
    if isinstance(exc, InvalidKnowledgeBase):
        for problem in exc.problems:
            _err(str(problem))
        _err(f"chinaind: {exc}; fix them (chinaind validate lists them) or pass --skip-invalid")
    else:
        _err(f"chinaind: {exc}")


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"chinaind {__version__}\n")
        raise typer.Exit()


app = typer.Typer(
    cls=_Group,
    name="chinaind",
    help="A knowledge base of China's industrial policy: sourced records, queried from the terminal.",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain help and errors: no Rich import (about 100 ms) and no markup parsing of help text.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

FormatOpt = Annotated[Optional[str], typer.Option(
    "--format", "-f", metavar="FORMAT",
    help="table, tsv, csv, json, jsonl, yaml or ids. Default: $CHINAIND_FORMAT, else table on a terminal, tsv otherwise.")]
SinceOpt = Annotated[Optional[str], typer.Option("--since", metavar="DATE", help="From this date on (YYYY, YYYY-MM or YYYY-MM-DD), inclusive.")]
UntilOpt = Annotated[Optional[str], typer.Option("--until", metavar="DATE", help="Up to this date (YYYY, YYYY-MM or YYYY-MM-DD), inclusive of its whole span.")]
SectorOpt = Annotated[Optional[str], typer.Option("--sector", "-s", metavar="SECTOR", help="Only records in this sector (id, name or alias).")]
AgencyOpt = Annotated[Optional[str], typer.Option("--agency", "-a", metavar="AGENCY", help="Only policies issued or co-issued by this agency.")]


@app.callback()
def _root(
    ctx: typer.Context,
    data_dir: Annotated[Optional[str], typer.Option("--data-dir", "-d", metavar="PATH", help="Knowledge base folder. Default: $CHINAIND_DATA, else the bundled records.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Read and validate every YAML file; neither read nor write the cache.")] = False,
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Query the valid records of an invalid knowledge base, warning about the rest.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    ctx.obj = {"data_dir": data_dir, "no_cache": no_cache, "skip_invalid": skip_invalid}


# The loaded knowledge base stays referenced until main() ends the process with os._exit:
# freeing a large one object by object would cost a noticeable part of a query.
_KEEP_ALIVE: list[Any] = []


def _kb(ctx: typer.Context) -> Any:
    from .index import KnowledgeBase
    from .loader import load
    from .paths import resolve_data_dir

    opts = ctx.find_root().obj or {}
    data_dir = resolve_data_dir(opts.get("data_dir"))
    result = load(data_dir, use_cache=not opts.get("no_cache"), skip_invalid=bool(opts.get("skip_invalid")))
    if result.problems:
        for problem in result.problems:
            _err(f"warning: {problem}")
        _err(f"chinaind: warning: skipped invalid records ({len(result.problems)} problems)")
    kb = KnowledgeBase(result.records, result.texts)
    _KEEP_ALIVE.append(kb)
    return kb


def _window(since: Optional[str], until: Optional[str]) -> tuple[Any, Any]:
    """--since and --until as the first and last day they cover; a bad date is a usage error."""
    from .dates import parse_span

    bounds = []
    for value, option, end in ((since, "--since", False), (until, "--until", True)):
        if value is None:
            bounds.append(None)
            continue
        try:
            bounds.append(parse_span(value)[1 if end else 0])
        except ValueError as exc:
            raise UsageError(f"{option}: {exc}") from None
    return bounds[0], bounds[1]


def _emit(listing: Any, fmt: Optional[str]) -> None:
    from .render import choose_format, render

    chosen = choose_format(fmt, sys.stdout)
    write_out(lambda: render(listing, chosen, sys.stdout))
    if chosen != "table" and listing.notes and _isatty(sys.stderr):
        for note in listing.notes:
            _err(note)


def write_out(write: Any) -> None:
    """Run a writer to stdout; a reader that went away (| head) ends the run quietly with 0.
    Caught here because Typer turns a broken pipe into exit 1."""
    try:
        write()
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
        raise typer.Exit(0) from None


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _check_format(fmt: Optional[str]) -> None:
    # Fail on a bad --format before loading anything, so the error is immediate.
    from .render import choose_format

    choose_format(fmt, sys.stdout)


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(metavar="QUERY", help="Words, a name, an id or Chinese text. Typos are tolerated.")],
    kind: Annotated[Optional[str], typer.Option("--kind", "-k", metavar="KIND", help="Only policy, company, technology, agency or sector records.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, metavar="N", help="At most this many results; 0 for all.")] = 20,
    fmt: FormatOpt = None,
) -> None:
    """Search every record: exact names first, then text containing the query, then close spellings."""
    from . import queries
    from .kinds import RECORD_TYPES

    _check_format(fmt)
    if kind is not None and kind.strip().lower() not in RECORD_TYPES:
        raise UsageError(f"--kind: unknown kind {kind!r}; choose one of {', '.join(RECORD_TYPES)}")
    _emit(queries.search(_kb(ctx), query, kind.strip().lower() if kind else None, limit or None), fmt)


@app.command()
def chain(
    ctx: typer.Context,
    technology: Annotated[str, typer.Argument(metavar="TECHNOLOGY", help="Technology name, alias or id, e.g. \"fiber laser\".")],
    fmt: Annotated[Optional[str], typer.Option(
        "--format", "-f", metavar="FORMAT",
        help="tree (technology, groups, leads, partners), or any listing format: table, tsv, csv, json, jsonl, yaml, ids.")] = None,
) -> None:
    """A "complete industrial chain" technology: its groups, leads, partners and the policy listing it."""
    from . import queries

    if fmt is not None and fmt.strip().lower() == "tree":
        kb = _kb(ctx)
        _emit_tree(kb, kb.resolve("technology", technology))
        return
    _check_format(fmt)
    _emit(queries.chain(_kb(ctx), technology), fmt)


def _emit_tree(kb: Any, tech: Any) -> None:
    from .tree import chain_tree

    if _isatty(sys.stdout):
        from rich.console import Console

        from .tree import rich_tree

        Console(file=sys.stdout, markup=False, highlight=False, emoji=False).print(rich_tree(kb, tech))
    else:
        write_out(lambda: sys.stdout.write("\n".join(chain_tree(kb, tech)) + "\n"))


@app.command()
def agency(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Abbreviation, English name or Chinese full or short name (MIIT, 工信部).")],
    with_: Annotated[Optional[list[str]], typer.Option("--with", "-w", metavar="AGENCY", help="Only documents co-issued with this agency too (repeatable).")] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    sector: SectorOpt = None,
    fmt: FormatOpt = None,
) -> None:
    """Policies an agency issued or co-issued."""
    from . import queries

    _check_format(fmt)
    start, end = _window(since, until)
    listing = queries.agency(_kb(ctx), name, with_=with_ or [], since=start, until=end, sector=sector)
    _emit(listing, fmt)


@app.command()
def company(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Organisation name, alias or id.")],
    fmt: FormatOpt = None,
) -> None:
    """An organisation: its chain roles, the policies that mention it and its events."""
    from . import queries

    _check_format(fmt)
    _emit(queries.company(_kb(ctx), name), fmt)


@app.command()
def sector(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Sector id, name or alias (robotics, EVs, 半导体).")],
    since: SinceOpt = None,
    until: UntilOpt = None,
    fmt: FormatOpt = None,
) -> None:
    """Policies, technologies and organisations in a sector."""
    from . import queries

    _check_format(fmt)
    s, u = _window(since, until)
    _emit(queries.sector(_kb(ctx), name, since=s, until=u), fmt)


@app.command()
def targets(
    ctx: typer.Context,
    agency: AgencyOpt = None,
    sector: SectorOpt = None,
    due_by: Annotated[Optional[int], typer.Option("--due-by", metavar="YEAR", min=1900, max=2200, help="Only targets due in or before this year.")] = None,
    fmt: FormatOpt = None,
) -> None:
    """Quantitative targets, sorted by deadline."""
    from . import queries

    _check_format(fmt)
    _emit(queries.targets(_kb(ctx), agency_name=agency, sector_name=sector, due_by=due_by), fmt)


@app.command("list")
def list_(
    ctx: typer.Context,
    what: Annotated[str, typer.Argument(metavar="WHAT", help="policies, companies, technologies, agencies or sectors.")],
    since: SinceOpt = None,
    until: UntilOpt = None,
    agency: AgencyOpt = None,
    sector: SectorOpt = None,
    fmt: FormatOpt = None,
) -> None:
    """List every record of one type, optionally filtered."""
    from . import queries

    _check_format(fmt)
    key = what.strip().lower()
    if key not in queries.PLURALS:
        raise UsageError(f"list: unknown record type {what!r}; choose one of {', '.join(queries.PLURALS)}")
    start, end = _window(since, until)
    listing = queries.list_records(_kb(ctx), key, since=start, until=end, agency_name=agency, sector_name=sector)
    _emit(listing, fmt)


@app.command()
def show(
    ctx: typer.Context,
    ids: Annotated[list[str], typer.Argument(metavar="ID...", help="Record ids, or - to read ids from stdin, one per line.")],
    fmt: FormatOpt = None,
) -> None:
    """Whole records by id."""
    from . import queries

    _check_format(fmt)
    wanted: list[str] = []
    for item in ids:
        wanted.extend(sys.stdin.read().splitlines() if item == "-" else [item])
    _emit(queries.show(_kb(ctx), wanted, from_stdin="-" in ids), fmt)


@app.command()
def validate(
    ctx: typer.Context,
    directory: Annotated[Optional[str], typer.Argument(metavar="[DIR]", help="Knowledge base folder (default: --data-dir, $CHINAIND_DATA or the bundled records).")] = None,
    fmt: FormatOpt = None,
) -> None:
    """Check a knowledge base and print every problem as path:line:col: message. Exit 0 when valid, 3 when not."""
    from .loader import load
    from .paths import resolve_data_dir
    from .render import choose_format
    from .validation_report import render_report

    chosen = choose_format(fmt, sys.stdout)
    opts = ctx.find_root().obj or {}
    data_dir = resolve_data_dir(directory if directory is not None else opts.get("data_dir"))
    result = load(data_dir, use_cache=not opts.get("no_cache"), skip_invalid=True)
    try:
        write_out(lambda: render_report(result, data_dir, chosen, sys.stdout))
    finally:
        # Even when the reader went away (| head), an invalid base must not exit 0.
        if result.problems:
            raise typer.Exit(3)


# The analyst's toolkit (graph, timeline, exports, authoring) registers its commands on `app`.
from . import cli_tools  # noqa: E402,F401


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


def main() -> None:
    # Typer converts every registered command to a Click command on each run (about 1.5 ms
    # each). A run needs only the one it invokes; help, errors and completion still see all.
    name = requested_command(sys.argv[1:])
    known = {info.name or info.callback.__name__.replace("_", "-") for info in app.registered_commands}
    if name in known and not any(k.endswith("_COMPLETE") for k in os.environ):
        app.registered_commands = [info for info in app.registered_commands
                                   if (info.name or info.callback.__name__.replace("_", "-")) == name]
    try:
        app(prog_name="chinaind")
        code: Any = 0
    except SystemExit as exc:
        code = exc.code
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):
            _quiet_stdout()
    # Skip interpreter teardown: every object is about to vanish with the process anyway.
    os._exit(code if isinstance(code, int) else (0 if code is None else 1))
