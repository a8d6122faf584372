"""What a scan reports instead of dropping silently: folders that cannot be listed, entries
that cannot be stat-ed, and names that are not valid UTF-8 (listdir gives their bytes as lone
surrogates). Each is a located problem, so that a record never quietly disappears.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from chinaind.core.errors import Problem

# Errors meaning a name went away between listing and stat-ing it: as if never there.
VANISHED = frozenset({errno.ENOENT, errno.ENOTDIR})
_SEP = "\x00"


def report(problems: list[Problem], path: Path, exc: OSError) -> None:
    if exc.errno not in VANISHED:
        problems.append(unreadable(path, exc.errno or errno.EIO, "list this folder"))


def unreadable(path: Path, code: int, what: str) -> Problem:
    """The problem of a folder or file under a type folder that cannot be listed or read:
    its records would otherwise quietly disappear."""
    return Problem(display(path), 1, 1, f"cannot {what} ({os.strerror(code)}); {what_to_do(code)}")


def what_to_do(code: int | None) -> str:
    """The advice for an errno met listing or reading a record's folder or file."""
    if code == errno.ENAMETOOLONG:
        return "the path is longer than the system allows; shorten folder or file names, or move the knowledge base"
    if code in (errno.EACCES, errno.EPERM):
        return "check its permissions"
    return "check the name and the file system"


def display(path: Path) -> str:
    """A path as text that can be printed: bytes that are not UTF-8 written as \\xNN (as
    given, they would make writing the problem itself fail on a UTF-8 terminal)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def undecodable(names: list[str]) -> set[int]:
    """Indexes of the names that are not valid UTF-8 (listdir gives their bytes as lone
    surrogates). One test of the joined names decides for the common case."""
    joined = _SEP.join(names)
    if joined.isascii():
        return set()
    try:
        joined.encode("utf-8")
        return set()
    except UnicodeEncodeError:
        return {i for i, name in enumerate(names) if not _utf8(name)}


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def not_utf8(path: Path) -> Problem:
    raw = os.fsencode(path.name)
    try:
        raw.decode("utf-8")
        byte = ""
    except UnicodeDecodeError as exc:
        byte = f" (byte 0x{raw[exc.start]:02x})"
    return Problem(display(path), 1, 1, f"the name is not valid UTF-8{byte}, so its records cannot be named; rename it in UTF-8")


