"""The questions of the command line as Python methods, for notebooks and scripts.

Each method takes the command's argument and options, by the same names (`with_` for --with,
`due_by` for --due-by), and returns an `Answer`: a list of plain dicts whose keys and values are
exactly what `chinaind COMMAND -f json` prints, so that `pandas.DataFrame(kb.agency("MIIT"))`
works without pandas being a dependency. What the command line says beside its output (records
a date filter left out, a name resolved by a close guess) is on the answer's `warnings` and
`notes`; nothing is printed. Errors are the command line's: NotFoundError, UsageError.

This is public surface: names and signatures are kept stable (tests/test_api.py).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Iterable

from chinaind.query.dating import Window

if TYPE_CHECKING:
    from chinaind.query.index import KnowledgeBase
    from chinaind.query.listing import Listing

Record = dict[str, Any]
_PY = "python"  # option names in error messages: "since: ..." rather than "--since: ..."


class Answer(list[Record]):
    """The records a question found, as plain JSON-shaped dicts, with what the CLI would say
    beside them: `title` (a terminal table's heading), `warnings` (what a filter or a limit left
    out, what a guess resolved) and `notes` (the table's footnotes)."""

    title: str | None
    warnings: list[str]
    notes: list[str]

    def __init__(self, records: Iterable[Record] = (), *, title: str | None = None,
                 warnings: Iterable[str] = (), notes: Iterable[str] = ()) -> None:
        super().__init__(records)
        self.title = title
        self.warnings = list(warnings)
        self.notes = list(notes)

    @property
    def ids(self) -> list[str]:
        """The ids of the records found, in order (what -f ids prints)."""
        return list(dict.fromkeys(str(r["id"]) for r in self if r.get("id")))


def answer(listing: "Listing", guesses: Iterable[str] = ()) -> Answer:
    """A Listing as plain data: what `-f json` prints, read back (tuples become lists, and no
    record object of the index is handed out to be changed), with the close guesses made."""
    plain = json.loads(json.dumps(list(listing.records), ensure_ascii=False))
    return Answer(plain, title=listing.title, warnings=[*guesses, *listing.warnings], notes=listing.notes)


def _window(since: str | None, until: str | None, date_role: str | None = None,
            undated: str = "exclude") -> Window:
    return Window.parse(since, until, date_role, undated, prefix="")


class Questions:
    """The command line's questions over `self.index` (a KnowledgeBase)."""

    index: "KnowledgeBase"

    def _ask(self, question: "Callable[[], Listing]") -> Answer:
        """One question's answer, with the close guesses made while answering it (and no other's)."""
        self.index.guesses.clear()
        listing = question()
        guesses = list(self.index.guesses)
        self.index.guesses.clear()
        return answer(listing, guesses)

    def search(self, query: str, kind: str | None = None, limit: int | None = 20) -> Answer:
        """`chinaind search QUERY [--kind KIND] [--limit N]`; limit None or 0 for every hit."""
        from chinaind.query import queries

        return self._ask(lambda: queries.search(self.index, query, queries.check_kind(kind, prefix=""), limit or None))

    def chain(self, technology: str) -> Answer:
        """`chinaind chain TECHNOLOGY`: the groups, leads and partners of a chain technology."""
        from chinaind.query import queries

        return self._ask(lambda: queries.chain(self.index, technology))

    def agency(self, name: str, since: str | None = None, until: str | None = None, with_: Iterable[str] = (),
               undated: str = "exclude", date_role: str | None = None, sector: str | None = None) -> Answer:
        """`chinaind agency NAME [--since D] [--until D] [--with AGENCY ...] [--undated MODE]`."""
        from chinaind.query import queries

        window = _window(since, until, date_role, undated)
        return self._ask(lambda: queries.agency(self.index, name, with_=list(with_), window=window, sector=sector))

    def company(self, name: str) -> Answer:
        from chinaind.query import queries

        return self._ask(lambda: queries.company(self.index, name))

    def person(self, name: str) -> Answer:
        from chinaind.query import lookups

        return self._ask(lambda: lookups.person(self.index, name))

    def source(self, name: str) -> Answer:
        from chinaind.query import lookups

        return self._ask(lambda: lookups.source(self.index, name))

    def sector(self, name: str, since: str | None = None, until: str | None = None,
               undated: str = "exclude", date_role: str | None = None) -> Answer:
        from chinaind.query import queries

        return self._ask(lambda: queries.sector(self.index, name, window=_window(since, until, date_role, undated)))

    def targets(self, due_by: int | None = None, agency: str | None = None, sector: str | None = None,
                undated: str = "exclude") -> Answer:
        """`chinaind targets [--due-by YEAR] [--agency A] [--sector S]`: goals by deadline."""
        from chinaind.query import queries

        mode = _window(None, None, None, undated).undated
        return self._ask(lambda: queries.targets(self.index, agency_name=agency, sector_name=sector, due_by=due_by, undated=mode))

    def list(self, what: str, since: str | None = None, until: str | None = None, agency: str | None = None,
             sector: str | None = None, undated: str = "exclude", date_role: str | None = None) -> Answer:
        """`chinaind list WHAT`: every record of one kind (policies, companies, ... or policy, company)."""
        from chinaind.query import queries

        key = queries.check_plural(what, prefix="")
        window = _window(since, until, date_role, undated)
        return self._ask(lambda: queries.list_records(self.index, key, window=window, agency_name=agency, sector_name=sector))

    def show(self, *ids: str) -> Answer:
        """`chinaind show ID...`: whole records, with their links."""
        from chinaind.query import queries

        return self._ask(lambda: queries.show(self.index, list(ids)))

    def related(self, name: str, depth: int = 2) -> Answer:
        from chinaind.query.graph import related

        return self._ask(lambda: related(self.index, name, depth))

    def chains(self, coverage: bool = False) -> Answer:
        from chinaind.query import chains

        return self._ask(lambda: chains.coverage(self.index) if coverage else chains.chains(self.index))

    def timeline(self, since: str | None = None, until: str | None = None, agency: str | None = None,
                 sector: str | None = None, undated: str = "exclude") -> Answer:
        from chinaind.query import timeline

        window = _window(since, until, None, undated)
        return self._ask(lambda: timeline.timeline(self.index, window=window, agency=agency, sector=sector))

    def stats(self, since: str | None = None, until: str | None = None, undated: str = "exclude") -> Answer:
        from chinaind.query import stats

        return self._ask(lambda: stats.stats(self.index, _window(since, until, None, undated)))

    def get(self, rid: str) -> Record | None:
        """One record by id as its YAML file holds it (a copy), or None."""
        found = self.index.get(rid)
        return json.loads(json.dumps(found, ensure_ascii=False)) if found is not None else None
