"""Finding record files: the first thing every run does, and at 100,000 files most of a warm
query's time, so it is built around two facts measured here. Listing a folder and lstat-ing
each name relative to the open folder is about a fifth cheaper than scandir plus DirEntry.stat;
and lstat calls split between this process and a forked child take half the wall time on two
cores (threads do not help: the Python half of each call holds the GIL).

A scan is kept as columns per folder (names, and each stat field as a packed array), so that
"has anything changed since the cache was written" is one digest per folder (freshness.py),
with no per-file object built at all. Size and mtime alone miss a rewrite that keeps both (`cp -p`,
`rsync -a`, `tar x`, `touch -d`, an editor restoring timestamps): like git's index, the scan
also keeps the inode, the device and the change time, which no user can set back.
"""

from __future__ import annotations

import errno
import os
from array import array
from pathlib import Path
from stat import S_IFMT, S_IFREG, S_ISDIR, S_ISLNK
from typing import Callable, NamedTuple

from chinaind.core.errors import Problem, UsageError
from chinaind.records.kinds import FOLDERS
from chinaind.store.scanproblems import VANISHED, not_utf8, report, undecodable, unreadable
from chinaind.store.statcolumns import MODE, NCOLUMNS, STAT_FIELDS, TYPECODES, Helper, detach_stdio, lstat_items, stat_fields

__all__ = ["FORK_MIN", "NCOLUMNS", "STAT_FIELDS", "TYPECODES", "FileEntry", "Folder", "Helper", "PendingScan",
           "detach_stdio", "entries", "files", "scan", "start", "stem_of", "top_listing"]

YAML_SUFFIXES = (".yaml", ".yml")
# Below this many names, forking a helper costs more than the calls it takes over.
FORK_MIN = 4096
# This process's share of the lstat calls when a child helps: the child takes the larger
# share, since this process has the cache to check meanwhile.
PARENT_SHARE = 0.42
_SEP = "\x00"  # between names in a folder's joined name column: no file name holds it
_FORMAT, _REGULAR = 0o170000, S_IFREG  # a mode's file-type bits, and those of a regular file


class FileEntry(NamedTuple):
    rel: str  # path relative to the data dir, with forward slashes
    rtype: str
    size: int
    mtime_ns: int
    ctime_ns: int = 0  # 0 when unknown (an entry made to re-read a file)

    @property
    def changed_ns(self) -> int:
        """When the file last changed as far as its stat tells: the later of mtime (which
        `touch -d` sets back) and ctime (which nothing sets back)."""
        return max(self.mtime_ns, self.ctime_ns)


class Folder(NamedTuple):
    """One folder's columns: each stat column is a packed 64-bit array, a value per name. A
    symlink inside the data directory carries its target's stat; one leading outside it, or
    dangling, has mode 0."""

    rtype: str
    prefix: str
    joined: str  # the names, joined by NUL
    sizes: bytes
    mtimes: bytes
    modes: bytes
    inos: bytes
    ctimes: bytes
    devs: bytes

    def stats(self) -> tuple[bytes, ...]:
        """The stat columns, in STAT_FIELDS order."""
        return self[3:]

    def names(self) -> list[str]:
        return self.joined.split(_SEP) if self.joined else []


def scan(data_dir: Path) -> list[Folder]:
    """The columns of every folder under the type folders, skipping hidden entries, symlinks
    that lead outside the data directory, and folders already visited (link loops)."""
    return start(data_dir).result()


class PendingScan:
    """A scan whose child may still be lstat-ing its share: the caller can do other work (read
    the cache) in the meantime, then call result()."""

    def __init__(self, data_dir: Path, share: float = 0.42) -> None:
        self.root = data_dir.resolve()
        self.seen: set[tuple[int, int]] = set()
        self.out: list[Folder] = []
        self.problems: list[Problem] = []  # what cannot be listed or read (see unreadable)
        self.listed = top_listing(data_dir, self.root, self.seen, self.problems)
        self.waiting = _lstat_all([(fd, names) for _, _, _, fd, names in self.listed], share)

    def result(self) -> list[Folder]:
        """The scan's folders; what could not be listed or read is in self.problems."""
        listed, columns = self.listed, self.waiting()
        while listed:  # a level of folders at a time
            pending: list[tuple[str, Path, str]] = []
            try:
                for (rtype, path, prefix, fd, names), stats in zip(listed, columns):
                    pending += self._examine(path, fd, names, stats, rtype, prefix)
                    self.out.append(Folder(rtype, prefix, _SEP.join(names), *(c.tobytes() for c in stats)))
            finally:
                for found in listed:
                    os.close(found[3])
            listed = [got for rtype, path, prefix in pending
                      if (got := _list(path, prefix, rtype, self.seen, self.problems))]
            columns = _lstat_all([(fd, names) for _, _, _, fd, names in listed], 0.5)() if listed else []
        return self.out

    def _examine(self, path: Path, fd: int, names: list[str], stats: tuple[array, ...], rtype: str,
                 prefix: str) -> list[tuple[str, Path, str]]:
        """Follow a folder's symlinks and report what cannot be read (its mode is then 0, as
        if absent); return its subfolders as (type, path, prefix)."""
        modes = stats[MODE]
        not_utf8_at = undecodable(names)
        subfolders = []
        # Only entries that are not plain regular files need a look (links, folders, failures):
        # picked out in one pass, so 100,000 record files cost one comparison each.
        odd = [i for i, mode in enumerate(modes) if mode & _FORMAT != _REGULAR or mode <= 0]
        for i in sorted(set(odd) | not_utf8_at):
            mode = modes[i]
            if mode > 0 and S_ISLNK(mode):  # (S_ISLNK refuses the negative modes below)
                _follow(path, fd, names[i], self.root, i, stats)
                mode = modes[i]
            if mode < 0:  # lstat failed for another reason than the name having vanished
                self.problems.append(unreadable(path / names[i], -mode, "read this entry"))
                modes[i] = 0
            elif i in not_utf8_at and (S_ISDIR(mode) or _is_record_name(names[i], mode)):
                self.problems.append(not_utf8(path / names[i]))
                modes[i] = 0
            elif S_ISDIR(mode):
                subfolders.append((rtype, path / names[i], f"{prefix}{names[i]}/"))
        return subfolders


