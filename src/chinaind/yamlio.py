"""Reading one YAML record file safely, keeping the line and column of every value.

PyYAML's own constructors lose positions, keep the last of duplicate keys and apply YAML 1.1
coercions (`NO` -> False, `2023-01-19` -> date, `010` -> 8). We compose nodes with the safe
(C where available) parser and build plain data ourselves: every plain scalar stays the string
the author wrote, except `null`/`~`/empty and `true`/`false`. Pydantic then converts strings
to numbers where a field wants a number, so "492" becomes 492 but a title "2025" stays text.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - libyaml missing
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

from .errors import Problem

MAX_FILE_BYTES = 1_000_000
MAX_NODES = 100_000
MAX_DEPTH = 64

Path = tuple[object, ...]
KEY = "<key>"  # marks[path + (name, KEY)] is where the key `name` itself is written
Marks = dict[Path, tuple[int, int]]


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader whose only implicit types are null and the YAML 1.2 booleans."""


_Loader.yaml_implicit_resolvers = {}
_Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))

_STR, _NULL, _BOOL = "tag:yaml.org,2002:str", "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool"
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


class YamlProblem(Exception):
    def __init__(self, line: int, col: int, message: str) -> None:
        super().__init__(message)
        self.line, self.col, self.message = line, col, message


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    """Turns a composed node tree into plain data, recording marks and enforcing limits."""

    def __init__(self) -> None:
        self.marks: Marks = {}
        self.count = 0

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlProblem(*_pos(node), f"more than {MAX_NODES} values (anchors and aliases expanding?); a record should be small")
        if depth > MAX_DEPTH:
            raise YamlProblem(*_pos(node), f"nesting deeper than {MAX_DEPTH} levels; records are shallow")
        self.marks.setdefault(path, _pos(node))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise YamlProblem(*_pos(node), f"unsupported tag {node.tag!r}; remove it")
            return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        raise YamlProblem(*_pos(node), "unsupported YAML node")  # pragma: no cover

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _NULL:
            return None
        if node.tag == _BOOL:
            return node.value.lower() == "true"
        if node.tag == _STR:
            return node.value
        raise YamlProblem(*_pos(node), f"unsupported tag {node.tag!r}; write the value as plain text")

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[str, Any]:
        if node.tag != _MAP:
            raise YamlProblem(*_pos(node), f"unsupported tag {node.tag!r}; remove it")
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlProblem(*_pos(key_node), "keys must be plain names (no complex keys or '<<' merges)")
            key = str(self._scalar(key_node))
            line, col = _pos(key_node)
            if key in out:
                raise YamlProblem(line, col, f"duplicate key {key!r} (first on line {first_line[key]}); keep one")
            first_line[key] = line
            # Point at a scalar value itself; at the key when the value is a block below it.
            on_value = isinstance(value_node, yaml.ScalarNode) or value_node.flow_style
            self.marks[path + (key,)] = _pos(value_node) if on_value else (line, col)
            self.marks[path + (key, KEY)] = (line, col)
            out[key] = self.build(value_node, path + (key,), depth + 1)
        return out


def read_record(raw: bytes, display_path: str) -> tuple[dict[str, Any] | None, Marks, list[Problem]]:
    """Parse one record file. Returns (data, marks, problems); data is None on any problem."""

    def fail(line: int, col: int, message: str) -> tuple[None, Marks, list[Problem]]:
        return None, {}, [Problem(display_path, line, col, message)]

    if len(raw) > MAX_FILE_BYTES:
        return fail(1, 1, f"file is {len(raw):,} bytes, over the {MAX_FILE_BYTES:,}-byte limit for one record; split it")
    if raw.startswith(b"\xef\xbb\xbf"):
        return fail(1, 1, "file starts with a byte-order mark; save it as UTF-8 without BOM")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return fail(line, col, f"not UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8")
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        return fail(1, 1, "file is empty; write one record as a YAML mapping or delete the file")
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.composer.ComposerError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        msg = "several YAML documents in one file; keep one record per file" if "single document" in str(exc.context) else _yaml_message(exc)
        return fail(line, col, msg)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return fail(line, col, _yaml_message(exc))
    except yaml.YAMLError as exc:
        return fail(1, 1, f"YAML error: {exc}")
    except RecursionError:
        return fail(1, 1, f"nesting too deep to parse; records are shallow (at most {MAX_DEPTH} levels)")
    if node is None:
        return fail(1, 1, "file is empty; write one record as a YAML mapping or delete the file")
    if not isinstance(node, yaml.MappingNode):
        return fail(*_pos(node), "the top level must be a mapping of field: value")
    builder = _Builder()
    try:
        data = builder.build(node, (), 0)
    except YamlProblem as exc:
        return fail(exc.line, exc.col, exc.message)
    except RecursionError:
        return fail(1, 1, f"nesting too deep; records are shallow (at most {MAX_DEPTH} levels)")
    return data, builder.marks, []


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    problem = (exc.problem or "invalid YAML").strip()
    if "found character '\\t'" in problem or "\\t" in problem:
        return "tab character where YAML needs spaces; indent with spaces"
    context = f" {exc.context.strip()}" if exc.context else ""
    return f"YAML syntax error: {problem}{context}; fix the syntax at this position"


def locate(marks: Marks, loc: Path) -> tuple[int, int]:
    """Best position for an error at `loc`: the deepest recorded prefix of it."""
    for n in range(len(loc), -1, -1):
        if loc[:n] in marks:
            return marks[loc[:n]]
    return 1, 1
