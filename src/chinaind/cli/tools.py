"""Commands of the analyst's toolkit, registered on the main app. Same rules as cli.py: only
typer and the standard library at module level; the library is imported inside each command,
so shell completion and start-up stay fast."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from chinaind.cli.app import app
from chinaind.cli.options import LimitOpt, AgencyOpt, FormatOpt, HeaderOpt, SectorOpt, SinceOpt, UndatedOpt, UntilOpt
from chinaind.cli.running import check_format, index, query, date_window, write_out
from chinaind.cli import complete
from chinaind.core.errors import UsageError
from chinaind.records.kinds import KINDS_TEXT

KIND_HELP = f"{KINDS_TEXT}."
DepthOpt = Annotated[int, typer.Option("--depth", min=1, max=10, metavar="N", help="How many steps to walk (1-10).")]


# --- explore -----------------------------------------------------------------------------------
@app.command()
def related(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME_OR_ID", autocompletion=complete.ids, help="Any record: id, name or alias (catl, MIIT, \"fiber laser\").")],
    depth: DepthOpt = 2,
    limit: LimitOpt = None,
    fmt: FormatOpt = None,
    header: HeaderOpt = False,
) -> None:
    """Records linked to one record, step by step: its policies, agencies, chains, firms and sectors."""
    from chinaind.query.graph import related as run

    check_format(fmt)
    query(ctx, lambda kb: run(kb, name, depth), fmt, limit=limit)


@app.command()
def chains(
    ctx: typer.Context,
    coverage: Annotated[bool, typer.Option("--coverage", help="One row per status (named, partly named, blank) and one for all, instead of one per technology.")] = False,
    fmt: FormatOpt = None,
    header: HeaderOpt = False,
) -> None:
    """Every chain technology at once: how many leads and partners the source names, and which are blank."""
    from chinaind.query import chains as lib

    check_format(fmt)
    query(ctx, lambda kb: lib.coverage(kb) if coverage else lib.chains(kb), fmt)


@app.command()
def timeline(
    ctx: typer.Context,
    since: SinceOpt = None,
    until: UntilOpt = None,
    undated: UndatedOpt = "exclude",
    agency: AgencyOpt = None,
    sector: SectorOpt = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = None,
    header: HeaderOpt = False,
) -> None:
    """Every dated item in date order: policies, organisation events, statistics and goals falling due."""
    from chinaind.query import timeline as lib
    from chinaind.output.render import choose_format

    chosen = choose_format(fmt, sys.stdout)
    window = date_window(since, until, None, undated)
    query(ctx, lambda kb: lib.timeline(kb, window=window, agency=agency, sector=sector, by_month=chosen == "table"), chosen, limit=limit)


@app.command()
def stats(
    ctx: typer.Context,
    since: SinceOpt = None,
    until: UntilOpt = None,
    undated: UndatedOpt = "exclude",
    fmt: FormatOpt = None,
    header: HeaderOpt = False,
) -> None:
    """Counts by record kind, agency, sector and month; --since/--until narrow the policies counted by agency and month."""
    from chinaind.query import stats as lib

    check_format(fmt)
    window = date_window(since, until, None, undated)
    query(ctx, lambda kb: lib.stats(kb, window), fmt)


@app.command("graph")
def graph_(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", autocompletion=complete.graph_formats, help="dot (Graphviz), mermaid (Markdown), gexf (Gephi) or json.")] = "dot",
    around: Annotated[Optional[str], typer.Option("--around", metavar="NAME_OR_ID", autocompletion=complete.ids, help="Only the records within --depth steps of this one.")] = None,
    depth: DepthOpt = 2,
) -> None:
    """The knowledge graph (policies, agencies, technologies, organisations, sectors and their links)."""
    from chinaind.query import graph as lib
    from chinaind.core.escape import unicode_stream
    from chinaind.output.graph_formats import GRAPH_FORMATS, write

    chosen = fmt.strip().lower()
    if chosen not in GRAPH_FORMATS:
        raise UsageError(f"--format: unknown graph format {fmt!r}; choose one of {', '.join(GRAPH_FORMATS)}")
    kb = index(ctx)
    g = lib.build(kb)
    if around is not None:
        start = lib.find_record(kb, around)["id"]
        g = g.subgraph({start, *(r.id for r in lib.walk(g, start, depth))})
    write_out(lambda: sys.stdout.write(write(g, chosen, ascii_only=not unicode_stream(sys.stdout))))


# --- review ------------------------------------------------------------------------------------
@app.command()
def diff(
    ctx: typer.Context,
    paths: Annotated[Optional[list[str]], typer.Argument(
        metavar="OLD NEW | [DIR]", help="Two knowledge base folders; with --rev, the one folder (default: --data-dir, $CHINAIND_DATA).")] = None,
    rev: Annotated[Optional[str], typer.Option("--rev", "-r", metavar="REV", help="Compare DIR as it was at this git revision (HEAD~1, a branch, a commit) with its working tree.")] = None,
    exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 1 when there are differences, 0 when none (like git diff --exit-code).")] = False,
    fmt: FormatOpt = None,
) -> None:
    """Records added, removed and changed between two knowledge bases, with the fields that changed."""
    from chinaind.query import kbdiff
    from chinaind.cli.running import emit
    from chinaind.core.paths import resolve_data_dir

    check_format(fmt)
    given = paths or []
    opts = ctx.find_root().obj or {}
    load = {"use_cache": not opts.get("no_cache"), "skip_invalid": bool(opts.get("skip_invalid"))}
    if rev is None:
        if len(given) != 2:
            raise UsageError("diff: give two knowledge base folders (OLD NEW), or --rev REV [DIR]")
        old_dir, new_dir = (resolve_data_dir(p) for p in given)
        old, new = (_side(kbdiff.load_side(d, use_cache=load["use_cache"], skip_invalid=load["skip_invalid"]))
                    for d in (old_dir, new_dir))
        labels = (str(old_dir), str(new_dir))
    else:
        if len(given) > 1:
            raise UsageError("diff --rev: give at most one knowledge base folder")
        from chinaind.store import gitrev

        new_dir = resolve_data_dir(given[0] if given else opts.get("data_dir"))
        revision = gitrev.resolve(new_dir, rev)
        # The revision's files go to a temporary folder, read without the cache: the cache
        # directory must not fill up with knowledge bases that are gone after this run.
        with gitrev.exported(revision) as tmp:  # removed on SIGTERM and SIGHUP too
            old = _side(kbdiff.load_side(tmp, use_cache=False, skip_invalid=load["skip_invalid"],
                                         shown_as=revision.label))
        new = _side(kbdiff.load_side(new_dir, use_cache=load["use_cache"], skip_invalid=load["skip_invalid"]))
        labels = (revision.label, f"the working tree of {new_dir}")
    changes = kbdiff.compare(old, new)
    emit(kbdiff.listing(changes, *labels), fmt)
    if exit_code and changes:
        raise typer.Exit(1)


def _side(side: Any) -> Any:
    """A side's records, after warning about what --skip-invalid left out of it."""
    from chinaind.cli.streams import err

    for problem in side.problems:
        err(f"warning: {problem}")
    if side.problems:
        err(f"chinaind: warning: skipped invalid records ({len(side.problems)} problems)")
    return side.records


