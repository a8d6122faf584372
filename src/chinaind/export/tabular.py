"""A relational table as the exports write it (SQLite and CSV share them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

Check = Callable[[str, str], bool]  # (record type, id) -> is it in the knowledge base


@dataclass
class Table:
    name: str
    columns: list[tuple[str, str]]  # (name, SQL type and constraints)
    primary_key: tuple[str, ...]
    foreign_keys: list[tuple[str, str]] = field(default_factory=list)  # (column, "table(column)")
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def header(self) -> list[str]:
        return [c for c, _ in self.columns]
