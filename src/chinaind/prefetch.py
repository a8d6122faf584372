"""The scan a query's child starts at launch (see launch.py), and its adoption by the run.

The child lists the type folders like scan.top_listing, puts the listing in shared memory,
tells the parent through a pipe, then stat-s the names chunk by chunk (scan.Helper). The run,
reaching its scan for the same data dir, takes the listing and the columns from there; it
takes over chunks the child has not reached. A child for another data dir is stopped.
"""

from __future__ import annotations

import marshal
import os
import signal
import struct
import sys
from pathlib import Path
from typing import Any

from .scan import NCOLUMNS, Helper, detach_stdio, top_listing

# status, listing offset, listing length, columns offset, states offset, number of names
_HEADER = struct.Struct("<6q")
LISTED, FAILED = 1, 2


def child(data_dir: str, shared: Any, write_end: int, parent: int) -> None:
    detach_stdio()
    try:
        path = Path(data_dir)
        problems: list[Any] = []
        listed = top_listing(path, path.resolve(), set(), problems)
        if problems:  # the run lists again itself, and reports them
            raise ValueError("a type folder cannot be listed")
        items = [(fd, name) for _, _, _, fd, names in listed for name in names]
        listing = marshal.dumps([(rtype, str(p), prefix, names) for rtype, p, prefix, _, names in listed])
        n = len(items)
        columns_at = (_HEADER.size + len(listing) + 7) // 8 * 8
        states_at = columns_at + 8 * NCOLUMNS * n
        if states_at + n // Helper.CHUNK + 1 > len(shared):
            raise ValueError("too many files to prefetch")
        shared[_HEADER.size: _HEADER.size + len(listing)] = listing
        _HEADER.pack_into(shared, 0, LISTED, _HEADER.size, len(listing), columns_at, states_at, n)
    except Exception:
        _HEADER.pack_into(shared, 0, FAILED, 0, 0, 0, 0, 0)
        os.write(write_end, b"!")
        raise
    os.write(write_end, b"!")
    os.close(write_end)
    Helper(shared, items, columns_at, states_at, os.getpid()).work(parent=parent)


def prefetching() -> bool:
    """Whether a child started at launch may hold this run's scan."""
    return getattr(sys.modules.get("chinaind.launch"), "PREFETCH", None) is not None


def adopt(data_dir: Path, seen: set[tuple[int, int]]) -> tuple[list[Any], Helper] | None:
    """The listing and a Helper for the launch child's scan of `data_dir`, or None (no child,
    another data dir, or a child that failed)."""
    launch = sys.modules.get("chinaind.launch")
    found = getattr(launch, "PREFETCH", None)
    if found is None:
        return None
    launch.PREFETCH = None  # type: ignore[union-attr]
    real, pid, shared, read_end = found
    try:
        woke = os.read(read_end, 1)  # waits until the child has listed (or died)
    except OSError:
        woke = b""
    os.close(read_end)
    status, listing_at, length, columns_at, states_at, n = _HEADER.unpack_from(shared, 0)
    if real != os.path.realpath(data_dir) or not woke or status != LISTED:
        _stop(pid)
        return None
    listed = []
    for rtype, path, prefix, names in marshal.loads(shared[listing_at: listing_at + length]):
        try:
            st = os.stat(path)
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            _stop(pid)
            for found_folder in listed:
                os.close(found_folder[3])
            return None
        seen.add((st.st_dev, st.st_ino))
        listed.append((rtype, Path(path), prefix, fd, names))
    items = [(fd, name) for _, _, _, fd, names in listed for name in names]
    if len(items) != n:
        _stop(pid)
        return None
    return listed, Helper(shared, items, columns_at, states_at, pid)


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass
