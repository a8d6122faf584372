"""The compiled cache's files: what they hold and how they are read and written.

Two files per data directory under the cache dir:

- the index (`kb-KEY.cache`): a magic line, a table of contents, then named sections (the scan
  it describes, per-file columns, tables, the joined search text), each with its CRC32. A
  section is checked and decoded the first time a run needs it, so a query pays for the
  sections it reads: `agency` never touches the 50 MB of search text. The index is replaced
  whole (temp file + rename), so a concurrent reader sees the old one or the new one.
- the heap (`kb-KEY.heap`): every record's marshal bytes, appended under a lock and never
  rewritten in place, so that editing one file appends one record instead of copying them
  all. The index names the heap by a random token and locates each record by offset, length
  and CRC32. When dead versions outweigh live ones, a fresh heap replaces it.

Anything missing, foreign, truncated or failing a CRC counts as no cache at all.
"""

from __future__ import annotations

import marshal
import mmap
import os
import struct
import zlib
from pathlib import Path
from contextlib import contextmanager
from stat import S_ISREG
from typing import Any, Callable, Iterator

from . import SCHEMA_VERSION, __version__
from .paths import cache_dir

MAGIC = b"CHINAIND-CACHE-2\n"
HEAP_MAGIC = b"CHINAIND-HEAP-2\n"
_HEADER = struct.Struct("<II")  # table of contents: length, crc32
_TOKEN = 16  # bytes of the heap's random token, right after its magic
HEAP_START = len(HEAP_MAGIC) + _TOKEN  # where a heap's first entry lies
# A heap is rewritten when its dead record versions outweigh the live ones by this much.
HEAP_SLACK = 8 << 20
# A file modified within this window before the cache was written may change again within the
# same mtime tick, unseen by its stat: such files are stored with a CRC of their content, and
# every run re-reads them until the window has passed.
RACY_NS = 2_000_000_000

# The modules whose code decides what a cache holds (records, search text, facets, tables, the
# layout itself): a change to any of them (an upgrade, or a developer's edit) invalidates it.
_SCHEMA_MODULES = ("models.py", "validate.py", "yamlio.py", "dates.py", "kinds.py", "loader.py",
                   "scan.py", "statcolumns.py", "scanproblems.py", "fileread.py", "cache.py", "refresh.py", "rebuild.py", "workers.py", "increments.py", "store.py", "textindex.py", "search.py",
                   "text.py", "index.py")


class Damaged(Exception):
    """A cache section failed its check: the caller falls back to the YAML files."""


def cache_file(data_dir: Path) -> Path:
    real = os.path.realpath(data_dir)
    # zlib rather than hashlib: this runs on every query and hashlib costs a few ms to import.
    key = f"{zlib.crc32(os.fsencode(real)):08x}{zlib.adler32(os.fsencode(real)):08x}"
    return cache_dir() / f"kb-{key}.cache"


def heap_file(index: Path, suffix: str = ".heap") -> Path:
    """The record heap (".heap") or the text heap (".text") beside an index."""
    return index.with_suffix(suffix)


def _stamp(data_dir: Path) -> str:
    here = Path(__file__).parent
    digest = 0
    for name in _SCHEMA_MODULES:
        digest = zlib.crc32((here / name).read_bytes(), digest)
    return f"{__version__}/{SCHEMA_VERSION}/{digest:08x}/{os.path.realpath(data_dir)}"


