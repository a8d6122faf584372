"""What a command does around its library call: open the knowledge base the root options name
(through the front door, query/opening.py), answer a query while the scan confirms the cache,
and hand the Listing to the one renderer, with its warnings on stderr where they belong.

Only typer and the standard library at module level (shell completion imports this)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, Callable, Optional

import typer

from chinaind.cli.streams import quiet_stdout, err
from chinaind.core.errors import ChinaindError, OSFailure
from chinaind.core.terminal import isatty

if TYPE_CHECKING:
    from chinaind.query.index import KnowledgeBase
    from chinaind.query.listing import Listing
    from chinaind.query.opening import OpenKnowledgeBase

# Set to 1 (or true, yes) to answer from the valid records of an invalid knowledge base, as
# --skip-invalid does: for readers while a teammate fixes one broken file.
SKIP_INVALID_ENV = "CHINAIND_SKIP_INVALID"

# Every knowledge base a run opened stays referenced until the run ends (main() then leaves
# with os._exit: freeing a large one object by object would cost a noticeable part of a query),
# and is closed by release() so that a caller running several commands in one process (tests,
# a script calling main()) does not keep each run's connection open.
OPENED: list["OpenKnowledgeBase"] = []


def release() -> None:
    for base in OPENED:
        base.close()
    OPENED.clear()


def _options(ctx: typer.Context) -> dict[str, Any]:
    opts = ctx.find_root().obj or {}
    env = os.environ.get(SKIP_INVALID_ENV, "").strip().lower() in ("1", "true", "yes")
    return {"data_dir": opts.get("data_dir"), "cache": not opts.get("no_cache"),
            "skip_invalid": bool(opts.get("skip_invalid")) or env}


def _warn_problems(base: "OpenKnowledgeBase") -> "OpenKnowledgeBase":
    """Problems of a base opened with --skip-invalid: each one, then a count. Never silent."""
    if base.problems:
        for problem in base.problems:
            err(f"warning: {problem}")
        err(f"chinaind: warning: skipped invalid records ({len(base.problems)} problems)")
    OPENED.append(base)
    return base


def open_base(ctx: typer.Context, data_dir: Optional[str] = None) -> "OpenKnowledgeBase":
    """The knowledge base the root options name (or `data_dir`), loaded and confirmed."""
    from chinaind.query.opening import open as open_kb

    opts = _options(ctx)
    if data_dir is not None:
        opts["data_dir"] = data_dir
    return _warn_problems(open_kb(**opts))


def index(ctx: typer.Context) -> "KnowledgeBase":
    return open_base(ctx).index


def query(ctx: typer.Context, build: Callable[["KnowledgeBase"], "Listing"], fmt: Optional[str],
          limit: Optional[int] = None) -> None:
    """Answer a query and print it. On a large base most of a warm run is a child process
    checking every file's stat; the answer is worked out meanwhile from the cache, and printed
    only once the check confirms that nothing changed (else worked out again, reloaded)."""
    from chinaind.query.opening import open_speculatively

    speculation = open_speculatively(**_options(ctx))
    base = _warn_problems(speculation.base)
    try:
        listing = build(base.index)
    except ChinaindError:
        confirmed = speculation.confirm()
        if confirmed is None:
            raise
        listing = build(_warn_problems(confirmed).index)
    else:
        confirmed = speculation.confirm()
        if confirmed is not None:
            listing = build(_warn_problems(confirmed).index)
    index_used = (confirmed or base).index
    listing = listing.limited(limit)
    listing.warnings = [*index_used.guesses, *listing.warnings]
    emit(listing, fmt, header=bool(ctx.params.get("header")))


def emit(listing: "Listing", fmt: Optional[str], header: bool = False) -> None:
    from chinaind.output.render import choose_format, render

    chosen = choose_format(fmt, sys.stdout)
    write_out(lambda: render(listing, chosen, sys.stdout, header=header))
    if chosen != "table" and listing.notes and isatty(sys.stderr):
        for note in listing.notes:
            err(note)
    if chosen != "table" or not isatty(sys.stdout):
        for warning in listing.warnings:
            err(f"chinaind: note: {warning}")


def write_out(write: Callable[[], Any]) -> None:
    """Run a writer to stdout; a reader that went away (| head) ends the run quietly with 0.
    Caught here because Typer turns a broken pipe into exit 1."""
    try:
        write()
        sys.stdout.flush()
    except BrokenPipeError:
        quiet_stdout()
        raise typer.Exit(0) from None
    except OSError as exc:  # a full disk or device, a closed stdout
        quiet_stdout()
        raise OSFailure.of("cannot write the output", exc) from None


def check_format(fmt: Optional[str]) -> str:
    """A bad --format fails before anything is loaded, so the error is immediate."""
    from chinaind.output.render import choose_format

    return choose_format(fmt, sys.stdout)


def date_window(since: Optional[str], until: Optional[str], role: Optional[str] = None, undated: str = "exclude") -> Any:
    """The date options as one query/dating.Window (a bad value is a usage error naming its option)."""
    from chinaind.query.dating import Window

    return Window.parse(since, until, role, undated)
