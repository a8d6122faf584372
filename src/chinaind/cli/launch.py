"""The `chinaind` command's entry point: the standard descriptors made safe, then the CLI."""

from __future__ import annotations

import os


def main() -> None:
    _occupy_standard_fds()
    from chinaind.cli.commands import main as run

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
