"""A knowledge base as it was at a git revision, or as the index stages it, written into a
temporary folder of its own (for `diff --rev` and `validate --staged`).

Read-only towards the repository: `git rev-parse` finds the repository and the revision,
`git ls-tree` (or `git ls-files --stage`) lists the record files, `git cat-file --batch` reads
their blobs as stored. Nothing obeys `.gitattributes` (no `export-ignore` hiding a record, no
`export-subst` rewriting one, no filters), only files under the type folders with a record
suffix are read, and a blob over the size limit is never read: it is written as a sparse file
of its size, so that the loader refuses it by its size, as in the working tree. Nothing is
written into the working tree, the index or the repository.
"""

from __future__ import annotations

import os
import posixpath
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from chinaind.core.errors import NotFoundError, UsageError
from chinaind.records.fileread import MAX_RECORD_BYTES
from chinaind.records.kinds import FOLDERS

if TYPE_CHECKING:
    from chinaind.store.loader import LoadResult

_SUFFIXES = (b".yaml", b".yml")
_BLOB_MODES = (b"100644", b"100755")
_LINK_MODE = b"120000"


class Revision(NamedTuple):
    toplevel: Path  # the repository's working tree
    prefix: str  # the knowledge base folder inside it, "" at its root, else ending in "/"
    commit: str  # the revision as a full commit id
    name: str  # the revision as the user wrote it

    @property
    def label(self) -> str:
        """How problems and titles name the revision's knowledge base: `HEAD~1:data/`."""
        return f"{self.name}:{self.prefix}"


class Blob(NamedTuple):
    """A file as git stores it: its path inside the knowledge base, mode, object id, size."""

    path: bytes
    mode: bytes
    oid: bytes
    size: int


