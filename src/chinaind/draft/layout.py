"""The parts of a text: its source (address, publication, title, issue date, authors, the
headlines of its contents) and its items (a newsletter's Top 5 stories and Noteworthy lines; a
news article's one story), each with the section it came from and the words it holds.

Only the shapes newsletters and news pages take are read, never a guess: a heading is a
numbered line followed by "At a glance:", a Noteworthy line starts with a date in asterisks,
an Article block is the lines "Article:", "Issuing bodies:" and "Date:".
"""

from __future__ import annotations

import re
from typing import NamedTuple

from chinaind.draft.dates import ISSUE_DATE_RE, parse_written_date

_URL_RE = re.compile(r"^\s*(https?://\S+)\s*$")
_ITEM_RE = re.compile(r"^\s*(\d{1,2})\.\s+(\S.{3,200}?)\s*$")
_CONTENTS_LINE_RE = re.compile(r"^\s*(\d{1,2})\.\s+(.+?)[\s.…]*\t*\s*\d{0,3}\s*$")
_NOTEWORTHY_RE = re.compile(r"^\s*[-•*]\s*\*(?P<when>[A-Z][a-z]+ \d{1,2}(?:, \d{4})?):\*\s*(?P<text>.+)$")
_SUBSECTION_RE = re.compile(r"^\s*(Policy news|Corporate news|Company news|Other news)\s*\.*\s*\d*\s*$", re.I)
_ARTICLE_RE = re.compile(r"^\s*Article:\s*(.+?)\s*$")
_ISSUERS_RE = re.compile(r"^\s*Issuing bod(?:y|ies):\s*(.+?)\s*$", re.I)
_DATE_LINE_RE = re.compile(r"^\s*Date:\s*(.+?)\s*$")
_PUBLISHER_RE = re.compile(r"^\s*Source:\s*(.{2,80}?)\s*$")
_BYLINE_RE = re.compile(r"^\s*By\s+([A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3}(?:\s*(?:,|and)\s*[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3})*)\s*$")
_CHINESE_TITLE_RE = re.compile(r"^\s*[(（]([^()（）]*[\u3400-\u9fff][^()（）]*)[)）]")
_LINK_RE = re.compile(r"\s*\(\[[^\]]*\]\([^)]*\)(?:,\s*\[[^\]]*\]\([^)]*\))*\)|\[([^\]]+)\]\([^)]*\)")


class Line(NamedTuple):
    number: int  # 1-based, in the text as read
    text: str


class Article(NamedTuple):
    """The block naming the document an item reports: what the text gives, as written."""

    title: Line | None
    title_zh: str | None
    issuers: Line | None
    date: Line | None


class Item(NamedTuple):
    section: str  # "Top 5, item 1", "Noteworthy, Policy news", "Article"
    heading: str | None  # the newsletter's headline for it (not the document's title)
    lines: list[Line]  # its words, links reduced to their text
    article: Article
    when: Line | None  # a Noteworthy line's date ("February 3"), with its line
    corporate: bool  # a corporate-news line: an event of an organisation, not a document


class Layout(NamedTuple):
    url: str | None
    publication: Line | None
    title: Line | None
    issue_date: Line | None  # the line stating it; its value is in issue_date_value
    issue_date_value: str | None
    authors: list[Line]
    editors: list[Line]
    headlines: list[tuple[str, str]]  # (section, text)
    newsletter: bool
    items: list[Item]


_SENTENCE_RE = re.compile(r"(?<=[.;!?])\s+(?=[A-Z“\"(])")


def sentences(text: str) -> list[str]:
    """A line's sentences: split after a full stop, semicolon or mark before a capital."""
    return [s for s in _SENTENCE_RE.split(text) if s.strip()]


def clean(text: str) -> str:
    """A line without Markdown link targets ("[MEE notice](#)" -> "MEE notice"; trailing
    "([Link](#))" dropped) and with its spaces folded."""
    return " ".join(_LINK_RE.sub(lambda m: m.group(1) or "", text).split())


def read_layout(text: str) -> Layout:
    lines = [Line(i + 1, raw) for i, raw in enumerate(text.splitlines())]
    body = [line for line in lines if line.text.strip()]
    url = next((m.group(1) for line in body[:3] if (m := _URL_RE.match(line.text))), None)
    newsletter = _is_newsletter(body)
    items = _newsletter_items(lines) if newsletter else []
    if not items:
        items = [_article_item(lines)]
    issue = _issue_date(body)
    return Layout(url, _publication(body, newsletter), _title(body, newsletter), issue,
                  parse_written_date(issue.text) if issue else None,
                  _authors(lines), _authors(lines, "EDITORS"), _headlines(lines, items, newsletter), newsletter, items)


def _is_newsletter(body: list[Line]) -> bool:
    heads = sum(1 for line in body if line.text.strip().lower().startswith("at a glance"))
    return heads >= 1 and any(_ITEM_RE.match(line.text) for line in body)


def _publication(body: list[Line], newsletter: bool) -> Line | None:
    for line in body[:40]:
        if line.text.strip() == "China Industries" or "MERICS China Industries" in line.text:
            return Line(line.number, "MERICS China Industries")
        if (m := _PUBLISHER_RE.match(line.text)) is not None:
            return Line(line.number, m.group(1))
    return None


