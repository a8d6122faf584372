"""The compiled cache: validated plain records per file, keyed by path, size and mtime.

One file per data directory under the cache dir. Layout: a magic line, a header giving the
payload length and CRC32, then a marshal payload of plain data (never model objects, which
are slow to unpickle). A file that fails any check is ignored and rebuilt. Writes go to a temp
file renamed into place, so a concurrent reader sees the old cache or the new one, never half.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import struct
import tempfile
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
# rel -> (rtype, size, mtime_ns, record or None, [(line, col, message), ...])
Entries = dict[str, tuple[str, int, int, Record | None, list[tuple[int, int, str]]]]


def cache_file(data_dir: Path) -> Path:
    key = hashlib.sha256(os.fsencode(os.path.realpath(data_dir))).hexdigest()[:20]
    return cache_dir() / f"kb-{key}.cache"


# The modules whose code decides what a validated record looks like: a change to any of them
# (an upgrade, or a developer's edit) invalidates every cache.
_SCHEMA_MODULES = ("models.py", "validate.py", "yamlio.py", "dates.py")


def _stamp(data_dir: Path) -> str:
    digest = hashlib.sha1()
    here = Path(__file__).parent
    for name in _SCHEMA_MODULES:
        digest.update((here / name).read_bytes())
    return f"{__version__}/{SCHEMA_VERSION}/{digest.hexdigest()}/{os.path.realpath(data_dir)}"


def read_cache(path: Path, data_dir: Path) -> Entries:
    """The cached entries, or {} when the file is missing, foreign, truncated or corrupt."""
    try:
        blob = path.read_bytes()
    except OSError:
        return {}
    head = len(MAGIC) + _HEADER.size
    if len(blob) < head or not blob.startswith(MAGIC):
        return {}
    length, crc = _HEADER.unpack_from(blob, len(MAGIC))
    payload = memoryview(blob)[head:]
    if len(payload) != length or zlib.crc32(payload) != crc:
        return {}
    try:
        stamp, entries = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return {}
    if stamp != _stamp(data_dir) or not isinstance(entries, dict):
        return {}
    return entries


def write_cache(path: Path, data_dir: Path, entries: Entries) -> None:
    """Atomically replace the cache; silently gives up when the cache dir is not writable."""
    payload = marshal.dumps((_stamp(data_dir), entries))
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


def cached_results(data_dir: Path, files: list[Any], validate: Validator) -> list[tuple[Any, Record | None, list[Problem]]]:
    """Per-file results, reusing cached entries whose size and mtime are unchanged."""
    path = cache_file(data_dir)
    old = read_cache(path, data_dir)
    new: Entries = {}
    out: list[tuple[Any, Record | None, list[Problem]]] = []
    changed = len(old) != len(files)
    racy_after = time.time_ns() - RACY_NS
    for f in files:
        hit = old.get(f.rel)
        if hit is not None and hit[0] == f.rtype and hit[1] == f.size and hit[2] == f.mtime_ns:
            record, raw_problems = hit[3], hit[4]
            display = str(data_dir / f.rel)
            problems = [Problem(display, ln, col, msg) for ln, col, msg in raw_problems]
        else:
            changed = True
            record, problems = validate(data_dir, f)
            raw_problems = [(p.line, p.col, p.message) for p in problems]
        if f.mtime_ns < racy_after:
            new[f.rel] = (f.rtype, f.size, f.mtime_ns, record, raw_problems)
        else:
            changed = True
        out.append((f, record, problems))
    if changed:
        write_cache(path, data_dir, new)
    return out
