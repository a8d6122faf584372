"""The Typer app and what every command shares: one mapping of errors to exit codes and
stderr lines, the root options, the shared option types, loading the knowledge base, and
handing a Listing to the renderer.

Only typer and the standard library are imported at module level: shell completion runs this
on every TAB, and a query with a fresh cache needs neither Pydantic, PyYAML nor Rich.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any, Callable, Optional

import typer
from typer.core import TyperGroup

from chinaind import __version__
from chinaind.cli import complete
from chinaind.cli.streams import _prepare_streams, _quiet, _quiet_stdout
from chinaind.core.errors import ChinaindError, InvalidKnowledgeBase, OSFailure, UsageError

DEBUG_ENV = "CHINAIND_DEBUG"
# Typer vendors Click; its exception base is reached through a public class, not a private import.
_ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
_Abort = next((c for c in type(typer.Abort()).__mro__ if c.__name__ == "Abort"), RuntimeError)


class _Group(TyperGroup):
    """Maps every error to one line on stderr and an exit code, in one place, for real runs
    and for CliRunner alike."""

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        _prepare_streams()
        try:
            return self._run(args, prog_name, complete_var, **extra)
        finally:
            _release()

    def _run(self, args: Any, prog_name: Any, complete_var: Any, **extra: Any) -> Any:
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            if rv == INTERRUPTED:  # Typer turns Ctrl-C into a silent exit 130
                raise KeyboardInterrupt
        except ChinaindError as exc:
            _report(exc)
            sys.exit(exc.exit_code)
        except _ClickException as exc:  # usage errors from argument parsing
            if type(exc).__name__ == "NoArgsIsHelpError" and getattr(exc, "ctx", None):
                _print_help(exc.ctx.get_help())
            where = f" (see '{exc.ctx.command_path} --help')" if getattr(exc, "ctx", None) else ""
            _err(f"chinaind: usage error: {exc.format_message()}{where}")
            sys.exit(2)
        except (_Abort, KeyboardInterrupt):
            _err("chinaind: interrupted")
            sys.exit(130)
        except BrokenPipeError:
            _quiet_stdout()
            sys.exit(0)
        except OSError as exc:  # the system refused something: not a bug, one line
            where = f"cannot read or write {exc.filename}" if exc.filename else "input/output error"
            failure = OSFailure.of(where, exc)
            _report(failure)
            sys.exit(failure.exit_code)
        except Exception as exc:  # a bug: still no traceback unless asked for
            if os.environ.get(DEBUG_ENV):
                raise
            _err(f"chinaind: internal error: {type(exc).__name__}: {exc}; please report it (set {DEBUG_ENV}=1 for a traceback)")
            sys.exit(70)
        _final_flush()
        sys.exit(rv if isinstance(rv, int) else 0)


def _final_flush() -> None:
    """Much output is only written here, from the buffer: a reader gone away is quiet, a full
    or failing device is the run's error."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
    except (OSError, ChinaindError) as exc:
        _quiet_stdout()
        failure = exc if isinstance(exc, ChinaindError) else OSFailure.of("cannot write the output", exc)
        _report(failure)
        sys.exit(failure.exit_code)


INTERRUPTED = 130


def _print_help(text: str) -> None:
    """The help `chinaind` alone prints (exit 0), with the same outcomes as any output."""
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
    except ChinaindError as failure:
        _report(failure)
        sys.exit(failure.exit_code)
    sys.exit(0)


def _err(line: str) -> None:
    """One line on stderr; a closed or full stderr loses it, and nothing else happens."""
    from chinaind.core.escape import one_line

    try:
        sys.stderr.write(one_line(line) + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        _quiet(2)


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
    "--format", "-f", metavar="FORMAT", autocompletion=complete.formats,
    help="table, tsv, csv, json, jsonl, yaml or ids. Default: $CHINAIND_FORMAT, else table on a terminal, tsv otherwise.")]
HeaderOpt = Annotated[bool, typer.Option(
    "--header", help="With tsv: a first line naming the columns (csv always has one). Names are the JSON field names.")]
SinceOpt = Annotated[Optional[str], typer.Option("--since", metavar="DATE", help="From this date on (YYYY, YYYY-MM or YYYY-MM-DD), inclusive.")]
UntilOpt = Annotated[Optional[str], typer.Option("--until", metavar="DATE", help="Up to this date (YYYY, YYYY-MM or YYYY-MM-DD), inclusive of its whole span.")]
SectorOpt = Annotated[Optional[str], typer.Option("--sector", "-s", metavar="SECTOR", autocompletion=complete.names("sector"), help="Only records in this sector (id, name or alias).")]
UndatedOpt = Annotated[str, typer.Option(
    "--undated", metavar="MODE", autocompletion=complete.undated,
    help="Records without the date filtered on: exclude (default; their number is reported), include, or only them.")]
DateRoleOpt = Annotated[Optional[str], typer.Option(
    "--date-role", metavar="ROLE", autocompletion=complete.roles,
    help="Which date to filter on: issued, adopted, announced, published, reported, effective, occurred or period "
         "(the period a document covers). Default: the issued date, else the first known one.")]
