"""Values drafted by a machine that a person has not yet confirmed, and placeholders (TODO)
a person has not yet written.

`chinaind draft` writes a `# UNCONFIRMED` comment after every value it read from a text; a
person confirms a value by checking it and deleting its comment. Until every comment is gone,
the record is whole (it loads, references to it resolve, `--skip-invalid` shows it) but the
knowledge base is invalid: `validate`, the pre-commit hook and CI fail, each mark a located
problem. The comment may quote the words the value came from; deleting it removes them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from chinaind.core.errors import Problem
from chinaind.core.escape import one_line

# `chinaind draft` writes this comment after every value a person must check; confirming a
# value is deleting its comment. Until then, validate, the pre-commit hook and CI fail.
UNCONFIRMED_MARK = "UNCONFIRMED"
_MARK_RE = re.compile(r"#\s*" + UNCONFIRMED_MARK + r"\b:?\s*(.*)$")


def unconfirmed(raw: bytes, display_path: str) -> list[Problem]:
    """A located problem for every `# UNCONFIRMED` comment of a file."""
    out = []
    for number, line in enumerate(raw.decode("utf-8", "replace").splitlines(), start=1):
        m = _MARK_RE.search(line)
        if m is None:
            continue
        what = line[:m.start()].strip().rstrip(":").strip() or "this value"
        said = f" (the text said: {m.group(1).strip()})" if m.group(1).strip() else ""
        out.append(Problem(display_path, number, m.start() + 1, one_line(
            f"{what[:60]}: drafted by `chinaind draft`, not yet confirmed{said}; check it against the source, "
            f"then delete the `# {UNCONFIRMED_MARK}` comment")))
    return out


def placeholders(data: Any, loc: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    """Where a string value holds the word TODO (`new` and `draft` write it where a value is wanted)."""
    if isinstance(data, str):
        if "TODO" in data.split() or data.startswith("TODO"):
            yield loc
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from placeholders(value, loc + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from placeholders(value, loc + (i,))
