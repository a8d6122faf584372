"""The front door: one way to open a knowledge base, for the command line, the exports, `serve`,
`diff`, `draft`, tests and notebooks alike.

    import chinaind
    with chinaind.open() as kb:            # the bundled records, or $CHINAIND_DATA
        rows = kb.agency("MIIT", since="2023-01")

`open` resolves the folder as the command line does (the argument, else $CHINAIND_DATA, else the
bundled records), loads it through the cache (store/loader.py) and returns an
`OpenKnowledgeBase`: the index the queries read (`.index`), every problem found (`.problems`,
filled only with skip_invalid=True; otherwise an invalid base raises InvalidKnowledgeBase), and
the questions of the command line as methods (query/questions.py). Close it, or use it as a
context manager: it holds a read transaction on the cache database for as long as it is open.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from chinaind.core.errors import Problem
from chinaind.query.index import KnowledgeBase
from chinaind.query.questions import Questions

if TYPE_CHECKING:
    import os

    from chinaind.store.loader import LoadResult

__all__ = ["OpenKnowledgeBase", "Speculation", "open", "open_speculatively", "SPECULATIVE_SHARE"]

# On a large base most of a warm run is the scan's lstat of every file, done by a forked child
# while this process reads the cache and works out the answer. This process takes this share
# of the lstat calls: it has the query to answer meanwhile, then takes over what the child has
# not reached. Measured on 100,000 records (ARCHITECTURE.md, "The cache"): a larger share slows
# the answer, a smaller one leaves this process idle at the end.
SPECULATIVE_SHARE = 0.1


class OpenKnowledgeBase(Questions):
    """A loaded knowledge base: its index, the problems found, and the questions as methods."""

    def __init__(self, result: "LoadResult", data_dir: Path) -> None:
        self.index = KnowledgeBase(result.records, result.texts)
        self.problems: list[Problem] = list(result.problems)
        self.data_dir = data_dir
        self._result = result
        self._closed = False

    @property
    def records(self) -> Mapping[str, dict[str, Any]]:
        """Every record by id, decoded as read (plain dicts, as the YAML files hold them)."""
        return self.index.records

    def close(self) -> None:
        """Close the cache connection; records already read stay usable. Closing twice is fine."""
        if not self._closed:
            self._closed = True
            self._result.records.close()

    def __enter__(self) -> "OpenKnowledgeBase":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self.index.records)

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{len(self)} records"
        return f"<chinaind knowledge base {str(self.data_dir)!r}: {state}, {len(self.problems)} problems>"


class Speculation:
    """An answer served from the cache before the scan has confirmed that no file changed.
    `base` can be queried at once; `confirm()` waits for the scan and returns None when `base`
    stands, else the knowledge base as it is now (base is then stale: query the new one)."""

    def __init__(self, base: OpenKnowledgeBase, finish: Callable[[], "LoadResult | None"]) -> None:
        self.base = base
        self._finish = finish

    def confirm(self) -> OpenKnowledgeBase | None:
        result = self._finish()
        self._finish = lambda: None  # the scan is over: a second confirm has nothing to say
        return OpenKnowledgeBase(result, self.base.data_dir) if result is not None else None


def open(data_dir: str | os.PathLike[str] | None = None, *, cache: bool = True,
         skip_invalid: bool = False) -> OpenKnowledgeBase:
    """Open a knowledge base folder (default: $CHINAIND_DATA, else the bundled records).
    cache=False reads and validates every file without touching the cache. An invalid base
    raises InvalidKnowledgeBase listing every problem, unless skip_invalid: then its valid
    records are queried and the problems are on `.problems`."""
    speculation = open_speculatively(data_dir, cache=cache, skip_invalid=skip_invalid, share=None)
    return speculation.confirm() or speculation.base


def open_speculatively(data_dir: str | os.PathLike[str] | None = None, *, cache: bool = True,
                       skip_invalid: bool = False, share: float | None = SPECULATIVE_SHARE) -> Speculation:
    """Open for one query whose answer can be worked out while the scan still runs (the CLI)."""
    from chinaind.core.paths import resolve_data_dir
    from chinaind.store.loader import load_speculatively

    folder = resolve_data_dir(data_dir)
    result, finish = load_speculatively(folder, use_cache=cache, skip_invalid=skip_invalid, share=share)
    return Speculation(OpenKnowledgeBase(result, folder), finish)