class CacheData:
    """An index file's sections, checked and decoded on first use; empty when there is none."""

    def __init__(self, view: Any = None, toc: dict[str, Any] | None = None, heap: Any = None,
                 data_dir: Path | None = None, text: Any = None) -> None:
        self._view = view
        self.map = view.obj if view is not None else None  # the mmap itself: it has find()
        self.data_dir = data_dir
        self.toc = toc or {}
        self.heap = heap  # the heap's mapping: record bytes at the offsets in "locations"
        self.text = text  # the text heap's mapping (see textindex.py)
        self._checked: dict[str, Any] = {}
        self._decoded: dict[str, Any] = {}

    def __bool__(self) -> bool:
        return bool(self.toc)

    def rels(self) -> list[str]:
        """The record files the cache describes (none when it is empty or damaged)."""
        try:
            return self.get("rels") if self else []
        except Damaged:
            return []

    def raw(self, name: str) -> Any:
        """A section's bytes (a view into the mapping), checked against its CRC."""
        if name not in self._checked:
            if name not in self.toc.get("sections", {}):
                raise Damaged(name)
            offset, length, crc = self.toc["sections"][name]
            view = self._view[offset: offset + length]
            if zlib.crc32(view) != crc:
                raise Damaged(name)
            self._checked[name] = view
        return self._checked[name]

    def get(self, name: str) -> Any:
        if name not in self._decoded:
            try:
                self._decoded[name] = marshal.loads(self.raw(name))
            except (ValueError, EOFError, TypeError) as exc:
                raise Damaged(name) from exc
        return self._decoded[name]


def read_cache(path: Path, data_dir: Path) -> CacheData:
    mm = _map(path)
    if mm is None:
        return CacheData()
    head = len(MAGIC) + _HEADER.size
    if len(mm) < head or mm[: len(MAGIC)] != MAGIC:
        return CacheData()
    length, crc = _HEADER.unpack_from(mm, len(MAGIC))
    view = memoryview(mm)
    if len(mm) < head + length or zlib.crc32(view[head: head + length]) != crc:
        return CacheData()
    try:
        toc = marshal.loads(view[head: head + length])
        sections = toc["sections"]
        if toc["stamp"] != _stamp(data_dir) or any(o + n > len(mm) for o, n, _ in sections.values()):
            return CacheData()
    except (ValueError, EOFError, TypeError, KeyError, AttributeError):
        return CacheData()
    heap = _heap(heap_file(path), toc["heap"], toc["heap_length"])
    text = _heap(heap_file(path, ".text"), *toc["text"][:2])
    if heap is None or text is None:
        return CacheData()
    return CacheData(view, toc, heap, data_dir, text)


def _heap(path: Path, token: bytes, length: int) -> Any:
    """A heap's mapping if it is the one named `token` and holds `length` bytes, else None."""
    mm = _map(path)
    if mm is None or mm[len(HEAP_MAGIC): HEAP_START] != token or len(mm) < length:
        return None
    return mm


def text_intact(old: CacheData) -> bool:
    """Whether the text heap's live part still has the CRC the index recorded."""
    _, length, crc = old.toc["text"]
    return zlib.crc32(memoryview(old.text)[HEAP_START: length]) == crc


def open_regular(path: Path, flags: int, mode: int = 0o600) -> int | None:
    """An fd for `path` if it is a regular file, else None. Something else may stand where a
    cache file should (a FIFO would block a plain open forever, a device could hand out
    anything, a directory opens fine): such a cache file is ignored, never waited on.
    O_NONBLOCK keeps the open itself from waiting; it changes nothing for a regular file."""
    try:
        fd = os.open(path, flags | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0), mode)
    except OSError:
        return None
    try:
        if S_ISREG(os.fstat(fd).st_mode):
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def _map(path: Path) -> Any:
    fd = open_regular(path, os.O_RDONLY)
    if fd is None:
        return None
    try:
        return mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # unreadable, or empty (mmap refuses size 0)
        return None
    finally:
        os.close(fd)