AgencyOpt = Annotated[Optional[str], typer.Option("--agency", "-a", metavar="AGENCY", autocompletion=complete.names("agency"), help="Only policies issued or co-issued by this agency.")]


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


def _release() -> None:
    """At the end of a run: close the cache connections it read through. A process ends
    them anyway; a caller running several commands in one process (tests, a script calling
    main()) would otherwise keep each run's connection open until a garbage collection."""
    for kb in _KEEP_ALIVE:
        close = getattr(kb.records, "close", None)
        if close is not None:
            close()
    _KEEP_ALIVE.clear()


def _kb(ctx: typer.Context) -> Any:
    kb, _ = _load_kb(ctx, speculate=False)
    return kb


def _query(ctx: typer.Context, build: Callable[[Any], Any], fmt: Optional[str]) -> None:
    """Answer a query and print it. On a large base most of a warm run is a child process
    checking every file's stat; the answer is worked out meanwhile from the cache, and printed
    only once the check confirms that nothing changed (else worked out again, reloaded)."""
    kb, confirm = _load_kb(ctx, speculate=True)
    try:
        listing = build(kb)
    except ChinaindError:
        kb = confirm()
        if kb is None:
            raise
        listing = build(kb)
    else:
        again = confirm()
        if again is not None:
            listing = build(again)
    _emit(listing, fmt, header=bool(ctx.params.get("header")))


# This process's share of the scan's lstat calls when a query is answered speculatively: it
# has the query to work out meanwhile, then takes over what the child has not reached.
SPECULATIVE_SHARE = 0.1


def _load_kb(ctx: typer.Context, speculate: bool) -> tuple[Any, Callable[[], Any]]:
    from chinaind.query.index import KnowledgeBase
    from chinaind.store.loader import load_speculatively
    from chinaind.core.paths import resolve_data_dir

    opts = ctx.find_root().obj or {}
    data_dir = resolve_data_dir(opts.get("data_dir"))

    def knowledge_base(result: Any) -> Any:
        if result.problems:
            for problem in result.problems:
                _err(f"warning: {problem}")
            _err(f"chinaind: warning: skipped invalid records ({len(result.problems)} problems)")
        kb = KnowledgeBase(result.records, result.texts)
        _KEEP_ALIVE.append(kb)
        return kb


    result, confirm = load_speculatively(data_dir, use_cache=not opts.get("no_cache"),
                                         skip_invalid=bool(opts.get("skip_invalid")),
                                         share=SPECULATIVE_SHARE if speculate else None)
    if not speculate:
        result = confirm() or result
        return knowledge_base(result), lambda: None
    return knowledge_base(result), lambda: (lambda r: knowledge_base(r) if r is not None else None)(confirm())


def _window(since: Optional[str], until: Optional[str]) -> tuple[Any, Any]:
    """--since and --until as the first and last day they cover; a bad date is a usage error."""
    from chinaind.records.dates import parse_span

    bounds = []
    for value, option, end in ((since, "--since", False), (until, "--until", True)):
        if value is None:
            bounds.append(None)
            continue
        try:
            span = parse_span(value)
            bounds.append(span.end if end else span.start)
        except ValueError as exc:
            raise UsageError(f"{option}: {exc}") from None
    return bounds[0], bounds[1]


def _date_window(since: Optional[str], until: Optional[str], role: Optional[str] = None,
                 undated: str = "exclude") -> Any:
    """The date options as one Window; a bad value is a usage error naming the option."""
    from chinaind.query.dating import ROLES, UNDATED_MODES, Window

    start, end = _window(since, until)
    mode = undated.strip().lower()
    if mode not in UNDATED_MODES:
        raise UsageError(f"--undated: unknown mode {undated!r}; choose one of {', '.join(UNDATED_MODES)}")
    chosen = role.strip().lower() if role is not None else None
    if chosen is not None and chosen not in ROLES:
        raise UsageError(f"--date-role: unknown role {role!r}; choose one of {', '.join(ROLES)}")
    return Window(start, end, chosen, mode)


def _emit(listing: Any, fmt: Optional[str], header: bool = False) -> None:
    from chinaind.output.render import choose_format, render

    chosen = choose_format(fmt, sys.stdout)
    write_out(lambda: render(listing, chosen, sys.stdout, header=header))
    if chosen != "table" and listing.notes and _isatty(sys.stderr):
        for note in listing.notes:
            _err(note)
    if chosen != "table" or not _isatty(sys.stdout):
        for warning in listing.warnings:
            _err(f"chinaind: note: {warning}")


def write_out(write: Any) -> None:
    """Run a writer to stdout; a reader that went away (| head) ends the run quietly with 0.
    Caught here because Typer turns a broken pipe into exit 1."""
    try:
        write()
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
        raise typer.Exit(0) from None
    except OSError as exc:  # a full disk or device, a closed stdout
        _quiet_stdout()
        raise OSFailure.of("cannot write the output", exc) from None


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _check_format(fmt: Optional[str]) -> None:
    # Fail on a bad --format before loading anything, so the error is immediate.
    from chinaind.output.render import choose_format

    choose_format(fmt, sys.stdout)
