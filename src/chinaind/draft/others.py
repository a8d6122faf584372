"""Other documents an item reports beside its own: "SAC issued its first call to establish 50
national TSIBs in 2017", "In January, the MIIT circulated a draft that calls for ...". Each is a
draft policy with what its sentence gives (issuers, a kind, a year or month, its figures),
marked as said in the newsletter's comment where it is; the item's own document is not
drafted twice. (`builder` is draft/build.py's Builder, which calls this: not imported, so
that the two modules do not import each other.)"""

from __future__ import annotations

import re
from typing import Any

from chinaind.draft.figures import figures_in
from chinaind.draft.layout import Item, Line, sentences
from chinaind.draft.proposals import TODO_SUMMARY, Evidence, Proposal, slug

_REPORTS_RE = re.compile(r"\b(?P<verb>issued|released|published|circulated|launched|unveiled|adopted)\s+(?:its\s+|a\s+|an\s+|the\s+)?"
                         r"(?:(?:first|new|detailed|draft)\s+)?(?:[\w-]+\s+){0,3}?(?P<kind>notice|plan|guidelines?|measures|strategy|"
                         r"instructions|programme|program|regulations?|law|list|standards?|roadmap|blueprint|call|draft|"
                         r"explanation|proposals?|communiqu\w*)\b", re.I)
_KINDS = {"guideline": "guideline", "guidelines": "guideline", "program": "programme", "regulations": "regulation",
          "standards": "standard", "roadmap": "plan", "blueprint": "plan", "proposals": "proposal", "call": "other",
          "explanation": "other"}
_YEAR_RE = re.compile(r"\bin\s+((?:19|20)\d\d)\b", re.I)
_MONTH_RE = re.compile(r"\bin\s+(January|February|March|April|May|June|July|August|September|October|November|December)\b", re.I)
_MONTHS = ("January February March April May June July August September October November December").split()


def other_documents(builder: Any, item: Item, own: dict[str, Any], commentary: set[int]) -> None:
    own_kind, own_issuers = own.get("kind"), set(own.get("issuers") or [])
    first_reported = item.article.title is None  # then the first report is the item's own document
    for line in item.lines:
        if item.article.title is not None and line.number >= item.article.title.number:
            break  # the Article block: the item's own document
        for sentence in sentences(line.text):
            m = _REPORTS_RE.search(sentence)
            if m is None:
                continue
            agencies = [l for l in builder.linked(Line(line.number, sentence), item.section) if l.rtype == "agency"]
            if not agencies:
                continue
            kind = _KINDS.get(m.group("kind").lower(), m.group("kind").lower())
            kind = "communique" if kind.startswith("communiqu") else kind
            if first_reported:
                first_reported = False
                continue
            ids = list(dict.fromkeys(a.rid for a in agencies))
            if kind == own_kind and set(ids) <= own_issuers:
                continue  # the item's own document, told again
            _propose(builder, item, line, sentence, m, kind, ids, agencies, line.number in commentary)


def _propose(builder: Any, item: Item, line: Line, sentence: str, m: re.Match[str], kind: str,
             ids: list[str], agencies: list[Any], in_commentary: bool) -> None:
    record: dict[str, Any] = {"title": "TODO a short descriptive title in your own words (the text gives none)",
                              "title_descriptive": True}
    marks: dict[tuple[Any, ...], Evidence] = {}
    is_draft = kind == "draft" or "draft" in m.group(0).lower().split()
    record["kind"] = kind if kind not in ("draft",) else "TODO  # what kind of document the draft is"
    if kind != "draft":
        marks[("kind",)] = Evidence(m.group(0), line.number)
    if is_draft:
        record["draft"] = True
        marks[("draft",)] = Evidence(m.group(0), line.number)
    when = _YEAR_RE.search(sentence) or _MONTH_RE.search(sentence)
    if when is not None:
        value = when.group(1) if when.group(1).isdigit() else f"--{_MONTHS.index(when.group(1)) + 1:02d}"
        role = "published" if m.group("verb").lower() in ("published", "circulated", "released") else "issued"
        record["dates"] = [{"role": role, "date": value}]
        marks[("dates", 0, "date")] = Evidence(when.group(0), line.number)
    record["issuers"] = ids
    for i, rid in enumerate(ids):
        marks[("issuers", i)] = Evidence(next(a.words for a in agencies if a.rid == rid), line.number)
    figures: list[dict[str, Any]] = []
    for figure in figures_in(sentence)[0]:
        fields = dict(figure.fields)
        what = fields.pop("what", None)
        n = len(figures)
        figures.append({"id": slug(what or fields.get("unit") or "figure", 40) or "figure", "kind": fields.pop("kind"),
                        "what": what or "TODO what is counted, in your own words", **fields})
        marks[("figures", n, "kind")] = Evidence(sentence, line.number)
        for key, words in figure.words.items():
            if key in figures[-1] and key != "kind":
                marks[("figures", n, key)] = Evidence(words, line.number)
    if figures:
        record["figures"] = figures
    if in_commentary:
        record["stated_by"] = "commentary"  # the newsletter says so in its comment, not the document
        marks[("stated_by",)] = Evidence(sentence, line.number)
    record["summary"] = TODO_SUMMARY
    section = item.section + (", MERICS comment" if in_commentary else "")
    record["sources"] = [{"source": builder.source_id, "section": section}]
    year = record.get("dates", [{}])[0].get("date", "")[:4] if record.get("dates") else ""
    base = slug(f"{ids[0]} {m.group('kind')} {year if year.isdigit() else ''}", 40)
    rid = builder.ids.fresh(base, "policy")
    builder.proposals[rid] = Proposal("policy", rid, {"id": rid, **record}, marks, True, section)