def top_listing(data_dir: Path, root: Path, seen: set[tuple[int, int]],
                problems: list[Problem]) -> list[tuple[str, Path, str, int, list[str]]]:
    """(type, path, prefix, open fd, visible names) of each type folder; a type folder that
    cannot be listed is a problem in `problems`."""
    if not any((data_dir / folder).is_dir() for folder in FOLDERS.values()):
        raise UsageError(
            f"{data_dir} is not a knowledge base: it has none of the folders "
            f"{', '.join(f + '/' for f in FOLDERS.values())}"
        )
    top = [(rtype, data_dir / folder, f"{folder}/") for rtype, folder in FOLDERS.items()
           if (data_dir / folder).is_dir()
           and (not (data_dir / folder).is_symlink() or _inside(str(data_dir / folder), root))]
    return [found for rtype, path, prefix in top if (found := _list(path, prefix, rtype, seen, problems))]


def start(data_dir: Path, share: float | None = None) -> PendingScan:
    """Begin a scan: this process does `share` of the lstat calls before returning (the
    default leaves it time to read the cache while a child does the rest)."""
    return PendingScan(data_dir, PARENT_SHARE if share is None else share)


def _list(path: Path, prefix: str, rtype: str, seen: set[tuple[int, int]],
          problems: list[Problem]) -> tuple[str, Path, str, int, list[str]] | None:
    """(type, path, prefix, open fd, visible names) of a folder not seen before, else None
    (with a problem when it exists but cannot be listed)."""
    try:
        st = path.stat()
        if (st.st_dev, st.st_ino) in seen:
            return None
        seen.add((st.st_dev, st.st_ino))
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        report(problems, path, exc)
        return None
    try:
        return rtype, path, prefix, fd, [n for n in os.listdir(fd) if n[0] != "."]
    except OSError as exc:
        os.close(fd)
        report(problems, path, exc)
        return None


def _is_record_name(name: str, mode: int) -> bool:
    return S_IFMT(mode) == S_IFREG and name.lower().endswith(YAML_SUFFIXES)


def entries(folders: list[Folder]) -> list[FileEntry]:
    """The record files of a scan, sorted by path (the order records load in)."""
    found: list[FileEntry] = []
    for folder in folders:
        if not folder.joined:
            continue
        rtype, prefix = folder.rtype, folder.prefix
        for name, size, mtime, mode, ctime in zip(folder.names(), _q(folder.sizes), _q(folder.mtimes),
                                                  _q(folder.modes), _q(folder.ctimes)):
            if S_IFMT(mode) == S_IFREG and name.lower().endswith(YAML_SUFFIXES):
                found.append(FileEntry(prefix + name, rtype, size, mtime, ctime))
    found.sort()  # by path: FileEntry tuples start with it, and the plain sort runs in C
    return found


def files(data_dir: Path) -> list[FileEntry]:
    return entries(scan(data_dir))


def _q(packed: bytes) -> memoryview:
    return memoryview(packed).cast("q")


def _follow(folder: Path, fd: int, name: str, root: Path, i: int, stats: tuple[array, ...]) -> None:
    """Give a symlink its target's stat, or mode 0 when it leads outside the data directory."""
    try:
        if _inside(os.path.join(folder, name), root):
            st = os.stat(name, dir_fd=fd)
            for column, value in zip(stats, stat_fields(st)):
                column[i] = value
            return
    except OSError as exc:
        # A dangling link or a loop is skipped; a target that cannot be read is reported.
        if exc.errno not in VANISHED and exc.errno != errno.ELOOP:
            stats[MODE][i] = -(exc.errno or errno.EIO)
            return
    stats[MODE][i] = 0


def _lstat_all(jobs: list[tuple[int, list[str]]], share: float) -> Callable[[], list[tuple[array, ...]]]:
    """Lstat each job's names in the folder open as its fd, giving the stat columns per
    job; a name that vanished or cannot be read gets mode 0 (as if absent). With many names,
    a forked child takes all but `share` of them at the same time: this returns once this
    process has done its part, and the function it returns waits for the child."""
    total = sum(len(names) for _, names in jobs)
    if total < FORK_MIN or not hasattr(os, "fork"):
        flat = _lstat_columns(jobs)
        return lambda: _per_job(jobs, flat)
    cut = int(total * share)
    head, tail = _split(jobs, cut)
    helper = Helper.fork(tail, total - cut)
    first = _lstat_columns(head)

    def finish() -> list[tuple[array, ...]]:
        return _per_job(jobs, tuple(a + b for a, b in zip(first, helper.columns())))

    return finish


def _per_job(jobs: list[tuple[int, list[str]]], flat: tuple[array, ...]) -> list[tuple[array, ...]]:
    out, at = [], 0
    for _, names in jobs:
        out.append(tuple(column[at: at + len(names)] for column in flat))
        at += len(names)
    return out


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


def _lstat_columns(jobs: list[tuple[int, list[str]]]) -> tuple[array, ...]:
    return lstat_items([(fd, name) for fd, names in jobs for name in names])


def _inside(path: str, root: Path) -> bool:
    try:
        return Path(os.path.realpath(path)).is_relative_to(root)
    except OSError:
        return False


def stem_of(rel: str) -> str:
    name = rel.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0]
