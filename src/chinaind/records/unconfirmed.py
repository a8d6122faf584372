"""Values drafted by a machine that a person has not yet confirmed.

`chinaind draft` writes a `# UNCONFIRMED` comment after every value it read from a text; a
person confirms a value by checking it and deleting its comment. Until every comment is gone,
the record is whole (it loads, references to it resolve, `--skip-invalid` shows it) but the
knowledge base is invalid: `validate`, the pre-commit hook and CI fail, each mark a located
problem. The comment may quote the words the value came from; deleting it removes them.
"""

from __future__ import annotations

import re

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
