"""Loading a knowledge base: finding its files, validating what the cache cannot vouch for,
and checking the references between records. Returns plain records; never prints.
"""

from __future__ import annotations

import re

import time
import zlib
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .errors import InvalidKnowledgeBase, Problem
from .fileread import NotRegular, Oversized, read_record_file
from .kinds import ANY, FOLDERS, REFERENCES
from .scan import FileEntry, files, scan, stem_of

Record = dict[str, Any]
TYPE_OF_FOLDER = {folder: rtype for rtype, folder in FOLDERS.items()}
__all__ = ["FileEntry", "LoadResult", "files", "load", "scan", "stem_of", "validate_entry"]


class LoadResult:
    def __init__(self, records: Any = None) -> None:
        from .store import RecordStore

        self.records = records if records is not None else RecordStore()  # id -> record
        self.problems: list[Problem] = []
        # id -> normalised (names, text) for search: a TextIndex (or a dict)
        self.texts: Any = None
        self.rels: list[str] = []  # the record files, by slot (path order)
        self.slots: dict[str, int] = {}  # id -> slot of the file that defines it

    def rel_of(self, rid: str) -> str:
        return self.rels[self.slots[rid]]


def validate_entry(data_dir: Path, entry: FileEntry) -> tuple[Record | None, list[Problem], int | None]:
    """(record or None, problems, CRC32 of the bytes read or None when unreadable)."""
    from .validate import validate_file

    display = str(data_dir / entry.rel)
    try:
        raw = read_record_file(data_dir / entry.rel)
    except Oversized as exc:  # refused by its size, before a byte of it is read
        from .yamlio import too_big

        return None, [Problem(display, 1, 1, too_big(exc.size))], None
    except NotRegular:
        return None, [Problem(display, 1, 1, "not a regular file any more (a FIFO or a device?); put a record file here or remove it")], None
    except OSError as exc:
        from .scanproblems import what_to_do

        return None, [Problem(display, 1, 1, f"cannot read the file ({exc.strerror}); {what_to_do(exc.errno)}")], None
    return (*validate_file(raw, display, entry.rtype, stem_of(entry.rel)), zlib.crc32(raw))


def _marks(data_dir: Path, rel: str, display: str) -> Any:
    """The YAML positions in a record file ({} when it cannot be read within bounds)."""
    from .validate import marks_of

    try:
        return marks_of(read_record_file(data_dir / rel), display)
    except (OSError, Oversized, NotRegular):
        return {}


def _duplicate(data_dir: Path, rel: str, first: str, rid: str) -> Problem:
    display = str(data_dir / rel)
    line, col = _marks(data_dir, rel, display).get(("id",), (1, 1))
    return Problem(display, line, col, f"duplicate id {rid!r}: also used by {data_dir / first}; ids must be unique across the knowledge base")


def refs_of(record: Record) -> tuple[Any, ...]:
    """The ids a record points at, flat as (k, id, k, id, ...) where k indexes
    REFERENCES[its type]: cached, so that checking references needs no record decoded."""
    out: list[Any] = []
    for k, (path, _) in enumerate(REFERENCES[record["type"]]):
        for value in _values(record, path):
            if value is not None:
                out += (k, value)
    return tuple(out)


