"""The `chinaind` command's entry point.

Before anything else is imported (Typer alone takes about 30 ms), a query starts a child
process listing and stat-ing the knowledge base's files, the longest part of a warm run on a
large base; the run adopts that work when it reaches its scan (see prefetch.py). Only os and
sys are imported here, so that the child starts as early as it can.
"""

from __future__ import annotations

import os
import sys

# Commands that load the knowledge base to answer a query: only they start a prefetch.
QUERIES = frozenset({"search", "chain", "agency", "company", "person", "source", "sector", "targets", "list", "show",
                     "related", "chains", "timeline", "stats", "graph"})
_VALUE_OPTIONS = ("--data-dir", "-d")
# Shared memory for the child's listing and stat columns; pages cost nothing until written.
SHARED_BYTES = 1 << 30

# (real path of the data dir, child pid, shared memory, read end of the child's pipe)
PREFETCH: tuple[str, int, object, int] | None = None


def main() -> None:
    _occupy_standard_fds()
    _prefetch(sys.argv[1:])
    from .cli import main as run

    run()


def _occupy_standard_fds() -> None:
    """A standard descriptor closed at start (`>&-`) would be taken by the next file or pipe
    opened, and output meant for the terminal could land in it: hold it with /dev/null.
    Python has already seen it closed (sys.stdout is None), which cliapp reports."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            try:
                if os.open(os.devnull, os.O_RDWR) != fd:
                    return  # not the lowest free descriptor after all: leave things be
            except OSError:
                return


def bundled_data_path() -> str:
    """The records shipped with chinaind: inside an installed wheel, or the repository checkout."""
    here = os.path.dirname(os.path.realpath(__file__))
    packaged = os.path.join(here, "_data")
    if os.path.isdir(packaged):
        return packaged
    # An editable install or a source checkout reads the repository's top-level data/.
    return os.path.join(os.path.dirname(os.path.dirname(here)), "data")


def guess_data_dir(argv: list[str]) -> str | None:
    """The data dir a query in `argv` will load (as paths.resolve_data_dir picks it), or None
    when argv is not a cached query. A wrong guess only wastes the child's work."""
    explicit, command, i = None, None, 0
    while i < len(argv):
        arg = argv[i]
        if arg in _VALUE_OPTIONS:
            explicit = argv[i + 1] if i + 1 < len(argv) else None
            i += 2
            continue
        if arg.startswith("--data-dir="):
            explicit = arg.split("=", 1)[1]
        elif arg.startswith("-d") and not arg.startswith("--"):
            explicit = arg[2:]
        elif arg == "--no-cache":
            return None
        elif not arg.startswith("-"):
            command = arg
            break
        i += 1
    if command not in QUERIES or any(a in ("-h", "--help") for a in argv[i + 1:]):
        return None
    chosen = explicit or os.environ.get("CHINAIND_DATA") or None
    return chosen if chosen is not None else bundled_data_path()


# Folders whose entries take less room than this (some thousands of files) are scanned
# faster in the run itself than by a forked child.
SMALL_BYTES = 64 * 1024


def _large(data_dir: str) -> bool:
    """Whether the type folders hold enough entries to be worth a child: a folder's size grows
    with its entries on common file systems (ext4: about 24 bytes a name; tmpfs: 20)."""
    from .kinds import FOLDERS

    total = 0
    for folder in FOLDERS.values():
        try:
            total += os.stat(os.path.join(data_dir, folder)).st_size
        except OSError:
            continue
    return total >= SMALL_BYTES


def _prefetch(argv: list[str]) -> None:
    global PREFETCH
    if not hasattr(os, "fork") or any(k.endswith("_COMPLETE") for k in os.environ):
        return  # shell completion runs this on every TAB: never start work there
    data_dir = guess_data_dir(argv)
    if data_dir is None or "\x00" in data_dir or not _large(data_dir):
        return
    import mmap

    try:
        shared = mmap.mmap(-1, SHARED_BYTES)
        read_end, write_end = os.pipe()
        pid = os.fork()
    except (OSError, ValueError, OverflowError):
        return
    if pid == 0:
        code = 1
        try:
            os.close(read_end)
            from .prefetch import child

            child(data_dir, shared, write_end, os.getppid())
            code = 0
        finally:
            os._exit(code)  # never the parent's clean-up, buffers or exit handlers
    os.close(write_end)
    PREFETCH = (os.path.realpath(data_dir), pid, shared, read_end)
