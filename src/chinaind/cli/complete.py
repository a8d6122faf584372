"""Shell-completion callbacks for arguments and options (`autocompletion=`). Same rule as
cli.py: only typer and the standard library here; each callback imports what it needs, and
record values come from the cache through completion.py, never from a full load."""

from __future__ import annotations

from typing import Callable

import typer


def _data_dir(ctx: typer.Context) -> str | None:
    # --data-dir given before the subcommand is already parsed when a TAB is completed.
    return ctx.find_root().params.get("data_dir") if ctx is not None else None


def names(rtype: str) -> Callable[[typer.Context, str], list[str]]:
    """Ids and names (English, Chinese, aliases) of one record type."""
    def complete(ctx: typer.Context, incomplete: str) -> list[str]:
        from chinaind.store.completion import names_of

        return names_of(rtype, incomplete, _data_dir(ctx))

    return complete


def ids(ctx: typer.Context, incomplete: str) -> list[str]:
    """Record ids of every type (for show, related, graph --around)."""
    from chinaind.store.completion import ids_of

    return ids_of(None, incomplete, _data_dir(ctx))


def choices(load: Callable[[], tuple[str, ...]]) -> Callable[[str], list[str]]:
    """A fixed vocabulary (formats, kinds, date roles), read when a TAB asks for it."""
    def complete(incomplete: str) -> list[str]:
        return [c for c in load() if c.startswith(incomplete.lower())]

    return complete


def _formats() -> tuple[str, ...]:
    from chinaind.output.render import FORMATS

    return FORMATS


def _kinds() -> tuple[str, ...]:
    from chinaind.records.kinds import RECORD_TYPES

    return RECORD_TYPES


def _roles() -> tuple[str, ...]:
    from chinaind.query.dating import ROLES

    return ROLES


def _undated() -> tuple[str, ...]:
    from chinaind.query.dating import UNDATED_MODES

    return UNDATED_MODES


def _plurals() -> tuple[str, ...]:
    from chinaind.records.kinds import FOLDERS  # the folder names are the plurals `list` takes

    return tuple(FOLDERS.values())


formats = choices(_formats)
kinds = choices(_kinds)
roles = choices(_roles)
undated = choices(_undated)
plurals = choices(_plurals)
graph_formats = choices(lambda: ("dot", "mermaid", "gexf", "json"))
chain_formats = choices(lambda: ("tree", *_formats()))
