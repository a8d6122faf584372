"""Finding record files: the first thing every run does, and at 100,000 files most of a warm
query's time, so it is built around two facts measured here. Listing a folder and lstat-ing
each name relative to the open folder is about a fifth cheaper than scandir plus DirEntry.stat;
and lstat calls split between this process and a forked child take half the wall time on two
cores (threads do not help: the Python half of each call holds the GIL).

A scan is kept as columns per folder (names, and each stat field as a packed array), so that
"has anything changed since the cache was written" is one comparison of bytes, with no
per-file object built at all. Size and mtime alone miss a rewrite that keeps both (`cp -p`,
`rsync -a`, `tar x`, `touch -d`, an editor restoring timestamps): like git's index, the scan
also keeps the inode, the device and the change time, which no user can set back.
"""

from __future__ import annotations

import os
from array import array
from pathlib import Path
from stat import S_IFMT, S_IFREG, S_ISDIR, S_ISLNK
from typing import Any, Callable, NamedTuple

from .errors import UsageError
from .kinds import FOLDERS

YAML_SUFFIXES = (".yaml", ".yml")
# Below this many names, forking a helper costs more than the calls it takes over.
FORK_MIN = 4096
# This process's share of the lstat calls when a child helps: the child takes the larger
# share, since this process has the cache to check meanwhile.
PARENT_SHARE = 0.42
_SEP = "\x00"  # between names in a folder's joined name column: no file name holds it


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


# The stat fields kept per file, in column order, with each column's array type (inodes and
# devices are unsigned 64-bit numbers).
STAT_FIELDS = ("size", "mtime", "mode", "ino", "ctime", "dev")
TYPECODES = ("q", "q", "q", "Q", "q", "Q")
NCOLUMNS = len(STAT_FIELDS)


class Folder(NamedTuple):
    """One folder's columns: each stat column is a packed 64-bit array, a value per name. A
    symlink inside the data directory carries its target's stat; one leading outside it, or
    dangling, has mode 0. Stored in the cache as a plain tuple (marshal takes no NamedTuple)."""

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


def as_folders(stored: list[tuple[Any, ...]]) -> list[Folder]:
    """A scan as the cache stores it (plain tuples), as Folders."""
    return [Folder._make(f) for f in stored]


def storable(folders: list[Folder]) -> list[tuple[Any, ...]]:
    return [tuple(f) for f in folders]


def scan(data_dir: Path) -> list[Folder]:
    """The columns of every folder under the type folders, skipping hidden entries, symlinks
    that lead outside the data directory, and folders already visited (link loops)."""
    return start(data_dir).result()


class PendingScan:
    """A scan whose child may still be lstat-ing its share: the caller can do other work (read
    the cache) in the meantime, then call result()."""

    def __init__(self, data_dir: Path, share: float = 0.42) -> None:
        from .prefetch import adopt

        self.root = data_dir.resolve()
        self.seen: set[tuple[int, int]] = set()
        self.out: list[Folder] = []
        self.helper: Helper | None = None
        adopted = adopt(data_dir, self.seen)  # the listing a child started at launch, if any
        if adopted is not None:
            self.listed, self.helper = adopted
            jobs = [(fd, names) for _, _, _, fd, names in self.listed]
            self.waiting = lambda: _per_job(jobs, self.helper.columns())  # type: ignore[union-attr]
            return
        self.listed = top_listing(data_dir, self.root, self.seen)
        self.waiting = _lstat_all([(fd, names) for _, _, _, fd, names in self.listed], share)

    def differs_already(self, before: list[Folder]) -> bool:
        """Whether the part the child has done already differs from the scan `before` (so a
        caller can get ready to validate while the rest is done). False when unsure."""
        if self.helper is None:
            return False
        top = [(rtype, prefix, _SEP.join(names)) for rtype, _, prefix, _, names in self.listed]
        done = as_folders(before[: len(top)])
        if [(f.rtype, f.prefix, f.joined) for f in done] != top:
            return True
        return self.helper.differs([b"".join(column) for column in zip(*(f.stats() for f in done))])

    def result(self) -> list[Folder]:
        listed, columns = self.listed, self.waiting()
        while listed:  # a level of folders at a time
            pending = []
            try:
                for (rtype, path, prefix, fd, names), stats in zip(listed, columns):
                    modes = stats[2]
                    for i, mode in enumerate(modes):
                        if S_ISLNK(mode):
                            _follow(path, fd, names[i], self.root, i, stats)
                            mode = modes[i]
                        if S_ISDIR(mode):
                            pending.append((rtype, path / names[i], f"{prefix}{names[i]}/"))
                    self.out.append(Folder(rtype, prefix, _SEP.join(names), *(c.tobytes() for c in stats)))
            finally:
                for found in listed:
                    os.close(found[3])
            listed = [found for rtype, path, prefix in pending if (found := _list(path, prefix, rtype, self.seen))]
            columns = _lstat_all([(fd, names) for _, _, _, fd, names in listed], 0.5)() if listed else []
        return self.out


