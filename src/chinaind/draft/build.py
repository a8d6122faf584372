"""From a text's layout to proposals: one source record, a policy for each reported document
(an event for each corporate line), links to the records the knowledge base has, and new
records for the names it lacks. Every value read from the text is marked with the words it
came from; what the text leaves open (a title it does not give, a summary) is a TODO for the
analyst; what the model cannot hold as written is left over, with the reason."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from chinaind.draft import dates as when
from chinaind.draft.figures import figures_in
from chinaind.draft.layout import Item, Layout, Line, sentences
from chinaind.draft.names import Link, Names
from chinaind.draft.newnames import agencies, agency_kind, organisations, people
from chinaind.draft.proposals import TODO_ANALYSIS, TODO_SUMMARY, Draft, Evidence, Ids, LeftOver, Proposal, slug

_ISSUING_RE = re.compile(r"\b(?:issued|released|published|unveiled|launched|passed|adopted|announced|formulated|"
                         r"jointly|led by|drafted|promulgated|approved|according to)\b", re.I)
# An agency that is the subject of what a plan will do ("The State Council will establish ...").
_WILL_RE = re.compile(r"^\s*(?:The\s+)?(?:[A-Z][\w-]*\s+){1,8}(?:will|is to|plans to|aims to)\b")
_COUNTED_ISSUERS_RE = re.compile(r"\b(?P<n>\d{1,3}|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                                 r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty)\s+(?P<other>other\s+)?"
                                 r"(?:government\s+|central\s+|state\s+)?(?:agencies|ministries|departments|government bodies|bodies)\b", re.I)
_POLICY_KINDS = (("implementation plan", "plan"), ("action plan", "plan"), ("five-year plan", "plan"), ("plan", "plan"),
                 ("notice", "notice"), ("guideline", "guideline"), ("guidance", "guideline"), ("opinions", "guideline"),
                 ("measures", "measures"), ("strategy", "strategy"), ("announcement", "announcement"), ("list", "list"),
                 ("instructions", "instructions"), ("law", "law"), ("regulation", "regulation"), ("communiqu", "communique"),
                 ("proposal", "proposal"), ("initiative", "initiative"), ("programme", "programme"), ("program", "programme"),
                 ("standard", "standard"), ("approv", "approval"), ("article", "article"), ("roadmap", "plan"), ("blueprint", "plan"))
_COMMENT_RE = re.compile(r"^\s*MERICS comment\s*:", re.I)
_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
          "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
          "nineteen": 19, "twenty": 20}




class Builder:
    """Builds the proposals of one draft, sharing the links found and the ids taken."""

    def __init__(self, layout: Layout, names: Names, source_id: str, source_new: bool) -> None:
        self.layout = layout
        self.names = names
        self.source_id = source_id
        self.ids = Ids(names.known_ids)
        self.ids.taken.add(source_id)
        self.proposals: dict[str, Proposal] = {}
        self.left: list[LeftOver] = []
        self.source_new = source_new

    # --- links and new names ---------------------------------------------------------------
    def linked(self, line: Line, section: str) -> list[Link]:
        """Known records named on a line, plus new records for the names the base lacks."""
        seen = len(self.names.ambiguous)
        links = self.names.find(line.text)
        for words, ids in self.names.ambiguous[seen:]:
            if all(l.words != words for l in self.left if l.reason.startswith("names several")):
                shown = ", ".join(ids[:4]) + (f" and {len(ids) - 4} more" if len(ids) > 4 else "")
                self.left.append(LeftOver(section, line.number, words, f"names several records ({shown}): "
                                          "not linked; link the one meant by hand"))
        taken = [(l.start, l.start + len(l.words)) for l in links]
        for named in [*agencies(line.text), *people(line.text), *organisations(line.text)]:
            span = (named.start, named.start + len(named.name))
            if any(a < span[1] and span[0] < b for a, b in taken):
                continue
            taken.append(span)
            links.append(self._new_name(named, line, section))
        return sorted(links, key=lambda l: l.start)

    def _new_name(self, named: Any, line: Line, section: str) -> Link:
        existing = next((p for p in self.proposals.values() if p.new and p.kind == named.kind
                         and p.record.get("name") == named.name), None)
        if existing is not None:
            return Link(existing.rid, named.kind, named.name, named.start)
        # Agency ids are capitals, as the bundled ones (MIIT, CCP-CC): the abbreviation the text
        # gives, else the name's words.
        base = named.abbreviation if named.kind == "agency" and named.abbreviation else (
            slug(named.name).upper() if named.kind == "agency" else slug(named.name))
        rid = self.ids.fresh(base, named.kind)
        evidence = Evidence(named.words or named.name, line.number)
        record: dict[str, Any] = {"id": rid, "name": named.name}
        marks: dict[tuple[Any, ...], Evidence] = {("name",): evidence}
        if named.kind == "agency":
            if named.abbreviation:
                record["aliases"] = [named.abbreviation]
                marks[("aliases", 0)] = evidence
            record["kind"] = agency_kind(named.name) or "TODO  # ministry, commission, administration, ... (chinaind new --help)"
            if agency_kind(named.name):
                marks[("kind",)] = Evidence(named.name, line.number)
        if named.kind == "person" and named.post:
            record["positions"] = [{"title": named.post}]
            marks[("positions", 0, "title")] = Evidence(named.words or named.name, line.number)
        record["sources"] = [{"source": self.source_id, "section": section}]
        self.proposals[rid] = Proposal(named.kind, rid, record, marks, True, section)
        return Link(rid, named.kind, named.name, named.start)

    # --- items ------------------------------------------------------------------------------
    def add_item(self, item: Item) -> None:
        if item.corporate:
            from chinaind.draft.events import event

            event(self, item)
        else:
            self._policy(item)

    def _policy(self, item: Item) -> None:
        record: dict[str, Any] = {}
        marks: dict[tuple[Any, ...], Evidence] = {}
        title = item.article.title
        quoted = None if title else _quoted_name(item)
        if title is not None or quoted is not None:
            shown = title or quoted
            record["title"] = shown.text  # type: ignore[union-attr]
            marks[("title",)] = Evidence(shown.text, shown.number)  # type: ignore[union-attr]
        else:
            record["title"] = "TODO a short descriptive title in your own words (the text gives none)"
            record["title_descriptive"] = True
        if item.article.title_zh:
            record["title_zh"] = item.article.title_zh
            marks[("title_zh",)] = Evidence(item.article.title_zh, title.number if title else 0)
        kind = _policy_kind(record["title"]) if "TODO" not in record["title"] else _reported_kind(item)
        record["kind"] = kind.kind if kind else "TODO  # plan, notice, guideline, measures, ... (chinaind schema policy)"
        if kind:
            named_in = title or quoted
            marks[("kind",)] = Evidence(kind.words, kind.line or (named_in.number if named_in else 0))
        self._dates(item, record, marks)
        self._issuers(item, record, marks)
        self._links(item, record, marks)
        self._figures(item, record, marks)
        record["summary"] = TODO_SUMMARY
        if _commentary(item):
            record["analysis"] = TODO_ANALYSIS
        record["sources"] = [{"source": self.source_id, "section": item.section}]
        rid = self.ids.fresh(_policy_id(record, item), "policy")
        self.proposals[rid] = Proposal("policy", rid, {"id": rid, **record}, marks, True, item.section)
        from chinaind.draft.others import other_documents

        other_documents(self, item, record, _commentary(item))

    def _dates(self, item: Item, record: dict[str, Any], marks: dict[tuple[Any, ...], Evidence]) -> None:
        entries: list[tuple[dict[str, Any], Evidence]] = []
        if item.article.date is not None:
            value = when.parse_written_date(item.article.date.text)
            if value:
                entries.append(({"role": "issued", "date": value}, Evidence(item.article.date.text, item.article.date.number)))
        elif item.when is not None:
            found = when.month_day(item.when.text, self.layout.issue_date_value)
            if found is not None:
                role = "reported" if re.search(r"\breported(?:ly)?\b", item.lines[0].text) else "issued"
                entry: dict[str, Any] = {"role": role, "date": found.value}
                if found.year_inferred:
                    entry["year_inferred"] = True
                entries.append((entry, Evidence(item.when.text, item.when.number)))
        else:
            for line in item.lines:
                for found in when.dates_in(line.text):
                    entries.append(({"role": "issued", "date": found.value}, Evidence(found.words, line.number)))
                for words in when.relative_dates(line.text):
                    self.left.append(LeftOver(item.section, line.number, words, "a day the text names only relative to "
                                              "its own date: no date drafted; add it if the source's date is known"))
        if entries:
            record["dates"] = [entry for entry, _ in entries[:1]]
            marks[("dates", 0, "date")] = entries[0][1]
        period = next(((p, l) for l in _document_lines(item) for p in when.periods_in(l.text)), None)
        if period is not None:
            span, line = period
            record["period"] = {"start": span.start, "end": span.end}
            marks[("period", "start")] = marks[("period", "end")] = Evidence(span.words, line.number)

    def _issuers(self, item: Item, record: dict[str, Any], marks: dict[tuple[Any, ...], Evidence]) -> None:
        found: list[tuple[str, Evidence]] = []
        block = item.article.issuers
        if block is not None:
            head, republished = (re.split(r",?\s*republished by\s+", block.text, maxsplit=1)
                                 if "republished by" in block.text else [block.text, ""])
            for part in re.split(r",\s*|\s+and\s+", head):
                found += self._agency_links(part, Line(block.number, part), item.section)
            if republished:
                ids = [rid for rid, _ in self._agency_links(republished, Line(block.number, republished), item.section)]
                if ids:
                    record["republished_by"] = ids
                    marks.update({("republished_by", i): Evidence(block.text, block.number) for i in range(len(ids))})
        else:
            for line in _document_lines(item):
                for sentence in sentences(line.text):
                    if _ISSUING_RE.search(sentence) or _WILL_RE.match(sentence):
                        found += self._agency_links(sentence, Line(line.number, sentence), item.section)
        ids = list(dict.fromkeys(rid for rid, _ in found))
        if ids:
            record["issuers"] = ids
            for i, rid in enumerate(ids):
                marks[("issuers", i)] = next(ev for r, ev in found if r == rid)
        self._counted(item, record, marks, len(ids))

    def _agency_links(self, text: str, line: Line, section: str) -> list[tuple[str, Evidence]]:
        return [(l.rid, Evidence(l.words, line.number)) for l in self.linked(line, section) if l.rtype == "agency"]

    def _counted(self, item: Item, record: dict[str, Any], marks: dict[tuple[Any, ...], Evidence], named: int) -> None:
        for line in _document_lines(item):
            m = _COUNTED_ISSUERS_RE.search(line.text)
            if m is None:
                continue
            n = int(m.group("n")) if m.group("n").isdigit() else _WORDS[m.group("n").lower()]
            total = n + 1 if m.group("other") else n
            if total >= max(named, 1):
                record["issuers_total"] = total
                marks[("issuers_total",)] = Evidence(m.group(0), line.number)
            return

    def _links(self, item: Item, record: dict[str, Any], marks: dict[tuple[Any, ...], Evidence]) -> None:
        fields = {"sector": "sectors", "technology": "technologies", "policy": "refers_to"}
        said_by_commentary = _commentary(item)
        for line in item.lines:
            commentary = line.number in said_by_commentary
            for link in self.linked(line, item.section):
                if link.rtype in fields:
                    key = fields[link.rtype]
                    values = record.setdefault(key, [])
                    if link.rid not in values:
                        marks[(key, len(values))] = Evidence(link.words, line.number)
                        values.append(link.rid)
                elif link.rtype == "company":
                    orgs = record.setdefault("organisations", [])
                    if all(o["org"] != link.rid for o in orgs):
                        role = "named in the newsletter's comment" if commentary else "named in the item"
                        entry = {"org": link.rid, "role": role, **({"in_commentary": True} if commentary else {})}
                        marks[("organisations", len(orgs), "org")] = Evidence(link.words, line.number)
                        orgs.append(entry)
                elif link.rtype == "person":
                    ppl = record.setdefault("people", [])
                    if all(p["person"] != link.rid for p in ppl):
                        marks[("people", len(ppl), "person")] = Evidence(link.words, line.number)
                        ppl.append({"person": link.rid, "role": "named in the item"})

    def _figures(self, item: Item, record: dict[str, Any], marks: dict[tuple[Any, ...], Evidence]) -> None:
        figures: list[dict[str, Any]] = []
        said_by_commentary = _commentary(item)
        for line in item.lines:
            if line.number in said_by_commentary or _is_block_line(line, item) or re.match(r"^\s*\d{1,2}\.\s", line.text):
                continue  # the newsletter's comment; the Article block; an entry of a numbered list
            for sentence in sentences(line.text):
                drafted, left = figures_in(_COUNTED_ISSUERS_RE.sub("", sentence))
                self.left += [LeftOver(item.section, line.number, l.sentence, l.reason) for l in left]
                for figure in drafted:
                    n = len(figures)
                    fields = dict(figure.fields)
                    what = fields.pop("what", None)
                    fid = self.ids_in(figures, slug(what or fields.get("unit") or "figure", 40))
                    entry = {"id": fid, "kind": fields.pop("kind"), "what": what or "TODO what is counted, in your own words", **fields}
                    figures.append(entry)
                    marks[("figures", n, "kind")] = Evidence(sentence, line.number)
                    for key, words in figure.words.items():
                        if key in entry and key != "kind":
                            marks[("figures", n, key)] = Evidence(words, line.number)
                    if what:
                        marks[("figures", n, "what")] = Evidence(what, line.number)
        comment_figures = [l for l in item.lines if l.number in said_by_commentary and figures_in(l.text)[0]]
        for line in comment_figures:
            self.left.append(LeftOver(item.section, line.number, line.text[:120], "figures in the newsletter's comment, not "
                                      "the document's own: not drafted; record them as commentary if they matter"))
        if figures:
            record["figures"] = figures

    @staticmethod
    def ids_in(figures: list[dict[str, Any]], base: str) -> str:
        taken = {f["id"] for f in figures}
        rid, n = base or "figure", 2
        while rid in taken:
            rid, n = f"{base}-{n}", n + 1
        return rid

def _quoted_name(item: Item) -> Line | None:
    """A plan or programme the text names in quotes (“...” Development Plan), as its title."""
    for line in item.lines:
        m = re.search(r"[“\"]([A-Za-z0-9][^”\",]{2,79})[”\"]\s*((?:[A-Z][\w-]*\s*){0,6}(?:Plan|Programme|Program|Initiative|Strategy|Guideline|Guidelines|Notice|Measures))\b", line.text)
        if m is not None:
            return Line(line.number, f"\"{m.group(1)}\" {m.group(2).strip()}".strip())
    return None


_REPORTED_KIND_RE = re.compile(r"\b(?:issued|released|published|launched|unveiled|passed|adopted|approved)\s+(?:a|an|the)?\s*"
                               r"(?:new\s+)?(?:[\w-]+\s+){0,4}?(?P<kind>notice|plan|guidelines?|measures|strategy|instructions|"
                               r"programme|program|regulations?|law|list|standards?|roadmap|blueprint|opinions)\b", re.I)


class KindFound(NamedTuple):
    kind: str
    words: str  # as the text writes them
    line: int = 0  # where, when not the title's line


def _reported_kind(item: Item) -> KindFound | None:
    """The kind of document a line reports without naming it ("issued a notice to ..."), the
    words that say so and their line."""
    for line in _document_lines(item)[:3]:
        m = _REPORTED_KIND_RE.search(line.text)
        if m is not None:
            found = _policy_kind(m.group("kind"))
            return KindFound(found.kind, m.group(0), line.number) if found else None
    return None


def _policy_kind(title: str) -> KindFound | None:
    lowered = title.lower()
    for words, kind in _POLICY_KINDS:
        at = lowered.find(words)
        if at >= 0:
            return KindFound(kind, title[at:at + len(words)])
    return None


def _policy_id(record: dict[str, Any], item: Item) -> str:
    """From the title; without one, from the issuer and kind ("miit-plan-2021"), else from the
    newsletter's headline or the item's first words."""
    year = next((e["date"][:4] for e in record.get("dates", []) if e["date"][:1].isdigit()), None)
    if "TODO" in record["title"] and record.get("issuers") and "TODO" not in record["kind"]:
        return slug(f"{record['issuers'][0]} {record['kind']} {year or ''}", 40)
    title = record["title"] if "TODO" not in record["title"] else (item.heading or item.lines[0].text)
    base = slug(re.sub(r"^(?:the|a|an)\s+", "", title, flags=re.I), 40)
    return f"{base}-{year}" if year and year not in base else base


def _document_lines(item: Item) -> list[Line]:
    commentary = _commentary(item)
    return [l for l in item.lines if l.number not in commentary][:6]


def _commentary(item: Item) -> set[int]:
    """Lines of the newsletter's own comment: from "MERICS comment:" to the Article block."""
    out: set[int] = set()
    inside = False
    for line in item.lines:
        if _COMMENT_RE.match(line.text):
            inside = True
        elif item.article.title is not None and line.number >= item.article.title.number:
            inside = False
        if inside:
            out.add(line.number)
    return out


def _is_block_line(line: Line, item: Item) -> bool:
    block = item.article
    numbers = {x.number for x in (block.title, block.issuers, block.date) if x is not None}
    return line.number in numbers or (block.title is not None and line.number == block.title.number + 1)


def build(layout: Layout, names: Names, source: Proposal, source_new: bool) -> Draft:
    builder = Builder(layout, names, source.rid, source_new)
    builder.proposals[source.rid] = source
    for item in layout.items:
        builder.add_item(item)
    return Draft(source.rid, list(builder.proposals.values()), builder.left)