def _env() -> dict[str, str]:
    # No pager, no prompt, no locale-dependent messages: git's output is parsed or dropped.
    return {**os.environ, "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


def _git(directory: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=directory, env=_env(), capture_output=True)
    except FileNotFoundError:
        raise UsageError("git is not installed (or not on PATH)") from None


def _one_value(out: bytes) -> str:
    """A value git printed on a line of its own: only the final newline is git's (a folder's
    name may hold one)."""
    return os.fsdecode(out[:-1] if out.endswith(b"\n") else out)


def repository(directory: Path, what: str) -> tuple[Path, str]:
    """(the working tree, the folder's prefix inside it) of the repository holding `directory`."""
    top = _git(directory, "rev-parse", "--show-toplevel")
    prefix = _git(directory, "rev-parse", "--show-prefix")
    if top.returncode != 0 or prefix.returncode != 0 or not top.stdout.strip():
        raise UsageError(f"{what}: {directory} is not in a git repository (or in one without a working tree)")
    return Path(_one_value(top.stdout)), _one_value(prefix.stdout)


def resolve(directory: Path, rev: str) -> Revision:
    """The revision `rev` of the repository holding `directory`; one-line errors when there
    is no repository or no such revision."""
    if not rev or rev.startswith("-") or "\x00" in rev:
        raise UsageError(f"diff --rev: {rev!r} is not a revision; give one like HEAD~1, a branch, a tag or a commit id")
    toplevel, prefix = repository(directory, "diff --rev")
    commit = _git(directory, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    if commit.returncode != 0:
        raise NotFoundError("git revision", rev)
    return Revision(toplevel, prefix, commit.stdout.decode("ascii").strip(), rev)


def export(revision: Revision, dest: Path) -> None:
    """Write the knowledge base's record files at the revision into `dest` (an empty folder)."""
    shown = revision.prefix.rstrip("/")
    tree = f"{revision.commit}:{shown}" if revision.prefix else revision.commit
    if _git(revision.toplevel, "cat-file", "-e", tree).returncode != 0:
        raise UsageError(f"diff --rev: {shown} does not exist at {revision.name}; "
                         "give a revision that has the knowledge base")
    listed = _git(revision.toplevel, "ls-tree", "-r", "-z", "-l", "--end-of-options", tree)
    if listed.returncode != 0:
        raise UsageError(f"diff --rev: git ls-tree failed: {_last_line(listed.stderr)}")
    blobs = []
    for entry in listed.stdout.split(b"\x00"):
        if entry:
            meta, _, path = entry.partition(b"\t")
            mode, kind, oid, size = meta.split()
            if kind == b"blob":
                blobs.append(Blob(path, mode, oid, int(size)))
    write_blobs(revision.toplevel, blobs, dest)


@contextmanager
def exported(revision: Revision) -> Iterator[Path]:
    """The revision's knowledge base in a temporary folder, removed when the block ends
    (normally, by an error, or by SIGINT, SIGTERM or SIGHUP)."""
    from chinaind.core.safewrite import temporary_folder

    with temporary_folder("chinaind-diff-") as folder:
        export(revision, folder)
        yield folder


@contextmanager
def staged(directory: Path) -> Iterator[Path]:
    """The knowledge base in `directory` as the index of its repository stages it (what a
    commit would hold: staged edits, not unstaged ones nor untracked files) in a temporary
    folder, removed when the block ends."""
    from chinaind.core.safewrite import temporary_folder

    what = "validate --staged"
    toplevel, prefix = repository(directory, what)
    spec = [f":(top,literal){prefix}"] if prefix else []
    listed = _git(toplevel, "ls-files", "--stage", "-z", "--full-name", "--", *spec)
    if listed.returncode != 0:
        raise UsageError(f"{what}: git ls-files failed: {_last_line(listed.stderr)}")
    entries = []
    raw_prefix = os.fsencode(prefix)
    for entry in listed.stdout.split(b"\x00"):
        meta, _, path = entry.partition(b"\t")
        fields = meta.split()
        # Stage 0 only: a file with a merge conflict has none, and git commits nothing of it.
        if len(fields) == 3 and fields[2] == b"0" and path.startswith(raw_prefix):
            entries.append((path[len(raw_prefix):], fields[0], fields[1]))
    sizes = _sizes(toplevel, [oid for _, _, oid in entries])
    blobs = [Blob(path, mode, oid, sizes[oid]) for path, mode, oid in entries if oid in sizes]
    with temporary_folder("chinaind-staged-") as folder:
        write_blobs(toplevel, blobs, folder)
        yield folder


def load_staged(data_dir: Path) -> "LoadResult":
    """`validate --staged`: the knowledge base as staged, loaded without the cache, its
    problems named by their paths in the working tree (the files the user edits)."""
    from chinaind.store.loader import load

    with staged(data_dir) as folder:
        try:
            result = load(folder, use_cache=False, skip_invalid=True)
        except UsageError as exc:  # not a knowledge base at all
            raise UsageError(str(exc).replace(str(folder), f"{data_dir} (as staged)")) from None
    root = str(folder) + os.sep
    result.problems = [p._replace(path=str(data_dir / p.path[len(root):])) if p.path.startswith(root) else p
                       for p in result.problems]
    return result


def _sizes(toplevel: Path, oids: list[bytes]) -> dict[bytes, int]:
    """Object id -> size of the blobs among `oids` (`git cat-file --batch-check`)."""
    if not oids:
        return {}
    try:
        out = subprocess.run(["git", "cat-file", "--batch-check"], cwd=toplevel, env=_env(), capture_output=True,
                             input=b"".join(oid + b"\n" for oid in dict.fromkeys(oids))).stdout
    except FileNotFoundError:
        raise UsageError("git is not installed (or not on PATH)") from None
    sizes = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] == b"blob":
            sizes[fields[0]] = int(fields[2])
    return sizes


def record_path(path: bytes) -> bool:
    """Whether the loader would read this path of the knowledge base: inside a type folder,
    no hidden part, a record suffix."""
    parts = path.split(b"/")
    return (len(parts) >= 2 and os.fsdecode(parts[0]) in _TYPE_FOLDERS and path.lower().endswith(_SUFFIXES)
            and not any(part.startswith(b".") or not part for part in parts))


_TYPE_FOLDERS = frozenset(FOLDERS.values())


def write_blobs(toplevel: Path, blobs: list[Blob], dest: Path) -> None:
    """Write the record files among `blobs` under `dest`: regular files as stored, a symbolic
    link as a copy of the record it points at inside the knowledge base (as the scan of a
    working tree follows it), a blob over the size limit as a sparse file of its size."""
    by_path = {b.path: b for b in blobs if b.mode in _BLOB_MODES}
    wanted: list[tuple[bytes, Blob]] = []
    for blob in blobs:
        if not record_path(blob.path):
            continue
        target = blob if blob.mode in _BLOB_MODES else _link_target(toplevel, blob, by_path) \
            if blob.mode == _LINK_MODE else None
        if target is not None:
            wanted.append((blob.path, target))
    with _Reader(toplevel) as reader:
        for path, blob in wanted:
            out = dest / os.fsdecode(path)
            out.parent.mkdir(parents=True, exist_ok=True)
            with open(out, "xb") as fh:
                if blob.size > MAX_RECORD_BYTES:
                    fh.truncate(blob.size)  # refused by its size; nothing of it is read
                else:
                    fh.write(reader.read(blob))


def _link_target(toplevel: Path, link: Blob, by_path: dict[bytes, Blob]) -> Blob | None:
    """The regular file a symbolic link names inside the knowledge base, if it does."""
    if link.size > 4096:
        return None
    with _Reader(toplevel) as reader:
        target = reader.read(link)
    if target.startswith(b"/"):
        return None
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(link.path), target))
    return by_path.get(resolved) if not resolved.startswith(b"..") else None


def _last_line(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else "no reason given"


class _Reader:
    """`git cat-file --batch`: blobs by object id, one at a time, exactly as stored."""

    def __init__(self, toplevel: Path) -> None:
        self.toplevel = toplevel
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "_Reader":
        try:
            self.proc = subprocess.Popen(["git", "cat-file", "--batch"], cwd=self.toplevel, env=_env(),
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except FileNotFoundError:
            raise UsageError("git is not installed (or not on PATH)") from None
        return self

    def read(self, blob: Blob) -> bytes:
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(blob.oid + b"\n")
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            raise UsageError(f"git cat-file cannot read {os.fsdecode(blob.path)} ({blob.oid.decode('ascii', 'replace')})")
        size = int(header[2])
        data = self.proc.stdout.read(size)
        self.proc.stdout.read(1)  # the newline after the content
        return data

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            if self.proc.stdout is not None:
                self.proc.stdout.close()
            self.proc.wait()
