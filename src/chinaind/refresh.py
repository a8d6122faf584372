"""Bringing the cache up to date with the files: validate only what changed, patch the
per-file columns, and write the new index (appending new record versions to the heap).

Columns are per file slot, slots in path order. When the set of files is unchanged (an edit,
the common case), slots keep their numbers and only the changed ones are patched; when files
were added, removed or renamed, every slot is mapped to its old one by path.
"""

from __future__ import annotations

import marshal
import os
import time
import zlib
from array import array
from bisect import insort
from stat import S_IFMT, S_IFREG
from pathlib import Path
from functools import cached_property
from typing import Any, Callable, NamedTuple

from .cache import (HEAP_MAGIC, HEAP_START, RACY_NS, CacheData, Damaged, _map, append_records, append_with,
                    heap_file, new_heap, text_intact, write_cache)
from .fileread import NotRegular, Oversized, read_record_file
from .kinds import FOLDERS
from .scan import TYPECODES, YAML_SUFFIXES, FileEntry, Folder, as_folders, entries
from .workers import Fresh, Spool

Record = dict[str, Any]
TYPE_OF_FOLDER = {folder: rtype for rtype, folder in FOLDERS.items()}


class Columns:
    """Per-slot columns of a cache, decoded when first read (none when there is no cache)."""

    def __init__(self, old: CacheData | None = None) -> None:
        self._old = old if old else None

    def _get(self, name: str, empty: Any) -> Any:
        return self._old.get(name) if self._old is not None else empty

    @cached_property
    def rels(self) -> list[str]:
        return self._get("rels", [])

    @cached_property
    def ids(self) -> list[Any]:
        return self._get("ids", [])

    @cached_property
    def facets(self) -> list[Any]:
        return self._get("facets", [])

    @cached_property
    def refs(self) -> list[Any]:
        return self._get("refs", [])

    @cached_property
    def problems(self) -> dict[int, list[Any]]:
        """slot -> [(line, col, message)], only slots that have some"""
        return self._get("problems", {})

    @cached_property
    def locations(self) -> tuple[Any, Any, Any]:
        """(offsets, lengths, crc32s) in the heap by slot; length 0 = no record"""
        if self._old is None:
            return (array("q"), array("q"), array("q"))
        return tuple(memoryview(b).cast("q") for b in self._old.get("locations"))  # type: ignore[return-value]

    @cached_property
    def texts(self) -> Any:
        from .textindex import TextIndex

        if self._old is None:
            return TextIndex.build([], [], HEAP_START)
        return text_index_of(self._old, self.ids)


def text_index_of(old: CacheData, ids: list[Any], position: dict[str, int] | None = None) -> Any:
    """The search text a cache holds, checked against its CRC (Damaged if it fails)."""
    from .textindex import TextIndex

    if not text_intact(old):
        raise Damaged("text")
    slots = tuple(old.raw(f"text_{name}") for name in ("starts", "splits", "ends"))
    segments = (old.raw("text_segments"), old.raw("text_segment_slots"))
    return TextIndex(ids, old.text, slots, segments, old.toc["text"][1], position)  # type: ignore[arg-type]


def changed_slots(old: CacheData, folders: list[Folder], suspects: set[int]) -> dict[int, FileEntry] | None:
    """When the same files exist as when the cache was written: slot -> entry for each file
    whose stat changed (or whose content did, `suspects`). None when files came or went."""
    before = as_folders(old.get("scan"))
    if len(before) != len(folders) or any(a[:3] != b[:3] or a.modes != b.modes for a, b in zip(before, folders)):
        return None
    perm, rels = memoryview(old.raw("perm")).cast("q"), old.get("rels")
    changed: dict[int, FileEntry] = {}
    base = 0
    for a, b in zip(before, folders):
        count = len(b.sizes) // 8
        if a.stats() != b.stats():  # one comparison of bytes per column: most folders stop here
            now = [memoryview(c).cast(t) for c, t in zip(b.stats(), TYPECODES)]
            then = [memoryview(c).cast(t) for c, t in zip(a.stats(), TYPECODES)]
            for i in range(count):
                if any(x[i] != y[i] for x, y in zip(now, then)):
                    slot = perm[base + i]
                    if slot >= 0:
                        st = Stat._make(column[i] for column in now)
                        changed[slot] = FileEntry(rels[slot], b.rtype, st.size, st.mtime, st.ctime)
        base += count
    for slot in suspects - set(changed):
        changed[slot] = _entry_now(old.data_dir, rels[slot])  # type: ignore[arg-type]
    return changed


