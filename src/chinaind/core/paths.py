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
    """$CHINAIND_CACHE_DIR, else $XDG_CACHE_HOME/chinaind, else ~/.cache/chinaind. An empty or
    relative XDG_CACHE_HOME or HOME is ignored (the XDG rule): `HOME=''` must not put the cache
    in whatever folder the run starts in, `/` included."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else _home() / ".cache"
    return base / "chinaind"


def _home() -> Path:
    """$HOME when it is an absolute path, else the account's home folder, else a folder of
    this user's own under the temporary folder."""
    home = os.environ.get("HOME", "")
    if os.path.isabs(home):
        return Path(home)
    try:
        import pwd

        home = pwd.getpwuid(os.getuid()).pw_dir
    except (ImportError, KeyError, OSError):
        home = ""
    if os.path.isabs(home) and home != "/":
        return Path(home)
    import tempfile

    return Path(tempfile.gettempdir()) / f"chinaind-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
