"""Whether the cache still describes the files: what every run checks before it may answer
from the cache, kept apart from the refresh so that a warm run imports no more than this.

Per folder, a digest of the scan's listing and stat columns is compared with the stored one.
A file written within RACY_NS of a refresh may change again within the same mtime tick, unseen
by its stat: the refresh keeps the CRC of its content, and every run re-reads such files until
that window has passed.
"""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

try:  # hashlib's own import (OpenSSL) costs several ms on every run; BLAKE2 is built in
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - another Python implementation
    from hashlib import blake2b

from chinaind.store.scan import Folder

RACY_NS = 2_000_000_000


def snapshot(folder: Folder) -> bytes:
    """A digest of a folder's listing and stat columns, stored to compare the next scan with:
    16 bytes instead of the columns themselves (some megabytes at 100,000 files, which every
    edit would rewrite). BLAKE2, so that no change of stat data can go unseen by a collision.
    A run asks for each folder's digest up to three times (check, plan, store): computed once."""
    known = _DIGESTS.get(id(folder))
    if known is not None and known[0] is folder:
        return known[1]
    digest = blake2b(folder.joined.encode("utf-8", "surrogateescape") + b"\x00" + b"".join(folder.stats()),
                     digest_size=16).digest()
    if len(_DIGESTS) >= 256:
        _DIGESTS.clear()
    _DIGESTS[id(folder)] = (folder, digest)  # the folder kept with it: its id cannot be reused
    return digest


_DIGESTS: dict[int, tuple[Folder, bytes]] = {}


def unchanged(conn: sqlite3.Connection, folders: list[Folder]) -> bool:
    stored = {prefix: (rtype, stats) for prefix, rtype, stats in conn.execute("SELECT prefix, rtype, digest FROM folders")}
    return stored == {f.prefix: (f.rtype, snapshot(f)) for f in folders}


def same(before: list[Folder], after: list[Folder]) -> bool:
    """Whether two scans saw the same listings and stat data."""
    return [(f.prefix, f.rtype, snapshot(f)) for f in before] == [(f.prefix, f.rtype, snapshot(f)) for f in after]


def racy_suspects(conn: sqlite3.Connection, data_dir: Path) -> set[str]:
    """Rels of files stored as racy whose content no longer has the stored CRC."""
    from chinaind.records.fileread import NotRegular, Oversized, read_record_file

    out = set()
    for rel, crc in conn.execute("SELECT rel, crc FROM files WHERE racy = 1"):
        try:
            if zlib.crc32(read_record_file(data_dir / rel)) != crc:
                out.add(rel)
        except (OSError, Oversized, NotRegular):
            out.add(rel)
    return out


def settle(conn: sqlite3.Connection, now_ns: int) -> None:
    """Stop re-reading racy files old enough to trust their stat."""
    conn.execute("UPDATE files SET racy = 0, crc = NULL WHERE racy = 1 AND max(mtime_ns, ctime_ns) < ?",
                 (now_ns - RACY_NS,))


def has_racy(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT EXISTS (SELECT 1 FROM files WHERE racy = 1)").fetchone()[0] == 1
