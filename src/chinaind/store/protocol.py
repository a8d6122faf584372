"""What query/ needs from the store, as two abstract classes: the records (ids, lookups by
type, agency, name and date, without decoding) and their search text (spans holding a string,
every text streamed). One implementation, on SQLite (store/dbrecords.py), which covers
--no-cache with a database in memory: the queries run one path in tests and in production.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping
from typing import Any

from chinaind.records.facets import Facet

Record = dict[str, Any]


class RecordStore(Mapping[str, Record]):
    """Records by id (decoded on read), and the tables queries filter on without decoding."""

    @property
    @abstractmethod
    def ids(self) -> list[str]:
        """Every id, in file path order (the order records load in)."""

    @property
    @abstractmethod
    def facets(self) -> Mapping[str, Facet]:
        """id -> (type, primary date, issuers) of every record."""

    @property
    @abstractmethod
    def ids_by_type(self) -> Mapping[str, list[str]]:
        """type -> ids, dated records first in date order, then undated, ties by id."""

    @property
    @abstractmethod
    def policy_ids_by_agency(self) -> Mapping[str, list[str]]:
        """agency id -> ids of the policies it issued or co-issued, in date order."""

    @abstractmethod
    def ids_named(self, rtype: str, key: str) -> list[str]:
        """Ids of `rtype` one of whose normalised names (id, name, alias) is exactly `key`."""

    @abstractmethod
    def date_of(self, rid: str) -> str | None:
        """The primary date of a record, without decoding it."""

    @abstractmethod
    def type_of(self, rid: str) -> str:
        """The type of a record, without decoding it."""

    @abstractmethod
    def all_names(self) -> Iterator[tuple[str, str, list[str]]]:
        """(id, type, normalised names) of every record, without decoding any."""

    @abstractmethod
    def close(self) -> None:
        """Release the store; records already read stay usable."""


class TextStore(Mapping[str, tuple[str, str]]):
    """id -> normalised (names, text) of each record (records/text.py), and the records whose
    text holds a string."""

    @abstractmethod
    def spans(self, needle: str) -> list[tuple[str, str, str]]:
        """(id, names, text) of every record whose text contains `needle`, in path order."""

    @abstractmethod
    def stream(self) -> Iterator[tuple[str, str, str]]:
        """(id, names, text) of every record, one at a time (typo tolerance reads them all)."""
