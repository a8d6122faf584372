"""What `chinaind validate` prints: every problem, or a one-line summary of a valid base."""

from __future__ import annotations

from collections import Counter
from typing import IO

from chinaind.query.listing import Listing, col
from chinaind.query.opening import OpenKnowledgeBase
from chinaind.output.render import one_line, render


def render_report(result: OpenKnowledgeBase, fmt: str, stream: IO[str]) -> None:
    data_dir = result.data_dir
    if fmt in ("table", "tsv", "ids"):
        for problem in result.problems:
            stream.write(one_line(str(problem)) + "\n")
        if not result.problems:
            counts = Counter(r["type"] for r in result.records.values())
            detail = ", ".join(f"{n} {t}" for t, n in sorted(counts.items()))
            from chinaind.core.paths import bundled_data_dir

            where = "the bundled knowledge base" if data_dir == bundled_data_dir() else one_line(str(data_dir))
            stream.write(f"valid: {len(result.records)} records in {where} ({detail})\n")
        return
    rows = [p.as_dict() for p in result.problems]
    columns = [col(h.upper(), h) for h in ("path", "line", "col", "message")]
    render(Listing(rows, columns), fmt, stream)