# --- export ------------------------------------------------------------------------------------
export_app = typer.Typer(name="export", help="Write the knowledge base as a SQLite database or CSV files.",
                         no_args_is_help=True, rich_markup_mode=None)
app.add_typer(export_app, name="export")
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace existing regular files (never a link, folder, FIFO or device).")]


@export_app.command("sqlite")
def export_sqlite(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="PATH", help="The database file to write, e.g. chinaind.sqlite.")],
    force: ForceOpt = False,
) -> None:
    """One table per record kind, link tables, sources, full-text search that finds Chinese words, and a Datasette metadata file (kb.db -> kb.metadata.json)."""
    from chinaind.core.escape import one_line
    from chinaind.export.write import check_target, metadata_path, write_sqlite

    check_target(path, force, "sqlite")  # before loading anything
    counts = write_sqlite(index(ctx), path, force=force)
    sys.stdout.write(f"wrote {one_line(str(path))} ({counts['records']} records) and its Datasette metadata {one_line(str(metadata_path(path)))}; "
                     "its `about` table shows how to search it in SQL\n")


@export_app.command("csv")
def export_csv(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="The folder to write <table>.csv files into (created if missing).")],
    force: ForceOpt = False,
) -> None:
    """The tables of the SQLite export as CSV files (header row, RFC 4180, UTF-8)."""
    from chinaind.core.escape import one_line
    from chinaind.export.write import write_csv

    counts = write_csv(index(ctx), directory, force=force)
    sys.stdout.write(f"wrote {len(counts)} CSV files to {one_line(str(directory))}: {counts['records']} records\n")


# --- author ------------------------------------------------------------------------------------
def _kind(value: str, allowed: tuple[str, ...], command: str) -> str:
    kind = value.strip().lower()
    if kind not in allowed:
        raise UsageError(f"{command}: unknown kind {value!r}; choose one of {', '.join(allowed)}")
    return kind


