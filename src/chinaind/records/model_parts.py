"""The building blocks records share: field types, dates with roles, figures, citations.

Kept apart from models.py (the record kinds) so that each stays readable. Every class forbids
unknown fields: a typo in a key is a located problem, never a silently ignored fact.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from chinaind.records import dates
from chinaind.records.kinds import ID_PATTERN

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
# Free text: stripped, non-empty. Control characters are allowed (data is printed escaped).
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# A calendar date as precise as the source: YYYY, YYYY-MM or YYYY-MM-DD.
PartialDate = Annotated[str, AfterValidator(dates.check)]
# The same, or a date the source gives without a year: --MM or --MM-DD (ISO 8601's form).
StatedDate = Annotated[str, AfterValidator(dates.check_stated)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Number = Union[int, float]

# "almost" and "nearly" stay apart from "about": they say the value is not reached.
Comparator = Literal["exactly", "at-least", "more-than", "up-to", "about", "almost", "nearly"]
# extended: a deadline or validity prolonged; circulated: a draft sent round; started: "from 2015".
DateRole = Literal["issued", "adopted", "announced", "published", "reported", "effective", "occurred",
                   "extended", "circulated", "started"]
# scheduled: an activity or round the source says will take place ("a new round of selections
# in 2024"): neither an aim nor a measurement.
FigureKind = Literal["goal", "tally", "statistic", "scheduled"]
# Who says it: the document itself (the default, left unwritten), the newsletter's commentary,
# or a third party the source reports ("according to the MIIT", "Yicai Global reported").
StatedBy = Literal["document", "commentary", "third-party"]

# The order in which a record's dates stand for it when a query asks for "its date": the date
# it was issued (or, for an event, happened), else the first the source gives.
PRIMARY_ROLES = ("issued", "occurred")


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def stated_by_problems(stated_by: str | None, according_to: str | None) -> list[str]:
    """A third party is named; only a third party is."""
    if stated_by == "third-party" and not according_to:
        return ["stated_by is third-party but according_to is missing; name who says it (according_to: Yicai Global)"]
    if according_to and stated_by != "third-party":
        return ["according_to is given but stated_by is not third-party; add stated_by: third-party or remove according_to"]
    return []


def check_stated_by(stated_by: str | None, according_to: str | None) -> None:
    for problem in stated_by_problems(stated_by, according_to):
        raise ValueError(problem)


class DateEntry(Part):
    """One date of a document or event, with what it is the date of."""

    role: DateRole
    date: StatedDate
    # The source gives no year ("January 29" in a newsletter of March 2023): the editors
    # inferred it from context. Shown as inferred; filtered on like any other date.
    year_inferred: bool = False
    note: Text | None = None

    @model_validator(mode="after")
    def _inferred_needs_a_year(self) -> "DateEntry":
        if self.year_inferred and dates.is_yearless(self.date):
            raise ValueError("year_inferred is true but the date has no year; write the inferred year, "
                             "or drop year_inferred")
        return self


class Period(Part):
    """The span a document covers (a plan for 2021-2035) or a statistic was measured over."""

    start: PartialDate | None = None
    end: PartialDate | None = None
    # A span stated without its dates ("over the next three years", "five-year"): kept as the
    # source words it, never turned into a start or an end.
    duration: Text | None = None

    @model_validator(mode="after")
    def _ordered(self) -> "Period":
        if self.start is None and self.end is None and self.duration is None:
            raise ValueError("period has neither start, end nor duration; give at least one")
        if self.start and self.end and dates.parse_span(self.end).end < dates.parse_span(self.start).start:
            raise ValueError(f"end {self.end} is before start {self.start}; swap them or correct one")
        return self


class Citation(Part):
    """Where a fact comes from: a source record and the part of it."""

    source: Id
    section: Text
    url: Url | None = None  # a deeper address than the source's own, where one exists


# Every sourced record ends with its sources, so dumps read top-down: facts, then provenance.
Citations = Annotated[list[Citation], Field(min_length=1)]


class Per(Part):
    """The denominator of a ratio: '26 per 10,000 people' is value 26, per {value: 10000, unit: people}."""

    value: Number = Field(gt=0)
    unit: Text


class Change(Part):
    """A figure stated relative to its baseline: 'double' is factor 2, 'by 20 percent' is percent 20."""

    factor: Number | None = Field(default=None, gt=0)
    percent: Number | None = None

    @model_validator(mode="after")
    def _one(self) -> "Change":
        if (self.factor is None) == (self.percent is None):
            raise ValueError("factor and percent are both given, or neither; give one: {factor: 2} doubles, {percent: 20} adds 20 percent")
        return self


class Equivalent(Part):
    """The same amount in a second currency, as the source gives it: "138.7 billion yuan ($19.2
    billion)" is value 138700000000 CNY with equivalent {value: 19200000000, currency: USD}."""

    value: Number
    currency: Currency


PlaceRole = Literal["based-in", "announced-in", "held-in", "applies-to", "other"]


class Place(Part):
    """A place the source ties to a record: where an organisation is based, where something
    was announced or held, where a policy applies."""

    name: Text
    role: PlaceRole


