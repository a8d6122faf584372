"""Whether a stream is a terminal: the one test every layer asks before decorating output."""

from __future__ import annotations

from typing import Any


def isatty(stream: Any) -> bool:
    """True for a terminal; False for a pipe, a file, a closed stream or an object without isatty."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False
