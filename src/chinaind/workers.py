"""Validating the files a run cannot take from the cache: in this process for a few, on
every core for many (a first build).
"""

from __future__ import annotations

import marshal
import os
import sys
import tempfile
import zlib
from array import array
from pathlib import Path
from typing import Any, Callable

from .cache import HEAP_MAGIC, HEAP_START, heap_file
from .errors import Problem
from .scan import FileEntry

Record = dict[str, Any]
# validate(data_dir, entry) -> (record or None, problems, crc32 of the bytes read or None)
Validator = Callable[[Path, FileEntry], tuple["Record | None", list[Problem], Any]]
# Below this many files to validate, starting worker processes costs more than it saves.
PARALLEL_MIN = 2000


class Fresh:
    """What validating one file gave: its record's id (None when invalid), the record itself
    or its marshal bytes (decoded only if read: a first build never decodes them), problems
    as (line, col, message), search text, facet, references and the content's CRC32."""

    __slots__ = ("rid", "_record", "blob", "raw", "text", "facet", "refs", "crc", "placed")

    def __init__(self, rid: str | None, record: Record | None, blob: bytes | None, raw: list[Any],
                 text: Any, facet: Any, refs: Any, crc: Any) -> None:
        self.rid, self._record, self.blob, self.raw = rid, record, blob, raw
        self.text, self.facet, self.refs, self.crc = text, facet, refs, crc
        # Its row in the Spool that wrote it (see Spool.rows); blob and text are then not held.
        self.placed: int | None = None

    @property
    def record(self) -> Record | None:
        if self._record is None and self.blob is not None:
            self._record = marshal.loads(self.blob)
        return self._record

    def stored(self) -> Any:
        """The record as a RecordStore holds it: decoded, or its bytes until first read."""
        return self._record if self._record is not None else self.blob

    def encoded(self) -> bytes:
        if self.blob is None:
            if self._record is None:
                raise RuntimeError("the record was spooled to a heap; read it from there")
            self.blob = marshal.dumps(self._record)
        return self.blob


class Spool:
    """The new record and text heaps of a first build, written while the workers deliver: a
    record's bytes and text go to disk as they arrive, so the build never holds the whole base.
    Results must come in slot order (a first build validates every slot, in order)."""

    def __init__(self, index: Path) -> None:
        self.index = index
        self.files: dict[str, tuple[str, Any, bytes]] = {}  # suffix -> (temp path, file, token)
        self.at: dict[str, int] = {}
        self.text_crc = 0
        self.usable = True
        # A row per result, in the order put: record offset, length, crc32 (length 0: no
        # record) in the heap; start, end of text and end of names in the text heap.
        self.rows = tuple(array("q") for _ in range(6))
        for suffix in (".heap", ".text"):
            fd, tmp = tempfile.mkstemp(dir=index.parent, prefix=".tmp-", suffix=suffix)
            fh = os.fdopen(fd, "w+b")
            token = os.urandom(HEAP_START - len(HEAP_MAGIC))
            fh.write(HEAP_MAGIC + token)
            self.files[suffix], self.at[suffix] = (tmp, fh, token), HEAP_START

    @classmethod
    def open(cls, index: Path) -> "Spool | None":
        try:
            index.parent.mkdir(parents=True, exist_ok=True)
            return cls(index)
        except OSError:
            return None

    def _write(self, suffix: str, data: bytes) -> int:
        at = self.at[suffix]
        self.files[suffix][1].write(data)
        self.at[suffix] = at + len(data)
        return at

    def put(self, blob: bytes | None, text: tuple[bytes, bytes] | None) -> int:
        """Write one slot's record bytes (None for an invalid file) and text: its row."""
        record = (self._write(".heap", blob), len(blob), zlib.crc32(blob)) if blob is not None else (0, 0, 0)
        names, body = text if text is not None else (b"", b"")
        segment = body + b"\x00" + names + b"\x00"
        self.text_crc = zlib.crc32(segment, self.text_crc)
        start = self._write(".text", segment)
        for column, value in zip(self.rows, (*record, start, start + len(body), start + len(segment))):
            column.append(value)
        return len(self.rows[0]) - 1

    def take_back(self, fresh: Fresh, suffixes: tuple[str, ...] = (".heap", ".text")) -> None:
        """Give a placed result its bytes and text again (when the spool is given up)."""
        if fresh.placed is None:
            return
        offset, length, _, start, split, end = (column[fresh.placed] for column in self.rows)
        if length and ".heap" in suffixes:
            fresh.blob = self._read(".heap", offset, length)
        if ".text" in suffixes:
            body, names = self._read(".text", start, split - start), self._read(".text", split + 1, end - split - 2)
            fresh.text = (names, body) if fresh.rid is not None else None

    def _read(self, suffix: str, at: int, length: int) -> bytes:
        fh = self.files[suffix][1]
        fh.flush()
        return os.pread(fh.fileno(), length, at)

    def finish(self, suffix: str, fresh: dict[int, Fresh]) -> tuple[bytes, int] | None:
        """Move a heap into place: (token, length). When it cannot be, the results get their
        part back from it and the spool is given up: None."""
        tmp, fh, token = self.files[suffix]
        try:
            fh.flush()
            os.replace(tmp, heap_file(self.index, suffix))
            fh.close()
            return token, self.at[suffix]
        except OSError:
            # Every heap not yet in place goes with it: the text too when the record heap
            # fails first (else the run would search no text at all, finding nothing).
            pending = tuple(s for s, (_, handle, _) in self.files.items() if not handle.closed)
            for f in fresh.values():
                self.take_back(f, pending)
            self.abandon()
            return None

    def abandon(self) -> None:
        """Give up: remove the heaps not yet moved into place."""
        self.usable = False
        for tmp, fh, _ in self.files.values():
            if not fh.closed:
                fh.close()
                try:
                    os.unlink(tmp)
                except OSError:
                    pass


