"""Finding record files, validating them (through the cache when it is fresh) and checking
the references between records. Returns plain records; never prints.
"""

from __future__ import annotations

import os
from pathlib import Path
from stat import S_ISDIR, S_ISLNK, S_ISREG
from typing import Any, Iterator, NamedTuple

from .errors import InvalidKnowledgeBase, Problem, UsageError
from .kinds import FOLDERS, REFERENCES

Record = dict[str, Any]
YAML_SUFFIXES = (".yaml", ".yml")


class FileEntry(NamedTuple):
    rel: str  # path relative to the data dir, with forward slashes
    rtype: str
    size: int
    mtime_ns: int


class LoadResult:
    def __init__(self, blob: Any = None) -> None:
        from .store import RecordStore

        self.records = RecordStore(blob)  # id -> record, all types, decoded on first use
        self.problems: list[Problem] = []
        self.files: dict[str, str] = {}  # id -> rel path
            # id -> normalised (names, text) for search (a dict, or a TextIndex from the cache)
        self.texts: Any = None
        self.refs: dict[str, tuple[Any, ...]] | None = None  # id -> refs_of(record), when cached


def scan(data_dir: Path) -> list[FileEntry]:
    """Every record file under the type folders, skipping hidden entries, non-YAML files,
    symlinks that lead outside the data directory, and folders already visited (link loops)."""
    root = data_dir.resolve()
    if not any((data_dir / folder).is_dir() for folder in FOLDERS.values()):
        raise UsageError(
            f"{data_dir} is not a knowledge base: it has none of the folders "
            f"{', '.join(f + '/' for f in FOLDERS.values())}"
        )
    entries: list[FileEntry] = []
    seen: set[tuple[int, int]] = set()
    for rtype, folder in FOLDERS.items():
        base = data_dir / folder
        if base.is_dir() and (not base.is_symlink() or _inside(str(base), root)):
            entries.extend(_walk(base, f"{folder}/", rtype, root, seen))
    entries.sort()  # by path: FileEntry tuples start with it, and the plain sort runs in C
    return entries


def _walk(folder: Path, prefix: str, rtype: str, root: Path, seen: set[tuple[int, int]]) -> list[FileEntry]:
    # The hot loop of every run: one lstat per record file (listdir plus lstat relative to an
    # open folder is about a fifth cheaper than scandir plus DirEntry.stat), little else.
    try:
        st = folder.stat()
        if (st.st_dev, st.st_ino) in seen:
            return []
        seen.add((st.st_dev, st.st_ino))
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return []
    found: list[FileEntry] = []
    subfolders: list[str] = []
    try:
        lstat = os.lstat
        for name in os.listdir(fd):
            if name[0] == ".":
                continue
            try:
                st = lstat(name, dir_fd=fd)
                if S_ISLNK(st.st_mode):
                    if not _inside(os.path.join(folder, name), root):
                        continue
                    st = os.stat(name, dir_fd=fd)
                if S_ISREG(st.st_mode):
                    if name.lower().endswith(YAML_SUFFIXES):
                        found.append(FileEntry(prefix + name, rtype, st.st_size, st.st_mtime_ns))
                elif S_ISDIR(st.st_mode):
                    subfolders.append(name)
            except OSError:
                continue  # vanished or unreadable while scanning: as if absent
    except OSError:
        return found
    finally:
        os.close(fd)
    for name in subfolders:
        found.extend(_walk(folder / name, f"{prefix}{name}/", rtype, root, seen))
    return found


def _inside(path: str, root: Path) -> bool:
    try:
        return Path(os.path.realpath(path)).is_relative_to(root)
    except OSError:
        return False


def stem_of(rel: str) -> str:
    name = rel.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0]


def validate_entry(data_dir: Path, entry: FileEntry) -> tuple[Record | None, list[Problem]]:
    from .validate import validate_file

    display = str(data_dir / entry.rel)
    try:
        raw = (data_dir / entry.rel).read_bytes()
    except OSError as exc:
        return None, [Problem(display, 1, 1, f"cannot read the file ({exc.strerror}); check its permissions")]
    return validate_file(raw, display, entry.rtype, stem_of(entry.rel))


# One file's outcome: (file, id or None, record or None, problems, search text, facet, location).
PerFile = tuple[FileEntry, Any, "Record | None", list[Problem], Any, Any, Any]


def collect(data_dir: Path, per_file: list[PerFile], blob: Any = None) -> LoadResult:
    """Combine per-file results, rejecting the second and later uses of an id."""
    result = LoadResult(blob)
    texts: dict[str, tuple[str, str]] = {}
    for entry, rid, record, problems, text, facet, location in per_file:
        result.problems.extend(problems)
        if rid is None:
            continue
        if rid in result.records:
            result.problems.append(_duplicate(data_dir, entry.rel, result.files[rid], rid))
            continue
        result.records.add(rid, record, location, facet)
        result.files[rid] = entry.rel
        if text is not None:
            texts[rid] = text
    result.texts = texts
    return result


def _duplicate(data_dir: Path, rel: str, first: str, rid: str) -> Problem:
    from .validate import marks_of

    display = str(data_dir / rel)
    try:
        line, col = marks_of((data_dir / rel).read_bytes(), display).get(("id",), (1, 1))
    except OSError:
        line, col = 1, 1
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