def write_cache(path: Path, data_dir: Path, sections: dict[str, Any], heap: tuple[bytes | None, int],
                extra: dict[str, Any]) -> bool:
    """Atomically replace the index. `sections` maps names to bytes (or views, written without
    a copy); `heap` is (token, length) of the heap the locations point into. False when the
    cache dir is not writable."""
    import tempfile

    toc: dict[str, Any] = {"stamp": _stamp(data_dir), "heap": heap[0], "heap_length": heap[1], **extra}
    layout, offset = {}, 0
    for name, data in sections.items():
        layout[name] = (offset, len(data), zlib.crc32(data))
        offset += len(data)
    # Section offsets are absolute; the table's own length decides them, so encode it twice.
    base = len(MAGIC) + _HEADER.size
    toc["sections"] = {k: (o, n, c) for k, (o, n, c) in layout.items()}
    size = len(marshal.dumps(toc)) + 64
    toc["sections"] = {k: (base + size + o, n, c) for k, (o, n, c) in layout.items()}
    table = marshal.dumps(toc).ljust(size, b"\0")  # marshal ignores trailing bytes
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".cache")
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC + _HEADER.pack(len(table), zlib.crc32(table)))
            fh.write(table)
            fh.writelines(sections.values())
        os.replace(tmp, path)
        return True
    except OSError:
        _unlink(tmp)
        return False


def append_records(index: Path, token: bytes | None, records: list[bytes], live: int,
                   suffix: str = ".heap") -> tuple[bytes | None, int, int]:
    """Append `records` to the heap named `token`. Returns (token, offset of the first
    appended record, heap length), or token None when there is no such heap, it could not be
    written, or it is mostly dead versions: then the caller starts a new heap (new_heap)."""
    found = append_with(index, token, lambda end: b"".join(records), live, suffix)
    return (token, found[0], found[1]) if found is not None else (None, 0, 0)


def append_with(index: Path, token: bytes | None, make: Callable[[int], bytes], live: int,
                suffix: str, before: int | None = None) -> tuple[int, int, bytes] | None:
    """Append make(offset it will lie at) to the heap named `token`, under a lock so that
    concurrent runs never interleave. Returns (offset, new length, the bytes between `before`
    and the offset, which other runs appended meanwhile), or None (see append_records)."""
    try:
        import fcntl
    except ImportError:
        return None  # no POSIX locks: always write a new heap, never append
    if token is None:
        return None
    fd = open_regular(heap_file(index, suffix), os.O_RDWR)
    if fd is None:
        return None
    try:
        with os.fdopen(fd, "r+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            if fh.read(HEAP_START) != HEAP_MAGIC + token:
                return None
            end = fh.seek(0, os.SEEK_END)
            if end > 2 * live + HEAP_SLACK:
                return None  # mostly dead versions: let the caller start afresh
            between = b""
            if before is not None and before < end:
                fh.seek(before)
                between = fh.read(end - before)
            fh.seek(end)
            fh.write(make(end))
            fh.flush()
            return end, fh.tell(), between
    except OSError:
        return None


def new_heap(index: Path, records: list[Any], suffix: str = ".heap") -> tuple[bytes | None, int, int]:
    """Replace the heap with one holding `records`: (token, offset of the first, length)."""
    import tempfile

    path = heap_file(index, suffix)
    token = os.urandom(_TOKEN)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=suffix)
    except OSError:
        return None, 0, 0
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(HEAP_MAGIC + token)
            fh.writelines(records)
            length = fh.tell()
        os.replace(tmp, path)
        return token, HEAP_START, length
    except OSError:
        _unlink(tmp)
        return None, 0, 0


@contextmanager
def writing(index: Path) -> Iterator[None]:
    """Hold the data dir's write lock: replacing a heap and writing the index that names it
    happen together, so that concurrent runs cannot leave an index naming another's heap.
    Without a usable lock file (an unwritable cache dir) writes fail anyway: go on."""
    try:
        import fcntl
    except ImportError:  # no POSIX locks (Windows): writes still replace files atomically
        yield
        return
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        fd = open_regular(index.with_suffix(".lock"), os.O_RDWR | os.O_CREAT)
        if fd is None:  # not a file (a FIFO, a device, a folder): go on as without one
            yield
            return
        fh = os.fdopen(fd, "r+b")
    except OSError:
        yield
        return
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX)
        except OSError:
            pass
        yield


def discard(index: Path) -> None:
    """Remove a cache found damaged, so that the next run rebuilds it."""
    _unlink(str(index))


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