@app.command()
def schema(
    kind: Annotated[Optional[str], typer.Argument(metavar="[KIND]", autocompletion=complete.kinds, help=f"One record kind: {KIND_HELP} Default: all, keyed by kind.")] = None,
    write_dir: Annotated[Optional[Path], typer.Option("--write", metavar="DIR", help="Write <kind>.json files into DIR instead of printing.")] = None,
    force: ForceOpt = False,
) -> None:
    """The JSON Schema of each record kind, for editors (yaml-language-server) to check records while typing."""
    from chinaind.authoring.skeletons import json_schema, schema_text, write_schemas
    from chinaind.core.escape import one_line
    from chinaind.records.kinds import RECORD_TYPES

    kinds = (_kind(kind, RECORD_TYPES, "schema"),) if kind else RECORD_TYPES
    if write_dir is not None:
        if write_dir.exists() and not write_dir.is_dir():
            raise UsageError(f"schema --write: {write_dir} is a file; give a folder")
        for path in write_schemas(write_dir, kinds, force=force):
            sys.stdout.write(one_line(str(path)) + "\n")
        return
    sys.stdout.write(schema_text(json_schema(kinds[0]) if kind else {k: json_schema(k) for k in kinds}))


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="A new or empty folder.")],
    empty: Annotated[bool, typer.Option("--empty", help="Only the vocabularies (agencies, sectors), the sources they cite and their authors, and empty record folders.")] = False,
) -> None:
    """Start a knowledge base of your own: a copy of the bundled records, or an empty one."""
    from chinaind.authoring.skeletons import init as run
    from chinaind.core.escape import one_line
    from chinaind.core.paths import bundled_data_dir

    counts = run(directory, bundled_data_dir(), empty=empty)
    detail = ", ".join(f"{n} {folder}" for folder, n in counts.items())
    shown = one_line(str(directory))
    sys.stdout.write(f"created {shown} ({detail}); add records with "
                     f"`chinaind --data-dir {shown} new policy ID`, check them with `chinaind validate {shown}`\n")


@app.command()
def new(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(metavar="KIND", help=KIND_HELP)],
    rid: Annotated[str, typer.Argument(metavar="ID", help="The new record's id, also its file name (letters, digits, - and _).")],
    data_dir: Annotated[Optional[str], typer.Option("--data-dir", "-d", metavar="PATH", help="The knowledge base to add to. Default: the global --data-dir, else $CHINAIND_DATA.")] = None,
) -> None:
    """Write a record skeleton to fill in: every required field, TODO placeholders, a source block. Prints its path."""
    import os

    from chinaind.authoring.skeletons import NEW_KINDS, check_id, new_record
    from chinaind.core.escape import one_line
    from chinaind.core.paths import DATA_ENV, resolve_data_dir

    chosen_kind = _kind(kind, NEW_KINDS, "new")
    check_id(rid)
    root = (ctx.find_root().obj or {}).get("data_dir")
    chosen = data_dir or root or os.environ.get(DATA_ENV)
    if not chosen:
        raise UsageError("new: no knowledge base given, and the bundled records are not edited in place; "
                         "create your own with `chinaind init DIR`, then pass --data-dir DIR or set CHINAIND_DATA")
    for path in new_record(resolve_data_dir(chosen), chosen_kind, rid):
        sys.stdout.write(one_line(str(path)) + "\n")


@app.command()
def migrate(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="The knowledge base folder to upgrade in place.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")] = False,
    fmt: FormatOpt = None,
    header: HeaderOpt = False,
) -> None:
    """Upgrade a knowledge base in the first record format (one `date`, `targets`, sources written
    out) to the current one, losing nothing. Lists each change; --dry-run writes nothing."""
    from chinaind.authoring import migrate as run
    from chinaind.cli.running import emit
    from chinaind.cli.streams import err
    from chinaind.query.listing import Listing, col

    check_format(fmt)
    plan = run.plan(directory)
    rows = [{"file": c.rel, "change": change} for c in plan.changed for change in c.changes]
    rows += [{"file": f"sources/{sid}.yaml", "change": "new source record"} for sid in plan.sources]
    for problem in plan.problems:
        err(f"warning: {problem}")
    verb = "would change" if dry_run else "changed"
    title = f"{verb} {len(plan.changed)} files, {len(plan.sources)} new source records in {directory}"
    if not dry_run and (plan.changed or plan.sources):
        run.apply(directory, plan)
    emit(Listing(rows, [col("FILE", "file"), col("CHANGE", "change")], title=title,
                  notes=[] if rows else ["already in the current format; nothing to do"]), fmt, header=header)
