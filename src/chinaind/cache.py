"""The compiled cache: validated records per file, keyed by path, size and mtime.

One file per data directory under the cache dir: a magic line; a header with the lengths and
CRC32s of its sections; the index (marshal: the files, ids, facets, where each record lies,
cross-record problems, and for a valid base the tables and joined search text a warm query
needs); the per-file section (problems and search text, read only when files changed); then
every record's own marshal bytes with their CRC32 in the index. A query maps the file and
decodes only the records it prints. A file that fails any check is ignored and rebuilt. Writes
go to a temp file renamed into place, so a concurrent reader sees the old cache or the new one.
"""

from __future__ import annotations

import marshal
import mmap
import os
import struct
import time
import zlib
from pathlib import Path
from typing import Any, Callable

from . import SCHEMA_VERSION, __version__
from .errors import Problem
from .paths import cache_dir

MAGIC = b"CHINAIND-CACHE\n"
_HEADER = struct.Struct("<QIQIQ")  # index length and crc32, per-file length and crc32, records length
# A file modified within this window of the cache write may change again within the same
# mtime tick; such entries are not stored, so they are revalidated next run.
RACY_NS = 2_000_000_000

Record = dict[str, Any]
Validator = Callable[[Path, Any], tuple[Record | None, list[Problem]]]
# The files a cache describes, in scan order: (rel, rtype, size, mtime_ns).
Metas = list[tuple[str, str, int, int]]
# Per-file results aligned with Metas, as five columns (lists): ids (None for an invalid file),
# problems [(line, col, message), ...], search texts, facets, record locations. Ids, facets and
# locations live in the index section; problems and texts in the per-file section.
Columns = tuple[list[Any], list[Any], list[Any], list[Any], list[Any]]
# Problems found across records (dangling references), as (rel, line, col, message).
CrossProblems = list[tuple[str, int, int, str]]

# The modules whose code decides what a cache holds (records, search text, facets, tables, the
# layout itself): a change to any of them
# (an upgrade, or a developer's edit) invalidates every cache.
_SCHEMA_MODULES = ("models.py", "validate.py", "yamlio.py", "dates.py", "kinds.py", "loader.py",
                   "cache.py", "store.py", "textindex.py", "search.py", "text.py", "index.py")


def cache_file(data_dir: Path) -> Path:
    real = os.path.realpath(data_dir)
    # zlib rather than hashlib: this runs on every query and hashlib costs a few ms to import.
    key = f"{zlib.crc32(os.fsencode(real)):08x}{zlib.adler32(os.fsencode(real)):08x}"
    return cache_dir() / f"kb-{key}.cache"


def _stamp(data_dir: Path) -> str:
    here = Path(__file__).parent
    digest = 0
    for name in _SCHEMA_MODULES:
        digest = zlib.crc32((here / name).read_bytes(), digest)
    return f"{__version__}/{SCHEMA_VERSION}/{digest:08x}/{os.path.realpath(data_dir)}"


class CacheData:
    """What a cache file holds; empty when it is missing, foreign, truncated or corrupt."""

    def __init__(self, metas: Metas | None = None, ids: list[Any] | None = None, facets: list[Any] | None = None,
                 locations: list[Any] | None = None, cross: CrossProblems | None = None, derived: Any = None,
                 per_file: Any = None, blob: Any = None) -> None:
        self.metas = metas or []
        self.ids, self.facets, self.locations = ids or [], facets or [], locations or []
        self.cross = cross
        self.derived = derived  # tables computed from the whole base (see loader.derived_tables)
        self._per_file = per_file  # (buffer, crc32) of the per-file section, decoded on demand
        self.refs: list[Any] = []  # per file, loader.refs_of(record) or None; set by columns()
        self.blob = blob  # the record section, as a read-only buffer

    def columns(self) -> Columns | None:
        """All five per-file columns, or None when the per-file section is damaged."""
        if not self.metas:
            return ([], [], [], [], [])
        buffer, crc = self._per_file
        if zlib.crc32(buffer) != crc:
            return None
        try:
            raws, texts, self.refs = marshal.loads(buffer)
        except (ValueError, EOFError, TypeError):
            return None
        if not len(raws) == len(texts) == len(self.refs) == len(self.metas):
            return None
        return (self.ids, raws, texts, self.facets, self.locations)


