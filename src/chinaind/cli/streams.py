"""The standard streams as every command writes to them: a closed one gets a stand-in, an
output that the system refuses is one clear error (exit 74), a reader gone away ends the run
quietly, and an encoding that cannot write everything escapes what it cannot encode."""

from __future__ import annotations

import os
import sys
from typing import Any

from chinaind.core.errors import OSFailure


class _ClosedOutput:
    """Stands in for a stdout that was closed when chinaind started (`>&-`): what a command
    writes cannot go anywhere, which is an error (exit 74), as in other tools."""

    encoding = "utf-8"

    def write(self, text: str) -> int:
        raise OSFailure("cannot write the output: standard output is closed; give it a file or a pipe")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class GuardedOutput:
    """stdout as commands see it: a write or flush the system refuses (a full device, an I/O
    error) is an OSFailure naming the output, wherever the command wrote from; a reader gone
    away stays a BrokenPipeError, which ends the run quietly."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        if not text:
            # Click probes text streams with write(b"") and write(""): answer as a text
            # stream would, without touching a device that may refuse even that.
            if not isinstance(text, str):
                raise TypeError("write() argument must be str, not bytes")
            return 0
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            quiet_stdout()
            raise OSFailure.of("cannot write the output", exc) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            quiet_stdout()
            raise OSFailure.of("cannot write the output", exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _Discard(_ClosedOutput):
    """Stands in for a closed stderr: messages are lost, the exit status still tells."""

    def write(self, text: str) -> int:
        return len(text)


def prepare_streams() -> None:
    """A closed standard stream gets a stand-in; an output encoding that cannot write
    everything (PYTHONIOENCODING=ascii, a Latin-1 locale) writes what it cannot encode as
    \\u4e2d-style escapes instead of failing."""
    if sys.stdin is None:  # `<&-`: read as empty, like /dev/null
        import io

        sys.stdin = io.StringIO()
    if sys.stdout is None:
        sys.stdout = _ClosedOutput()
    if sys.stderr is None:
        sys.stderr = _Discard()
    for stream in (sys.stdout, sys.stderr):
        try:
            # Only a real TextIOWrapper has reconfigure; a stand-in raises AttributeError, caught below.
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            pass
    if not isinstance(sys.stdout, (GuardedOutput, _ClosedOutput)):
        sys.stdout = GuardedOutput(sys.stdout)


def quiet_stdout() -> None:
    # The reader went away (| head): point stdout at /dev/null so the final flush is silent.
    try:
        quiet_fd(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def quiet_fd(fd: int) -> None:
    """Point a standard descriptor that cannot be written at /dev/null, so that the flushes
    still to come (of what is buffered for it) succeed silently."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except OSError:
        pass


def err(line: str) -> None:
    """One line on stderr, escaped; a closed or full stderr loses it, and nothing else happens."""
    from chinaind.core.escape import one_line

    try:
        sys.stderr.write(one_line(line) + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        quiet_fd(2)
