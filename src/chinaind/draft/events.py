"""A corporate-news line as an event of the organisation it starts with: its kind, date (the
year inferred from the issue), amount and the other parties named. An organisation the
knowledge base already has is never rewritten: the event is left to the analyst. (`builder`
is draft/build.py's Builder, which calls this: not imported, so the modules form no cycle.)"""

from __future__ import annotations

from typing import Any

from chinaind.draft import dates as when
from chinaind.draft.figures import figures_in
from chinaind.draft.layout import Item, Line
from chinaind.draft.names import Link
from chinaind.draft.proposals import TODO_SUMMARY, Evidence, LeftOver

_EVENT_KINDS = (("initial public offering", "ipo"), ("ipo", "ipo"), ("listing", "ipo"), ("approval", "approval"),
                ("approved", "approval"), ("cancel", "order-cancellation"), ("hiring", "hiring"), ("hire", "hiring"),
                ("launch", "launch"), ("developed", "development"), ("develop", "development"))

# How far into a corporate-news line its subject may start, in characters ("NEV maker BYD").
SUBJECT_WITHIN = 25


def event(builder: Any, item: Item) -> None:
    line = item.lines[0]
    links = builder.linked(line, item.section)
    # The event's organisation is the one the line starts with ("Hesai Group raised ..."),
    # never one named further on ("YMTC cancels orders from supplier Naura"): that one may
    # be the other party, so the line is left to the analyst.
    orgs = [l for l in links if l.rtype == "company" and l.start <= SUBJECT_WITHIN]
    if not orgs:
        builder.left.append(LeftOver(item.section, line.number, line.text[:120], "corporate news naming no organisation "
                                  "the draft could find: record it by hand"))
        return
    subject = orgs[0]
    event: dict[str, Any] = {}
    marks: dict[tuple[Any, ...], Evidence] = {}
    found = when.month_day(item.when.text, builder.layout.issue_date_value) if item.when else None
    if found is not None:
        entry: dict[str, Any] = {"role": "occurred", "date": found.value}
        if found.year_inferred:
            entry["year_inferred"] = True
        event["dates"] = [entry]
        marks[("events", 0, "dates", 0, "date")] = Evidence(found.words, item.when.number)  # type: ignore[union-attr]
    kind = next(((k, w) for w, k in _EVENT_KINDS if w in line.text.lower()), None)
    event["kind"] = kind[0] if kind else "other"
    marks[("events", 0, "kind")] = Evidence(kind[1] if kind else line.text[:60], line.number)
    event["summary"] = TODO_SUMMARY
    drafted, left = figures_in(line.text)
    money = next((f for f in drafted if f.fields.get("currency")), None)
    if money is not None:
        event["amount"], event["currency"] = money.fields["value"], money.fields["currency"]
        marks[("events", 0, "amount")] = marks[("events", 0, "currency")] = Evidence(money.words["value"], line.number)
    builder.left += [LeftOver(item.section, line.number, l.sentence, l.reason) for l in left]
    others = [l for l in links if l.rtype == "company" and l.rid != subject.rid]
    if others:
        event["organisations"] = list(dict.fromkeys(l.rid for l in others))
        marks.update({("events", 0, "organisations", i): Evidence(l.words, line.number) for i, l in enumerate(others)})
    agencies_named = [l for l in links if l.rtype == "agency"]
    if agencies_named:
        event["agencies"] = list(dict.fromkeys(l.rid for l in agencies_named))
        marks.update({("events", 0, "agencies", i): Evidence(l.words, line.number) for i, l in enumerate(agencies_named)})
    event["sources"] = [{"source": builder.source_id, "section": item.section}]
    _attach(builder, subject, event, marks, item, line)

def _attach(builder: Any, subject: Link, event: dict[str, Any], marks: dict[tuple[Any, ...], Evidence],
                  item: Item, line: Line) -> None:
    proposal = builder.proposals.get(subject.rid)
    if proposal is None or not proposal.new:
        # Never rewrite an existing record: the analyst adds the event by hand.
        builder.left.append(LeftOver(item.section, line.number, line.text[:120],
                                  f"an event of {subject.rid}, which the knowledge base has: add it to its record by hand"))
        return
    events = proposal.record.setdefault("events", [])
    n = len(events)
    events.append(event)
    for path, evidence in marks.items():
        proposal.marks[("events", n, *path[2:])] = evidence
    proposal.record["sources"] = proposal.record.pop("sources")  # sources stay last


