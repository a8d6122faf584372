"""Validating the files a run cannot take from the cache: in this process for a few, on
every core for many (a first build).
"""

from __future__ import annotations

import marshal
import os
from pathlib import Path
from typing import Any, Callable

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

    __slots__ = ("rid", "_record", "blob", "raw", "text", "facet", "refs", "crc")

    def __init__(self, rid: str | None, record: Record | None, blob: bytes | None, raw: list[Any],
                 text: Any, facet: Any, refs: Any, crc: Any) -> None:
        self.rid, self._record, self.blob, self.raw = rid, record, blob, raw
        self.text, self.facet, self.refs, self.crc = text, facet, refs, crc

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
            self.blob = marshal.dumps(self._record)
        return self.blob


def validate_changed(data_dir: Path, changed: dict[int, FileEntry], validate: Validator) -> dict[int, Fresh]:
    results = validate_all(data_dir, list(changed.values()), validate)
    return {slot: results[e.rel] for slot, e in changed.items()}


def validate_all(data_dir: Path, files: list[FileEntry], validate: Validator) -> dict[str, Fresh]:
    """rel -> Fresh for each file: on every core when there are many (a first build of a large
    base), else in this process."""
    workers = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 8)
    if len(files) < PARALLEL_MIN or workers < 2:
        return dict(_validate_chunk((data_dir, files, validate)))
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Small chunks, so that the workers finish together (a big last chunk leaves a core idle).
    size = max(200, len(files) // (workers * 32))
    chunks = [(data_dir, files[i: i + size], validate) for i in range(0, len(files), size)]
    try:
        context = multiprocessing.get_context("fork")  # workers inherit the imported modules
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            parts = list(pool.map(_validate_chunk_encoded, chunks))
    except (OSError, ValueError, RuntimeError):  # no fork, no processes: do it here
        return dict(_validate_chunk((data_dir, files, validate)))
    return {rel: Fresh(rid, None, *rest) for part in parts for rel, (rid, *rest) in part}


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


def _validate_chunk_encoded(args: tuple[Path, list[FileEntry], Validator]) -> list[tuple[str, tuple[Any, ...]]]:
    """As _validate_chunk, with each record as its marshal bytes and its text as UTF-8: the
    parent writes both to the heaps as they are, and never needs the record decoded."""
    return [(rel, (f.rid, f.encoded() if f.rid is not None else None, f.raw,
                   tuple(_utf8(t) for t in f.text) if f.text is not None else None, f.facet, f.refs, f.crc))
            for rel, f in _validate_chunk(args)]


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")
