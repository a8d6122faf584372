"""The Typer app: the root options and the one mapping of errors to exit codes and stderr
lines. Shared option types are in cli/options.py; opening the knowledge base and handing a
Listing to the renderer in cli/running.py.

Only typer and the standard library are imported at module level: shell completion runs this
on every TAB, and a query with a fresh cache needs neither Pydantic, PyYAML nor Rich.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from chinaind.core.version import __version__
from chinaind.cli.running import release
from chinaind.cli.streams import err, prepare_streams, quiet_stdout
from chinaind.core.errors import ChinaindError, InvalidKnowledgeBase, OSFailure, UsageError

DEBUG_ENV = "CHINAIND_DEBUG"
_PLAIN_USAGE = __import__("re").compile(r"^\{(.*)\}$")
# Typer vendors Click; its exception base is reached through a public class, not a private import.
_ClickException: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
_Abort: type[BaseException] = next((c for c in type(typer.Abort()).__mro__ if c.__name__ == "Abort"), RuntimeError)


class _Group(TyperGroup):
    """Maps every error to one line on stderr and an exit code, in one place, for real runs
    and for CliRunner alike."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None and not getattr(command, "_plain_usage", False):
            # Typer writes a required argument as {QUERY} in usage lines; the convention (git,
            # gh, Click itself) is QUERY, and [QUERY] for an optional one.
            pieces = command.collect_usage_pieces

            def plain(c: Any, f: Any = pieces) -> list[str]:
                return [_PLAIN_USAGE.sub(r"\1", p) for p in f(c)]

            setattr(command, "collect_usage_pieces", plain)
            setattr(command, "_plain_usage", True)
        return command

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, windows_expand_args: bool = True, **extra: Any) -> Any:
        prepare_streams()
        try:
            return self._run(args, prog_name, complete_var, windows_expand_args=windows_expand_args, **extra)
        finally:
            release()

    def _run(self, args: Any, prog_name: Any, complete_var: Any, **extra: Any) -> Any:
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            if rv == INTERRUPTED:  # Typer turns Ctrl-C into a silent exit 130
                raise KeyboardInterrupt
        except ChinaindError as exc:
            _report(exc)
            sys.exit(exc.exit_code)
        except _ClickException as exc:  # usage errors from argument parsing
            ctx: Any = getattr(exc, "ctx", None)
            if type(exc).__name__ == "NoArgsIsHelpError" and ctx:
                _print_help(ctx.get_help())
            where = f" (see '{ctx.command_path} --help')" if ctx else ""
            err(f"chinaind: usage error: {getattr(exc, 'format_message', exc.__str__)()}{where}")
            sys.exit(2)
        except (_Abort, KeyboardInterrupt):
            err("chinaind: interrupted")
            sys.exit(130)
        except BrokenPipeError:
            quiet_stdout()
            sys.exit(0)
        except OSError as exc:  # the system refused something: not a bug, one line
            where = f"cannot read or write {exc.filename}" if exc.filename else "input/output error"
            failure = OSFailure.of(where, exc)
            _report(failure)
            sys.exit(failure.exit_code)
        except Exception as exc:  # a bug: still no traceback unless asked for
            if os.environ.get(DEBUG_ENV):
                raise
            err(f"chinaind: internal error: {type(exc).__name__}: {exc}; please report it (set {DEBUG_ENV}=1 for a traceback)")
            sys.exit(70)
        _final_flush()
        sys.exit(rv if isinstance(rv, int) else 0)


def _final_flush() -> None:
    """Much output is only written here, from the buffer: a reader gone away is quiet, a full
    or failing device is the run's error."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        quiet_stdout()
    except (OSError, ChinaindError) as exc:
        quiet_stdout()
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
        quiet_stdout()
    except ChinaindError as failure:
        _report(failure)
        sys.exit(failure.exit_code)
    sys.exit(0)


def _report(exc: ChinaindError) -> None:
    if isinstance(exc, InvalidKnowledgeBase):
        for problem in exc.problems:
            err(str(problem))
        err(f"chinaind: {exc}; fix them (chinaind validate lists them) or pass --skip-invalid")
    else:
        err(f"chinaind: {exc}")


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
    # Help as wide as the terminal, up to 120 columns (Click's default stops at 80, and cuts
    # the command summaries of `chinaind --help` at 45 characters).
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120},
)

@app.callback()
def _root(
    ctx: typer.Context,
    data_dir: Annotated[Optional[str], typer.Option("--data-dir", "-d", metavar="PATH", help="Knowledge base folder. Default: $CHINAIND_DATA, else the bundled records.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Read and validate every YAML file; neither read nor write the cache.")] = False,
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Query the valid records of an invalid knowledge base, warning about the rest.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    ctx.obj = {"data_dir": data_dir, "no_cache": no_cache, "skip_invalid": skip_invalid}


