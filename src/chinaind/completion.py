"""Values for shell completion (TAB): record ids and names read straight from the compiled
cache, with the standard library only. Completion runs the whole app on every TAB, so this
never imports Pydantic, PyYAML or Rich and never loads or validates a record file: without a
cache (no query has run on this knowledge base yet) it offers nothing rather than wait.
"""

from __future__ import annotations

import marshal
import os
from pathlib import Path
from typing import Any, Iterable

# Offered for free-text arguments when the prefix is empty: a shell would page through them all.
MAX_CANDIDATES = 200
# Record fields that name a record, besides its id (as the resolvers accept them).
NAME_FIELDS = ("name", "name_zh", "short_name_zh", "title", "title_zh")


def _data_dir(explicit: str | None) -> Path | None:
    from .paths import DATA_ENV, bundled_data_dir

    chosen = explicit or os.environ.get(DATA_ENV)
    try:
        path = Path(chosen) if chosen else bundled_data_dir()
        return path if path.is_dir() else None
    except (OSError, ValueError):
        return None


def _cache(data_dir: Path) -> Any:
    from .cache import Damaged, cache_file, read_cache

    try:
        data = read_cache(cache_file(data_dir), data_dir)
        return data if data and data.toc.get("valid") else None
    except (OSError, ValueError, Damaged):
        return None


def ids_of(rtype: str | None, incomplete: str, data_dir: str | None = None) -> list[str]:
    """Ids of one record type (all types when None) starting with `incomplete`."""
    root = _data_dir(data_dir)
    cache = _cache(root) if root else None
    if cache is None:
        return []
    ids: Iterable[str] = cache.get("by_type").get(rtype, []) if rtype else cache.get("ids")
    return _first([i for i in ids if i.startswith(incomplete)])


def names_of(rtype: str, incomplete: str, data_dir: str | None = None) -> list[str]:
    """Ids and names (English, Chinese, aliases) of one record type that start with
    `incomplete`. Case counts: Typer drops every candidate that does not start with the exact
    text typed. Only the records of that type are decoded from the heap."""
    root = _data_dir(data_dir)
    cache = _cache(root) if root else None
    if cache is None:
        return []
    wanted = cache.get("by_type").get(rtype, [])
    slots = {rid: n for n, rid in enumerate(cache.get("ids"))}
    offsets, lengths = (memoryview(b).cast("q") for b in cache.get("locations")[:2])
    found: dict[str, None] = {}
    for rid in wanted:
        slot = slots[rid]
        start = offsets[slot]
        record = marshal.loads(cache.heap[start: start + lengths[slot]])
        for name in _names(record):
            if name.startswith(incomplete):
                found.setdefault(name, None)
    return _first(list(found))


def _names(record: dict[str, Any]) -> list[str]:
    out = [record["id"]]
    out.extend(record[k] for k in NAME_FIELDS if isinstance(record.get(k), str))
    out.extend(a for a in record.get("aliases") or [] if isinstance(a, str))
    return out


def _first(values: list[str]) -> list[str]:
    return sorted(values)[:MAX_CANDIDATES]
