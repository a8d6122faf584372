"""The `chinaind` command's entry point: the standard descriptors made safe, then the CLI.
Only os and sys are imported here: `paths` asks this module where the bundled data lies
without importing the CLI."""

from __future__ import annotations

import os
import sys


def main() -> None:
    _occupy_standard_fds()
    from .cli import main as run

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


def bundled_data_path() -> str:
    """The records shipped with chinaind: inside an installed wheel, or the repository checkout."""
    here = os.path.dirname(os.path.realpath(__file__))
    packaged = os.path.join(here, "_data")
    if os.path.isdir(packaged):
        return packaged
    # An editable install or a source checkout reads the repository's top-level data/.
    return os.path.join(os.path.dirname(os.path.dirname(here)), "data")
