"""Names in a text linked to the records that answer to them, exactly: a record's id, name,
Chinese name or alias, compared as normalised words (records/text.py norm), the longest name
first. No close guesses: a draft links only what the text names, so "SAC" is never SASAC.

A short name written in capitals in the records' world (MIIT, SAC, BYD) matches only where the
text writes it in capitals too, so that ordinary words ("sac", "moa") link nothing. Chinese
names match inside runs of Chinese text, which has no spaces between words.

The table is built from the store's names column (store/dbrecords.py all_names), without
decoding any record: at 100,000 records it is one pass over one column.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Iterable, Iterator, NamedTuple

from chinaind.records.text import has_cjk, norm

_TOKEN_RE = re.compile(r"[^\W_]+|[+&]", re.UNICODE)
_CJK_RUN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")
MAX_WORDS = 16  # the longest name matched, in words
MAX_CJK = 24  # in characters
# Vocabulary records (sectors) and ids are names too; these types link first when one name
# answers for several (the agency MOF before a sector called "mof", were there one).
TYPE_ORDER = ("agency", "company", "person", "technology", "policy", "source", "sector")


class Link(NamedTuple):
    """A known record named in the text, and the words that name it."""

    rid: str
    rtype: str
    words: str  # as written in the text
    start: int  # character offset in the text searched


def tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(norm(text))


class Names:
    """Normalised names -> (type, id) of the records answering to them."""

    def __init__(self, rows: Iterable[tuple[str, str, list[str]]]) -> None:
        """`rows` are (id, type, names) with the names normalised already (the store keeps
        them so): at 100,000 records this loop is most of building the table, so it does no
        normalising again, and the names of plain ASCII skip the test for Chinese."""
        # Keyed by the name's words joined by one space: most stored names are that already
        # (letters, digits and spaces), so the key costs one C-level test, not a regex.
        self.words: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.cjk: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.known_ids: set[str] = set()
        # (words, ids) of names several records answer to, met by find(): none is linked.
        self.ambiguous: list[tuple[str, list[str]]] = []
        for rid, rtype, names in rows:
            self.known_ids.add(rid)
            for name in names:
                if name:
                    self.add(name, rtype, rid, normalised=True)

    def add(self, name: str, rtype: str, rid: str, *, normalised: bool = False) -> None:
        if normalised and name.replace(" ", "").isalnum() and name.isascii():
            if name.count(" ") < MAX_WORDS:
                self.words[name].append((rtype, rid))
            return
        text = name if normalised else norm(name)
        if not text.isascii() and has_cjk(text):
            key = re.sub(r"\s+", "", text)
            if 2 <= len(key) <= MAX_CJK:
                self.cjk[key].append((rtype, rid))
            return
        words = _TOKEN_RE.findall(text)
        if 0 < len(words) <= MAX_WORDS:
            self.words[" ".join(words)].append((rtype, rid))

    def find(self, text: str) -> list[Link]:
        """Every known name in `text`, longest first and without overlaps, in text order."""
        found = list(self._latin(text)) + list(self._chinese(text))
        return sorted(found, key=lambda link: link.start)

    def _latin(self, text: str) -> Iterator[Link]:
        spans = [(m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]
        words = [norm(text[a:b]) for a, b in spans]
        i = 0
        while i < len(words):
            for n in range(min(MAX_WORDS, len(words) - i), 0, -1):
                owners = self.words.get(" ".join(words[i:i + n]))
                start, end = spans[i][0], spans[i + n - 1][1]
                if owners and _written_as_a_name(text[start:end]):
                    yield from self._links(owners, text[start:end], start)
                    i += n
                    break
            else:
                i += 1

    def _chinese(self, text: str) -> Iterator[Link]:
        for run in _CJK_RUN_RE.finditer(text):
            chars, i = run.group(0), 0
            while i < len(chars):
                for n in range(min(MAX_CJK, len(chars) - i), 1, -1):
                    owners = self.cjk.get(chars[i:i + n])
                    if owners:
                        yield from self._links(owners, chars[i:i + n], run.start() + i)
                        i += n
                        break
                else:
                    i += 1


    def _links(self, owners: list[tuple[str, str]], words: str, start: int) -> Iterator[Link]:
        chosen = _ordered(owners)
        if not chosen:
            self.ambiguous.append((words, [rid for _, rid in dict.fromkeys(owners)]))
        yield from (Link(rid, rtype, words, start) for rtype, rid in chosen)


def _ordered(owners: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The records a name links to: those of the first type in TYPE_ORDER that has it. A name
    that several records of that type answer to links none of them (an exact name is no
    guess, but a choice between records is): Names.ambiguous keeps it for the analyst."""
    ranked = sorted(dict.fromkeys(owners), key=lambda o: (TYPE_ORDER.index(o[0]) if o[0] in TYPE_ORDER else 99, o[1]))
    first = [o for o in ranked if o[0] == ranked[0][0]]
    return first if len(first) == 1 else []


def _written_as_a_name(words: str) -> bool:
    """A one-word name of five letters or fewer is an abbreviation (MIIT, SAC, CATL): only the
    capitalised spelling links. Longer names and several words link in any case, but not when
    written all in lower case as a single common word ("energy" stays vocabulary)."""
    if len(_TOKEN_RE.findall(words)) > 1 or any(ch.isdigit() for ch in words):
        return True
    letters = [ch for ch in words if ch.isalpha()]
    if len(letters) <= 5:
        return bool(letters) and all(ch.isupper() for ch in letters)
    return words[:1].isupper()
