"""Turning one record file's bytes into a validated plain record, or into located problems.

This is the only module that imports PyYAML and Pydantic; a fresh cache never loads it.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import ValidationError

from .errors import Problem
from .models import MODELS
from .yamlio import KEY, Marks, locate, read_record


def validate_file(raw: bytes, display_path: str, rtype: str, stem: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse and validate one file; the record comes back as plain JSON-ready data."""
    data, marks, problems = read_record(raw, display_path)
    if data is None:
        return None, problems
    model = MODELS[rtype]
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        return None, [_problem(display_path, marks, err, model) for err in exc.errors()]
    record: dict[str, Any] = {"type": rtype, **obj.model_dump(mode="json")}
    if record["id"] != stem:
        line, col = marks.get(("id",), (1, 1))
        return None, [Problem(display_path, line, col, f"id {record['id']!r} does not match the file name {stem!r}; rename the file or change the id")]
    return record, []


def marks_of(raw: bytes, display_path: str) -> Marks:
    """Positions of a file's values (for locating problems found across records)."""
    return read_record(raw, display_path)[1]


def _problem(path: str, marks: Marks, err: Any, model: type) -> Problem:
    loc = tuple(err["loc"])
    line, col = locate(marks, loc + (KEY,) if err["type"] == "extra_forbidden" else loc)
    return Problem(path, line, col, _message(err, loc, model))


def _message(err: Any, loc: tuple[Any, ...], model: type) -> str:
    kind = err["type"]
    where = ".".join(str(p) for p in loc) or "record"
    if kind == "extra_forbidden":
        known = _fields_at(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known fields: {', '.join(known)}"
        return f"unknown field {where!r}{hint}"
    if kind == "missing":
        return f"missing required field {where!r}; add it"
    if kind == "literal_error":
        allowed = [str(a).strip("'") for a in err.get("ctx", {}).get("expected", "").replace(" or ", ", ").split(", ")]
        close = difflib.get_close_matches(str(err.get("input")), allowed, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"{where}: {_short(err.get('input'))} is not allowed{hint} (allowed: {', '.join(allowed)})"
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    shown = err.get("input")
    if kind in {"string_type", "int_parsing", "float_parsing", "list_type", "dict_type", "model_type",
                "string_pattern_mismatch", "greater_than_equal", "less_than_equal", "too_short",
                "int_type", "float_type", "bool_parsing", "bool_type", "string_too_short"}:
        return f"{where}: {msg} (got {_short(shown)})"
    return f"{where}: {msg}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _fields_at(model: type, loc: tuple[Any, ...]) -> list[str]:
    """Field names of the (sub)model reached by following `loc` from `model`."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        field = current.model_fields.get(part)
        current = _inner_model(field.annotation) if field else None
    return list(current.model_fields) if current is not None else []


def _inner_model(annotation: Any) -> Any:
    from typing import get_args

    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None
