"""Validating the files a run cannot take from the cache: in this process for a few, on
every core for many (a first build of a large knowledge base, where validation is nearly all
the work: measured on two cores, the pool halves it).
"""

from __future__ import annotations

import marshal
import os
import sys
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple

from chinaind.core.errors import Problem
from chinaind.store.scan import FileEntry

Record = dict[str, Any]
# validate(data_dir, entry) -> (record or None, problems, crc32 of the bytes read or None)
Validator = Callable[[Path, FileEntry], tuple["Record | None", list[Problem], Any]]
# Below this many files to validate, starting worker processes costs more than it saves.
PARALLEL_MIN = 2000
# Files validated in this process between two writes to the cache: a serial build of a large
# base (one core) holds this many records at a time, not all of them.
SERIAL_CHUNK = 500


class Fresh(NamedTuple):
    """What validating one file gave, as the cache stores it."""

    rid: str | None  # None when the file failed its model
    blob: bytes | None  # the record's marshal bytes
    raw: list[tuple[int, int, str]]  # problems as (line, col, message)
    text: tuple[str, str] | None  # normalised (names, text) for search
    facet: Any  # (type, date, issuers)
    refs: Any  # the ids it points at (see loader.refs_of)
    crc: int | None  # CRC32 of the bytes read, None when unreadable


def validate_stream(data_dir: Path, files: list[FileEntry], validate: Validator) -> Iterator[list[tuple[FileEntry, Fresh]]]:
    """(entry, Fresh) for each file, chunk by chunk as they are done: on every core when there
    are many (a first build of a large base), else in this process. The caller stores each
    chunk as it comes, so that a build never holds the whole knowledge base."""
    workers = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 8)
    if len(files) < PARALLEL_MIN or workers < 2:
        yield from _serially(data_dir, files, validate)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Small chunks, so that the workers finish together (a big last chunk leaves a core idle).
    size = max(200, len(files) // (workers * 32))
    chunks = [(data_dir, files[i: i + size], validate) for i in range(0, len(files), size)]
    try:
        context = multiprocessing.get_context("fork")  # workers inherit the imported modules
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_started, initargs=(os.getpid(),))
        parts = _holding_interrupts(lambda: pool.map(_validate_chunk_encoded, chunks))  # in order
    except (OSError, ValueError, RuntimeError):  # no fork, no processes: do it here
        yield from _serially(data_dir, files, validate)
        return
    try:
        for (_, entries, _), part in zip(chunks, parts):
            yield [(entry, Fresh(*fields)) for entry, fields in zip(entries, marshal.loads(part))]
    except BaseException:
        # Interrupted (Ctrl-C) or failed: drop the queued chunks rather than wait for them
        # (shutdown's default). The run then ends, and its workers with it (see below).
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def _serially(data_dir: Path, files: list[FileEntry], validate: Validator) -> Iterator[list[tuple[FileEntry, Fresh]]]:
    for i in range(0, len(files), SERIAL_CHUNK):
        yield _validate_chunk((data_dir, files[i: i + SERIAL_CHUNK], validate))


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
    from chinaind.store.scan import detach_stdio

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


def _validate_chunk(args: tuple[Path, list[FileEntry], Validator]) -> list[tuple[FileEntry, Fresh]]:
    from chinaind.records.references import refs_of
    from chinaind.records.text import search_text
    from chinaind.records.facets import facet_of

    data_dir, files, validate = args
    out = []
    for f in files:
        record, problems, crc = validate(data_dir, f)
        raw = [(p.line, p.col, p.message) for p in problems]
        if record is None:
            out.append((f, Fresh(None, None, raw, None, None, None, crc)))
        else:
            out.append((f, Fresh(record["id"], marshal.dumps(record), raw, search_text(record), tuple(facet_of(record)),
                                 refs_of(record), crc)))
    return out


def _validate_chunk_encoded(args: tuple[Path, list[FileEntry], Validator]) -> bytes:
    """As _validate_chunk, the whole chunk as one marshal blob: cheaper both ways than
    pickling its parts."""
    return marshal.dumps([tuple(fresh) for _, fresh in _validate_chunk(args)])