class Stat(NamedTuple):
    """One name's values in a scan's columns (see scan.STAT_FIELDS)."""

    size: int
    mtime: int
    mode: int
    ino: int
    ctime: int
    dev: int


def _entry_now(data_dir: Path, rel: str) -> FileEntry:
    """An entry for a file whose content changed under an unchanged stat."""
    st = os.stat(data_dir / rel)
    return FileEntry(rel, TYPE_OF_FOLDER[rel.split("/", 1)[0]], st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _stats(folder: Folder | None) -> dict[str, tuple[int, ...]]:
    """name -> its values in every stat column (see Stat) of a scanned folder."""
    if folder is None or not folder.joined:
        return {}
    columns = (memoryview(c).cast(t) for c, t in zip(folder.stats(), TYPECODES))
    return dict(zip(folder.names(), zip(*columns)))


def _is_record(name: str, mode: int) -> bool:
    return S_IFMT(mode) == S_IFREG and name.lower().endswith(YAML_SUFFIXES)


def permutation(folders: list[Folder], rels: list[str]) -> bytes:
    """For each name of the scan, in scan order, its slot (or -1 when not a record file)."""
    slot = {rel: i for i, rel in enumerate(rels)}
    out = array("q")
    for _, prefix, joined, *_ in folders:
        if joined:
            out.extend(slot.get(prefix + name, -1) for name in joined.split("\x00"))
    return out.tobytes()


class Plan:
    """How the new slots relate to the old: `source` maps each new slot to its old one (None
    when it must be validated); None means slots are unchanged and only `changed` differ."""

    def __init__(self, old: CacheData, folders: list[Folder], suspects: set[int]) -> None:
        self.same = None if not old else changed_slots(old, folders, suspects)
        self.columns = Columns(old)
        if self.same is not None:
            self.rels = self.columns.rels
            self.source: list[int | None] | None = None
            self.changed = self.same
            self.perm = old.raw("perm")
            return
        if not old:  # a first build: every file is new
            new = entries(folders)
            self.rels = [e.rel for e in new]
            self.source, self.changed = [None] * len(new), dict(enumerate(new))
        else:
            self._diff(old, folders, suspects)
        self.perm = permutation(folders, self.rels)

    def _diff(self, old: CacheData, folders: list[Folder], suspects: set[int]) -> None:
        """Files came or went: compare folder by folder (most are as they were), and keep the
        old path order for the rest rather than sorting every file again."""
        before = {(f.rtype, f.prefix): f for f in as_folders(old.get("scan"))}
        fresh: dict[str, FileEntry] = {}
        gone: set[str] = set()
        for folder in folders:
            was = before.pop((folder[0], folder[1]), None)
            if was == folder:
                continue
            now, then = _stats(folder), _stats(was)
            # Set operations in C: the names whose stat is new, and the names no longer there.
            for name in {name for name, _ in now.items() - then.items()}:
                st = Stat._make(now[name])
                if _is_record(name, st.mode):
                    rel = folder.prefix + name
                    fresh[rel] = FileEntry(rel, folder.rtype, st.size, st.mtime, st.ctime)
                elif name in then and _is_record(name, Stat._make(then[name]).mode):
                    gone.add(folder.prefix + name)  # no longer a record file (a folder now, say)
            gone.update(folder.prefix + name for name in then.keys() - now.keys()
                        if _is_record(name, Stat._make(then[name]).mode))
        for was in before.values():  # a folder that is no longer there
            gone.update(was.prefix + name for name, stat in _stats(was).items() if _is_record(name, Stat._make(stat).mode))
        old_rels = self.columns.rels
        for i in suspects:  # content changed under an unchanged stat
            rel = old_rels[i]
            if rel not in gone and rel not in fresh:
                fresh[rel] = _entry_now(old.data_dir, rel)  # type: ignore[arg-type]
        at = dict(zip(old_rels, range(len(old_rels))))
        self.rels = [rel for rel in old_rels if rel not in gone] if gone else list(old_rels)
        added = sorted(rel for rel in fresh if rel not in at)
        if len(added) < 64:  # a few new files: put them in place rather than sort everything
            for rel in added:
                insort(self.rels, rel)
        else:
            self.rels = sorted(self.rels + added)
        self.source = [None if rel in fresh else at[rel] for rel in self.rels]
        self.changed = {j: fresh[rel] for j, rel in enumerate(self.rels) if rel in fresh}

    def column(self, old: list[Any], fresh: Callable[[int], Any]) -> list[Any]:
        if self.source is None:
            out = list(old)
            for slot in self.changed:
                out[slot] = fresh(slot)
            return out
        return [old[i] if i is not None else fresh(j) for j, i in enumerate(self.source)]

    def problems(self, old: dict[int, list[Any]], fresh: dict[int, Fresh]) -> dict[int, list[Any]]:
        if self.source is None:
            out = {i: p for i, p in old.items() if i not in fresh}
        else:
            out = {j: old[i] for j, i in enumerate(self.source) if i is not None and i in old}
        out.update((slot, f.raw) for slot, f in fresh.items() if f.raw)
        return dict(sorted(out.items()))

    def texts(self, ids: list[Any], fresh: dict[int, Fresh], base: int) -> Any:
        """A text index over a new buffer laid out from `base`, slot by slot."""
        from .textindex import TextIndex

        old = self.columns.texts
        if self.source is None:
            return TextIndex.build(ids, [fresh[j].text if j in fresh else old.at(j) for j in range(len(ids))], base)
        return TextIndex.build(ids, [old.at(i) if i is not None else fresh[j].text
                                     for j, i in enumerate(self.source)], base)


def mapped_heap(index: Path, heap: tuple[Any, int], suffix: str = ".heap") -> Any:
    """The heap just written, mapped, if it is still the one named (another run may have
    replaced it since); None otherwise."""
    token, length = heap
    if token is None:
        return None
    mapped = _map(heap_file(index, suffix))
    if mapped is None or mapped[len(HEAP_MAGIC): HEAP_START] != token or len(mapped) < length:
        return None
    return mapped


def store_texts(index: Path | None, old: CacheData, plan: Plan, fresh: dict[int, Fresh], ids: list[Any],
                position: dict[str, int] | None, spool: Spool | None = None) -> tuple[Any, tuple[Any, int, int] | None]:
    """The search text for this run, and (token, length, crc32) of the text heap holding it
    (None when there is no cache to write). The changed records' text is appended to the
    heap, and the kept records' text stays where it lies; a first build, or a heap mostly
    dead, gets a new one."""
    from .textindex import TextIndex

    if index is None:
        return plan.texts(ids, fresh, 0), None
    finished = spool.finish(".text", fresh) if spool is not None and spool.usable else None
    if finished is not None:  # a first build: every slot's text is in the spool
        columns = spool.rows[3:]  # type: ignore[union-attr]  # a row per slot, in slot order
        # Mapped (the write lock keeps it in place); read whole if it cannot be mapped.
        buffer = mapped_heap(index, finished, ".text") or heap_file(index, ".text").read_bytes()
        texts = TextIndex(ids, buffer, columns, (columns[0], array("q", range(len(ids)))), finished[1], position)
        return texts, (finished[0], finished[1], spool.text_crc)
    if old:
        before = plan.columns.texts
        token, length, crc = old.toc["text"]
        made: dict[str, Any] = {}

        def make(at: int) -> bytes:
            made["data"], made["slots"], made["segments"] = before.appended(
                ids, {s: f.text for s, f in fresh.items()}, at, plan.source)
            return made["data"]  # type: ignore[no-any-return]

        found = append_with(index, token, make, before.live_bytes(), ".text", before=length)
        mapped = _map(heap_file(index, ".text")) if found is not None else None
        if found is not None and mapped is not None and len(mapped) >= found[1]:
            _, end, between = found
            texts = TextIndex(ids, mapped, made["slots"], made["segments"], end, position)
            return texts, (token, end, zlib.crc32(made["data"], zlib.crc32(between, crc)))
    texts = plan.texts(ids, fresh, HEAP_START)
    data = texts.segment_bytes()
    token, _, end = new_heap(index, [data], ".text")
    if token is None:
        return texts, None
    mapped = mapped_heap(index, (token, end), ".text")
    if mapped is not None:  # read from the file from now on: the built buffer can go
        texts = TextIndex(ids, mapped, (texts.starts, texts.splits, texts.ends),
                          (texts.seg_starts, texts.seg_slots), end, position)
    return texts, (token, end, zlib.crc32(data))


def store_records(index: Path, old: CacheData, plan: Plan, fresh: dict[int, Fresh],
                  spool: Spool | None = None) -> tuple[Any, Any, Any]:
    """Put the new record versions in the heap. Returns (locations to save, (heap token,
    length) to save, locations this run reads kept records at): each locations is (offsets,
    lengths, crc32s) by slot, length 0 where a slot has no record."""
    kept = tuple(array("q", plan.column(list(c), lambda s: 0)) for c in plan.columns.locations)
    finished = spool.finish(".heap", fresh) if spool is not None and spool.usable else None
    if finished is not None:  # a first build: the heap was written as it went
        saved = tuple(array("q", c) for c in kept)
        for slot, f in fresh.items():
            if f.placed is not None:
                saved[0][slot], saved[1][slot], saved[2][slot] = (c[f.placed] for c in spool.rows[:3])  # type: ignore[union-attr]
        return saved, finished, kept
    new = [(slot, f.encoded()) for slot, f in sorted(fresh.items()) if f.rid is not None]
    live = sum(kept[1]) + sum(len(b) for _, b in new)
    token = None
    if old and old.toc.get("heap") is not None:
        token, first, length = append_records(index, old.toc["heap"], [b for _, b in new], live)
    placed = new
    if token is None:  # no heap yet, or one mostly dead: write every live record afresh
        view = memoryview(old.heap) if old.heap is not None else b""
        offsets, lengths, _ = kept
        placed = sorted([(slot, view[offsets[slot]: offsets[slot] + lengths[slot]])
                         for slot in range(len(lengths)) if lengths[slot]] + new)
        token, first, length = new_heap(index, [b for _, b in placed])
        if token is None:
            return kept, (None, 0), kept
    saved = tuple(array("q", c) for c in kept)
    at = first
    for slot, raw in placed:
        saved[0][slot], saved[1][slot] = at, len(raw)
        at += len(raw)
    for slot, raw in new:
        saved[2][slot] = zlib.crc32(raw)
    return saved, (token, length), kept


def racy_entries(plan: Plan, old_racy: list[Any], fresh: dict[int, Fresh], changed: dict[int, FileEntry],
                 written_ns: int) -> list[tuple[int, str, int, int]]:
    """(slot, rel, change time, content crc) of files modified too close to the write to
    trust their stat: each run re-reads them until the window has passed. The change time is
    the later of mtime and ctime: a file whose mtime was set back (cp -p) just before the
    write can still be rewritten unseen within the same ctime tick."""
    at = {rel: i for i, rel in enumerate(plan.rels)} if plan.source is not None else None
    out = []
    for slot, rel, mtime, crc in old_racy:
        new_slot = slot if at is None else at.get(rel)
        if new_slot is not None and new_slot not in changed and mtime >= written_ns - RACY_NS:
            out.append((new_slot, rel, mtime, crc))
    for slot, e in changed.items():
        crc = fresh[slot].crc
        if e.changed_ns >= written_ns - RACY_NS and crc is not None:
            out.append((slot, e.rel, e.changed_ns, crc))
    return sorted(out)


def racy_mismatches(data_dir: Path, racy: list[Any]) -> set[int]:
    """Slots of racy files whose content no longer matches what was cached."""
    out = set()
    for slot, rel, _, crc in racy:
        try:
            if zlib.crc32(read_record_file(data_dir / rel)) != crc:
                out.add(slot)
        except (OSError, Oversized, NotRegular):
            out.add(slot)
    return out


def save(index: Path, data_dir: Path, sections: dict[str, Any], heap: tuple[bytes | None, int],
         text: tuple[Any, int, int] | None, valid: bool, racy: list[Any]) -> None:
    if heap[0] is None or text is None or text[0] is None:
        return  # a heap could not be written: keep no cache rather than a broken one
    sections["racy"] = marshal.dumps(racy)
    write_cache(index, data_dir, sections, heap, {"valid": valid, "written_ns": time.time_ns(), "text": text})