def read_cache(path: Path, data_dir: Path) -> CacheData:
    try:
        with open(path, "rb") as fh:
            mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # missing, unreadable, or empty (mmap refuses size 0)
        return CacheData()
    head = len(MAGIC) + _HEADER.size
    if len(mm) < head or mm[: len(MAGIC)] != MAGIC:
        return CacheData()
    length, crc, per_file_length, per_file_crc, records_length = _HEADER.unpack_from(mm, len(MAGIC))
    if len(mm) != head + length + per_file_length + records_length:
        return CacheData()
    view = memoryview(mm)
    index = view[head: head + length]  # no copy: crc32 and marshal read the mapping itself
    if zlib.crc32(index) != crc:
        return CacheData()
    try:
        stamp, metas, ids, facets, locations, cross, derived = marshal.loads(index)
    except (ValueError, EOFError, TypeError):
        return CacheData()
    if (stamp != _stamp(data_dir) or not isinstance(metas, list)
            or not len(metas) == len(ids) == len(facets) == len(locations)):
        return CacheData()
    per_file = (view[head + length: head + length + per_file_length], per_file_crc)
    return CacheData(metas, ids, facets, locations, cross, derived, per_file,
                     view[head + length + per_file_length:])


def write_cache(path: Path, data_dir: Path, metas: Metas, columns: Columns, refs: list[Any],
                records: list[bytes], cross: CrossProblems | None, derived: Any) -> None:
    """Atomically replace the cache; silently gives up when the cache dir is not writable.
    The location column points into the concatenation of `records`."""
    import tempfile

    ids, raws, texts, facets, locations = columns
    index = marshal.dumps((_stamp(data_dir), metas, ids, facets, locations, cross, derived))
    per_file = marshal.dumps((raws, texts, refs))
    section_length = sum(len(r) for r in records)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".cache")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC + _HEADER.pack(len(index), zlib.crc32(index), len(per_file), zlib.crc32(per_file), section_length))
            fh.write(index)
            fh.write(per_file)
            fh.writelines(records)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


# Below this many files to validate, starting worker processes costs more than it saves.
PARALLEL_MIN = 2000


