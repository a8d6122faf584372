"""The stat columns of a scan, and the forked helper that shares the lstat calls.

Per file a scan keeps STAT_FIELDS, each as a packed 64-bit column. A name that vanished
between listing and lstat gets zeros; one that cannot be stat-ed for another reason gets
minus its errno as its mode, for the scan to report (see scanproblems.py).
"""

from __future__ import annotations

import errno
import os
from array import array
from typing import Any

from chinaind.store.scanproblems import VANISHED

# The stat fields kept per file, in column order, with each column's array type (inodes and
# devices are unsigned 64-bit numbers).
STAT_FIELDS = ("size", "mtime", "mode", "ino", "ctime", "dev")
TYPECODES = ("q", "q", "q", "Q", "q", "Q")
NCOLUMNS = len(STAT_FIELDS)
MODE = STAT_FIELDS.index("mode")  # the column holding minus an errno for a failed lstat


# A time in nanoseconds fits 64 signed bits only up to 2262 (and from 1677): a file dated
# beyond (`touch -d 2400-01-01`) is kept at the bound. Two such times compare equal, but the
# change time, which no user can set, still tells a rewrite.
_NS_MAX, _NS_MIN = 2**63 - 1, -(2**63)


def clamp_ns(ns: int) -> int:
    return _NS_MAX if ns > _NS_MAX else _NS_MIN if ns < _NS_MIN else ns


def stat_fields(st: os.stat_result) -> tuple[int, ...]:
    """A stat's values in STAT_FIELDS order."""
    return st.st_size, clamp_ns(st.st_mtime_ns), st.st_mode, st.st_ino, clamp_ns(st.st_ctime_ns), st.st_dev


class Helper:
    """A forked child lstat-ing names chunk by chunk from the front, into shared memory. When
    this process comes back for the result it takes chunks from the back itself, so whichever
    process has time does the work. A chunk both take at the same moment is done twice, which
    is harmless: both write the stat of the same file."""

    CHUNK = 512
    FREE, TAKEN, DONE = 0, 1, 2

    def __init__(self, shared: Any, items: list[tuple[int, str]], columns_at: int, states_at: int, pid: int) -> None:
        self.shared, self.items, self.n = shared, items, len(items)
        self.columns_at, self.states_at = columns_at, states_at
        self.chunks = (self.n + self.CHUNK - 1) // self.CHUNK
        self.pid = pid  # the child, or -1 when there is none

    @classmethod
    def fork(cls, jobs: list[tuple[int, list[str]]], n: int) -> "Helper":
        import mmap

        items = [(fd, name) for fd, names in jobs for name in names]
        chunks = (n + cls.CHUNK - 1) // cls.CHUNK
        parent = os.getpid()
        try:
            # Anonymous and shared with the child: the stat columns, then a state byte per chunk.
            shared = mmap.mmap(-1, 8 * NCOLUMNS * n + chunks)
            pid = os.fork()
        except (OSError, ValueError):
            return cls(None, items, 0, 0, -1)
        helper = cls(shared, items, 0, 8 * NCOLUMNS * n, pid)
        # The child lets go of stdio at once and checks, between chunks, that the run is still
        # its parent: it never holds the run's pipe, and ends within a chunk of the run's end.
        # No parent-death signal here (see workers.py): ctypes would cost the child 18 ms.
        if pid == 0:
            code = 1
            try:
                detach_stdio()
                helper.work(parent=parent)
                code = 0
            finally:
                os._exit(code)  # the child leaves without any clean-up
        return helper

    def work(self, reverse: bool = False, parent: int | None = None) -> None:
        """Take free chunks from the front (or the back) until meeting the other process; a
        child given its parent's pid stops when the parent is gone."""
        order = range(self.chunks - 1, -1, -1) if reverse else range(self.chunks)
        for c in order:
            if not self._take(c) or (parent is not None and os.getppid() != parent):
                return

    def _take(self, c: int) -> bool:
        at = self.states_at + c
        if self.shared[at] != self.FREE:
            return False  # the other process got here: it has the rest
        self.shared[at] = self.TAKEN
        lo, hi = c * self.CHUNK, min(self.n, (c + 1) * self.CHUNK)
        for k, column in enumerate(lstat_items(self.items[lo:hi])):
            start = self.columns_at + (k * self.n + lo) * 8
            self.shared[start: start + (hi - lo) * 8] = column.tobytes()
        self.shared[at] = self.DONE
        return True

    def columns(self) -> tuple[array, ...]:
        if self.pid < 0:  # no child: do it all here
            return lstat_items(self.items)
        self.work(reverse=True)
        try:
            os.waitpid(self.pid, 0)
        except OSError:
            pass
        for c in range(self.chunks):  # anything a failed child left undone
            if self.shared[self.states_at + c] != self.DONE:
                self.shared[self.states_at + c] = self.FREE
                self._take(c)
        at, n = self.columns_at, self.n
        return tuple(array(TYPECODES[k], self.shared[at + k * 8 * n: at + (k + 1) * 8 * n]) for k in range(NCOLUMNS))


def detach_stdio() -> None:
    """In a helper child: let go of the terminal and pipes, so that a reader of the run's
    output sees its end when the run ends, whatever the child is still doing."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


def lstat_items(items: list[tuple[int, str]]) -> tuple[array, ...]:
    columns = tuple(array(code) for code in TYPECODES)
    sizes, mtimes, modes, inos, ctimes, devs = (column.append for column in columns)
    lstat = os.lstat
    for fd, name in items:
        try:
            st = lstat(name, dir_fd=fd)
        except OSError as exc:
            for column in columns:
                column.append(0)
            if exc.errno not in VANISHED:  # reported by the scan: minus the errno as the mode
                columns[MODE][-1] = -(exc.errno or errno.EIO)
            continue
        sizes(st.st_size)
        mtime = st.st_mtime_ns
        mtimes(mtime if -_NS_MAX < mtime < _NS_MAX else clamp_ns(mtime))
        modes(st.st_mode)
        inos(st.st_ino)
        ctime = st.st_ctime_ns
        ctimes(ctime if -_NS_MAX < ctime < _NS_MAX else clamp_ns(ctime))
        devs(st.st_dev)
    return columns


