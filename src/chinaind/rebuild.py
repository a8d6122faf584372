"""Turning validated files and the old cache's columns into a load result, and saving the
new cache: patched in place when an edit left ids, facets and references as they were (the
common case), rebuilt column by column otherwise.
"""

from __future__ import annotations

import marshal
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from . import increments
from .cache import writing
from .increments import MAX_CHANGED, touched_ids
from .errors import Problem
from .kinds import RECORD_TYPES
from . import loader
from .loader import (LoadResult, _duplicate, _load_fresh, _rereader, ids_by_type, raw_reference_problems,
                     reference_problems, refs_of)
from .refresh import Plan, mapped_heap, racy_entries, save, store_records, store_texts
from .workers import PARALLEL_MIN, Fresh, Spool, validate_changed
from .scan import storable
from .store import RecordStore, facet_of


def refreshed(data_dir: Path, folders: list[Any], index: Path | None, old: Any, suspects: set[int],
              served: LoadResult | None = None) -> LoadResult:
    """Validate the files the cache cannot vouch for (all of them without a cache), rebuild
    the columns and, with an index path, save them. `served` is the result already read from
    the old cache, if any: a patch updates it instead of reading the cache again."""
    plan = Plan(old, folders, suspects)
    # A first build of a large base writes the new heaps while validating (see Spool).
    spool = Spool.open(index) if index is not None and not old and len(plan.changed) >= PARALLEL_MIN else None
    try:
        # validate_entry is looked up now: tests spy on it.
        fresh = validate_changed(data_dir, plan.changed, loader.validate_entry, spool)
        if index is not None and fresh and _patchable(old, plan, fresh):
            with writing(index):
                return _patched(data_dir, folders, index, old, plan, fresh, served)
        with writing(index) if index is not None else nullcontext():
            return _rebuilt(data_dir, folders, index, old, plan, fresh, spool)
    finally:
        if spool is not None:
            spool.abandon()  # temp files left over by a failure (finished heaps are in place)


def _rebuilt(data_dir: Path, folders: list[Any], index: Path | None, old: Any, plan: Plan,
             fresh: dict[int, Fresh], spool: Spool | None) -> LoadResult:
    before = plan.columns
    ids = plan.column(before.ids, lambda s: fresh[s].rid)
    facets = plan.column(before.facets, lambda s: fresh[s].facet)
    refs = plan.column(before.refs, lambda s: fresh[s].refs)
    problems = plan.problems(before.problems, fresh)
    saved_at, heap, kept_at = (None, (None, 0), None)
    if index is not None:
        saved_at, heap, kept_at = store_records(index, old, plan, fresh, spool)
    # Once written, records are read back from the heap: a first build need not hold them.
    written = mapped_heap(index, heap) if index is not None else None
    result = LoadResult(RecordStore(written, saved_at) if written is not None else RecordStore(old.heap, kept_at))
    result.rels = plan.rels
    duplicates = _first_uses(ids, result.slots)
    result.records.bulk(result.slots, lambda: facets)
    for slot, f in fresh.items():
        if written is not None:
            f.blob = f._record = None
        elif f.rid is not None and result.slots.get(ids[slot]) == slot:
            result.records.put(ids[slot], f.stored())
    result.problems = _file_problems(data_dir, result, problems, duplicates, ids)
    result.texts, text_heap = store_texts(index, old, plan, fresh, ids, None, spool)
    result.records.on_damage = _rereader(data_dir, index, result)
    valid = not result.problems
    types = bytes(RECORD_TYPES.index(f[0]) if f else 255 for f in facets)
    # A valid base staying valid: only what the changed ids touch needs checking again.
    steady = bool(old) and bool(old.toc.get("valid")) and valid and len(fresh) <= MAX_CHANGED
    touched = touched_ids(before.ids, old.raw("types"), ids, types) if steady else None
    rows = _cross_rows(data_dir, result, old, plan, fresh, ids, facets, refs, touched, problems)
    result.problems += [Problem(str(data_dir / rel), ln, col, msg) for rel, ln, col, msg in rows]
    if index is None or (not fresh and plan.source is None):
        return result
    sections = {"scan": marshal.dumps(storable(folders)), "perm": plan.perm, "rels": marshal.dumps(plan.rels),
                "ids": marshal.dumps(ids), "facets": marshal.dumps(facets), "refs": marshal.dumps(refs),
                "problems": marshal.dumps(problems), "cross": marshal.dumps(rows),
                "types": types,
                "dates": marshal.dumps([f[1] if f else None for f in facets]),
                "locations": marshal.dumps(tuple(a.tobytes() for a in saved_at))}
    sections.update(result.texts.columns())
    if valid:
        sections.update(_tables(old, plan, fresh, ids, facets, result, touched))
    now = time.time_ns()
    save(index, data_dir, sections, heap, text_heap, valid,
         racy_entries(plan, old.get("racy") if old else [], fresh, plan.changed, now))
    return result


def _first_uses(ids: list[Any], slots: dict[str, int]) -> list[int]:
    """Fill `slots` with each id's first slot; return the slots that reuse an id."""
    duplicates = []
    for slot, rid in enumerate(ids):
        if rid is not None and slots.setdefault(rid, slot) != slot:
            duplicates.append(slot)
    return duplicates