def validate_all(data_dir: Path, files: list[Any], validate: Validator) -> dict[str, tuple[Any, Any, Any, Any, Any]]:
    """rel -> (record, raw problems, search text, facet, marshal bytes or None) for each file:
    on every core when there are many (a first build of a large base), else in this process."""
    workers = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 8)
    if len(files) < PARALLEL_MIN or workers < 2:
        return {rel: (*res, None) for rel, res in _validate_chunk((data_dir, files, validate))}
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = max(200, len(files) // (workers * 8))
    chunks = [(data_dir, files[i: i + size], validate) for i in range(0, len(files), size)]
    try:
        context = multiprocessing.get_context("fork")  # workers inherit the imported modules
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            parts = list(pool.map(_validate_chunk_encoded, chunks))
        return {rel: (marshal.loads(blob) if blob is not None else None, raw, text, facet, blob)
                for part in parts for rel, (blob, raw, text, facet) in part}
    except (OSError, ValueError, RuntimeError):  # no fork, no processes: do it here
        return {rel: (*res, None) for rel, res in _validate_chunk((data_dir, files, validate))}


def _validate_chunk(args: tuple[Path, list[Any], Validator]) -> list[tuple[str, tuple[Any, Any, Any, Any]]]:
    from .loader import refs_of
    from .search import search_text
    from .store import facet_of

    data_dir, files, validate = args
    out = []
    for f in files:
        record, problems = validate(data_dir, f)
        raw = [(p.line, p.col, p.message) for p in problems]
        if record is None:
            out.append((f.rel, (None, raw, None, (None, None))))
        else:
            # Facet and references travel together, so chunks keep their four-part shape.
            out.append((f.rel, (record, raw, search_text(record), (facet_of(record), refs_of(record)))))
    return out


def _validate_chunk_encoded(args: tuple[Path, list[Any], Validator]) -> list[tuple[str, tuple[Any, Any, Any, Any]]]:
    """As _validate_chunk, with each record as its marshal bytes: the parent needs those bytes
    for the cache anyway, and decoding them is cheaper than unpickling the record."""
    return [(rel, (marshal.dumps(rec) if rec is not None else None, raw, text, facet))
            for rel, (rec, raw, text, facet) in _validate_chunk(args)]


class FileCache:
    """Per-file results for one data directory, reused while size and mtime are unchanged."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = cache_file(data_dir)
        self.old = read_cache(self.path, data_dir)
        self.blob = self.old.blob
        self.changed = False
        self._fresh: list[tuple[Any, Record | None, Any, Any]] = []  # (meta, record, result, refs) to store
        self._files_seen = 0
        self._blobs: dict[str, bytes] = {}  # rel -> record bytes already encoded by a worker
        self.refs: dict[str, Any] = {}  # rel -> references of its record (see loader.refs_of)

    def fresh(self, files: list[Any]) -> bool:
        """True when no file was added, removed or touched since the cache was written."""
        return self.old.metas == files

    def results(self, files: list[Any], validate: Validator) -> list[tuple[Any, Any, Record | None, list[Problem], Any, Any, Any]]:
        """(file, id, record or None when cached, problems, search text, facet, location);
        `self.refs` maps each file to its record's references."""
        self._files_seen = len(files)
        columns = self.old.columns()
        if columns is None:  # the per-file section is damaged: start afresh
            self.old = CacheData()
            columns = self.old.columns()
        old_results = list(zip(*columns))  # type: ignore[arg-type]
        old_refs = self.old.refs
        if self.fresh(files):
            self._fresh = [(meta, None, res, ref) for meta, res, ref in zip(self.old.metas, old_results, old_refs)]
            self.refs = {f.rel: ref for f, ref in zip(files, old_refs) if ref is not None}
            return [(f, rid, None, self._problems(f.rel, raw), text, facet, loc)
                    for f, (rid, raw, text, facet, loc) in zip(files, old_results)]
        self.changed = True
        index = {meta[0]: i for i, meta in enumerate(self.old.metas)}
        kept = {f.rel: i for f in files if (i := index.get(f.rel)) is not None and self.old.metas[i] == f}
        fresh = validate_all(self.data_dir, [f for f in files if f.rel not in kept], validate)
        racy_after = time.time_ns() - RACY_NS
        out = []
        for f in files:
            i = kept.get(f.rel)
            if i is not None:
                (rid, raw, text, facet, loc), ref = old_results[i], old_refs[i]
                record = None
            else:
                record, raw, text, (facet, ref), blob = fresh[f.rel]
                rid, loc = (record["id"] if record is not None else None), None
                if blob is not None:
                    self._blobs[f.rel] = blob
            if ref is not None:
                self.refs[f.rel] = ref
            if f.mtime_ns < racy_after:
                self._fresh.append((tuple(f), record, (rid, raw, text, facet, loc), ref))
            out.append((f, rid, record, self._problems(f.rel, raw), text, facet, loc))
        return out

    def _problems(self, rel: str, raw: list[tuple[int, int, str]]) -> list[Problem]:
        if not raw:
            return []
        display = str(self.data_dir / rel)
        return [Problem(display, ln, col, msg) for ln, col, msg in raw]

    def discard(self) -> None:
        """Remove a cache found damaged, so that the next run rebuilds it."""
        try:
            self.path.unlink()
        except OSError:
            pass

    def cross_problems(self) -> list[Problem] | None:
        """Cross-record problems of the last run, valid only when no file changed since."""
        if self.changed or self.old.cross is None:
            return None
        return [Problem(str(self.data_dir / rel), ln, col, msg) for rel, ln, col, msg in self.old.cross]

    def save(self, cross: list[Problem], derived: Any) -> None:
        base = str(self.data_dir) + os.sep
        rows = [(p.path[len(base):] if p.path.startswith(base) else p.path, p.line, p.col, p.message) for p in cross]
        metas: Metas = []
        columns: Columns = ([], [], [], [], [])
        refs: list[Any] = []
        records, offset = [], 0
        for meta, record, (rid, raw, text, facet, loc), ref in self._fresh:
            raw_record = None
            if record is not None:
                raw_record = self._blobs.get(meta[0]) or marshal.dumps(record)
            elif loc is not None:
                raw_record = self.blob[loc[0]: loc[0] + loc[1]]  # a view: written without a copy
            if raw_record is not None:
                loc = (offset, len(raw_record), zlib.crc32(raw_record) if record is not None else loc[2])
                records.append(raw_record)
                offset += len(raw_record)
            metas.append(meta)
            refs.append(ref)
            for column, value in zip(columns, (rid, raw, text, facet, loc)):
                column.append(value)
        # Derived tables describe every file scanned; when a racy file is left out of the cache
        # they would not match it, so they are dropped and the next run recomputes them.
        write_cache(self.path, self.data_dir, metas, columns, refs, records, rows,
                    derived if len(metas) == self._files_seen else None)