def validate_changed(data_dir: Path, changed: dict[int, FileEntry], validate: Validator,
                     spool: Spool | None = None) -> dict[int, Fresh]:
    results = validate_all(data_dir, list(changed.values()), validate, spool)
    return {slot: results[e.rel] for slot, e in changed.items()}


def validate_all(data_dir: Path, files: list[FileEntry], validate: Validator,
                 spool: Spool | None = None) -> dict[str, Fresh]:
    """rel -> Fresh for each file: on every core when there are many (a first build of a large
    base), else in this process. With a spool, results are written to it as they arrive."""
    workers = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 8)
    if len(files) < PARALLEL_MIN or workers < 2:
        return dict(_validate_chunk((data_dir, files, validate)))
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Small chunks, so that the workers finish together (a big last chunk leaves a core idle).
    size = max(200, len(files) // (workers * 32))
    chunks = [(data_dir, files[i: i + size], validate) for i in range(0, len(files), size)]
    out: dict[str, Fresh] = {}
    try:
        context = multiprocessing.get_context("fork")  # workers inherit the imported modules
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_started, initargs=(os.getpid(),))
        try:
            for part in _holding_interrupts(lambda: pool.map(_validate_chunk_encoded, chunks)):  # in order
                for rel, (rid, *rest) in marshal.loads(part):
                    out[rel] = _received(Fresh(rid, None, *rest), spool, out)
        except BaseException:
            # Interrupted (Ctrl-C) or failed: drop the queued chunks rather than wait for them
            # (shutdown's default). The run then ends, and its workers with it (see below).
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
    except (OSError, ValueError, RuntimeError):  # no fork, no processes: do it here
        if spool is not None:
            spool.abandon()
        return dict(_validate_chunk((data_dir, files, validate)))
    return out


def _holding_interrupts(start: Callable[[], Any]) -> Any:
    """start(), which forks the workers, with SIGINT held back until it returns. A Ctrl-C
    arriving during a fork is handled inside Python's fork hooks (logging's), where its
    KeyboardInterrupt is printed and dropped, and the build would go on to the end; held
    back, it arrives just after, and interrupts the build. The workers keep it held: a Ctrl-C
    at the terminal stops the run, and they end with it (see _worker_started)."""
    import signal

    try:
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    except (AttributeError, ValueError, OSError):
        return start()
    try:
        return start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _worker_started(parent: int) -> None:
    """In each worker, first: never outlive the run, and never hold its terminal or pipes.

    A worker waits on a queue that it holds a write end of itself, so when the run dies
    without shutting the pool down (SIGKILL, SIGTERM, os._exit after Ctrl-C) nothing wakes
    it: it would wait forever, holding stdout open, and a reader of the run's output would
    never see its end. The kernel's parent-death signal (prctl PR_SET_PDEATHSIG, Linux)
    ends it the moment the run ends, however it ends, at no cost while it runs; a pipe
    watch would need a thread in every worker, since the pool's own loop is not ours to
    poll in. Elsewhere the workers only let go of stdio. ctypes costs a worker 18 ms to
    import: nothing next to a build spread over thousands of files, and the run does not
    pay it."""
    from .scan import detach_stdio

    detach_stdio()
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the run died before the signal was asked for: it will not come
        os._exit(1)


def _received(fresh: Fresh, spool: Spool | None, before: dict[str, Fresh]) -> Fresh:
    if spool is None or not spool.usable:
        return fresh
    try:
        fresh.placed = spool.put(fresh.blob, fresh.text)
        fresh.blob = fresh.text = None
    except OSError:  # a full disk, say: hold everything in memory after all
        for earlier in before.values():
            spool.take_back(earlier)
        spool.abandon()
    return fresh


def _validate_chunk(args: tuple[Path, list[FileEntry], Validator]) -> list[tuple[str, Fresh]]:
    from .loader import refs_of
    from .search import search_text
    from .store import facet_of

    data_dir, files, validate = args
    out = []
    for f in files:
        record, problems, crc = validate(data_dir, f)
        raw = [(p.line, p.col, p.message) for p in problems]
        if record is None:
            out.append((f.rel, Fresh(None, None, None, raw, None, None, None, crc)))
        else:
            out.append((f.rel, Fresh(record["id"], record, None, raw, search_text(record), facet_of(record),
                                     refs_of(record), crc)))
    return out


def _validate_chunk_encoded(args: tuple[Path, list[FileEntry], Validator]) -> bytes:
    """As _validate_chunk, with each record as its marshal bytes and its text as UTF-8: the
    parent writes both to the heaps as they are, and never needs the record decoded. The
    whole chunk travels as one marshal blob, cheaper both ways than pickling its parts."""
    return marshal.dumps([(rel, (f.rid, f.encoded() if f.rid is not None else None, f.raw,
                                 tuple(_utf8(t) for t in f.text) if f.text is not None else None,
                                 f.facet, f.refs, f.crc))
                          for rel, f in _validate_chunk(args)])


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")