def reference_problems(data_dir: Path, result: LoadResult) -> list[Problem]:
    ids_by_type: dict[str, set[str]] = {t: set() for t in FOLDERS}
    for rid, (rtype, _, _) in result.records.facets.items():
        ids_by_type[rtype].add(rid)
    cached = result.refs or {}
    problems: list[Problem] = []
    for rid, (rtype, _, _) in result.records.facets.items():
        refs = cached.get(rid)
        if refs is None:
            refs = refs_of(result.records[rid])
        spec = REFERENCES[rtype]
        bad = sorted({refs[j] for j in range(0, len(refs), 2) if refs[j + 1] not in ids_by_type[spec[refs[j]][1]]})
        for k in bad:  # positions only for a record that needs them
            path, target = spec[k]
            known = ids_by_type[target]
            for loc, value in _values_at(result.records[rid], path, ()):
                if value is not None and value not in known:
                    problems.append(_dangling(data_dir, result.files[rid], loc, value, target, known))
    return problems


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
        for i, item in enumerate(node or []):
            yield from _values_at(item, rest, loc + (i,))
    elif isinstance(node, dict) and head in node:
        yield from _values_at(node[head], rest, loc + (head,))


def _dangling(data_dir: Path, rel: str, loc: tuple[object, ...], value: str, target: str, known: set[str]) -> Problem:
    import difflib

    from .validate import marks_of
    from .yamlio import locate

    display = str(data_dir / rel)
    try:
        line, col = locate(marks_of((data_dir / rel).read_bytes(), display), loc)
    except OSError:
        line, col = 1, 1
    close = difflib.get_close_matches(value, list(known), n=3, cutoff=0.5)
    if not close:
        lowered = {k.lower(): k for k in known}
        close = [lowered[value.lower()]] if value.lower() in lowered else []
    hint = f"; closest: {', '.join(close)}" if close else f"; add {FOLDERS[target]}/{value}.yaml or fix the id"
    where = ".".join(str(p) for p in loc)
    return Problem(display, line, col, f"{where}: unknown {target} {value!r}{hint}")


def load(data_dir: Path, *, use_cache: bool = True, skip_invalid: bool = False) -> LoadResult:
    """Load a knowledge base. Raises InvalidKnowledgeBase unless it is valid or skip_invalid."""
    import gc

    # Loading builds a great many objects and no cycles worth collecting: with the collector
    # running, large knowledge bases load several times slower. Frozen afterwards, the loaded
    # records are never traversed by later collections either.
    enabled = gc.isenabled()
    gc.disable()
    try:
        result = _load(data_dir, use_cache)
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
    if result.problems and not skip_invalid:
        raise InvalidKnowledgeBase(result.problems)
    return result


def _load(data_dir: Path, use_cache: bool) -> LoadResult:
    entries = scan(data_dir)
    if not use_cache:
        per_file: list[PerFile] = []
        for e in entries:
            record, problems = validate_entry(data_dir, e)
            per_file.append((e, record["id"] if record else None, record, problems, None, None, None))
        result = collect(data_dir, per_file)
        result.problems.extend(reference_problems(data_dir, result))
        return result
    from .cache import FileCache

    cache = FileCache(data_dir)
    if cache.fresh(entries) and cache.old.derived is not None and cache.old.cross is not None:
        result = _load_fresh(data_dir, cache)
    else:
        result = collect(data_dir, cache.results(entries, validate_entry), cache.blob)
        result.refs = {rid: cache.refs[rel] for rid, rel in result.files.items() if rel in cache.refs}
        clean = not result.problems
        cross = cache.cross_problems()
        if cross is None:
            cross = reference_problems(data_dir, result)
            cache.save(cross, derived_tables(result) if clean else None)
        result.problems.extend(cross)
    def reread(rid: str) -> Record | None:
        cache.discard()
        rel = result.files[rid]
        entry = next(e for e in entries if e.rel == rel)
        return validate_entry(data_dir, entry)[0]

    result.records.on_damage = reread
    return result


def derived_tables(result: LoadResult) -> dict[str, Any]:
    """Tables a warm run takes from the cache instead of computing: kept only for a base whose
    files all validated, so that ids are unique and every file holds one record."""
    from .index import ids_by_agency, sorted_ids_by_type
    from .textindex import TextIndex

    by_type = sorted_ids_by_type(result.records.facets)
    ids = list(result.records)
    texts = result.texts or {}
    # The text index's ids are the cache's id column (a valid base has one record per file, in
    # file order), so they are not stored twice.
    return {"ids_by_type": by_type,
            "policy_ids_by_agency": ids_by_agency(result.records.facets, by_type["policy"]),
            "text": TextIndex.build(ids, [texts[rid] for rid in ids]).parts()[1:]}


def _load_fresh(data_dir: Path, cache: Any) -> LoadResult:
    """Nothing changed since the cache was written: rebuild the result from its columns with
    dict(zip(...)), which does the per-record work in C."""
    from .textindex import TextIndex

    old = cache.old
    result = LoadResult(cache.blob)
    result.records.bulk(old.ids, old.locations, old.facets)
    result.records.tables = old.derived
    result.texts = TextIndex(old.ids, *old.derived["text"])
    result.files = dict(zip(old.ids, (meta[0] for meta in old.metas)))
    result.problems = cache.cross_problems() or []
    return result
