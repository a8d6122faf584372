"""The library's exception hierarchy. The CLI maps each class to an exit code in one place."""

from __future__ import annotations

import errno
from typing import NamedTuple


# NamedTuple rather than a dataclass: importing dataclasses and generating their methods
# costs a few milliseconds on every run of a command-line tool.
class Problem(NamedTuple):
    """One located problem in a knowledge base."""

    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "col": self.col, "message": self.message}


class ChinaindError(Exception):
    """Base of every error chinaind reports to a user."""

    exit_code = 1


class NotFoundError(ChinaindError):
    """A named thing (agency, technology, company, sector, id) does not exist."""

    exit_code = 1

    def __init__(self, what: str, name: str, suggestions: list[str] | None = None, ambiguous: bool = False) -> None:
        self.what = what
        self.name = name
        self.suggestions = suggestions or []
        if ambiguous:
            message = f"{name!r} matches several of them, give one: {', '.join(self.suggestions)}"
            super().__init__(f"{what}: {message}")
            return
        hint = f"; closest: {', '.join(self.suggestions)}" if self.suggestions else ""
        super().__init__(f"no {what} matches {name!r}{hint}")


class UsageError(ChinaindError):
    """The command line itself is wrong (bad date, bad option value, bad data dir)."""

    exit_code = 2


class OSFailure(ChinaindError):
    """The operating system refused a read or a write: permission denied, no space left, a
    read-only file system, a path that vanished, a closed or full output."""

    exit_code = 74  # EX_IOERR, as sysexits.h numbers it

    @classmethod
    def of(cls, doing: str, exc: OSError) -> "OSFailure":
        """`doing` says what failed ("export sqlite: cannot write x.db"); the system's reason
        and what to do follow."""
        reason = exc.strerror or str(exc) or type(exc).__name__
        hint = _OS_HINTS.get(exc.errno or 0)
        return cls(f"{doing}: {reason}" + (f"; {hint}" if hint else ""))


# What to do about the errors a user can meet, by errno.
_SPACE = "free some space, or write somewhere else"
_OS_HINTS = {
    errno.ENOSPC: _SPACE,
    errno.EDQUOT: _SPACE,
    errno.EFBIG: "the file would be larger than this system allows; write somewhere else",
    errno.EACCES: "check the permissions, or write somewhere else",
    errno.EPERM: "check the permissions, or write somewhere else",
    errno.EROFS: "the file system is read-only; write somewhere else",
    errno.ENOENT: "check the path",
    errno.ENOTDIR: "a part of the path is not a folder; check the path",
    errno.EIO: "the device reported an error; check it, or write somewhere else",
    errno.EBADF: "the output is closed",
}


class InvalidKnowledgeBase(ChinaindError):
    """The knowledge base has problems; all of them are carried, not only the first."""

    exit_code = 3

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"the knowledge base has {len(problems)} {noun}")


class MissingExtra(UsageError):
    """A command needs an optional dependency that is not installed (pip install 'chinaind[extra]')."""

    def __init__(self, command: str, package: str, extra: str) -> None:
        super().__init__(f"{command}: {package} is not installed; install it with: pip install 'chinaind[{extra}]'")
