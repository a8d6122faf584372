"""Names the knowledge base does not know, found by the shapes names take in English news:
an agency ("the Ministry of Commerce (MOFCOM)", "the Civil Aviation Administration of China"),
an organisation ("Zhongtian Iron and Steel Group", "Hua Hong Semiconductor"), a person with
the post the text gives ("Xiao Yaqing, minister of industry and information technology",
"Premier Li Keqiang"). Each is a proposal with only what the text says; a form that could be
something else proposes nothing."""

from __future__ import annotations

import re
from typing import Iterator, NamedTuple

_CAP = r"[A-Z][\w&'’-]*"
_JOIN = r"(?:\s+(?:of|for|and|on|the|&)\s+|\s+)"
_AGENCY_RE = re.compile(
    rf"\b(?P<name>(?:(?:State|National|General|Central)\s+(?:{_CAP}\s+){{0,5}}"
    rf"(?:Administration|Commission|Bureau|Agency|Council|Office|Committee)|Ministry|"
    rf"(?:{_CAP}\s+){{1,4}}(?:Administration|Commission|Bureau))"
    rf"(?:\s+(?:of|for)\s+(?:the\s+)?{_CAP}(?:{_JOIN}{_CAP}){{0,6}})?)"
    r"(?:\s*\((?P<abbr>[A-Z][A-Za-z]{1,9})\))?")
_ORG_END = ("Group", "Inc", "Inc.", "Co.", "Corp", "Corp.", "Corporation", "Company", "Technology", "Technologies",
            "Semiconductor", "Robotics", "Bank", "University", "Institute", "Motors", "Motor", "Electric", "Holdings",
            "Industries", "Automobile", "Telecom", "Mobile", "Unicom", "Steel", "Energy", "Electronics", "Airlines",
            "Aviation", "Pharmaceutical", "Pharmaceuticals", "Systems", "Networks", "Labs", "Laboratory", "Exchange", "Fund")
_ORG_RE = re.compile(rf"\b(?P<name>(?:{_CAP}\s+(?:(?:and|of)\s+)?){{1,5}}(?:{'|'.join(re.escape(e) for e in _ORG_END)}))(?![\w])")
_POSTS = (r"(?:vice |deputy |executive )?(?:minister|premier|president|chairman|chairwoman|chair|head|director|"
          r"secretary|party secretary|spokesperson|spokesman|spokeswoman|governor|mayor|chief executive|CEO|founder)")
_PERSON_AFTER_RE = re.compile(rf"\b(?P<name>[A-Z][a-z]+(?:[ -][A-Z][a-z]+){{1,2}}),\s+(?P<post>(?:the\s+)?{_POSTS}\b[^,.;:()]{{0,80}})")
_PERSON_BEFORE_RE = re.compile(rf"\b(?P<post>(?:Vice |Deputy )?(?:Premier|President|Minister|Chairman|Director|Governor))\s+(?P<name>[A-Z][a-z]+ [A-Z][a-z]+(?:-[a-z]+)?)\b")
_LEADING_ARTICLE = re.compile(r"^(?:the|The)\s+")


class Named(NamedTuple):
    kind: str  # agency, company or person
    name: str
    start: int
    abbreviation: str | None = None
    post: str | None = None
    words: str | None = None  # the words of the text, as written


def agencies(text: str) -> Iterator[Named]:
    for m in _AGENCY_RE.finditer(text):
        name = _LEADING_ARTICLE.sub("", m.group("name")).strip()
        if name.split()[0] in ("Ministry",) and " of " not in name and " for " not in name:
            continue  # "Ministry" alone says nothing
        yield Named("agency", name, m.start(), abbreviation=m.group("abbr"), words=m.group(0).strip())


def organisations(text: str) -> Iterator[Named]:
    for m in _ORG_RE.finditer(text):
        name = _LEADING_ARTICLE.sub("", m.group("name")).strip()
        first = name.split()[0]
        if first in ("In", "On", "By", "At", "For", "From", "As", "China's", "Chinese", "National", "State", "The") \
                or len(name.split()) < 2 or re.search(r"\b(?:Ministry|Administration|Commission|Bureau|Council)\b", name):
            continue
        yield Named("company", name, m.start())


def people(text: str) -> Iterator[Named]:
    for m in _PERSON_AFTER_RE.finditer(text):
        yield Named("person", m.group("name"), m.start(), post=" ".join(m.group("post").split()), words=m.group(0))
    for m in _PERSON_BEFORE_RE.finditer(text):
        yield Named("person", m.group("name"), m.start("name"), post=m.group("post"), words=m.group(0))


def agency_kind(name: str) -> str | None:
    """The kind a name says ("Ministry of ..." is a ministry); None when it says none."""
    lowered = name.lower()
    for word, kind in (("state council", "state-council"), ("ministry", "ministry"), ("commission", "commission"),
                       ("administration", "administration"), ("committee", "party-body")):
        if word in lowered:
            return kind if word != "committee" or "communist party" in lowered or "central committee" in lowered else None
    return None