def ids_by_type(result: LoadResult, facets: list[Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {t: set() for t in FOLDERS}
    for rid, slot in result.slots.items():
        out[facets[slot][0]].add(rid)
    out[ANY] = set(result.slots)
    return out


def reference_problems(data_dir: Path, result: LoadResult, known: dict[str, set[str]],
                       refs: list[Any], live: Iterable[tuple[str, int]]) -> list[tuple[str, int, int, str]]:
    """Dangling references of the records given as (id, slot), as (rel, line, col, message).
    Uses the cached references, so that a record is decoded only when one of them dangles."""
    rows = []
    for rid, slot in live:
        flat = refs[slot]
        if not flat:
            continue
        rel = result.rels[slot]
        spec = REFERENCES[TYPE_OF_FOLDER[rel.split("/", 1)[0]]]
        bad = sorted({flat[j] for j in range(0, len(flat), 2) if flat[j + 1] not in known[spec[flat[j]][1]]})
        if not bad:
            continue
        record = result.records[rid]
        for k in bad:  # positions only for a record that needs them
            path, target = spec[k]
            for loc, value in _values_at(record, path, ()):
                if value is not None and value not in known[target]:
                    rows.append(_dangling(data_dir, rel, loc, value, target, known[target]))
    return rows


def raw_reference_problems(data_dir: Path, rels: list[str], known: dict[str, set[str]]) -> list[tuple[str, int, int, str]]:
    """Dangling references of files that failed their model, read from their raw YAML: the
    ids that are plain text where an id belongs are checked like a valid record's."""
    from .yamlio import read_record

    rows = []
    for rel in rels:
        try:
            raw = read_record_file(data_dir / rel)
        except (OSError, Oversized, NotRegular):
            continue
        data = read_record(raw, str(data_dir / rel), marks=False)[0]
        if not isinstance(data, dict):
            continue
        for path, target in REFERENCES[TYPE_OF_FOLDER[rel.split("/", 1)[0]]]:
            for loc, value in _values_at(data, path, ()):
                # A value that is no id at all (a TODO, a typo'd shape) is the model's problem already.
                if isinstance(value, str) and _ID_RE.match(value) and value not in known[target]:
                    rows.append(_dangling(data_dir, rel, loc, value, target, known[target]))
    return rows


def _values(node: Any, path: tuple[str, ...]) -> list[Any]:
    nodes = [node]
    for head in path:
        if head == "*":
            nodes = [item for n in nodes if isinstance(n, list) for item in n]
        else:
            nodes = [n[head] for n in nodes if isinstance(n, dict) and head in n]
    return nodes


def _values_at(node: Any, path: tuple[str, ...], loc: tuple[object, ...]) -> Iterator[tuple[tuple[object, ...], Any]]:
    if not path:
        yield loc, node
        return
    head, rest = path[0], path[1:]
    if head == "*":
        if not isinstance(node, list):
            return  # a file that failed its model may hold anything here
        for i, item in enumerate(node):
            yield from _values_at(item, rest, loc + (i,))
    elif isinstance(node, dict) and head in node:
        yield from _values_at(node[head], rest, loc + (head,))


_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")


def _dangling(data_dir: Path, rel: str, loc: tuple[object, ...], value: str, target: str,
              known: set[str]) -> tuple[str, int, int, str]:
    import difflib

    from .yamlio import locate

    line, col = locate(_marks(data_dir, rel, str(data_dir / rel)), loc)
    # Only truly close ids are offered (a typo, a case slip): MOFCOM is not MOF.
    lowered = {k.lower(): k for k in known}
    close = [lowered[value.lower()]] if value.lower() in lowered else []
    close += [c for c in difflib.get_close_matches(value, list(known), n=3, cutoff=0.8) if c not in close]
    if target == ANY:
        hint = "; add a record with this id, or fix the id"
    else:
        example = f" (e.g. chinaind new {target} {value})" if _ID_RE.match(value) else ""
        hint = f"; add {FOLDERS[target]}/{value}.yaml{example}, or fix the id"
    if close:
        hint += f"; closest: {', '.join(close)}"
    where = ".".join(str(p) for p in loc)
    return rel, line, col, f"{where}: unknown {'record' if target == ANY else target} {value!r}{hint}"


def load(data_dir: Path, *, use_cache: bool = True, skip_invalid: bool = False) -> LoadResult:
    """Load a knowledge base. Raises InvalidKnowledgeBase unless it is valid or skip_invalid."""
    result, confirm = load_speculatively(data_dir, use_cache=use_cache, skip_invalid=skip_invalid, share=None)
    return confirm() or result


def load_speculatively(data_dir: Path, *, use_cache: bool = True, skip_invalid: bool = False,
                       share: float | None = 0.25) -> tuple[LoadResult, Callable[[], LoadResult | None]]:
    """A result served from the cache before the scan has confirmed that no file changed,
    and a function that waits for the scan: it returns None when the result stands, else the
    right result (so a caller can answer a query while a child process is still checking).
    `share` is this process's part of the scan's lstat calls (None: the default)."""
    import gc

    # Loading builds a great many objects and no cycles worth collecting: with the collector
    # running, large knowledge bases load several times slower. Frozen afterwards, the loaded
    # records are never traversed by later collections either.
    def collecting_off(work: Callable[[], Any]) -> Any:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return work()
        finally:
            gc.freeze()
            if enabled:
                gc.enable()

    def checked(result: LoadResult) -> LoadResult:
        # One file's problems together, in file order: field and reference problems alike.
        result.problems = sorted(result.problems, key=lambda p: (p.path, p.line, p.col))
        if result.problems and not skip_invalid:
            raise InvalidKnowledgeBase(result.problems)
        return result

    served, finish = collecting_off(lambda: _load(data_dir, use_cache, share))
    if served is None or served.problems:
        return checked(collecting_off(finish) or served), lambda: None
    return served, lambda: (lambda r: checked(r) if r is not None else None)(collecting_off(finish))


def _load(data_dir: Path, use_cache: bool, share: float | None) -> tuple[LoadResult | None, Callable[[], LoadResult | None]]:
    """(the cache's result, or None when it cannot be served; a function finishing the load:
    None when the served result stands, else the loaded one)."""
    from . import cache
    from .cache import CacheData, Damaged, cache_file, discard, read_cache
    from .rebuild import refreshed
    from .refresh import racy_mismatches
    from .prefetch import prefetching
    from .scan import start

    if not use_cache:
        def uncached() -> LoadResult:
            scanned = start(data_dir, share)
            return _with_scan_problems(refreshed(data_dir, scanned.result(), None, CacheData(), set()), scanned)

        return None, uncached
    # A child may be scanning while the cache is read: one started at launch is adopted after
    # the cache is read (its listing may not be ready yet), else one is started now.
    pending = None if prefetching() else start(data_dir, share)
    index = cache_file(data_dir)
    old = read_cache(index, data_dir)
    suspects: set[int] = set()
    served, racy = None, []
    try:
        if old:
            racy = old.get("racy")
            suspects = racy_mismatches(data_dir, racy)
            if not suspects and old.toc.get("valid"):
                served = _load_fresh(data_dir, index, old)
    except Damaged:
        old, suspects, served = CacheData(), set(), None

    scanning = pending or start(data_dir, share)

    def finish() -> LoadResult | None:
        if served is not None and scanning.differs_already(old.get("scan")):
            # A file changed: it must be validated, so import the validator (a tenth of a
            # second) while the scan's child finishes, rather than after.
            import chinaind.validate  # noqa: F401
        folders = scanning.result()
        if served is not None and old.get("scan") == folders:
            if racy and max(r[2] for r in racy) < time.time_ns() - cache.RACY_NS:
                _settle(index, data_dir, old)
            return _with_scan_problems(served, scanning) if scanning.problems else None
        try:
            loaded = refreshed(data_dir, folders, index, old, suspects, served)
        except Damaged:
            discard(index)
            loaded = refreshed(data_dir, folders, index, CacheData(), set())
        return _with_scan_problems(loaded, scanning)

    return served, finish


def _with_scan_problems(result: LoadResult, scanning: Any) -> LoadResult:
    """A result with what the scan could not list or read: found again by every run's scan
    (the cache never holds them), so that a record that cannot be read never just vanishes."""
    if scanning.problems:
        result.problems = result.problems + scanning.problems
    return result


def _load_fresh(data_dir: Path, index: Path, old: Any) -> LoadResult:
    """The result as the cache has it, for when nothing changed since it was written. Every
    section is checked against its CRC here, and the text heap too (50 MB at 100,000 records,
    checked while the scan's child is still at work)."""
    from .refresh import text_index_of
    from .store import RecordStore

    for name in old.toc["sections"]:
        old.raw(name)
    ids = old.get("ids")
    result = LoadResult(RecordStore(old.heap, tuple(memoryview(b).cast("q") for b in old.get("locations"))))
    result.slots = dict(zip(ids, range(len(ids))))  # a valid base: one record per file, ids unique
    result.records.bulk(result.slots, lambda: old.get("facets"), old.raw("types"), lambda: old.get("dates"))
    result.records.tables = _Tables(old)
    result.texts = text_index_of(old, ids, result.slots)
    result.rels = old.get("rels")
    result.problems = [Problem(str(data_dir / rel), ln, col, msg) for rel, ln, col, msg in old.get("cross")]
    result.records.on_damage = _rereader(data_dir, index, result)
    return result


class _Tables:
    """The cache's derived tables, decoded when a command first asks for one."""

    _SECTIONS = {"ids_by_type": "by_type", "policy_ids_by_agency": "by_agency"}

    def __init__(self, old: Any) -> None:
        self._old = old

    def __getitem__(self, name: str) -> Any:
        return self._old.get(self._SECTIONS[name])


def _settle(index: Path, data_dir: Path, old: Any) -> None:
    """Every racy file was checked and is now old enough to trust its stat: rewrite the index
    without them, so that later runs stop re-reading them."""
    from .refresh import save

    sections = {name: old.raw(name) for name in old.toc["sections"] if name != "racy"}
    save(index, data_dir, sections, (old.toc["heap"], old.toc["heap_length"]), old.toc["text"], True, [])


def _rereader(data_dir: Path, index: Path | None, result: LoadResult) -> Any:
    def reread(rid: str) -> Record | None:
        from .cache import discard

        if index is not None:
            discard(index)
        rel = result.rel_of(rid)
        entry = FileEntry(rel, TYPE_OF_FOLDER[rel.split("/", 1)[0]], 0, 0)
        return validate_entry(data_dir, entry)[0]

    return reread
