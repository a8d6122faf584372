"""What a draft proposes: records with the words each value came from, and what it leaves to
the analyst. Plain named structures; the readers (draft/build.py) fill them, the writer
(draft/write.py) turns them into files, the review (draft/review.py) into a Listing."""

from __future__ import annotations

import re
import unicodedata
from typing import Any, NamedTuple

Path_ = tuple[Any, ...]  # a field's place in a record: ("figures", 0, "value")
TODO_SUMMARY = "TODO one or two sentences in your own words on what it does"
TODO_ANALYSIS = "TODO the newsletter's comment, in your own words (or delete the line)"
TODO_DESCRIPTION = "TODO one sentence in your own words (or delete the line)"


class Evidence(NamedTuple):
    """The words of the text a value was read from, and their line in the text."""

    words: str
    line: int


class Proposal(NamedTuple):
    """One record the draft writes (new) or links (an existing record it only refers to)."""

    kind: str  # the record type: policy, company, technology, agency, sector, person, source
    rid: str
    record: dict[str, Any]  # its fields as the YAML file holds them, in order
    marks: dict[Path_, Evidence]  # every value a person must confirm
    new: bool
    section: str | None = None  # where in the text it came from


class LeftOver(NamedTuple):
    """Something the text says that the draft did not turn into a value, and why."""

    section: str
    line: int
    words: str
    reason: str


class Draft(NamedTuple):
    source_id: str
    proposals: list[Proposal]
    left: list[LeftOver]


def slug(text: str, limit: int = 60) -> str:
    """An id from words: ASCII, lower case, hyphens, cut at a word boundary."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    out = ""
    for word in words:
        if len(out) + len(word) + 1 > limit:
            break
        out = f"{out}-{word}" if out else word
    return out


class Ids:
    """Ids already taken, by the knowledge base or by this draft: a new record never takes one."""

    def __init__(self, known: set[str]) -> None:
        self.taken = set(known)

    def fresh(self, base: str, fallback: str) -> str:
        stem = base or fallback
        rid, n = stem, 2
        while rid in self.taken:
            rid, n = f"{stem}-{n}", n + 1
        self.taken.add(rid)
        return rid
