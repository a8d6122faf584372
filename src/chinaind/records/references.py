"""The references between records: which ids a record points at, and the located problems of
those that point nowhere (or of an id used twice), with what to do about them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple

from chinaind.core.errors import Problem
from chinaind.records.fileread import NotRegular, Oversized, read_record_file
from chinaind.records.kinds import ANY, FOLDERS, ID_RE, REFERENCES

Record = dict[str, Any]
TYPE_OF_FOLDER = {folder: rtype for rtype, folder in FOLDERS.items()}
_ID_RE = ID_RE


class Row(NamedTuple):
    """A problem found across records, located in its file."""

    rel: str
    line: int
    col: int
    message: str


# Known ids of a record type (or of any type, ANY), for a located message's "closest" hint.
KnownIds = Callable[[str], set[str]]


def refs_of(record: Record) -> tuple[Any, ...]:
    """The ids a record points at, flat as (k, id, k, id, ...) where k indexes
    REFERENCES[its type]: stored, so that checking references needs no record decoded."""
    out: list[Any] = []
    for k, (path, _) in enumerate(REFERENCES[record["type"]]):
        for value in _values(record, path):
            if value is not None:
                out += (k, value)
    return tuple(out)


def type_of_rel(rel: str) -> str:
    return TYPE_OF_FOLDER[rel.split("/", 1)[0]]


def dangling(data_dir: Path, rel: str, record: Record, bad: set[int], known: KnownIds) -> list[Row]:
    """The located problems of a record's references at REFERENCES positions `bad` (found
    dangling by the cache's query): each value there that names no known record."""
    rows = []
    spec = REFERENCES[type_of_rel(rel)]
    hints = _Hints(data_dir, rel)
    for k in sorted(bad):
        path, target = spec[k]
        ids = known(target)
        for loc, value in _values_at(record, path, ()):
            if value is not None and value not in ids:
                rows.append(hints.dangling(loc, value, target, ids))
    return rows


def raw_dangling(data_dir: Path, rels: list[str], known: KnownIds) -> list[Row]:
    """Dangling references of files that failed their model, read from their raw YAML: the
    ids that are plain text where an id belongs are checked like a valid record's."""
    from chinaind.records.yamlio import read_record

    rows = []
    for rel in rels:
        try:
            raw = read_record_file(data_dir / rel)
        except (OSError, Oversized, NotRegular):
            continue
        data = read_record(raw, str(data_dir / rel), marks=False).data
        if not isinstance(data, dict):
            continue
        hints = _Hints(data_dir, rel)
        for path, target in REFERENCES[type_of_rel(rel)]:
            for loc, value in _values_at(data, path, ()):
                # A value that is no id at all (a TODO, a typo'd shape) is the model's problem already.
                if isinstance(value, str) and _ID_RE.match(value) and value != "TODO" and value not in known(target):
                    rows.append(hints.dangling(loc, value, target, known(target)))
    return rows


def duplicate(data_dir: Path, rel: str, first: str, rid: str) -> Row:
    line, col = _marks(data_dir, rel).get(("id",), (1, 1))
    return Row(rel, line, col, f"duplicate id {rid!r}: also used by {data_dir / first}; ids must be unique across the knowledge base")


def as_problem(data_dir: Path, row: Row) -> Problem:
    return Problem(str(data_dir / row.rel), row.line, row.col, row.message)


def _invalid_file(data_dir: Path, value: str, target: str) -> str | None:
    """The file that would hold record `value` (of `target`, or of any kind), when there is one:
    the reference dangles only because that file is invalid."""
    if not _ID_RE.match(value):
        return None
    folders = FOLDERS.values() if target == ANY else (FOLDERS[target],)
    for folder in folders:
        if (data_dir / folder / f"{value}.yaml").is_file():
            return f"{folder}/{value}.yaml"
    return None


def _marks(data_dir: Path, rel: str) -> Any:
    """The YAML positions in a record file ({} when it cannot be read within bounds)."""
    from chinaind.records.validate import marks_of

    try:
        return marks_of(read_record_file(data_dir / rel), str(data_dir / rel))
    except (OSError, Oversized, NotRegular):
        return {}


def _values(node: Any, path: tuple[str, ...]) -> list[Any]:
    nodes = [node]
    for head in path:
        if head == "*":
            nodes = [item for n in nodes if isinstance(n, list) for item in n]
        else:
            nodes = [n[head] for n in nodes if isinstance(n, dict) and head in n]
    return nodes


def _values_at(node: Any, path: tuple[str, ...], loc: tuple[object, ...]) -> Iterator[tuple[tuple[object, ...], Any]]:
    if not path:
        yield loc, node
        return
    head, rest = path[0], path[1:]
    if head == "*":
        if not isinstance(node, list):
            return  # a file that failed its model may hold anything here
        for i, item in enumerate(node):
            yield from _values_at(item, rest, loc + (i,))
    elif isinstance(node, dict) and head in node:
        yield from _values_at(node[head], rest, loc + (head,))


# The most unknown ids of one file offered a "closest" hint: each hint compares the id with
# every known one, and a file of 50,000 unknown ids must still be checked in seconds.
MAX_HINTED = 100


class _Hints:
    """The located problems of one file's dangling references. The file's positions are read
    once (not once a problem: 4,000 unknown ids in a file took 67 s), and each distinct
    unknown id is compared with the known ones once."""

    def __init__(self, data_dir: Path, rel: str) -> None:
        self.data_dir, self.rel = data_dir, rel
        self._marks: Any = None
        self._lowered: dict[int, dict[str, str]] = {}
        self._close: dict[tuple[str, int], list[str]] = {}

    def dangling(self, loc: tuple[object, ...], value: str, target: str, known: set[str]) -> Row:
        from chinaind.records.yamlio import locate

        if self._marks is None:
            self._marks = _marks(self.data_dir, self.rel)
        line, col = locate(self._marks, loc)
        close = self._closest(value, known)
        invalid = _invalid_file(self.data_dir, value, target)
        if invalid is not None:
            # The record exists but failed validation: its own problems say what to fix, not `new`.
            hint = f"; {invalid} holds this id but is invalid (its problems are listed too); fix that file"
        elif target == ANY:
            hint = "; add a record with this id, or fix the id"
        else:
            example = f" (e.g. chinaind new {target} {value})" if _ID_RE.match(value) else ""
            hint = f"; add {FOLDERS[target]}/{value}.yaml{example}, or fix the id"
        if close:
            hint += f"; closest: {', '.join(close)}"
        where = ".".join(str(p) for p in loc)
        return Row(self.rel, line, col, f"{where}: unknown {'record' if target == ANY else target} {value!r}{hint}")

    def _closest(self, value: str, known: set[str]) -> list[str]:
        """Only truly close ids are offered (a typo, a case slip): MOFCOM is not MOF."""
        import difflib

        key = (value, id(known))
        if key in self._close:
            return self._close[key]
        if id(known) not in self._lowered:
            self._lowered[id(known)] = {k.lower(): k for k in known}
        lowered = self._lowered[id(known)]
        close = [lowered[value.lower()]] if value.lower() in lowered else []
        if len(self._close) < MAX_HINTED:
            close += [c for c in difflib.get_close_matches(value, list(known), n=3, cutoff=0.8) if c not in close]
        self._close[key] = close
        return close
