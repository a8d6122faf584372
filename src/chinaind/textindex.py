"""Search text of a whole knowledge base in one buffer, so that finding the records that
contain a query is a run of find() in C rather than a Python loop over every record.

Each record's entry is a segment, `text NUL names NUL`, in UTF-8: per slot, the segment's
start, the end of its text and its end. In the cache the buffer is an append-only file (the
text heap): an edit appends the new segment and leaves the old one as a dead segment, so the
buffer never has to be rewritten. `segments` lists every segment start in buffer order with
its slot (-1 for dead ones), which maps a hit back to its record.

Searching UTF-8 bytes for the UTF-8 of a query finds exactly the character matches, since no
character's encoding starts inside another's.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from functools import cached_property
from typing import Any

SEPARATOR = "\x00"  # ends a text and its names; a query holding it takes the per-record path


class TextIndex:
    """(names, text) of each slot's record, by id; a slot whose id is None (an invalid file, or
    a later file reusing an id) is never reported."""

    def __init__(self, ids: list[str | None], buffer: Any, slots: tuple[Any, Any, Any],
                 segments: tuple[Any, Any], end: int, position: dict[str, int] | None = None) -> None:
        self.ids = ids
        self.buffer = buffer  # bytes, or the text heap's mapping
        self.starts, self.splits, self.ends = (_ints(c) for c in slots)
        self.seg_starts, self.seg_slots = (_ints(c) for c in segments)
        self.end = end  # where the live buffer ends (a heap may have grown since)
        if position is not None:  # id -> slot, when the caller has it (and ids are unique)
            self._position = position

    @classmethod
    def build(cls, ids: list[str | None], texts: list[tuple[str, str] | None], base: int = 0) -> "TextIndex":
        """An index over a new buffer holding `texts` by slot, as if it began at `base`."""
        pieces: list[bytes] = []
        starts, splits, ends = array("q"), array("q"), array("q")
        at = base
        for t in texts:
            text, names = _utf8(t[1] if t else ""), _utf8(t[0] if t else "")
            starts.append(at)
            splits.append(at + len(text))
            at += len(text) + len(names) + 2
            ends.append(at)
            pieces += (text, b"\x00", names, b"\x00")
        buffer = b"".join(pieces)
        return cls(ids, _Shifted(buffer, base), (starts, splits, ends),
                   (starts, array("q", range(len(texts)))), at)

    @cached_property
    def _position(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for i, rid in enumerate(self.ids):
            if rid is not None:
                out.setdefault(rid, i)
        return out

    def __len__(self) -> int:
        return len(self._position)

    def __contains__(self, rid: object) -> bool:
        return rid in self._position

    def __getitem__(self, rid: str) -> tuple[str, str]:
        return self.at(self._position[rid])

    def at(self, slot: int) -> tuple[str, str]:
        return self.names_at(slot), _decode(self.buffer[self.starts[slot]: self.splits[slot]])

    def names_at(self, slot: int) -> str:
        return _decode(self.buffer[self.splits[slot] + 1: self.ends[slot] - 1])

    def get(self, rid: str, default: tuple[str, str] | None = None) -> tuple[str, str] | None:
        return self[rid] if rid in self._position else default

    def _hits(self, raw: bytes) -> list[tuple[str, int, int]]:
        """(id, slot, position of the first hit) of each live record whose text holds `raw`."""
        buffer, end, seg_starts, seg_slots = self.buffer, self.end, self.seg_starts, self.seg_slots
        ids, position, out = self.ids, self._position, []
        if not len(seg_starts):
            return out
        # From the first segment: a heap's header (magic and random token) is not text.
        at = buffer.find(raw, seg_starts[0], end)
        while at != -1:
            k = bisect_right(seg_starts, at) - 1
            slot = seg_slots[k]
            if slot >= 0 and at < self.splits[slot] and self.starts[slot] == seg_starts[k]:
                rid = ids[slot]
                if rid is not None and position.get(rid) == slot:
                    out.append((rid, slot, at))
            after = seg_starts[k + 1] if k + 1 < len(seg_starts) else end
            at = buffer.find(raw, after, end)
        out.sort(key=lambda hit: hit[1])  # appended segments lie out of slot order
        return out

    def containing(self, needle: str) -> list[str] | None:
        """Ids of the records whose text contains `needle`; None when it cannot be answered
        this way (it holds the separator)."""
        if not needle or SEPARATOR in needle:
            return None
        return [rid for rid, _, _ in self._hits(_utf8(needle))]

    def spans(self, needle: str) -> list[tuple[str, str, "Span"]] | None:
        """(id, names, text as a Span) of the records whose text contains `needle`: the text
        is tested where it lies instead of being decoded. None as for containing()."""
        if not needle or SEPARATOR in needle:
            return None
        raw = _utf8(needle)
        out = []
        for rid, slot, at in self._hits(raw):
            span = Span(self.buffer, self.starts[slot], self.splits[slot])
            # The first occurrence usually settles whether the needle is a whole word.
            span.found = (needle, True if span.whole_at(at, len(raw)) else None)
            out.append((rid, self.names_at(slot), span))
        return out

    def columns(self) -> dict[str, bytes]:
        """The per-slot and per-segment arrays, as the cache stores them."""
        return {"text_starts": _bytes(self.starts), "text_splits": _bytes(self.splits),
                "text_ends": _bytes(self.ends), "text_segments": _bytes(self.seg_starts),
                "text_segment_slots": _bytes(self.seg_slots)}

    def segment_bytes(self) -> Any:
        """This index's own buffer (one built in memory), to start a text heap with."""
        return self.buffer.data

    def appended(self, ids: list[str | None], changes: dict[int, tuple[str, str] | None], at: int,
                 source: list[int | None] | None = None) -> tuple[bytes, tuple[array, array, array], tuple[array, array]]:
        """The bytes to append at `at` for the changed slots, and the arrays after appending:
        (per-slot starts, splits, ends), (segment starts, segment slots). `source` maps new
        slots to old ones when files came or went (None: the same slots)."""
        if source is None:
            starts, splits, ends = array("q", self.starts), array("q", self.splits), array("q", self.ends)
            seg_starts, seg_slots = array("q", self.seg_starts), array("q", self.seg_slots)
            from bisect import bisect_left

            for slot in changes:  # the old segments die
                k = bisect_left(seg_starts, starts[slot])
                if k < len(seg_starts) and seg_starts[k] == starts[slot] and seg_slots[k] == slot:
                    seg_slots[k] = -1
        else:
            starts, splits, ends, seg_starts, seg_slots = self._moved(source)
        pieces: list[bytes] = []
        for slot in sorted(changes):
            t = changes[slot]
            text, names = _utf8(t[1] if t else ""), _utf8(t[0] if t else "")
            starts[slot], splits[slot] = at, at + len(text)
            seg_starts.append(at)
            seg_slots.append(slot)
            at += len(text) + len(names) + 2
            ends[slot] = at
            pieces += (text, b"\x00", names, b"\x00")
        return b"".join(pieces), (starts, splits, ends), (seg_starts, seg_slots)

    def _moved(self, source: list[int | None]) -> tuple[array, array, array, array, array]:
        """The arrays with every kept old slot's segment given its new slot: text stays where
        it lies; the segments of files gone or changed die."""
        new_slot = array("q", [-1]) * len(self.starts)
        for j, i in enumerate(source):
            if i is not None:
                new_slot[i] = j
        columns = [array("q", (column[i] if i is not None else 0 for i in source))
                   for column in (self.starts, self.splits, self.ends)]
        old_starts = self.starts
        seg_slots = array("q", (new_slot[s] if s >= 0 and old_starts[s] == start else -1
                                for start, s in zip(self.seg_starts, self.seg_slots)))
        return (*columns, array("q", self.seg_starts), seg_slots)  # type: ignore[return-value]

    def live_bytes(self) -> int:
        return sum(self.ends) - sum(self.starts)


