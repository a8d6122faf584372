"""Reading a record file within bounds: its size is checked before any byte is read, and no
more than the limit (plus one byte, to notice growth) is ever read, so that a 3 GB file (or a
sparse one claiming to be) is refused at once instead of read whole. Imports nothing heavy:
the warm path re-reads recently changed files with it.
"""

from __future__ import annotations

import os
from pathlib import Path
from stat import S_ISREG

# The most bytes one record file may hold (a record is small). yamlio.MAX_FILE_BYTES is this.
MAX_RECORD_BYTES = 1_000_000


class Oversized(Exception):
    """A file over the limit: `size` is what its stat (or the bytes read) said."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class NotRegular(Exception):
    """Something else than a regular file where a record file was listed (swapped since)."""


def read_record_file(path: Path, limit: int = MAX_RECORD_BYTES) -> bytes:
    """The file's bytes. Raises Oversized, NotRegular, or OSError when it cannot be read.
    O_NONBLOCK: a FIFO put in the file's place must not block the run."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0))
    try:
        st = os.fstat(fd)
        if not S_ISREG(st.st_mode):
            raise NotRegular(str(path))
        if st.st_size > limit:
            raise Oversized(st.st_size)
        chunks, total = [], 0
        while total <= limit:  # the file may have grown since its stat
            chunk = os.read(fd, limit + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise Oversized(max(total, os.fstat(fd).st_size))
        return b"".join(chunks)
    finally:
        os.close(fd)
