"""Pydantic models of the records. One YAML file holds one record; the file name is its id.

Records reference each other by id; those references are checked by `refs.py` once every
record is loaded, because a single model cannot see the others.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from . import dates

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")]
# Free text: stripped, non-empty. Control characters are allowed (data is printed escaped).
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
PartialDate = Annotated[str, AfterValidator(dates.check)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]

PolicyKind = Literal[
    "plan", "notice", "list", "guideline", "article", "approval", "measures",
    "strategy", "programme", "announcement", "instructions", "other",
]
OrgKind = Literal["firm", "soe", "university", "research-institute", "industry-group", "other"]
AgencyKind = Literal[
    "ministry", "commission", "administration", "state-council-body", "regulator",
    "journal", "party-body", "local-government", "other",
]
EventKind = Literal[
    "approval", "launch", "ipo", "order-cancellation", "hiring", "development", "other",
]
Comparator = Literal["exactly", "at-least", "more-than", "up-to", "about"]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Record):
    """Where a fact comes from."""

    publication: Text
    issue_date: PartialDate
    section: Text
    url: Url | None = None


# Every sourced record ends with its sources, so dumps read top-down: facts, then provenance.
Sources = Annotated[list[Source], Field(min_length=1)]


class Agency(Record):
    id: Id
    name: Text
    name_zh: Text | None = None
    short_name_zh: Text | None = None
    aliases: list[Text] = []
    kind: AgencyKind
    parent: Id | None = None
    sources: Sources


class Sector(Record):
    id: Id
    name: Text
    name_zh: Text | None = None
    aliases: list[Text] = []
    parent: Id | None = None
    description: Text | None = None


class Mention(Record):
    """An organisation named in a policy item, and why."""

    org: Id
    role: Text


class Baseline(Record):
    year: int | None = None
    value: int | float | None = None
    note: Text | None = None


class Target(Record):
    id: Id
    metric: Text
    value: int | float
    unit: Text
    comparator: Comparator = "exactly"
    baseline: Baseline | None = None
    deadline: PartialDate | None = None
    scope: Text | None = None
    sectors: list[Id] = []
    note: Text | None = None

    @model_validator(mode="after")
    def _deadline_after_baseline(self) -> "Target":
        if self.baseline and self.baseline.year is not None and self.deadline:
            if dates.year_of(self.deadline) < self.baseline.year:  # type: ignore[operator]
                raise ValueError(
                    f"deadline {self.deadline} is before the baseline year {self.baseline.year}"
                )
        return self


class Policy(Record):
    id: Id
    title: Text
    title_zh: Text | None = None
    kind: PolicyKind
    date: PartialDate | None = None
    issuers: list[Id] = []
    issuers_total: int | None = Field(default=None, ge=1)
    republished_by: list[Id] = []
    sectors: list[Id] = []
    technologies: list[Id] = []
    organisations: list[Mention] = []
    targets: list[Target] = []
    refers_to: list[Id] = []
    summary: Text
    analysis: Text | None = None
    sources: Sources

    @model_validator(mode="after")
    def _total_covers_named(self) -> "Policy":
        if self.issuers_total is not None and self.issuers_total < len(self.issuers):
            raise ValueError(
                f"issuers_total is {self.issuers_total} but {len(self.issuers)} issuers are named"
            )
        return self


class Event(Record):
    date: PartialDate
    kind: EventKind
    summary: Text
    amount: int | float | None = None
    currency: Text | None = None
    share_percent: float | None = Field(default=None, ge=0, le=100)
    venue: Text | None = None
    agencies: list[Id] = []
    organisations: list[Id] = []
    sources: Sources


class Organisation(Record):
    id: Id
    name: Text
    name_zh: Text | None = None
    aliases: list[Text] = []
    kind: OrgKind
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    sectors: list[Id] = []
    parent: Id | None = None
    events: list[Event] = []
    description: Text | None = None
    sources: Sources


class ChainGroup(Record):
    leads: list[Id] = Field(min_length=1)
    partners: list[Id] = []
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
    aliases: list[Text] = []
    sectors: list[Id] = []
    programme: Text | None = None
    listed_in: list[Id] = []
    list_position: int | None = Field(default=None, ge=1)
    groups: list[ChainGroup] = []
    description: Text | None = None
    sources: Sources


MODELS: dict[str, type[Record]] = {
    "policy": Policy,
    "company": Organisation,
    "technology": Technology,
    "agency": Agency,
    "sector": Sector,
}


