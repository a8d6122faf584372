"""A knowledge base as it was at a git revision, exported into a folder of its own.

Read-only towards the repository: `git rev-parse` and `git cat-file` to find the revision and
the folder, `git archive` to read its files. Nothing is written into the working tree, the
index or the repository.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
from pathlib import Path
from typing import Any, NamedTuple

from chinaind.core.errors import NotFoundError, UsageError


class Revision(NamedTuple):
    toplevel: Path  # the repository's working tree
    prefix: str  # the knowledge base folder inside it, "" at its root, else ending in "/"
    commit: str  # the revision as a full commit id
    name: str  # the revision as the user wrote it

    @property
    def label(self) -> str:
        """How problems and titles name the revision's knowledge base: `HEAD~1:data/`."""
        return f"{self.name}:{self.prefix}"


def _git(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # No pager, no prompt, no locale-dependent messages: git's output is parsed or dropped.
    env = {**os.environ, "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        return subprocess.run(["git", *args], cwd=directory, env=env, capture_output=True, text=True)
    except FileNotFoundError:
        raise UsageError("diff --rev: git is not installed (or not on PATH)") from None


def resolve(directory: Path, rev: str) -> Revision:
    """The revision `rev` of the repository holding `directory`; one-line errors when there
    is no repository or no such revision."""
    if not rev or rev.startswith("-") or "\x00" in rev:
        raise UsageError(f"diff --rev: {rev!r} is not a revision; give one like HEAD~1, a branch, a tag or a commit id")
    where = _git(directory, "rev-parse", "--show-toplevel", "--show-prefix")
    lines = where.stdout.splitlines()
    if where.returncode != 0 or len(lines) != 2:
        raise UsageError(f"diff --rev: {directory} is not in a git repository (or in one without a working tree)")
    commit = _git(directory, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    if commit.returncode != 0:
        raise NotFoundError("git revision", rev)
    return Revision(Path(lines[0]), lines[1], commit.stdout.strip(), rev)


def export(revision: Revision, dest: Path) -> None:
    """Write the knowledge base's files at the revision into `dest` (an empty folder)."""
    tree = f"{revision.commit}:{revision.prefix.rstrip('/')}" if revision.prefix else revision.commit
    if _git(revision.toplevel, "cat-file", "-e", tree).returncode != 0:
        raise UsageError(f"diff --rev: {revision.prefix.rstrip('/')} does not exist at {revision.name}; "
                         "give a revision that has the knowledge base")
    env = {**os.environ, "LC_ALL": "C"}
    with subprocess.Popen(["git", "archive", "--format=tar", tree], cwd=revision.toplevel, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        broken = None
        try:
            _extract(proc.stdout, dest)
        except tarfile.TarError as exc:  # a stream cut short: git's own message says why
            broken = exc
        error = proc.stderr.read().decode("utf-8", "replace").strip() if proc.stderr else ""
    if proc.returncode != 0 or broken is not None:
        why = error.splitlines()[-1] if error else broken or f"exit status {proc.returncode}"
        raise UsageError(f"diff --rev: git archive failed: {why}")


def _extract(stream: Any, dest: Path) -> None:
    with tarfile.open(fileobj=stream, mode="r|") as archive:
        for member in archive:
            kept = _inside(member, str(dest))
            if kept is not None:
                archive.extract(kept, dest, **_CHECKED)


# Members are checked by _inside before extraction; this tells tarfile not to check again.
_CHECKED: dict[str, Any] = {"filter": "fully_trusted"} if hasattr(tarfile, "data_filter") else {}


def _inside(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
    """The member if it stays inside the folder, else None: a symlink leading out is skipped,
    as a scan of the working tree skips it."""
    data_filter = getattr(tarfile, "data_filter", None)
    if data_filter is None:  # Python before 3.11.4: plain files and folders, relative paths
        name = member.name
        inside = not name.startswith("/") and ".." not in Path(name).parts
        return member if inside and (member.isfile() or member.isdir()) else None
    try:
        return data_filter(member, path)
    except tarfile.FilterError:
        return None