class _Shifted:
    """A bytes buffer addressed as if it began at `base` (where it will lie in a heap file)."""

    def __init__(self, data: bytes, base: int) -> None:
        self.data, self.base = data, base

    def find(self, sub: bytes, start: int, end: int) -> int:
        at = self.data.find(sub, max(0, start - self.base), max(0, end - self.base))
        return at + self.base if at != -1 else -1

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return self.data[key.start - self.base: key.stop - self.base]
        return self.data[key - self.base]


class Span:
    """One record's search text where it lies in the buffer, answering `in` and whole-word
    tests without decoding it (most of a broad search's candidates need no more)."""

    __slots__ = ("buffer", "start", "end", "found")

    def __init__(self, buffer: Any, start: int, end: int) -> None:
        self.buffer, self.start, self.end = buffer, start, end
        # (text known to occur, True when known to occur as a whole word, else None)
        self.found: tuple[str, bool | None] = ("", None)

    def __contains__(self, part: str) -> bool:
        if part == self.found[0]:
            return True
        return self.buffer.find(_utf8(part), self.start, self.end) != -1

    def __str__(self) -> str:
        return _decode(self.buffer[self.start: self.end])

    def whole_word(self, q: str) -> bool:
        """True when some occurrence of q is not glued to a letter or digit on either side."""
        if q == self.found[0] and self.found[1]:
            return True
        needle = _utf8(q)
        at = self.buffer.find(needle, self.start, self.end)
        while at != -1:
            if self.whole_at(at, len(needle)):
                return True
            at = self.buffer.find(needle, at + 1, self.end)
        return False

    def whole_at(self, at: int, length: int) -> bool:
        return not self._alnum_before(at) and not self._alnum_at(at + length)

    def _alnum_before(self, at: int) -> bool:
        if at <= self.start:
            return False
        byte = self.buffer[at - 1]
        if byte < 0x80:
            return _ASCII_ALNUM[byte]
        begin = at - 1
        while begin > self.start and at - begin < 4 and 0x80 <= self.buffer[begin] < 0xC0:
            begin -= 1  # back over UTF-8 continuation bytes to the character's first byte
        return _char_alnum(bytes(self.buffer[begin: at]))

    def _alnum_at(self, at: int) -> bool:
        if at >= self.end:
            return False
        lead = self.buffer[at]
        if lead < 0x80:
            return _ASCII_ALNUM[lead]
        width = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
        return _char_alnum(bytes(self.buffer[at: min(at + width, self.end)]))


def _char_alnum(raw: bytes) -> bool:
    return raw.decode("utf-8", "surrogatepass").isalnum() if raw else False


_ASCII_ALNUM = [chr(b).isalnum() for b in range(128)]


def _utf8(text: str | bytes) -> bytes:
    # Text may come already encoded (from a worker); records may hold lone surrogates.
    return text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")


def _decode(raw: Any) -> str:
    return bytes(raw).decode("utf-8", "surrogatepass")


def _bytes(column: Any) -> bytes:
    return column.tobytes() if isinstance(column, (array, memoryview)) else bytes(column)


def _ints(column: Any) -> Any:
    # From the cache the arrays come as bytes or a view (how an array is stored).
    return column if isinstance(column, array) else memoryview(column).cast("q")
