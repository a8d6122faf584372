"""chinaind: a command-line knowledge base of China's industrial policy, and its Python API.

    import chinaind
    with chinaind.open() as kb:                     # or chinaind.open("path/to/kb")
        kb.agency("MIIT", since="2023-01")          # what `chinaind agency MIIT --since 2023-01 -f json` prints

The API (open, OpenKnowledgeBase, Answer) is loaded on first use, so that the command line,
which imports this package on every run and every TAB, pays nothing for it.
"""

from typing import Any

from chinaind.core.version import SCHEMA_VERSION, __version__

__all__ = ["open", "OpenKnowledgeBase", "Answer", "__version__"]


def __getattr__(name: str) -> Any:
    if name in ("open", "OpenKnowledgeBase"):
        from chinaind.query import opening

        return getattr(opening, name)
    if name == "Answer":
        from chinaind.query.questions import Answer

        return Answer
    raise AttributeError(f"module 'chinaind' has no attribute {name!r}")
