"""Finding record files: the first thing every run does, and at 100,000 files most of a warm
query's time, so it is built around two facts measured here. Listing a folder and lstat-ing
each name relative to the open folder is about a fifth cheaper than scandir plus DirEntry.stat;
and lstat calls split between this process and a forked child take half the wall time on two
cores (threads do not help: the Python half of each call holds the GIL).

A scan is kept as columns per folder (names, and sizes, mtimes and modes as packed arrays),
so that "has anything changed since the cache was written" is one comparison of bytes, with
no per-file object built at all.
"""

from __future__ import annotations

import os
from array import array
from pathlib import Path
from stat import S_IFMT, S_IFREG, S_ISDIR, S_ISLNK
from typing import NamedTuple

from .errors import UsageError
from .kinds import FOLDERS

YAML_SUFFIXES = (".yaml", ".yml")
# Below this many names in a folder, forking a helper costs more than the calls it takes over.
FORK_MIN = 4096
_SEP = "\x00"  # between names in a folder's joined name column: no file name holds it


class FileEntry(NamedTuple):
    rel: str  # path relative to the data dir, with forward slashes
    rtype: str
    size: int
    mtime_ns: int


# One folder's columns: (record type, prefix, names joined by NUL, sizes, mtimes, modes), the
# last three packed 64-bit arrays. A symlink inside the data directory carries its target's
# stat; one leading outside it, or dangling, has mode 0.
Folder = tuple[str, str, str, bytes, bytes, bytes]


def scan(data_dir: Path) -> list[Folder]:
    """The columns of every folder under the type folders, skipping hidden entries, symlinks
    that lead outside the data directory, and folders already visited (link loops)."""
    root = data_dir.resolve()
    if not any((data_dir / folder).is_dir() for folder in FOLDERS.values()):
        raise UsageError(
            f"{data_dir} is not a knowledge base: it has none of the folders "
            f"{', '.join(f + '/' for f in FOLDERS.values())}"
        )
    out: list[Folder] = []
    seen: set[tuple[int, int]] = set()
    for rtype, folder in FOLDERS.items():
        base = data_dir / folder
        if base.is_dir() and (not base.is_symlink() or _inside(str(base), root)):
            _walk(base, f"{folder}/", rtype, root, seen, out)
    return out


def entries(folders: list[Folder]) -> list[FileEntry]:
    """The record files of a scan, sorted by path (the order records load in)."""
    found: list[FileEntry] = []
    for rtype, prefix, joined, sizes, mtimes, modes in folders:
        if not joined:
            continue
        names = joined.split(_SEP)
        for name, size, mtime, mode in zip(names, _q(sizes), _q(mtimes), _q(modes)):
            if S_IFMT(mode) == S_IFREG and name.lower().endswith(YAML_SUFFIXES):
                found.append(FileEntry(prefix + name, rtype, size, mtime))
    found.sort()  # by path: FileEntry tuples start with it, and the plain sort runs in C
    return found


def files(data_dir: Path) -> list[FileEntry]:
    return entries(scan(data_dir))


def _q(packed: bytes) -> memoryview:
    return memoryview(packed).cast("q")


def _walk(folder: Path, prefix: str, rtype: str, root: Path, seen: set[tuple[int, int]],
          out: list[Folder]) -> None:
    try:
        st = folder.stat()
        if (st.st_dev, st.st_ino) in seen:
            return
        seen.add((st.st_dev, st.st_ino))
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        names = [n for n in os.listdir(fd) if n[0] != "."]
        sizes, mtimes, modes = _lstat_all(fd, names)
        subfolders = []
        for i, mode in enumerate(modes):
            if S_ISLNK(mode):
                _follow(folder, fd, names[i], root, i, sizes, mtimes, modes)
                mode = modes[i]
            if S_ISDIR(mode):
                subfolders.append(names[i])
    except OSError:
        return
    finally:
        os.close(fd)
    out.append((rtype, prefix, _SEP.join(names), sizes.tobytes(), mtimes.tobytes(), modes.tobytes()))
    for name in subfolders:
        _walk(folder / name, f"{prefix}{name}/", rtype, root, seen, out)


def _follow(folder: Path, fd: int, name: str, root: Path, i: int, sizes: array, mtimes: array, modes: array) -> None:
    """Give a symlink its target's stat, or mode 0 when it leads outside the data directory."""
    try:
        if _inside(os.path.join(folder, name), root):
            st = os.stat(name, dir_fd=fd)
            sizes[i], mtimes[i], modes[i] = st.st_size, st.st_mtime_ns, st.st_mode
            return
    except OSError:
        pass
    modes[i] = 0


def _lstat_all(fd: int, names: list[str]) -> tuple[array, array, array]:
    """(sizes, mtimes, modes) of `names` in the folder open as `fd`; a name that vanished or
    cannot be read gets mode 0 (as if absent)."""
    if len(names) < FORK_MIN or not hasattr(os, "fork"):
        return _lstat_columns(fd, names)
    half = len(names) // 2
    shared = _forked(fd, names[half:])
    head = _lstat_columns(fd, names[:half])
    tail = shared() if shared is not None else None
    if tail is None:
        tail = _lstat_columns(fd, names[half:])
    return head[0] + tail[0], head[1] + tail[1], head[2] + tail[2]


def _lstat_columns(fd: int, names: list[str]) -> tuple[array, array, array]:
    sizes, mtimes, modes = array("q"), array("q"), array("q")
    lstat = os.lstat
    for name in names:
        try:
            st = lstat(name, dir_fd=fd)
        except OSError:
            sizes.append(0)
            mtimes.append(0)
            modes.append(0)
            continue
        sizes.append(st.st_size)
        mtimes.append(st.st_mtime_ns)
        modes.append(st.st_mode)
    return sizes, mtimes, modes


def _forked(fd: int, names: list[str]):  # type: ignore[no-untyped-def]
    """Start a child lstat-ing `names` into shared memory; returns a function that waits for
    it and gives its columns, or None if no child could be started (then the caller does it)."""
    import mmap

    n = len(names)
    try:
        shared = mmap.mmap(-1, 24 * n + 1)  # anonymous and shared with the child
        pid = os.fork()
    except (OSError, ValueError):
        return None
    if pid == 0:  # the child: fill the shared columns, then leave without any clean-up
        code = 1
        try:
            columns = _lstat_columns(fd, names)
            shared[: 24 * n] = b"".join(c.tobytes() for c in columns)
            shared[24 * n] = 1
            code = 0
        finally:
            os._exit(code)

    def result() -> tuple[array, array, array] | None:
        try:
            _, status = os.waitpid(pid, 0)
        except OSError:
            return None
        if status != 0 or shared[24 * n] != 1:
            return None
        columns = tuple(array("q", shared[k * 8 * n: (k + 1) * 8 * n]) for k in range(3))
        shared.close()
        return columns  # type: ignore[return-value]

    return result


def _inside(path: str, root: Path) -> bool:
    try:
        return Path(os.path.realpath(path)).is_relative_to(root)
    except OSError:
        return False


def stem_of(rel: str) -> str:
    name = rel.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0]
