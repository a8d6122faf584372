"""`chinaind draft`: read a text, find what it states, link what the knowledge base knows, and
write new draft records for the analyst to confirm. Returns a Listing for the one renderer:
one row per drafted value (record, field, value, the words it came from), plus the sentences
left to the analyst. Writes nothing with dry_run; never rewrites an existing file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from chinaind.core.errors import UsageError
from chinaind.draft.build import build
from chinaind.draft.layout import read_layout
from chinaind.draft.names import Names
from chinaind.draft.proposals import Draft, Ids, Proposal
from chinaind.draft.reading import Input
from chinaind.draft.sourcerec import source_id, source_proposal
from chinaind.draft.write import path_of, write_new
from chinaind.query.opening import OpenKnowledgeBase


class Written(NamedTuple):
    draft: Draft
    paths: dict[str, Path]  # record id -> the file written (or that would be, with dry_run)
    written: bool


def draft(base: OpenKnowledgeBase, given: Input, *, source_id_: str | None = None, dry_run: bool = False) -> Written:
    """Draft `given` into `base`'s folder."""
    layout = read_layout(given.text)
    names = Names(base.index.records.all_names())
    rid = source_id_ or source_id(layout, given)
    if source_id_ is not None:
        from chinaind.records.kinds import check_id

        check_id(source_id_, "draft --source-id")
    known_source = rid in names.known_ids
    ids = Ids(names.known_ids)
    ids.taken.add(rid)
    source, people = source_proposal(layout, given, rid, names, ids)
    if known_source:
        source = source._replace(new=False, marks={})
    result = build(layout, names, source, not known_source)
    proposals = [*people, *result.proposals] if people else result.proposals
    result = result._replace(proposals=_in_order(proposals))
    paths = {p.rid: path_of(base.data_dir, p) for p in result.proposals if p.new}
    _refuse_existing(paths)
    if not dry_run:
        for proposal in result.proposals:
            if proposal.new:
                write_new(base.data_dir, proposal)
    return Written(result, paths, not dry_run)


def _in_order(proposals: list[Proposal]) -> list[Proposal]:
    order = ("source", "policy", "company", "agency", "person", "technology", "sector")
    return sorted(proposals, key=lambda p: order.index(p.kind) if p.kind in order else 99)


def _refuse_existing(paths: dict[str, Path]) -> None:
    """Before anything is written: a file in the way stops the whole draft (no half drafts)."""
    import os

    taken = [p for p in paths.values() if os.path.lexists(p)]
    if taken:
        raise UsageError(f"draft: {taken[0]} exists (a record the cache does not hold as valid?); draft never "
                         "overwrites a file: remove it, or fix it and run draft again")


def as_data(written: Written, data_dir: Path) -> list[dict[str, Any]]:
    """One object per drafted record, for -f json: kind, id, path, new, record, unconfirmed."""
    out = []
    for p in written.draft.proposals:
        path = written.paths.get(p.rid)
        out.append({"kind": p.kind, "id": p.rid, "path": str(path) if path else None, "new": p.new,
                    "section": p.section, "record": p.record,
                    "unconfirmed": [{"field": _field(k), "words": e.words, "line": e.line} for k, e in p.marks.items()]})
    return out


def _field(path: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(path))
