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
from typing import Callable, NamedTuple

from .errors import UsageError
from .kinds import FOLDERS

YAML_SUFFIXES = (".yaml", ".yml")
# Below this many names, forking a helper costs more than the calls it takes over.
FORK_MIN = 4096
# This process's share of the lstat calls when a child helps; the rest of a warm run's
# loading (checking the cache) happens while the child finishes.
PARENT_SHARE = 0.42
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
    return start(data_dir).result()


class PendingScan:
    """A scan whose child may still be lstat-ing its share: the caller can do other work (read
    the cache) in the meantime, then call result()."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir.resolve()
        if not any((data_dir / folder).is_dir() for folder in FOLDERS.values()):
            raise UsageError(
                f"{data_dir} is not a knowledge base: it has none of the folders "
                f"{', '.join(f + '/' for f in FOLDERS.values())}"
            )
        self.seen: set[tuple[int, int]] = set()
        self.out: list[Folder] = []
        top = [(rtype, data_dir / folder, f"{folder}/") for rtype, folder in FOLDERS.items()
               if (data_dir / folder).is_dir()
               and (not (data_dir / folder).is_symlink() or _inside(str(data_dir / folder), self.root))]
        self.listed = [found for rtype, path, prefix in top if (found := _list(path, prefix, rtype, self.seen))]
        # The child takes the larger share: this process has the cache to read meanwhile.
        self.waiting = _lstat_all([(fd, names) for _, _, _, fd, names in self.listed], PARENT_SHARE)

    def result(self) -> list[Folder]:
        listed, columns = self.listed, self.waiting()
        while listed:  # a level of folders at a time
            pending = []
            try:
                for (rtype, path, prefix, fd, names), (sizes, mtimes, modes) in zip(listed, columns):
                    for i, mode in enumerate(modes):
                        if S_ISLNK(mode):
                            _follow(path, fd, names[i], self.root, i, sizes, mtimes, modes)
                            mode = modes[i]
                        if S_ISDIR(mode):
                            pending.append((rtype, path / names[i], f"{prefix}{names[i]}/"))
                    self.out.append((rtype, prefix, _SEP.join(names), sizes.tobytes(), mtimes.tobytes(), modes.tobytes()))
            finally:
                for found in listed:
                    os.close(found[3])
            listed = [found for rtype, path, prefix in pending if (found := _list(path, prefix, rtype, self.seen))]
            columns = _lstat_all([(fd, names) for _, _, _, fd, names in listed], 0.5)() if listed else []
        return self.out


def start(data_dir: Path) -> PendingScan:
    return PendingScan(data_dir)


def _list(path: Path, prefix: str, rtype: str, seen: set[tuple[int, int]]) -> tuple[str, Path, str, int, list[str]] | None:
    """(type, path, prefix, open fd, visible names) of a folder not seen before, else None."""
    try:
        st = path.stat()
        if (st.st_dev, st.st_ino) in seen:
            return None
        seen.add((st.st_dev, st.st_ino))
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        return rtype, path, prefix, fd, [n for n in os.listdir(fd) if n[0] != "."]
    except OSError:
        os.close(fd)
        return None


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


def _lstat_all(jobs: list[tuple[int, list[str]]], share: float) -> Callable[[], list[tuple[array, array, array]]]:
    """Lstat each job's names in the folder open as its fd, giving (sizes, mtimes, modes) per
    job; a name that vanished or cannot be read gets mode 0 (as if absent). With many names,
    a forked child takes all but `share` of them at the same time: this returns once this
    process has done its part, and the function it returns waits for the child."""
    total = sum(len(names) for _, names in jobs)
    if total < FORK_MIN or not hasattr(os, "fork"):
        flat = _lstat_columns(jobs)
        return lambda: _per_job(jobs, flat)
    cut = int(total * share)
    head, tail = _split(jobs, cut)
    shared = _forked(tail, total - cut)
    first = _lstat_columns(head)

    def finish() -> list[tuple[array, array, array]]:
        second = shared() if shared is not None else None
        if second is None:
            second = _lstat_columns(tail)
        return _per_job(jobs, tuple(a + b for a, b in zip(first, second)))  # type: ignore[arg-type]

    return finish


def _per_job(jobs: list[tuple[int, list[str]]], flat: tuple[array, array, array]) -> list[tuple[array, array, array]]:
    out, at = [], 0
    for _, names in jobs:
        out.append(tuple(column[at: at + len(names)] for column in flat))
        at += len(names)
    return out  # type: ignore[return-value]


def _split(jobs: list[tuple[int, list[str]]], at: int) -> tuple[list[tuple[int, list[str]]], list[tuple[int, list[str]]]]:
    head: list[tuple[int, list[str]]] = []
    tail: list[tuple[int, list[str]]] = []
    for fd, names in jobs:
        take = max(0, min(len(names), at))
        if take:
            head.append((fd, names[:take]))
        if take < len(names):
            tail.append((fd, names[take:]))
        at -= take
    return head, tail


def _lstat_columns(jobs: list[tuple[int, list[str]]]) -> tuple[array, array, array]:
    sizes, mtimes, modes = array("q"), array("q"), array("q")
    lstat = os.lstat
    for fd, names in jobs:
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


def _forked(jobs: list[tuple[int, list[str]]], n: int):  # type: ignore[no-untyped-def]
    """Start a child lstat-ing the `n` names of `jobs` into shared memory; returns a function
    that waits for it and gives its columns, or None if no child could be started (then the
    caller does it)."""
    import mmap

    try:
        shared = mmap.mmap(-1, 24 * n + 1)  # anonymous and shared with the child
        pid = os.fork()
    except (OSError, ValueError):
        return None
    if pid == 0:  # the child: fill the shared columns, then leave without any clean-up
        code = 1
        try:
            columns = _lstat_columns(jobs)
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