def _file_problems(data_dir: Path, result: LoadResult, problems: dict[int, list[Any]],
                   duplicates: list[int], ids: list[Any]) -> list[Problem]:
    out: list[Problem] = []
    dup = set(duplicates)
    for slot in sorted(set(problems) | dup):
        display = str(data_dir / result.rels[slot])
        out += [Problem(display, ln, col, msg) for ln, col, msg in problems.get(slot, ())]
        if slot in dup:
            rid = ids[slot]
            out.append(_duplicate(data_dir, result.rels[slot], result.rel_of(rid), rid))
    return out


def _cross_rows(data_dir: Path, result: LoadResult, old: Any, plan: Any, fresh: dict[int, Any],
                ids: list[Any], facets: list[Any], refs: list[Any], touched: set[str] | None,
                problems: dict[int, list[Any]]) -> list[tuple[str, int, int, str]]:
    """Dangling references: recomputed for the changed files only when no id came or went and
    no changed file points elsewhere; for what the changed ids touch in a valid base; else for
    every record. Files that fail their model are checked too, from their raw data, so that a
    file's field and reference problems come in one run."""
    known = ids_by_type(result, facets)
    before = plan.columns
    if touched is not None:
        return increments.cross_rows(old.get("cross"), plan.rels, refs, result.slots, set(fresh), touched,
                                     lambda live: reference_problems(data_dir, result, known, refs, live))
    if (old and plan.source is None and all(ids[s] == before.ids[s] and refs[s] == before.refs[s] for s in fresh)):
        changed = {plan.rels[s] for s in fresh}
        rows = [r for r in old.get("cross") if r[0] not in changed]
        rows += reference_problems(data_dir, result, known, refs,
                                   [(ids[s], s) for s in sorted(fresh) if ids[s] is not None and result.slots[ids[s]] == s])
        rows += raw_reference_problems(data_dir, [plan.rels[s] for s in sorted(fresh) if ids[s] is None and s in problems], known)
        return sorted(rows)
    rows = reference_problems(data_dir, result, known, refs, result.slots.items())
    rows += raw_reference_problems(data_dir, [plan.rels[s] for s in sorted(problems) if ids[s] is None], known)
    return sorted(rows)


def _tables(old: Any, plan: Any, fresh: dict[int, Any], ids: list[Any], facets: list[Any],
            result: LoadResult, touched: set[str] | None) -> dict[str, Any]:
    """The derived tables of a valid base: the old ones when no id, type, date or issuer
    changed; the old ones updated for the records that moved; else computed afresh."""
    from .index import ids_by_agency, sorted_ids_by_type

    before = plan.columns
    if (old and old.toc.get("valid") and plan.source is None
            and all(ids[s] == before.ids[s] and facets[s] == before.facets[s] for s in fresh)):
        return {"by_type": old.raw("by_type"), "by_agency": old.raw("by_agency")}
    if touched is not None:
        moved = touched | {ids[s] for s in fresh if ids[s] is not None}
        slots = result.slots
        by_type, by_agency = increments.tables(old.get("by_type"), old.get("by_agency"), moved,
                                               lambda rid: facets[slots[rid]] if rid in slots else None)
        return {"by_type": marshal.dumps(by_type), "by_agency": marshal.dumps(by_agency)}
    by_id = result.records.facets
    by_type = sorted_ids_by_type(by_id)
    return {"by_type": marshal.dumps(by_type), "by_agency": marshal.dumps(ids_by_agency(by_id, by_type["policy"]))}


def _patchable(old: Any, plan: Plan, fresh: dict[int, Fresh]) -> bool:
    """True when the changed files of a valid base are still valid, keep their ids, and their
    records keep their facets and references: then every column but the search text and the
    record locations is as it was, and the old sections are written back unread."""
    if not (old and old.toc.get("valid") and plan.source is None):
        return False
    ids = plan.columns.ids
    store = RecordStore(old.heap, plan.columns.locations)
    changed = {plan.rels[slot] for slot in fresh}
    for slot, f in fresh.items():
        if f.rid is None or f.raw or f.rid != ids[slot]:
            return False
        store.add(ids[slot], slot=slot, facet=f.facet)
        before = store[ids[slot]]
        if facet_of(before) != f.facet or refs_of(before) != f.refs:
            return False
    return not any(row[0] in changed for row in old.get("cross"))


def _patched(data_dir: Path, folders: list[Any], index: Path, old: Any, plan: Plan,
             fresh: dict[int, Fresh], served: LoadResult | None) -> LoadResult:
    result = served if served is not None else _load_fresh(data_dir, index, old)
    ids = plan.columns.ids
    for slot, f in fresh.items():
        result.records.put(ids[slot], f.stored())
    result.texts, text_heap = store_texts(index, old, plan, fresh, ids, result.slots)
    saved_at, heap, _ = store_records(index, old, plan, fresh)
    sections = {name: old.raw(name) for name in old.toc["sections"] if name != "racy"}
    sections["scan"] = marshal.dumps(storable(folders))
    sections["locations"] = marshal.dumps(tuple(a.tobytes() for a in saved_at))
    sections.update(result.texts.columns())
    written = time.time_ns()
    save(index, data_dir, sections, heap, text_heap, True, racy_entries(plan, old.get("racy"), fresh, plan.changed, written))
    return result