class Baseline(Part):
    year: int | None = Field(default=None, ge=1000, le=9999)
    value: Number | None = None
    unit: Text | None = None
    # "almost twice the 2020 figure": the baseline itself is known only roughly.
    approximate: bool = False
    note: Text | None = None


class Figure(Part):
    """A number or a goal the source states.

    kind: goal (what a document aims at, by a deadline), tally (how many a list or programme
    holds: '68 products', 'twelve priorities', of which `named` are named), statistic (what
    was measured or spent: '1.15 million base stations built'). A goal may have no number
    ('build a development landscape ... by 2027'): then `what` says it all.
    """

    id: Id
    kind: FigureKind
    what: Text
    value: Number | None = None
    unit: Text | None = None
    currency: Currency | None = None  # ISO 4217; the value is then a plain amount (2000000000000)
    per: Per | None = None
    comparator: Comparator | None = None  # only what the text says; absent when it says nothing
    change: Change | None = None
    baseline: Baseline | None = None
    deadline: PartialDate | None = None
    as_of: PartialDate | None = None
    period: Period | None = None
    scope: Text | None = None
    part_of: Id | None = None  # compound goals: the figure (same record) this one qualifies
    named: list[Text] = Field(default_factory=list)  # items the source names, in our words
    # Kinds of what is counted ("national, industry, group and other standards"), not members of it.
    categories: list[Text] = Field(default_factory=list)
    equivalent: Equivalent | None = None  # the value in a second currency, as the source gives it
    named_ids: list[Id] = Field(default_factory=list)  # items the source names that are records
    sectors: list[Id] = Field(default_factory=list)
    # Who states the figure, when not the document itself (the record's stated_by otherwise).
    stated_by: StatedBy | None = None
    according_to: Text | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "Figure":
        check_stated_by(self.stated_by, self.according_to)
        if self.value is None and (self.unit or self.currency or self.per):
            raise ValueError("unit, currency or per is given without a value; add the value or remove them")
        if self.equivalent is not None and (self.value is None or self.currency is None):
            raise ValueError("equivalent is given without a value and currency of its own; write both, "
                             "then the second currency's amount in equivalent")
        if self.comparator and self.value is None and self.change is None:
            raise ValueError("comparator is given without a value or change; add one or remove the comparator")
        if self.baseline and self.baseline.year is not None and self.deadline:
            if dates.year_of(self.deadline) < self.baseline.year:  # type: ignore[operator]
                raise ValueError(f"deadline {self.deadline} is before the baseline year {self.baseline.year}")
        named = len(self.named) + len(self.named_ids)
        if named and isinstance(self.value, int) and self.comparator in (None, "exactly", "up-to") and named > self.value:
            raise ValueError(f"value is {self.value} but {named} items are named; raise the value or remove names")
        return self


class Term(Part):
    """A term the source quotes: its Chinese original and English rendering, either when the
    source gives only one ("new type of industrialization" without its Chinese)."""

    zh: Text | None = None
    en: Text | None = None
    pinyin: Text | None = None

    @model_validator(mode="after")
    def _something(self) -> "Term":
        if self.zh is None and self.en is None:
            raise ValueError("term has neither zh nor en; give the term as the source writes it")
        return self


class Mention(Part):
    """An organisation named in a policy item, and why."""

    org: Id
    role: Text
    # Named only in the newsletter's commentary, not by the document itself.
    in_commentary: bool = False


# How one document stands to another; "refers-to" is the plain mention (refers_to's meaning).
DocumentRelation = Literal["implements", "part-of", "follows", "extends", "responds-to", "supersedes", "refers-to"]
# How one organisation stands to another, as the source states it.
OrgRelation = Literal["subsidiary-of", "supplier-of", "customer-of", "partner-of", "investor-in", "other"]


class DocumentLink(Part):
    """A typed link to another policy record: 'implements the 14th FYP', 'follows the 2018 plan'."""

    to: Id
    relation: DocumentRelation
    stated_by: StatedBy | None = None  # who says the link holds, when not the document itself
    according_to: Text | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _who(self) -> "DocumentLink":
        check_stated_by(self.stated_by, self.according_to)
        return self


class OrgLink(Part):
    """A link to another organisation: 'supplier of YMTC', 'subsidiary of China Telecom'."""

    to: Id
    relation: OrgRelation
    stated_by: StatedBy | None = None
    according_to: Text | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _who(self) -> "OrgLink":
        check_stated_by(self.stated_by, self.according_to)
        return self


class PersonMention(Part):
    person: Id
    role: Text  # author, quoted, signed ...


class Position(Part):
    """A post a person holds or held; dates as the source gives them. A post known only in part
    (where, not which post; or the post, not where) keeps the part the source gives."""

    title: Text | None = None
    agency: Id | None = None
    organisation: Id | None = None
    since: PartialDate | None = None
    until: PartialDate | None = None
    as_of: PartialDate | None = None  # known to hold it at this date (since/until unknown)
    note: Text | None = None

    @model_validator(mode="after")
    def _something(self) -> "Position":
        if self.title is None and self.agency is None and self.organisation is None:
            raise ValueError("position has no title, agency or organisation; give what the source says of the post")
        return self
