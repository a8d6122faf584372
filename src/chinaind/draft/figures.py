"""Figures as sentences state them: a value with its unit, or an amount of money with its
currency and scale; a ratio ("26 5G base stations per 10,000 people"); a comparator only as
written ("at least", "more than", "over", "up to", "about"); a relative goal ("double ... from
2020 levels"); a deadline ("by 2025"). What the model cannot hold as the text says it ("almost
twice", "nearly", "fewer than", an amount in two currencies) is never bent to fit: the
sentence is left to the analyst, with the reason.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from chinaind.draft.dates import deadline_in

WORD_NUMBERS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
WORD_NUMBERS.update({"thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "a hundred": 100})
SCALES = {"thousand": 10**3, "ten thousand": 10**4, "million": 10**6, "billion": 10**9, "trillion": 10**12}
CURRENCIES = {"cny": "CNY", "rmb": "CNY", "yuan": "CNY", "usd": "USD", "us$": "USD", "$": "USD", "dollars": "USD",
              "eur": "EUR", "euros": "EUR", "€": "EUR", "¥": "CNY"}
COMPARATORS = {"at least": "at-least", "no less than": "at-least", "more than": "more-than", "over": "more-than",
               "above": "more-than", "exceeding": "more-than", "up to": "up-to", "as many as": "up-to", "about": "about",
               "around": "about", "approximately": "about", "roughly": "about", "some": "about",
               "almost": "almost", "nearly": "nearly"}
# Stated, but not in the model's words: left to the analyst rather than rounded to a neighbour.
UNHELD = ("fewer than", "less than", "under", "close to", "just over", "just under")

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_WORDNUM = r"\b(?:" + "|".join(sorted((w for w in WORD_NUMBERS if w != "zero"), key=len, reverse=True)) + r")\b"
_CMP = r"(?P<cmp>" + "|".join(sorted([*COMPARATORS, *UNHELD], key=len, reverse=True)) + r")\s+"
_CUR_BEFORE = r"(?P<cur1>CNY|RMB|USD|EUR|US\$|\$|€|¥)\s?"
_SCALE = r"(?:\s*(?P<scale>ten thousand|thousand|million|billion|trillion|mn|bn))?"
_CUR_AFTER = r"(?:\s*(?P<cur2>CNY|RMB|yuan|USD|dollars|euros))?"
_AMOUNT_RE = re.compile(
    rf"(?:{_CMP})?(?:{_CUR_BEFORE})?(?P<num>{_NUM}|{_WORDNUM}){_SCALE}{_CUR_AFTER}"
    r"(?:\s*(?P<pct>%|percent\b|per cent\b))?", re.I)
# Words that end a unit: prepositions, articles and the verbs sentences put after a number.
_STOP = ("by in per of to from and or as with for on at that which the a an is are was were be been being has have had "
         "will would shall should can could may might built reached reach set made more than over up this these those its "
         "their it they since until during across each every all such")
_STOP_RE = "|".join(_STOP.split())
_UNIT_RE = re.compile(rf"\s*(?:new\s+)?(?P<unit>(?!(?:{_STOP_RE})\b)[A-Za-z0-9][\w/-]*(?:\s+(?!(?:{_STOP_RE})\b)[A-Za-z][\w/-]*){{0,3}})", re.I)
_PER_RE = re.compile(rf"\s*(?:per|for every)\s+(?P<num>{_NUM}|{_WORDNUM}|ten thousand){_SCALE}\s+(?P<unit>[a-z][\w -]{{1,40}}?)(?=[,.;)]|\s+(?:by|in|and|from)\b|$)", re.I)
_RELATIVE_RE = re.compile(r"(?P<cmp>almost |nearly |about )?\b(?P<word>double|doubl\w+|twice|triple|tripl\w+|three times|quadruple)\b"
                          r"(?:[^.;]*?\b(?:from|the|over|of)\s+(?P<year>(?:19|20)\d\d)\b)?", re.I)
_GOAL_RE = re.compile(r"^\s*[-•]\s*(?:Double|Achieve|Promote|Establish|Build|Reach|Increase|Raise|Cultivate|Develop|"
                      r"Form|Create|Expand|Improve|Strive|Make|Set up|Support|Foster|Cut|Reduce|Lower|Add)\b|"
                      r"\b(?:will|shall|should|aims?|target\w*|goal|plans? to|expects?|seeks?|strives?|is to|are to|set to|"
                      r"by (?:19|20)\d\d|to reach|to achieve|calls? for|requires?|required)\b", re.I)
_TALLY_RE = re.compile(r"^\s*(?:key |main |strategic |high-level |policy |major )*(?:areas|fields|tasks|priorities|industries|"
                       r"sectors|products|categories|technologies|measures|projects|cities|parks|agencies|ministries)\b", re.I)
_YEARLIKE = re.compile(r"^(?:19|20)\d\d$")
_MONTH_BEFORE = re.compile(r"(?i)\b(?:January|February|March|April|May|June|July|August|September|October|November|"
                           r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?\s+$")


class Drafted(NamedTuple):
    """One figure drafted from a sentence: its fields, and the words each came from."""

    fields: dict[str, Any]
    words: dict[str, str]  # field -> the words of the text it was read from


class LeftOver(NamedTuple):
    sentence: str
    reason: str


def figures_in(sentence: str) -> tuple[list[Drafted], list[LeftOver]]:
    found: list[Drafted] = []
    left: list[LeftOver] = []
    relative = _relative(sentence, deadline_in(sentence))
    taken = 0  # the end of the last figure's words (its ratio included): nothing inside is another
    for m in _AMOUNT_RE.finditer(sentence):
        raw = m.group("num")
        if m.start() < taken or _skip(sentence, m, raw):
            continue
        cmp_words = (m.group("cmp") or "").lower()
        if cmp_words in UNHELD:
            left.append(LeftOver(sentence, f'"{cmp_words} {raw}": the model has no comparator for "{cmp_words}"'))
            continue
        drafted = _figure(sentence, m, relative)
        if drafted is not None:
            found.append(drafted.figure)
            taken = drafted.end
    if relative is not None and not any("change" in d.fields for d in found):
        if relative.fields.get("comparator") is None and relative.words.get("unheld"):
            left.append(LeftOver(sentence, f'"{relative.words["unheld"]}": the model has no comparator for it'))
        else:
            found.append(relative)
    return _with_equivalents(sentence, found), left


_EQUIVALENT_RE = re.compile(r"^\s*\(\s*(?:about\s+|around\s+|some\s+)?(?:US\$|\$|USD|€|EUR|CNY|RMB|¥)?\s?[\d.,]+")


def _with_equivalents(sentence: str, found: list[Drafted]) -> list[Drafted]:
    """An amount followed by the same amount in another currency in brackets ("138.7 billion
    yuan ($19.2 billion)") is one figure: the second is its `equivalent`, as the source gives it."""
    out: list[Drafted] = []
    for figure in found:
        prev = out[-1] if out else None
        if (prev is not None and prev.fields.get("currency") and figure.fields.get("currency")
                and figure.fields["currency"] != prev.fields["currency"] and "equivalent" not in prev.fields):
            words = prev.words["value"] + " (" + figure.words["value"]
            if re.search(re.escape(prev.words["value"]) + r"\s*\(\s*" + re.escape(figure.words["value"]), sentence):
                fields = {**prev.fields, "equivalent": {"value": figure.fields["value"], "currency": figure.fields["currency"]}}
                out[-1] = Drafted(fields, {**prev.words, "equivalent": words + ")"})
                continue
        out.append(figure)
    return out


def _skip(sentence: str, m: re.Match[str], raw: str) -> bool:
    """Years, list numbers and the parts of words are not figures."""
    if _YEARLIKE.match(raw) and not (m.group("cur1") or m.group("cur2") or m.group("scale") or m.group("pct")):
        return True
    before = sentence[:m.start("num")]
    if _MONTH_BEFORE.search(before):
        return True  # "September 27, 2017": a day of a date
    if before.endswith(("-", "/")) or re.search(r"[\dA-Za-z][.,]?$", before):
        return True  # SIM0417, VV116, 2023-25
    if raw.lower() == "one" or re.match(r"^\s*[-•]?\s*$", before) and sentence[m.end("num"):m.end("num") + 1] == ".":
        return True  # "one of", "on the one hand"; a list's numbering ("3. Fiber laser")
    after = sentence[m.end("num"):m.end("num") + 2]
    if re.match(r"-[A-Za-z]", after):
        return True  # "five-year", "8.5-generation": a compound word, not a count
    return bool(re.match(r"[a-zA-Z]", after[:1])) and not m.group("pct")  # 5G, 14th, 3D


def number(raw: str) -> int | float:
    text = raw.lower().replace(",", "")
    if text in WORD_NUMBERS:
        return WORD_NUMBERS[text]
    value = float(text)
    return int(value) if value.is_integer() else value


def _scaled(value: int | float, scale: str | None) -> int | float:
    if not scale:
        return value
    factor = SCALES.get(scale.lower(), {"mn": 10**6, "bn": 10**9}.get(scale.lower(), 1))
    out = round(value * factor, 6)
    return int(out) if float(out).is_integer() else out


# "five partners, including CATL and SAIC-GM": a counted set, with the members the text names.
_INCLUDING_RE = re.compile(r",?\s+(?:including|among them|such as)\s+(?P<names>[A-Z][\w&.'’-]*(?:\s+[A-Z0-9][\w&.'’-]*)*"
                           r"(?:(?:,\s*|\s+and\s+)[A-Z][\w&.'’-]*(?:\s+[A-Z0-9][\w&.'’-]*)*)*)")


class _Unit(NamedTuple):
    text: str
    end: int


_WORD_RE = re.compile(r"\s*([A-Za-z0-9][\w/'’-]*)")
_STOP_WORDS = frozenset(_STOP.split()) | {"where", "who", "whose", "when", "while", "led", "including", "such", "like"}
_JOINERS = frozenset({"and"})


def unit_after(rest: str) -> _Unit | None:
    """The noun phrase after a number, up to five words: "5G base stations", "key economic and
    social areas". It ends at punctuation, a preposition, an article or a verb; "and" and "of"
    join only words, never another number ("stations and 300 cities")."""
    words: list[str] = []
    end = pos = 0
    while len(words) < 5:
        m = _WORD_RE.match(rest, pos)
        if m is None:
            break
        word = m.group(1)
        lowered = word.lower()
        if lowered in _JOINERS and words:
            after = _WORD_RE.match(rest, m.end())
            if after is None or after.group(1)[0].isdigit() or after.group(1).lower() in _STOP_WORDS \
                    or after.group(1).lower().endswith(("ing", "ed")):
                break  # "stations and 300 cities", "kWh/100 km and raising": a new clause
            words.append(word)
            pos = m.end()
            continue
        if lowered in _STOP_WORDS or (not words and lowered in WORD_NUMBERS):
            break
        words.append(word)
        pos = end = m.end()
    while words and words[-1].lower() in _JOINERS:
        words.pop()
    text = " ".join(words).rstrip("'’")
    return _Unit(text, end) if text else None


class _Read(NamedTuple):
    figure: Drafted
    end: int  # where its words end in the sentence


_STANDALONE_NUMBER_RE = re.compile(r"(?<![\w.,])\d[\d,.]*(?![\w])")


def deadline_near(sentence: str, at: int) -> Any:
    """The deadline of the figure whose words end at `at`: the first "by YYYY" after it with no
    other number between, else the last one before it."""
    from chinaind.draft.dates import DEADLINE_RE, Found

    after = sentence[at:]
    m = DEADLINE_RE.search(after)
    if m is not None and not _STANDALONE_NUMBER_RE.search(after[:m.start()]):
        return Found(m.group(1), m.group(0))
    before = list(DEADLINE_RE.finditer(sentence[:at]))
    return Found(before[-1].group(1), before[-1].group(0)) if before else None


def _figure(sentence: str, m: re.Match[str], relative: Drafted | None) -> _Read | None:
    fields: dict[str, Any] = {}
    words: dict[str, str] = {"value": m.group(0).strip()}
    value = _scaled(number(m.group("num")), m.group("scale"))
    currency = m.group("cur1") or m.group("cur2")
    rest = sentence[m.end():]
    end = m.end()
    fields["value"] = value
    if currency:
        fields["currency"] = CURRENCIES[currency.lower()]
        words["currency"] = currency
    elif m.group("pct"):
        fields["unit"] = "percent"
        words["unit"] = m.group("pct")
    else:
        unit = unit_after(rest)
        if unit is not None:
            fields["unit"] = unit.text
            words["unit"] = unit.text
            end += unit.end
            per = _PER_RE.match(rest[unit.end:])
            if per is not None:
                fields["per"] = {"value": _scaled(number(per.group("num")), per.group("scale")), "unit": per.group("unit").strip()}
                words["per"] = per.group(0).strip()
                end += per.end()
            named = _INCLUDING_RE.match(rest[unit.end:])
            if named is not None and "per" not in fields:
                fields["named"] = [n.strip().rstrip(".,;:") for n in re.split(r",\s*|\s+and\s+", named.group("names")) if n.strip()]
                words["named"] = named.group(0).strip()
                end += named.end()
        elif not m.group("scale") and isinstance(value, int) and value < 10:
            return None  # "2 of them", "one": a bare small number is no figure
    if m.group("cmp"):
        fields["comparator"] = COMPARATORS[m.group("cmp").lower()]
        words["comparator"] = m.group("cmp").strip()
    deadline = deadline_near(sentence, end)
    kind = _kind(sentence, fields, deadline)
    fields = {"kind": kind, "what": fields.get("unit") if fields.get("unit") not in (None, "percent") else None, **fields}
    if deadline is not None and kind == "goal":
        fields["deadline"] = deadline.value
        words["deadline"] = deadline.words
    if relative is not None and kind == "goal" and relative.fields.get("change"):
        fields["change"] = relative.fields["change"]
        words["change"] = relative.words["change"]
        if "baseline" in relative.fields:
            fields["baseline"] = relative.fields["baseline"]
            words["baseline"] = relative.words["baseline"]
    return _Read(Drafted({k: v for k, v in fields.items() if v is not None}, words), end)


def _kind(sentence: str, fields: dict[str, Any], deadline: Any) -> str:
    if deadline is not None or _GOAL_RE.search(sentence):
        return "goal"
    if re.search(r"\bas of\b", sentence, re.I):
        return "statistic"  # a count as of a date is measured, not a list's size
    unit = str(fields.get("unit") or "")
    last = unit.split()[-1] if unit else ""
    return "tally" if last and _TALLY_RE.match(last) else "statistic"


def _relative(sentence: str, deadline: Any) -> Drafted | None:
    m = _RELATIVE_RE.search(sentence)
    if m is None:
        return None
    word = m.group("word").lower()
    factor = 2 if word.startswith(("doubl", "twice")) else 3 if word.startswith(("tripl", "three")) else 4
    fields: dict[str, Any] = {"kind": "goal" if deadline is not None or _GOAL_RE.search(sentence) else "statistic",
                              "change": {"factor": factor}}
    words = {"change": m.group(0).strip()}
    if m.group("cmp"):
        cmp_words = m.group("cmp").strip().lower()
        if cmp_words in UNHELD:
            return Drafted(fields, {**words, "unheld": f"{cmp_words} {word}"})
        fields["comparator"] = COMPARATORS[cmp_words]
    if m.group("year"):
        fields["baseline"] = {"year": int(m.group("year"))}
        words["baseline"] = m.group("year")
    if deadline is not None and fields["kind"] == "goal":
        fields["deadline"] = deadline.value
        words["deadline"] = deadline.words
    fields["what"] = None
    return Drafted({k: v for k, v in fields.items() if v is not None}, words)
