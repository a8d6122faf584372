"""Where the knowledge base and the cache live. Every path can be overridden from the environment."""

from __future__ import annotations

import os
from pathlib import Path

from chinaind.core.errors import UsageError

DATA_ENV = "CHINAIND_DATA"
CACHE_ENV = "CHINAIND_CACHE_DIR"


# The package folder: chinaind/ (this file is chinaind/core/paths.py).
PACKAGE_DIR = Path(__file__).resolve().parent.parent


def bundled_data_dir() -> Path:
    """The records shipped with chinaind: inside an installed wheel, or the repository checkout."""
    packaged = PACKAGE_DIR / "_data"
    if packaged.is_dir():
        return packaged
    # An editable install or a source checkout reads the repository's top-level data/.
    return PACKAGE_DIR.parent.parent / "data"


def resolve_data_dir(explicit: str | os.PathLike[str] | None) -> Path:
    """Explicit option, then $CHINAIND_DATA, then the bundled records; checked to be usable."""
    chosen = explicit if explicit not in (None, "") else os.environ.get(DATA_ENV) or None
    path = Path(chosen) if chosen is not None else bundled_data_dir()
    origin = "--data-dir" if explicit not in (None, "") else (DATA_ENV if chosen else "bundled data")
    if "\x00" in str(path):
        raise UsageError(f"{origin}: the path contains a NUL byte")
    try:
        path.stat()
    except FileNotFoundError:
        raise UsageError(f"{origin}: {path} does not exist; pass a knowledge base folder") from None
    except OSError as exc:
        raise UsageError(f"{origin}: cannot use {path}: {exc.strerror}") from None
    if not path.is_dir():
        raise UsageError(f"{origin}: {path} is a file, not a folder; pass a knowledge base folder")
    if not os.access(path, os.R_OK | os.X_OK):
        raise UsageError(f"{origin}: {path} is not readable; check its permissions")
    return path


def cache_dir() -> Path:
    """$CHINAIND_CACHE_DIR, else $XDG_CACHE_HOME/chinaind, else ~/.cache/chinaind."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "chinaind"
