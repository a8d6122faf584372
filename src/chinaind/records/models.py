"""Pydantic models of the records. One YAML file holds one record; the file name is its id.

Records reference each other by id; those references are checked once every record is
loaded (loader.py, with the paths in kinds.py), because a single model cannot see the others.
The shared parts (dates, figures, citations) are in model_parts.py.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, computed_field, model_validator

from chinaind.records import dates
from chinaind.records.model_parts import (PRIMARY_ROLES, Citation, Citations, Comparator, DateEntry, DocumentLink, DocumentRelation, Equivalent, OrgLink, OrgRelation, Place, StatedBy, stated_by_problems, Figure, Id, Mention, Part, Period,
                          PersonMention, Position, Term, Text, Url)
from chinaind.records.model_parts import PartialDate  # noqa: F401  (re-exported for older imports)

PolicyKind = Literal[
    "plan", "notice", "list", "guideline", "article", "approval", "measures", "strategy",
    "programme", "activity", "announcement", "instructions", "law", "regulation", "communique",
    "proposal", "initiative", "standard", "other",
]
OrgKind = Literal["firm", "soe", "university", "research-institute", "industry-group", "fund", "exchange", "other"]
AgencyKind = Literal[
    "state-council", "ministry", "commission", "administration", "state-council-body", "regulator",
    "journal", "party-central-committee", "party-body", "legislature", "local-government", "other",
]
EventKind = Literal[
    "approval", "launch", "ipo", "order-cancellation", "hiring", "development", "investigation", "sanction", "other",
]
SourceKind = Literal["newsletter-issue", "web-page", "article", "report", "other"]

# Fields a record may mark as added by its editors from general knowledge (not from a source).
NOT_EDITORIAL = frozenset({"id", "editorial", "sources"})


# Joins the record-level problems of one record into one ValueError; validate.py splits them
# again, so that every problem of a file is reported in one run (one check never hides another).
PROBLEMS_SEPARATOR = "\x1f"


def split_record_problems(errors: list[Any]) -> list[Any]:
    """Pydantic's errors, with a record's joined record-level problems one error each."""
    out = []
    for err in errors:
        msg = str(err.get("msg", ""))
        if err.get("type") == "value_error" and PROBLEMS_SEPARATOR in msg:
            out += [{**err, "msg": part} for part in msg.removeprefix("Value error, ").split(PROBLEMS_SEPARATOR)]
        else:
            out.append(err)
    return out


class Record(Part):
    @model_validator(mode="after")
    def _record_checks(self) -> "Record":
        problems = self._problems()
        if problems:
            raise ValueError(PROBLEMS_SEPARATOR.join(problems))
        return self

    def _problems(self) -> list[str]:
        """Every check across fields of the record; subclasses add theirs."""
        out = []
        for entry in getattr(self, "editorial", None) or ():
            name, _, one = entry.partition(":")
            if one:
                # One value of a list field ("aliases:Qinchuan"), not the whole field.
                values = getattr(self, name, None) if name not in NOT_EDITORIAL else None
                if not isinstance(values, list) or one not in values:
                    out.append(f"editorial names {entry!r}, but {name!r} is no list holding {one!r}; "
                               "write field:value with a value the field lists, or the field alone")
                continue
            if name in NOT_EDITORIAL or name not in type(self).model_fields:
                known = ", ".join(f for f in type(self).model_fields if f not in NOT_EDITORIAL)
                out.append(f"editorial names {name!r}, which is not a field of this record; "
                           f"name fields such as: {known}")
            elif getattr(self, name) in (None, [], "", False):
                out.append(f"editorial names {name!r}, which has no value here; remove it from editorial")
        # Every kind that holds figures checks them the same way (ids unique, part_of within).
        out += _figure_problems(getattr(self, "figures", None) or [])
        return out


# Field names of the record, marking values the editors added (official Chinese names,
# aliases, sector tags, a country): shown as editorial, never attributed to a source. One value
# of a list field is marked as field:value ("aliases:Qinchuan", "sectors:catering").
Editorial = list[Annotated[str, StringConstraints(pattern=r"^[a-z_]+(:\S.*)?$")]]


def primary_date(entries: list[DateEntry]) -> str | None:
    """The date a record stands at: issued (or occurred), else the first with a year."""
    dated = [e for e in entries if not dates.is_yearless(e.date)]
    for e in dated:
        if e.role in PRIMARY_ROLES:
            return e.date
    return dated[0].date if dated else None


class Dated(Record):
    dates: list[DateEntry] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def date(self) -> str | None:
        """Derived: the issued (or occurred) date, else the first dated one; what queries filter on."""
        return primary_date(self.dates)


class Agency(Record):
    id: Id
    name: Text
    name_zh: Text | None = None
    short_name_zh: Text | None = None
    aliases: list[Text] = Field(default_factory=list)
    kind: AgencyKind
    parent: Id | None = None
    places: list[Place] = Field(default_factory=list)
    description: Text | None = None
    editorial: Editorial = Field(default_factory=list)
    sources: Citations


class Sector(Record):
    """Vocabulary: a sector tag. Editorial unless it cites a source."""

    id: Id
    name: Text
    name_zh: Text | None = None
    aliases: list[Text] = Field(default_factory=list)
    parent: Id | None = None
    description: Text | None = None
    editorial: Editorial = Field(default_factory=list)
    sources: list[Citation] = Field(default_factory=list)


class Policy(Dated):
    id: Id
    title: Text
    # The source gives no title: this one is the editors' description of the document.
    title_descriptive: bool = False
    title_zh: Text | None = None
    kind: PolicyKind
    draft: bool = False
    period: Period | None = None
    places: list[Place] = Field(default_factory=list)  # where it was announced, where it applies
    issuers: list[Id] = Field(default_factory=list)
    issuers_total: int | None = Field(default=None, ge=1)
    republished_by: list[Id] = Field(default_factory=list)
    sectors: list[Id] = Field(default_factory=list)
    technologies: list[Id] = Field(default_factory=list)
    organisations: list[Mention] = Field(default_factory=list)
    people: list[PersonMention] = Field(default_factory=list)
    figures: list[Figure] = Field(default_factory=list)
    terms: list[Term] = Field(default_factory=list)
    refers_to: list[Id] = Field(default_factory=list)  # plain mentions of other policies
    links: list[DocumentLink] = Field(default_factory=list)  # typed: implements, part-of, follows ...
    summary: Text
    analysis: Text | None = None
    # Who says what the record holds: absent or document (the document itself), commentary
    # (known only from the newsletter's comment on it), third-party (with according_to).
    stated_by: StatedBy | None = None
    according_to: Text | None = None
    editorial: Editorial = Field(default_factory=list)
    sources: Citations

    def _problems(self) -> list[str]:
        out = super()._problems() + stated_by_problems(self.stated_by, self.according_to)
        if self.issuers_total is not None and self.issuers_total < len(self.issuers):
            out.append(f"issuers_total is {self.issuers_total} but {len(self.issuers)} issuers are named")
        out += _link_problems(self.id, self.links, self.refers_to)
        return out


def _link_problems(own: str, links: list[Any], plain: list[str]) -> list[str]:
    out = []
    for link in links:
        if link.to == own:
            out.append(f"links: {link.to!r} is this record itself; link to another record")
        elif link.to in plain:
            out.append(f"links: {link.to!r} is also in refers_to; list it once, in links with its relation")
    return out


def _figure_problems(figures: list[Figure]) -> list[str]:
    ids = [f.id for f in figures]
    out = [f"figures: id {i!r} is used twice; give each figure its own id" for i in sorted({i for i in ids if ids.count(i) > 1})]
    for f in figures:
        if f.part_of is not None and (f.part_of not in ids or f.part_of == f.id):
            out.append(f"figures: {f.id!r} is part_of {f.part_of!r}, which is not another figure of "
                       f"this record; use one of: {', '.join(i for i in ids if i != f.id) or 'none'}")
    return out


class Event(Dated):
    kind: EventKind
    summary: Text
    amount: int | float | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    equivalent: Equivalent | None = None  # the amount in a second currency, as the source gives it
    share_percent: float | None = Field(default=None, ge=0, le=100)
    share_comparator: Comparator | None = None
    venue: Text | None = None
    places: list[Place] = Field(default_factory=list)
    agencies: list[Id] = Field(default_factory=list)
    organisations: list[Id] = Field(default_factory=list)
    people: list[Id] = Field(default_factory=list)
    stated_by: StatedBy | None = None  # "Yicai Global reported": third-party, according_to: Yicai Global
    according_to: Text | None = None
    sources: Citations

    def _problems(self) -> list[str]:
        out = super()._problems() + stated_by_problems(self.stated_by, self.according_to)
        if self.equivalent is not None and (self.amount is None or self.currency is None):
            out.append("equivalent is given without an amount and currency of its own; write both, "
                       "then the second currency's amount in equivalent")
        return out


class Organisation(Record):
    id: Id
    name: Text
    name_zh: Text | None = None
    aliases: list[Text] = Field(default_factory=list)
    kind: OrgKind | None = None  # absent when the source does not say what it is
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None
    places: list[Place] = Field(default_factory=list)  # where it is based
    sectors: list[Id] = Field(default_factory=list)
    parent: Id | None = None
    links: list[OrgLink] = Field(default_factory=list)  # supplier-of, subsidiary-of ... other organisations
    events: list[Event] = Field(default_factory=list)
    figures: list[Figure] = Field(default_factory=list)
    description: Text | None = None
    editorial: Editorial = Field(default_factory=list)
    sources: Citations

    def _problems(self) -> list[str]:
        return super()._problems() + _link_problems(self.id, self.links, [])


class ChainGroup(Part):
    leads: list[Id] = Field(min_length=1)
    partners: list[Id] = Field(default_factory=list)
    partners_total: int | None = Field(default=None, ge=0)
    partners_total_approximate: bool = False

    @model_validator(mode="after")
    def _total_covers_named(self) -> "ChainGroup":
        if self.partners_total is not None and self.partners_total < len(self.partners):
            raise ValueError(
                f"partners_total is {self.partners_total} but {len(self.partners)} partners are named"
            )
        return self


class Technology(Record):
    id: Id
    name: Text
    name_zh: Text | None = None
    aliases: list[Text] = Field(default_factory=list)
    sectors: list[Id] = Field(default_factory=list)
    programme: Text | None = None
    listed_in: list[Id] = Field(default_factory=list)
    list_position: int | None = Field(default=None, ge=1)
    groups: list[ChainGroup] = Field(default_factory=list)
    figures: list[Figure] = Field(default_factory=list)
    description: Text | None = None
    editorial: Editorial = Field(default_factory=list)
    sources: Citations


class Person(Record):
    id: Id
    name: Text
    name_zh: Text | None = None
    aliases: list[Text] = Field(default_factory=list)
    positions: list[Position] = Field(default_factory=list)
    places: list[Place] = Field(default_factory=list)
    description: Text | None = None
    editorial: Editorial = Field(default_factory=list)
    sources: Citations


class Headline(Part):
    section: Text
    text: Text


class Chart(Part):
    section: Text
    title: Text
    measure: Text | None = None  # what it shows and in which unit ("sales volume, USD billion")
    data_sources: list[Id] = Field(default_factory=list)  # organisations whose data it shows


class Source(Record):
    """A source document: a newsletter issue or a web page. Records cite it by id and section."""

    id: Id
    publication: Text
    title: Text | None = None
    kind: SourceKind
    issue_date: PartialDate | None = None  # absent when the document does not state it
    urls: list[Url] = Field(default_factory=list)  # the first is the address; others are mirrors
    authors: list[Id] = Field(default_factory=list)  # person ids
    editors: list[Id] = Field(default_factory=list)  # person ids
    headlines: list[Headline] = Field(default_factory=list)
    charts: list[Chart] = Field(default_factory=list)
    figures: list[Figure] = Field(default_factory=list)
    description: Text | None = None
    editorial: Editorial = Field(default_factory=list)


MODELS: dict[str, type[Record]] = {
    "policy": Policy,
    "company": Organisation,
    "technology": Technology,
    "agency": Agency,
    "sector": Sector,
    "person": Person,
    "source": Source,
}