def _title(body: list[Line], newsletter: bool) -> Line | None:
    """A news page's headline: the first short line after the address that is no sentence."""
    for line in body[:12]:
        text = line.text.strip()
        if _URL_RE.match(text) or _PUBLISHER_RE.match(text) or text.startswith(("MERICS", "By ")):
            continue
        if ISSUE_DATE_RE.fullmatch(text) or text.lower() in ("china industries", "contents") or "min read" in text:
            continue
        if newsletter and (_ITEM_RE.match(text) or text.lower().startswith("merics top")):
            return None
        if 8 <= len(text) <= 140 and not text.endswith((".", ":", ",")) and len(text.split()) <= 20:
            return Line(line.number, clean(text))
        return None
    return None


def _issue_date(body: list[Line]) -> Line | None:
    """A line near the top that is a date and nothing else ("MARCH 1, 2023")."""
    for line in body[:15]:
        if ISSUE_DATE_RE.fullmatch(line.text.strip()):
            return line
    return None


_NAME_RE = re.compile(r"[A-Z][a-z'’]+(?:-[A-Z]?[a-z'’]+)?(?: [A-Z][a-z'’]+(?:-[A-Z]?[a-z'’]+)?){1,3}")


def _authors(lines: list[Line], heading: str = "AUTHORS") -> list[Line]:
    """Names in a byline ("By Jane Doe and John Roe") near the top, or listed under a heading
    in capitals (AUTHORS, EDITORS): a name stands after a blank line (the line after it, if
    any, is the post), up to the next heading."""
    found: list[Line] = []
    body = [line for line in lines if line.text.strip()]
    if heading == "AUTHORS":
        for line in body[:15]:
            if (m := _BYLINE_RE.match(line.text)) is not None:
                found += [Line(line.number, name.strip()) for name in re.split(r",|\band\b", m.group(1)) if name.strip()]
    for i, line in enumerate(lines):
        if line.text.strip().rstrip(":") not in (heading, heading[:-1]):
            continue
        for j in range(i + 1, min(i + 40, len(lines))):
            text = lines[j].text.strip()
            if text.isupper() and len(text) > 3:
                break  # the next heading (EDITORS, PUBLISHER)
            after_blank = not lines[j - 1].text.strip() or j == i + 1
            if after_blank and _NAME_RE.fullmatch(text):
                found.append(Line(lines[j].number, text))
    return found


def _headlines(lines: list[Line], items: list[Item], newsletter: bool) -> list[tuple[str, str]]:
    if not newsletter:
        return []
    return [(item.section, item.heading) for item in items if item.heading and item.section.startswith("Top 5")]


def _newsletter_items(lines: list[Line]) -> list[Item]:
    starts = _item_starts(lines)
    items: list[Item] = []
    for n, (index, number, heading) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else _noteworthy_start(lines, index)
        items.append(_top_item(f"Top 5, item {number}", heading, lines[index + 1:end]))
    items += _noteworthy_items(lines)
    return items


def _item_starts(lines: list[Line]) -> list[tuple[int, str, str]]:
    """(index, number, heading) of each numbered heading followed by "At a glance"."""
    out = []
    for i, line in enumerate(lines):
        m = _ITEM_RE.match(line.text)
        if m is None or "....." in line.text or re.search(r"\t\d+$|\s{2,}\d+$", line.text):
            continue  # a contents line, not the item
        after = [x.text.strip().lower() for x in lines[i + 1:i + 5] if x.text.strip()]
        if after and after[0].startswith("at a glance"):
            out.append((i, m.group(1), clean(m.group(2))))
    return out


def _noteworthy_start(lines: list[Line], after: int) -> int:
    for i in range(after + 1, len(lines)):
        text = lines[i].text.strip()
        if text.upper() == "NOTEWORTHY" or _NOTEWORTHY_RE.match(lines[i].text) or _SUBSECTION_RE.match(text):
            return i
    return len(lines)


def _top_item(section: str, heading: str, lines: list[Line]) -> Item:
    kept = [Line(line.number, clean(line.text)) for line in lines if line.text.strip()]
    return Item(section, heading, kept, _article(kept), None, False)


def _article(lines: list[Line]) -> Article:
    title = zh = issuers = date = None
    for i, line in enumerate(lines):
        if title is None and (m := _ARTICLE_RE.match(line.text)) is not None:
            title = Line(line.number, clean(m.group(1)))
            following = lines[i + 1].text if i + 1 < len(lines) else ""
            if (z := _CHINESE_TITLE_RE.match(following)) is not None:
                zh = z.group(1).strip()
        elif issuers is None and (m := _ISSUERS_RE.match(line.text)) is not None:
            issuers = Line(line.number, m.group(1))
        elif date is None and (m := _DATE_LINE_RE.match(line.text)) is not None:
            date = Line(line.number, m.group(1))
    return Article(title, zh, issuers, date)


def _noteworthy_items(lines: list[Line]) -> list[Item]:
    items, sub = [], "Noteworthy"
    for line in lines:
        if (s := _SUBSECTION_RE.match(line.text)) is not None:
            sub = s.group(1).capitalize()
            continue
        if (m := _NOTEWORTHY_RE.match(line.text)) is None:
            continue
        corporate = sub.lower().startswith(("corporate", "company"))
        text = Line(line.number, clean(m.group("text")))
        items.append(Item(f"Noteworthy, {sub}", None, [text], Article(None, None, None, None),
                          Line(line.number, m.group("when")), corporate))
    return items


def _article_item(lines: list[Line]) -> Item:
    kept = [Line(line.number, clean(line.text)) for line in lines
            if line.text.strip() and not _URL_RE.match(line.text) and not _PUBLISHER_RE.match(line.text)]
    return Item("Article", None, kept, _article(kept), None, False)
