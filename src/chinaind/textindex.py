"""Search text of a whole knowledge base as one string, so that finding the records that
contain a query is a run of find() in C rather than a Python loop over every record.

The cache stores it as UTF-8 bytes with byte offsets, one entry per file slot, and a warm run
searches it where it lies in the cache's mapping: 50 MB at 100,000 records, never copied.
Searching UTF-8 bytes for the UTF-8 of a query finds exactly the character matches, since no
character's encoding starts inside another's.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from functools import cached_property
from typing import Any

SEPARATOR = "\x00"  # between records; a query holding it falls back to the per-record path

# A blob: (buffer with .find and slicing, such as bytes or an mmap; where the blob starts in it;
# its offsets, one per slot plus the end).
Blob = tuple[Any, int, Any]


class TextIndex:
    """(names, text) of each slot's record, by id; a slot whose id is None (an invalid file, or
    a later file reusing an id) is never reported."""

    def __init__(self, ids: list[str | None], names: Blob, text: Blob,
                 position: dict[str, int] | None = None) -> None:
        self.ids = ids
        if position is not None:  # id -> slot, when the caller has it (and ids are unique)
            self._position = position
        self._names = (names[0], names[1], _ints(names[2]))
        self._text = (text[0], text[1], _ints(text[2]))

    @classmethod
    def build(cls, ids: list[str | None], texts: list[tuple[str, str] | None]) -> "TextIndex":
        names = _join([t[0] if t else "" for t in texts])
        text = _join([t[1] if t else "" for t in texts])
        return cls(ids, (names[0], 0, names[1]), (text[0], 0, text[1]))

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
        return _slice(self._names, slot), _slice(self._text, slot)

    def get(self, rid: str, default: tuple[str, str] | None = None) -> tuple[str, str] | None:
        return self[rid] if rid in self._position else default

    def containing(self, needle: str) -> list[str] | None:
        """Ids of the records whose text contains `needle`; None when it cannot be answered
        this way (it holds the separator)."""
        if not needle or SEPARATOR in needle:
            return None
        buffer, base, offsets = self._text
        end = base + offsets[len(offsets) - 1]
        needle_bytes = needle.encode("utf-8", "surrogatepass")
        out: list[str] = []
        at = buffer.find(needle_bytes, base, end)
        while at != -1:
            i = bisect_right(offsets, at - base) - 1
            rid = self.ids[i]
            if rid is not None and self._position.get(rid) == i:
                out.append(rid)
            at = buffer.find(needle_bytes, base + offsets[i + 1], end)
        return out

    def spans(self, needle: str) -> list[tuple[str, str, "Span"]] | None:
        """(id, names, text as a Span) of the records whose text contains `needle`: the text
        is tested where it lies instead of being decoded. None as for containing()."""
        if not needle or SEPARATOR in needle:
            return None
        buffer, base, offsets = self._text
        end = base + offsets[len(offsets) - 1]
        raw = needle.encode("utf-8", "surrogatepass")
        ids, position, out = self.ids, self._position, []
        at = buffer.find(raw, base, end)
        while at != -1:
            i = bisect_right(offsets, at - base) - 1
            rid = ids[i]
            stop = base + offsets[i + 1] - 1
            if rid is not None and position.get(rid) == i:
                span = Span(buffer, base + offsets[i], stop)
                # The first occurrence usually settles whether the needle is a whole word.
                span.found = (needle, True if span.whole_at(at, len(raw)) else None)
                out.append((rid, _slice(self._names, i), span))
            at = buffer.find(raw, stop + 1, end)
        return out

    def parts(self) -> tuple[bytes, bytes, bytes, bytes]:
        """(names, name offsets, text, text offsets) as bytes, for the cache."""
        return (*_blob_bytes(self._names), *_blob_bytes(self._text))  # type: ignore[return-value]

    def replaced(self, ids: list[str | None], changes: dict[int, tuple[str, str] | None],
                 position: dict[str, int] | None = None) -> "TextIndex":
        """A copy with the text of some slots replaced (same slots, new ids column)."""
        return TextIndex(ids, _splice(self._names, {i: t[0] if t else "" for i, t in changes.items()}),
                         _splice(self._text, {i: t[1] if t else "" for i, t in changes.items()}), position)


def _join(parts: list[str]) -> tuple[bytes, array]:
    # Offsets as an array of machine integers: stored as one block instead of 100,000 ints.
    encoded = [p.encode("utf-8", "surrogatepass") + b"\x00" for p in parts]
    offsets = array("q", [0])
    total = 0
    for part in encoded:
        total += len(part)
        offsets.append(total)
    return b"".join(encoded), offsets


def _splice(blob: Blob, changes: dict[int, str]) -> Blob:
    buffer, base, offsets = blob
    buffer = memoryview(buffer)  # slices without copies; join copies once
    pieces: list[bytes] = []
    new_offsets = array("q")
    start, shift = 0, 0
    for slot in sorted(changes):
        pieces.append(buffer[base + offsets[start]: base + offsets[slot]])
        new_offsets.extend(o + shift for o in offsets[start: slot + 1])
        new = changes[slot].encode("utf-8", "surrogatepass") + b"\x00"
        pieces.append(new)
        shift += len(new) - (offsets[slot + 1] - offsets[slot])
        start = slot + 1
    pieces.append(buffer[base + offsets[start]: base + offsets[len(offsets) - 1]])
    new_offsets.extend(o + shift for o in offsets[start:])
    return b"".join(pieces), 0, new_offsets


def _blob_bytes(blob: Blob) -> tuple[Any, bytes]:
    buffer, base, offsets = blob
    data = memoryview(buffer)[base: base + offsets[len(offsets) - 1]]
    return data, offsets.tobytes() if isinstance(offsets, array) else bytes(offsets)


def _slice(blob: Blob, slot: int) -> str:
    buffer, base, offsets = blob
    return bytes(buffer[base + offsets[slot]: base + offsets[slot + 1] - 1]).decode("utf-8", "surrogatepass")


def _ints(offsets: Any) -> Any:
    # From the cache the offsets come as bytes or a view (how an array is stored).
    return offsets if isinstance(offsets, array) else memoryview(offsets).cast("q")


class Span:
    """One record's search text where it lies in the joined UTF-8 blob, answering `in` and
    whole-word tests without decoding it (most of a broad search's candidates need no more)."""

    __slots__ = ("buffer", "start", "end", "found")

    def __init__(self, buffer: Any, start: int, end: int) -> None:
        self.buffer, self.start, self.end = buffer, start, end
        # (text known to occur, True when known to occur as a whole word, else None)
        self.found: tuple[str, bool | None] = ("", None)

    def __contains__(self, part: str) -> bool:
        if part == self.found[0]:
            return True
        return self.buffer.find(part.encode("utf-8", "surrogatepass"), self.start, self.end) != -1

    def __str__(self) -> str:
        return bytes(self.buffer[self.start: self.end]).decode("utf-8", "surrogatepass")

    def whole_word(self, q: str) -> bool:
        """True when some occurrence of q is not glued to a letter or digit on either side."""
        if q == self.found[0] and self.found[1]:
            return True
        needle = q.encode("utf-8", "surrogatepass")
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
        width = 1 if lead < 0x80 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
        return _char_alnum(bytes(self.buffer[at: min(at + width, self.end)]))


def _char_alnum(raw: bytes) -> bool:
    return raw.decode("utf-8", "surrogatepass").isalnum() if raw else False


_ASCII_ALNUM = [chr(b).isalnum() for b in range(128)]
