"""Search text of a whole knowledge base as one string, so that finding the records that
contain a query is a run of str.find in C rather than a Python loop over every record.

A warm cache stores it this way, as UTF-8 bytes with byte offsets: one bytes object loads as a
single copy, where 100,000 strings (or one long string with Chinese in it) must be decoded.
Searching UTF-8 bytes for the UTF-8 of a query finds exactly the character matches, since no
character's encoding starts inside another's.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from typing import Any

SEPARATOR = "\x00"  # between records; a query holding it falls back to the per-record path


class TextIndex:
    """(names, text) of each record, by id, over two joined UTF-8 blobs and their offsets."""

    def __init__(self, ids: list[str], names: bytes, name_offsets: Any, text: bytes, text_offsets: Any) -> None:
        self.ids = ids
        self._position = {rid: i for i, rid in enumerate(ids)}
        # From the cache the offsets come back as bytes (marshal stores an array that way).
        name_offsets, text_offsets = _ints(name_offsets), _ints(text_offsets)
        self._names, self._name_offsets = names, name_offsets
        self._text, self._text_offsets = text, text_offsets

    @classmethod
    def build(cls, ids: list[str], texts: list[tuple[str, str]]) -> "TextIndex":
        names, name_offsets = _join([t[0] for t in texts])
        text, text_offsets = _join([t[1] for t in texts])
        return cls(ids, names, name_offsets, text, text_offsets)

    def parts(self) -> tuple[list[str], bytes, Any, bytes, Any]:
        return self.ids, self._names, self._name_offsets, self._text, self._text_offsets

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, rid: object) -> bool:
        return rid in self._position

    def __getitem__(self, rid: str) -> tuple[str, str]:
        i = self._position[rid]
        names, text = self._names, self._text
        return (_decode(names[self._name_offsets[i]: self._name_offsets[i + 1] - 1]),
                _decode(text[self._text_offsets[i]: self._text_offsets[i + 1] - 1]))

    def get(self, rid: str, default: tuple[str, str] | None = None) -> tuple[str, str] | None:
        return self[rid] if rid in self._position else default

    def containing(self, needle: str) -> list[str] | None:
        """Ids of the records whose text contains `needle`; None when it cannot be answered
        this way (it holds the separator)."""
        if not needle or SEPARATOR in needle:
            return None
        text, offsets, out = self._text, self._text_offsets, []
        needle_bytes = needle.encode("utf-8", "surrogatepass")
        at = text.find(needle_bytes)
        while at != -1:
            i = bisect_right(offsets, at) - 1
            out.append(self.ids[i])
            at = text.find(needle_bytes, offsets[i + 1])
        return out


def _join(parts: list[str]) -> tuple[bytes, Any]:
    # Offsets as an array of machine integers: marshal stores it as one bytes-like block
    # instead of 100,000 int objects.
    encoded = [p.encode("utf-8", "surrogatepass") for p in parts]
    offsets = array("q", [0])
    for part in encoded:
        offsets.append(offsets[-1] + len(part) + 1)
    return b"".join(p + b"\x00" for p in encoded), offsets


def _ints(offsets: Any) -> Any:
    return memoryview(offsets).cast("q") if isinstance(offsets, (bytes, bytearray)) else offsets


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogatepass")  # records may hold lone surrogates ("\ud800")
