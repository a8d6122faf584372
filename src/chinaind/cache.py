"""The compiled cache: validated plain records per file, keyed by path, size and mtime.

One file per data directory under the cache dir. Layout: a magic line, a header giving the
payload length and CRC32, then a marshal payload of plain data (never model objects, which
are slow to unpickle). A file that fails any check is ignored and rebuilt. Writes go to a temp
file renamed into place, so a concurrent reader sees the old cache or the new one, never half.
"""

from __future__ import annotations

import marshal
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
_HEADER = struct.Struct("<QI")  # payload length, crc32
# A file modified within this window of the cache write may change again within the same
# mtime tick; such entries are not stored, so they are revalidated next run.
RACY_NS = 2_000_000_000

Record = dict[str, Any]
Validator = Callable[[Path, Any], tuple[Record | None, list[Problem]]]
# The files a cache describes, in scan order: (rel, rtype, size, mtime_ns).
Metas = list[tuple[str, str, int, int]]
# Aligned with Metas: (record or None, [(line, col, message), ...], normalised search text or None).
Results = list[tuple[Record | None, list[tuple[int, int, str]], Any]]
# Problems found across records (dangling references), as (rel, line, col, message).
CrossProblems = list[tuple[str, int, int, str]]

# The modules whose code decides what a validated record looks like: a change to any of them
# (an upgrade, or a developer's edit) invalidates every cache.
_SCHEMA_MODULES = ("models.py", "validate.py", "yamlio.py", "dates.py", "kinds.py", "loader.py")


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


def read_cache(path: Path, data_dir: Path) -> tuple[Metas, Results, CrossProblems | None]:
    """The cached files, their results and the cross-record problems; ([], [], None) when the
    cache is missing, foreign, truncated or corrupt."""
    empty: tuple[Metas, Results, CrossProblems | None] = ([], [], None)
    try:
        blob = path.read_bytes()
    except OSError:
        return empty
    head = len(MAGIC) + _HEADER.size
    if len(blob) < head or not blob.startswith(MAGIC):
        return empty
    length, crc = _HEADER.unpack_from(blob, len(MAGIC))
    payload = memoryview(blob)[head:]
    if len(payload) != length or zlib.crc32(payload) != crc:
        return empty
    try:
        stamp, metas, results, cross = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return empty
    if stamp != _stamp(data_dir) or not isinstance(metas, list) or len(metas) != len(results):
        return empty
    return metas, results, cross


def write_cache(path: Path, data_dir: Path, metas: Metas, results: Results, cross: CrossProblems | None) -> None:
    """Atomically replace the cache; silently gives up when the cache dir is not writable."""
    import tempfile

    payload = marshal.dumps((_stamp(data_dir), metas, results, cross))
    blob = MAGIC + _HEADER.pack(len(payload), zlib.crc32(payload)) + payload
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".cache")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


class FileCache:
    """Per-file results for one data directory, reused while size and mtime are unchanged."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = cache_file(data_dir)
        self.old_metas, self.old_results, self._old_cross = read_cache(self.path, data_dir)
        self.metas: Metas = []
        self.results_: Results = []
        self.changed = False

    def results(self, files: list[Any], validate: Validator) -> list[tuple[Any, Record | None, list[Problem], Any]]:
        """(file, record, problems, search text) for every file, validating only changed files."""
        if self.old_metas == files:
            # The common case: nothing changed since the cache was written; no per-file work.
            self.metas, self.results_ = self.old_metas, self.old_results
            return [(f, rec, self._problems(f.rel, raw), text) for f, (rec, raw, text) in zip(files, self.old_results)]
        from .search import search_text

        self.changed = True
        index = {meta[0]: i for i, meta in enumerate(self.old_metas)}
        racy_after = time.time_ns() - RACY_NS
        out = []
        for f in files:
            i = index.get(f.rel)
            if i is not None and self.old_metas[i] == f:
                record, raw, text = self.old_results[i]
                problems = self._problems(f.rel, raw)
            else:
                record, problems = validate(self.data_dir, f)
                raw = [(p.line, p.col, p.message) for p in problems]
                text = search_text(record) if record is not None else None
            if f.mtime_ns < racy_after:
                self.metas.append(tuple(f))
                self.results_.append((record, raw, text))
            out.append((f, record, problems, text))
        return out

    def _problems(self, rel: str, raw: list[tuple[int, int, str]]) -> list[Problem]:
        if not raw:
            return []
        display = str(self.data_dir / rel)
        return [Problem(display, ln, col, msg) for ln, col, msg in raw]

    def cross_problems(self) -> list[Problem] | None:
        """Cross-record problems of the last run, valid only when no file changed since."""
        if self.changed or self._old_cross is None:
            return None
        return [Problem(str(self.data_dir / rel), ln, col, msg) for rel, ln, col, msg in self._old_cross]

    def save(self, cross: list[Problem]) -> None:
        base = str(self.data_dir) + os.sep
        rows = [(p.path[len(base):] if p.path.startswith(base) else p.path, p.line, p.col, p.message) for p in cross]
        write_cache(self.path, self.data_dir, self.metas, self.results_, rows)
