"""Full-text search over every record: exact name > phrase substring > all words > fuzzy.

The literal tiers need nothing but the standard library; rapidfuzz is imported only when they
find nothing, to tolerate typos.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, NamedTuple

from chinaind.records.text import has_cjk, norm

if TYPE_CHECKING:
    from chinaind.store.protocol import TextStore

Record = dict[str, Any]
EXACT, PHRASE, WORDS, FUZZY = "exact", "substring", "words", "fuzzy"
_TIER_RANK = {EXACT: 0, PHRASE: 1, WORDS: 2, FUZZY: 3}
_WORD_RE = re.compile(r"[^\W_]{3,}", re.UNICODE)
FUZZY_CUTOFF = 75.0
# Bounds on a query's cost: a longer query is refused (a usage error), and typo tolerance
# tries close spellings for its first distinct words only (each is matched against every
# word of the knowledge base).
MAX_QUERY_CHARS = 1_000
MAX_FUZZY_WORDS = 16


class Hit(NamedTuple):
    record: Record
    tier: str
    score: float  # within a tier, higher is better


def search(texts: "TextStore", query: str, *, light: Callable[[str], Record | None],
           limit: int | None = None) -> list[Hit]:
    """Rank records against `query`. `texts` is the store's search text (store/protocol.py):
    it finds the records holding the query's first word without visiting the rest; `light(id)`
    gives the (light) record for a found id, or None to leave it out. Every record is read
    only when typo tolerance needs them, streamed from the store."""
    if len(query) > MAX_QUERY_CHARS:
        from chinaind.core.errors import UsageError

        raise UsageError(f"search: the query is {len(query):,} characters long, over the {MAX_QUERY_CHARS:,}-character "
                         "limit; search for a few words or a name")
    q = norm(query)
    if not q:
        return []
    # Each distinct word is looked for once: "robot robot robot ..." costs what "robot" does.
    words = list(dict.fromkeys(q.split()))
    # Every literal hit holds the query's first word; the other records are only needed for
    # typo tolerance, and only when nothing matches literally.
    candidates = [(rec, names, text) for rid, names, text in texts.spans(words[0]) if (rec := light(rid)) is not None]
    hits = [hit for rec, names, text in candidates if (hit := _literal_hit(rec, q, words, names, text)) is not None]
    if not hits:
        # Typo tolerance only when the text itself has no answer: fuzzy matches next to
        # literal ones are noise, and skipping them keeps rapidfuzz out of most runs.
        hits = _fuzzy_hits(q, lambda: _streamed(texts, light))
    hits.sort(key=_order)
    return hits[:limit] if limit is not None else hits


# Within a tier, an analyst looks for documents first, then chains, firms, agencies, vocabulary.
_TYPE_BONUS = {"policy": 0.04, "technology": 0.03, "company": 0.02, "agency": 0.01, "sector": 0.0}


def _literal_hit(rec: Record, q: str, words: list[str], names: str, text: str) -> Hit | None:
    # The text holds every string of the record, names included: most records fail this
    # first test, which is all the work they cost.
    if q not in text:
        # Several words (or one repeated), each a whole word: "lu jun" is not "value" and "june".
        if words != [q] and all(w in text for w in words) and all(whole_word(w, text) for w in words):
            return Hit(rec, WORDS, sum(w in names for w in words) + _TYPE_BONUS.get(rec["type"], 0.0))
        return None
    bonus = _TYPE_BONUS.get(rec["type"], 0.0)
    if f"\n{q}\n" in f"\n{names}\n":
        return Hit(rec, EXACT, bonus)
    if q in names:
        return Hit(rec, PHRASE, 2.0 + (0.5 if whole_word(q, names) else 0.0) + bonus)
    return Hit(rec, PHRASE, 1.0 + (0.5 if whole_word(q, text) else 0.0) + bonus)


def whole_word(q: str, text: str) -> bool:
    """True when some occurrence of q is not glued to letters on either side (CJK always is)."""
    pattern = _word_pattern(q)
    return pattern is None or pattern.search(text) is not None


@lru_cache(maxsize=64)
def _word_pattern(q: str) -> "re.Pattern[str] | None":
    """q between two non-alphanumeric characters (or the text's ends), as one regex run in C:
    a broad search tests thousands of records. A word character that is no underscore is
    exactly str.isalnum(). None for CJK, which has no spaces between words."""
    if has_cjk(q):
        return None
    literal = re.escape(q)
    # The literal first, so that re looks for it with its fast search; the check of the
    # character before it is a look-behind over the character and the literal both.
    return re.compile(literal + r"(?<![^\W_]" + literal + r")(?![^\W_])")


Candidates = Callable[[], Iterable[tuple[Record, str, str]]]


def _streamed(texts: "TextStore", light: Callable[[str], Record | None]) -> Iterator[tuple[Record, str, str]]:
    """Every record's (light record, names, text), read from the cache row by row."""
    for rid, names, text in texts.stream():
        rec = light(rid)
        if rec is not None:
            yield rec, names, text


def _fuzzy_hits(q: str, candidates: Candidates) -> list[Hit]:
    """Typo tolerance: match each query word against the vocabulary of every record. A close
    word in a record's names counts more than one in its text. Short or Chinese queries are
    skipped: fuzzy scores on them are noise. Two passes over the candidates (the vocabulary,
    then the records holding a close word), neither keeping a set of words per record: at
    100,000 records that took over a gigabyte."""
    words = [w for w in dict.fromkeys(q.split()) if len(w) >= 4 and not has_cjk(w)][:MAX_FUZZY_WORDS]
    if not words:
        return []
    vocab: set[str] = set()
    for _, names, text in candidates():
        vocab.update(_WORD_RE.findall(names))
        vocab.update(_WORD_RE.findall(text))
    if not vocab:
        return []
    from rapidfuzz import fuzz, process

    close: dict[str, float] = {}
    ordered = sorted(vocab)
    for w in words:
        for word, score, _ in process.extract(w, ordered, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=20):
            close[word] = max(score, close.get(word, 0.0))
    if not close:
        return []
    out = []
    for rec, names, text in candidates():
        # A word of the record holds its letters in a row: records without any close word as
        # text are passed over before their words are listed.
        if not any(w in text or w in names for w in close):
            continue
        in_names = [close[w] + 10 for w in set(_WORD_RE.findall(names)) if w in close]
        in_text = [close[w] for w in set(_WORD_RE.findall(text)) if w in close]
        if in_names or in_text:
            out.append(Hit(rec, FUZZY, max(in_names + in_text) + _TYPE_BONUS.get(rec["type"], 0.0)))
    return out


def _order(hit: Hit) -> tuple[int, float, str]:
    return (_TIER_RANK[hit.tier], -hit.score, hit.record["id"])


def fuzzy_names(key: str, names: list[str], limit: int = 5) -> list[tuple[str, float]]:
    """Closest names to a normalised key as (name, whole-string similarity 0-100), best first.
    Candidates come from WRatio, which finds partial overlaps; they are ranked by plain ratio,
    so "ministry of foreign affairs" is not taken for "ministry of industry ..."."""
    if not names:
        return []
    from rapidfuzz import fuzz, process

    found = process.extract(key, names, scorer=fuzz.WRatio, limit=limit * 2, score_cutoff=60)
    ranked = sorted(((name, fuzz.ratio(key, name)) for name, _, _ in found), key=lambda m: -m[1])
    return ranked[:limit]