def top_listing(data_dir: Path, root: Path, seen: set[tuple[int, int]]) -> list[tuple[str, Path, str, int, list[str]]]:
    """(type, path, prefix, open fd, visible names) of each type folder."""
    if not any((data_dir / folder).is_dir() for folder in FOLDERS.values()):
        raise UsageError(
            f"{data_dir} is not a knowledge base: it has none of the folders "
            f"{', '.join(f + '/' for f in FOLDERS.values())}"
        )
    top = [(rtype, data_dir / folder, f"{folder}/") for rtype, folder in FOLDERS.items()
           if (data_dir / folder).is_dir()
           and (not (data_dir / folder).is_symlink() or _inside(str(data_dir / folder), root))]
    return [found for rtype, path, prefix in top if (found := _list(path, prefix, rtype, seen))]


def start(data_dir: Path, share: float | None = None) -> PendingScan:
    """Begin a scan: this process does `share` of the lstat calls before returning (the
    default leaves it time to read the cache while a child does the rest)."""
    return PendingScan(data_dir, PARENT_SHARE if share is None else share)


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
            for column, value in zip(stats, _fields(st)):
                column[i] = value
            return
    except OSError:
        pass
    stats[2][i] = 0


def _fields(st: os.stat_result) -> tuple[int, ...]:
    """A stat's values in STAT_FIELDS order."""
    return st.st_size, st.st_mtime_ns, st.st_mode, st.st_ino, st.st_ctime_ns, st.st_dev


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
        return _per_job(jobs, tuple(a + b for a, b in zip(first, helper.columns())))  # type: ignore[arg-type]

    return finish


def _per_job(jobs: list[tuple[int, list[str]]], flat: tuple[array, ...]) -> list[tuple[array, ...]]:
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


def _lstat_columns(jobs: list[tuple[int, list[str]]]) -> tuple[array, ...]:
    return _lstat_items([(fd, name) for fd, names in jobs for name in names])


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
        for k, column in enumerate(_lstat_items(self.items[lo:hi])):
            start = self.columns_at + (k * self.n + lo) * 8
            self.shared[start: start + (hi - lo) * 8] = column.tobytes()
        self.shared[at] = self.DONE
        return True

    def differs(self, before: list[bytes]) -> bool:
        """Whether a chunk done so far has other stats than these packed columns."""
        n, at = self.n, self.columns_at
        for c in range(self.chunks):
            if self.shared is None or self.shared[self.states_at + c] != self.DONE:
                continue
            lo, hi = c * self.CHUNK * 8, min(n, (c + 1) * self.CHUNK) * 8
            for k, column in enumerate(before):
                if self.shared[at + 8 * k * n + lo: at + 8 * k * n + hi] != column[lo:hi]:
                    return True
        return False

    def columns(self) -> tuple[array, ...]:
        if self.pid < 0:  # no child: do it all here
            return _lstat_items(self.items)
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


def _lstat_items(items: list[tuple[int, str]]) -> tuple[array, ...]:
    columns = tuple(array(code) for code in TYPECODES)
    sizes, mtimes, modes, inos, ctimes, devs = (column.append for column in columns)
    lstat = os.lstat
    for fd, name in items:
        try:
            st = lstat(name, dir_fd=fd)
        except OSError:
            for column in columns:
                column.append(0)
            continue
        sizes(st.st_size)
        mtimes(st.st_mtime_ns)
        modes(st.st_mode)
        inos(st.st_ino)
        ctimes(st.st_ctime_ns)
        devs(st.st_dev)
    return columns


def _inside(path: str, root: Path) -> bool:
    try:
        return Path(os.path.realpath(path)).is_relative_to(root)
    except OSError:
        return False


def stem_of(rel: str) -> str:
    name = rel.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0]
