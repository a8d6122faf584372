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
# rel -> (rtype, size, mtime_ns, record or None, [(line, col, message), ...], search text)
Entries = dict[str, tuple[str, int, int, Record | None, list[tuple[int, int, str]], Any]]
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


def read_cache(path: Path, data_dir: Path) -> tuple[Entries, CrossProblems | None]:
    """Cached entries and cross-record problems; ({}, None) when the file is missing, foreign,
    truncated or corrupt."""
    try:
        blob = path.read_bytes()
    except OSError:
        return {}, None
    head = len(MAGIC) + _HEADER.size
    if len(blob) < head or not blob.startswith(MAGIC):
        return {}, None
    length, crc = _HEADER.unpack_from(blob, len(MAGIC))
    payload = memoryview(blob)[head:]
    if len(payload) != length or zlib.crc32(payload) != crc:
        return {}, None
    try:
        stamp, entries, cross = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return {}, None
    if stamp != _stamp(data_dir) or not isinstance(entries, dict):
        return {}, None
    return entries, cross


def write_cache(path: Path, data_dir: Path, entries: Entries, cross: CrossProblems | None) -> None:
    """Atomically replace the cache; silently gives up when the cache dir is not writable."""
    import tempfile

    payload = marshal.dumps((_stamp(data_dir), entries, cross))
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
        self.old, self._old_cross = read_cache(self.path, data_dir)
        self.new: Entries = {}
        self.changed = False
        # rel -> normalised search text, kept so that a warm search normalises nothing.
        self.texts: dict[str, tuple[str, str]] = {}

    def results(self, files: list[Any], validate: Validator) -> list[tuple[Any, Record | None, list[Problem]]]:
        from .search import search_text

        out: list[tuple[Any, Record | None, list[Problem]]] = []
        self.changed = len(self.old) != len(files)
        racy_after = time.time_ns() - RACY_NS
        for f in files:
            hit = self.old.get(f.rel)
            if hit is not None and hit[0] == f.rtype and hit[1] == f.size and hit[2] == f.mtime_ns:
                record, raw_problems, text = hit[3], hit[4], hit[5]
                display = str(self.data_dir / f.rel)
                problems = [Problem(display, ln, col, msg) for ln, col, msg in raw_problems]
            else:
                self.changed = True
                record, problems = validate(self.data_dir, f)
                raw_problems = [(p.line, p.col, p.message) for p in problems]
                text = search_text(record) if record is not None else None
            if text is not None:
                self.texts[f.rel] = text
            if f.mtime_ns < racy_after:
                self.new[f.rel] = (f.rtype, f.size, f.mtime_ns, record, raw_problems, text)
            else:
                self.changed = True
            out.append((f, record, problems))
        return out

    def cross_problems(self) -> list[Problem] | None:
        """Cross-record problems of the last run, valid only when no file changed since."""
        if self.changed or self._old_cross is None:
            return None
        return [Problem(str(self.data_dir / rel), ln, col, msg) for rel, ln, col, msg in self._old_cross]

    def save(self, cross: list[Problem]) -> None:
        if self.changed or self._old_cross is None:
            base = str(self.data_dir) + os.sep
            rows = [(p.path[len(base):] if p.path.startswith(base) else p.path, p.line, p.col, p.message) for p in cross]
            write_cache(self.path, self.data_dir, self.new, rows)
