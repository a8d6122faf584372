"""Turning one record file's bytes into a validated plain record, or into located problems.

This is the only module that imports PyYAML and Pydantic; a fresh cache never loads it.
Every problem is one line saying where (path:line:col), what is wrong and what to do.
"""

from __future__ import annotations

import functools
import math
import re
import types
from typing import Any, Iterator, Union, get_args, get_origin

from pydantic import ValidationError

from chinaind.core.errors import Problem
from chinaind.records.kinds import ID_PATTERN
from chinaind.records.models import MODELS, split_record_problems
from chinaind.records.text import near_typos
from chinaind.records.unconfirmed import UNCONFIRMED_MARK, placeholders, unconfirmed
from chinaind.records.yamlio import KEY, Marks, locate, read_record
from chinaind.core.escape import one_line as _one_line

Loc = tuple[Any, ...]


def _may_hold_booleans(raw: bytes) -> bool:
    """A file without the words true/false holds no booleans: no need to look for them."""
    lowered = raw.lower()
    return b"true" in lowered or b"false" in lowered


def validate_file(raw: bytes, display_path: str, rtype: str, stem: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse and validate one file; the record comes back as plain JSON-ready data. Drafted
    values not yet confirmed are problems too, in every case; alone, they keep the record."""
    record, problems = _validated(raw, display_path, rtype, stem)
    if UNCONFIRMED_MARK.encode() in raw:
        problems = _in_file_order(problems + unconfirmed(raw, display_path))
    return record, problems


def _validated(raw: bytes, display_path: str, rtype: str, stem: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    data, marks, problems = read_record(raw, display_path, marks=False)
    marks = _LazyMarks(raw, display_path)  # read again, with positions, only to report a problem
    if data is None:
        return None, problems
    old = _first_format(rtype, data)
    if old:
        line, col = (marks.get((old[0].split(" ", 1)[0],), (1, 1)) if not old[0].startswith("event") else (1, 1))
        return None, [Problem(display_path, line, col, _one_line(
            f"written in chinaind's first record format ({'; '.join(old)}); upgrade the knowledge base with "
            "`chinaind migrate DIR` (`--dry-run` shows the changes first)"))]
    model = MODELS[rtype]
    # Pydantic would quietly read `true` as 1 where a number is wanted: report it instead.
    problems = [_at(display_path, marks, loc, f"{_where(loc)}: expected a number, got {str(_get(data, loc)).lower()}; write digits, like 12")
                for loc in (_booleans_for_numbers(model, data, ()) if _may_hold_booleans(raw) else ())]
    # A skeleton's placeholders left in place (`new` writes TODO wherever a value is wanted).
    todo = list(placeholders(data, ())) if b"TODO" in raw else []
    problems += [_at(display_path, marks, loc, f"{_where(loc)}: still the placeholder TODO; write the value"
                     + ("" if _required(model, loc) else ", or delete the line"))
                 for loc in todo]
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        union_at: dict[Loc, int] = {}
        for err in split_record_problems(exc.errors()):
            loc, union = _clean_loc(model, tuple(err["loc"]))
            if loc in todo:
                continue  # the placeholder problem says it better
            problem = _problem(display_path, marks, err, loc, model)
            if union and loc in union_at:
                # One problem for a value no member of `int | float` accepts: the widest (last) one.
                problems[union_at[loc]] = problem
                continue
            if union:
                union_at[loc] = len(problems)
            problems.append(problem)
        return None, _in_file_order(problems)
    if problems:
        return None, _in_file_order(problems)
    record: dict[str, Any] = {"type": rtype, **obj.model_dump(mode="json")}
    # Walking every number field costs a third of a file's validation: only files whose text
    # could hold a non-finite or a 64-bit-overflowing number are walked (property-tested).
    for loc, value in (_number_values(model, record, ()) if _may_hold_odd_numbers(raw) else ()):
        if isinstance(value, float) and not math.isfinite(value):
            problems.append(_at(display_path, marks, loc, f"{_where(loc)}: {_short(_get(data, loc))} is not a finite number; "
                                "write a plain number, like 12 or 3.5"))
        elif isinstance(value, int) and not isinstance(value, bool) and not -2**63 <= value < 2**63:
            problems.append(_at(display_path, marks, loc, f"{_where(loc)}: {_short(_get(data, loc))} is too large a whole "
                                "number (SQLite and most tools stop at 9223372036854775807); check the digits, or use a larger unit"))
    if problems:
        return None, problems
    if record["id"] != stem:
        line, col = marks.get(("id",), (1, 1))
        return None, [Problem(display_path, line, col, _one_line(f"id {record['id']!r} does not match the file name {stem!r}; rename the file or change the id"))]
    return record, []




def _first_format(rtype: str, data: dict[str, Any]) -> list[str]:
    """What marks a record written for the first record format (empty when it is current)."""
    from chinaind.records.migrate import upgrade_record

    return upgrade_record(rtype, data, {}).changes


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line, p.col))


class _LazyMarks(Marks):
    """A file's marks, found by reading it again the first time one is asked for."""

    def __init__(self, raw: bytes, display_path: str) -> None:
        super().__init__()
        self._source: tuple[bytes, str] | None = (raw, display_path)

    def _load(self) -> None:
        if self._source is not None:
            raw, display_path = self._source
            self._source = None
            self.update(read_record(raw, display_path).marks)

    def __contains__(self, key: object) -> bool:
        self._load()
        return super().__contains__(key)

    def __getitem__(self, key: Any) -> Any:
        self._load()
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self._load()
        return super().get(key, default)


def marks_of(raw: bytes, display_path: str) -> Marks:
    """Positions of a file's values (for locating problems found across records)."""
    return read_record(raw, display_path).marks


def _at(path: str, marks: Marks, loc: Loc, message: str) -> Problem:
    line, col = locate(marks, loc)
    return Problem(path, line, col, _one_line(message))


def _where(loc: Loc) -> str:
    return ".".join(str(p) for p in loc) or "record"


def _get(data: Any, loc: Loc) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _required(model: type, loc: Loc) -> bool:
    """Whether the field at `loc` must be present (a placeholder there cannot simply be deleted)."""
    names = [p for p in loc if not isinstance(p, int)]
    if not names:
        return True
    current: Any = model
    for part in loc[:-1] if not isinstance(loc[-1], int) else loc:
        if isinstance(part, int) or current is None:
            continue
        field = current.model_fields.get(part)
        current = _inner_model(field.annotation) if field else None
    if isinstance(loc[-1], int):
        return True  # an item of a list: delete the item, not a line of it
    field = current.model_fields.get(loc[-1]) if current is not None else None
    return field is not None and field.is_required()


def _problem(path: str, marks: Marks, err: Any, loc: Loc, model: type) -> Problem:
    kind = err["type"]
    target = loc + (KEY,) if kind == "extra_forbidden" else loc
    message = _message(err, loc, model)
    if kind == "value_error":
        # A check across fields ("deadline ... is before the baseline year") points at its field.
        first = str(err["msg"]).removeprefix("Value error, ").split(" ", 1)[0].strip(":,")
        if loc + (first,) in marks:
            target = loc + (first,)
    line, col = locate(marks, target)
    return Problem(path, line, col, _one_line(message))


def _message(err: Any, loc: Loc, model: type) -> str:
    kind = err["type"]
    where = _where(loc)
    shown = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        known = _fields_at(model, loc[:-1])
        close = near_typos(str(loc[-1]), known)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known fields: {', '.join(known)}"
        return f"unknown field {where!r}{hint}"
    if kind == "missing":
        return f"missing required field {where!r}; add it"
    if kind == "literal_error":
        allowed = [str(a).strip("'") for a in str(ctx.get("expected", "")).replace(" or ", ", ").split(", ")]
        close = near_typos(str(shown), allowed)
        hint = f"; did you mean {close[0]!r}?" if close else "; use one of the allowed values"
        return f"{where}: {_short(shown)} is not allowed{hint} (allowed: {', '.join(allowed)})"
    if kind == "string_type":
        if shown is None:
            return f"{where}: has no value; write one"
        if isinstance(shown, bool):
            return f"{where}: expected text, got {str(shown).lower()}; put it in quotes ('{str(shown).lower()}') to keep it as text"
        return f"{where}: expected text, got {_kind_of(shown)}; write one line of text"
    if kind == "string_too_short":
        return f"{where}: is empty; write a value or remove the field"
    if kind in {"list_type", "tuple_type"}:
        simple = isinstance(shown, str) and len(shown) <= 40 and shown.isprintable() and not any(c in shown for c in "[]{},'\"#&*!|>%@`")
        example = f"[{shown}]" if simple else "[a, b]"
        return f"{where}: expected a list, got {_kind_of(shown)}; write it as {example} or one '- item' line each"
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return f"{where}: expected a mapping of field: value, got {_kind_of(shown)}; write it as indented 'field: value' lines"
    if kind in {"int_parsing", "int_type", "int_from_float", "int_parsing_size"}:
        return f"{where}: expected a whole number, got {_kind_of(shown)}; write digits only, like 2025"
    if kind in {"float_parsing", "float_type", "finite_number"}:
        return f"{where}: expected a number, got {_kind_of(shown)}; write a plain number, like 12 or 3.5"
    if kind in {"bool_parsing", "bool_type"}:
        return f"{where}: expected true or false, got {_kind_of(shown)}; write true or false"
    if kind == "string_pattern_mismatch":
        return f"{where}: {_short(shown)} {_pattern_hint(str(ctx.get('pattern', '')))}"
    if kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        bound = {"greater_than_equal": "at least", "greater_than": "more than",
                 "less_than_equal": "at most", "less_than": "less than"}[kind]
        limit = next(iter(ctx.values()), "?")
        return f"{where}: {_short(shown)} is out of range; it must be {bound} {_num(limit)}"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return f"{where}: needs at least {n} item{'s' if n != 1 else ''}; add {'one' if n == 1 else 'more'}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if kind == "value_error" and ";" in msg:
        return f"{where}: {msg}" if loc else msg  # the model's check already says what to do
    if kind == "value_error":
        if "before the baseline year" in msg:
            return f"{where}: {msg}; correct the deadline or the baseline year"
        if "are named" in msg:
            return f"{where}: {msg}; raise the total or remove names"
        if "use YYYY" in msg:
            return f"{where}: {msg}"
        if "is not a day of" in msg or "has no month" in msg:
            return f"{where}: {msg}; write a real calendar date (YYYY, YYYY-MM or YYYY-MM-DD)"
    return f"{where}: {msg} (got {_short(shown)}); fix the value"


_PATTERN_HINTS = {
    ID_PATTERN: "is not a valid id; use letters, digits, '-' and '_' (starting with a letter or digit, at most 128)",
    r"^https?://\S+$": "is not a web address; write a full http:// or https:// URL without spaces",
    r"^[A-Z]{2}$": "is not a two-letter country code; write it in capitals, like CN",
}


def _pattern_hint(pattern: str) -> str:
    return _PATTERN_HINTS.get(pattern, f"does not match the pattern {pattern}; fix the value")


def _num(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _kind_of(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return _short(value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _clean_loc(model: type, loc: Loc) -> tuple[Loc, bool]:
    """The error location without Pydantic's union member tags (`value.int`, `value.float`);
    the flag says whether a tag was dropped."""
    out: list[Any] = []
    current: Any = model
    dropped = False
    for part in loc:
        if isinstance(part, int):
            out.append(part)
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None:
            dropped = True  # a tag below a scalar field
            continue
        out.append(part)
        field = fields.get(part)
        current = _inner_model(field.annotation) if field else None
        if field is not None and current is None:
            current = _SCALAR
    return tuple(out), dropped


class _Scalar:  # marks "inside a non-model field"; has no model_fields
    pass


_SCALAR = _Scalar()


def _fields_at(model: type, loc: Loc) -> list[str]:
    """Field names of the (sub)model reached by following `loc` from `model`."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        field = current.model_fields.get(part)
        current = _inner_model(field.annotation) if field else None
    return list(current.model_fields) if current is not None else []


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _members(annotation: Any) -> list[Any]:
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        return [m for a in get_args(annotation) for m in _members(a)]
    if hasattr(annotation, "__metadata__"):  # Annotated[...]
        return _members(get_args(annotation)[0])
    return [annotation]


def _is_number(annotation: Any) -> bool:
    members = [m for m in _members(annotation) if m is not type(None)]
    return bool(members) and all(m in (int, float) for m in members)


@functools.cache
def _shape(model: Any) -> tuple[frozenset[str], dict[str, Any]]:
    """A model's number-only fields, and the sub-model of each field holding records."""
    numbers = frozenset(name for name, f in model.model_fields.items() if _is_number(f.annotation))
    subs = {name: sub for name, f in model.model_fields.items() if (sub := _inner_model(f.annotation)) is not None}
    return numbers, subs


def _number_values(model: Any, data: Any, loc: Loc) -> Iterator[tuple[Loc, Any]]:
    """(location, value) of every field that only takes numbers, in the data and its sub-records."""
    if not isinstance(data, dict):
        return
    numbers, subs = _shape(model)
    for key, value in data.items():
        if key in numbers:
            yield loc + (key,), value
            continue
        sub = subs.get(key)
        if sub is None:
            continue
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield from _number_values(sub, item, loc + (key, i))
        else:
            yield from _number_values(sub, value, loc + (key,))


def _booleans_for_numbers(model: Any, data: Any, loc: Loc) -> list[Loc]:
    """Where the data holds true/false for a field that only takes numbers."""
    return [at for at, value in _number_values(model, data, loc) if value is True or value is False]


# What a number that JSON or SQLite cannot carry must contain in the text: nan or inf (any case),
# an exponent of three digits (1e999), or a run of 19 digits (beyond 64 bits, or 1e308 written out).
# Substring tests first: a case-insensitive regex over the whole file cost 80 us a file.
_LONG_NUMBER_RE = re.compile(rb"[eE][+-]?[0-9]{3}|[0-9]{19}")


def _may_hold_odd_numbers(raw: bytes) -> bool:
    lowered = raw.lower()
    return b"nan" in lowered or b"inf" in lowered or _LONG_NUMBER_RE.search(raw) is not None
