"""Reading one YAML record file safely, keeping the line and column of every value.

PyYAML's own constructors lose positions, keep the last of duplicate keys and apply YAML 1.1
coercions (`NO` -> False, `2023-01-19` -> date, `010` -> 8). We compose nodes with the safe
(C where available) parser and build plain data ourselves: every plain scalar stays the string
the author wrote, except `null`/`~`/empty and `true`/`false`. Pydantic then converts strings
to numbers where a field wants a number, so "492" becomes 492 but a title "2025" stays text.

Every problem comes back as one line, located the way an editor counts lines (YAML itself also
counts U+0085, U+2028 and U+2029 as line breaks), with what to do about it.
"""

from __future__ import annotations

import bisect
import re
from typing import Any, NamedTuple

import yaml

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - libyaml missing
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

from chinaind.core.errors import Problem
from chinaind.records.fileread import MAX_RECORD_BYTES
from chinaind.core.escape import one_line

MAX_FILE_BYTES = MAX_RECORD_BYTES  # checked before reading too, by fileread.read_record_file
MAX_NODES = 100_000
MAX_DEPTH = 64
# Anchors and aliases may not blow a record up beyond what a file of the maximum size could hold.
MAX_CHARS = MAX_FILE_BYTES

Path = tuple[object, ...]
KEY = "<key>"  # marks[path + (name, KEY)] is where the key `name` itself is written
Marks = dict[Path, tuple[int, int]]


_STR, _NULL, _BOOL = "tag:yaml.org,2002:str", "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool"
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_IMPLICIT = {v: _NULL for v in ("~", "null", "Null", "NULL", "")}
_IMPLICIT.update({v: _BOOL for v in ("true", "True", "TRUE", "false", "False", "FALSE")})


def _resolve(self: Any, kind: Any, value: Any, implicit: Any) -> str:
    """The same answers as the two implicit resolvers _Loader registers, by one dict lookup: PyYAML's
    generic resolve() was a tenth of the time of a first build."""
    if kind is yaml.ScalarNode:
        return _IMPLICIT.get(value, _STR) if implicit[0] else _STR
    return _SEQ if kind is yaml.SequenceNode else _MAP


class _Loader(_BaseLoader):
    """Safe loader whose only implicit types are null and the YAML 1.2 booleans."""

    resolve = _resolve


_Loader.yaml_implicit_resolvers = {}
_Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
# Characters YAML 1.1 treats as line breaks but editors (and people) do not.
_YAML_ONLY_BREAKS = {"\x85": "U+0085 (next line)", "\u2028": "U+2028 (line separator)", "\u2029": "U+2029 (paragraph separator)"}


class YamlProblem(Exception):
    def __init__(self, line: int, col: int, message: str) -> None:
        super().__init__(message)
        self.line, self.col, self.message = line, col, message


class _Lines:
    """Turns a character index into the (line, column) an editor shows, both from 1."""

    def __init__(self, text: str) -> None:
        self.text = text
        # Where YAML and editors count lines alike (almost always), YAML's own marks are right.
        self.yaml_agrees = not any(ch in text for ch in _YAML_ONLY_BREAKS)
        self._starts: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            self._starts = [0] + [m.end() for m in _LINE_BREAK_RE.finditer(self.text)]
        return self._starts

    def at(self, index: int) -> tuple[int, int]:
        index = max(0, min(index, len(self.text)))
        n = bisect.bisect_right(self.starts, index) - 1
        return n + 1, index - self.starts[n] + 1

    def line_text(self, line: int) -> str:
        start = self.starts[line - 1] if 0 < line <= len(self.starts) else len(self.text)
        m = _LINE_BREAK_RE.search(self.text, start)
        return self.text[start:m.start() if m else len(self.text)]

    def of_mark(self, mark: Any, exact: bool = False) -> tuple[int, int]:
        """Position of a mark; `exact` also for an error mark, which YAML may place on a line
        past the end of a file lacking a final newline."""
        if mark is None:
            return 1, 1
        if self.yaml_agrees and not exact:
            return mark.line + 1, mark.column + 1
        index = getattr(mark, "index", None)
        if isinstance(index, int):
            return self.at(index)
        return mark.line + 1, mark.column + 1  # pragma: no cover - marks always carry an index


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    """Turns a composed node tree into plain data, recording marks and enforcing limits."""

    def __init__(self, lines: _Lines) -> None:
        self.marks: Marks = {}
        self.count = 0
        self.chars = 0
        self.lines = lines
        if lines.yaml_agrees:
            self.pos = _pos  # type: ignore[method-assign]

    def pos(self, node: yaml.Node) -> tuple[int, int]:
        return self.lines.of_mark(node.start_mark)

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlProblem(*self.pos(node), f"more than {MAX_NODES:,} values (anchors and aliases expanding?); a record should be small, so write values out or split the record")
        if depth > MAX_DEPTH:
            raise YamlProblem(*self.pos(node), f"nesting deeper than {MAX_DEPTH} levels; records are shallow, so flatten this value")
        self.marks.setdefault(path, self.pos(node))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise YamlProblem(*self.pos(node), f"unsupported tag {_tag(node.tag)}; remove it")
            return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        raise YamlProblem(*self.pos(node), "unsupported YAML node; write plain values")  # pragma: no cover

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        self.chars += len(node.value)
        if self.chars > MAX_CHARS:
            raise YamlProblem(*self.pos(node), f"the record expands to more than {MAX_CHARS:,} characters (anchors and aliases repeating a value?); write values out or split the record")
        if node.tag == _NULL:
            return None
        if node.tag == _BOOL:
            return node.value.lower() == "true"
        if node.tag == _STR:
            return node.value
        raise YamlProblem(*self.pos(node), f"unsupported tag {_tag(node.tag)}; remove it and write the value as plain text")

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[str, Any]:
        if node.tag != _MAP:
            raise YamlProblem(*self.pos(node), f"unsupported tag {_tag(node.tag)}; remove it")
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in (_STR, _NULL, _BOOL):
                raise YamlProblem(*self.pos(key_node), "keys must be plain field names (no lists, mappings or tags as keys); write `name: value`")
            # The key as written: `~`, `true` or `01` stay those strings, never None, True or 1.
            key = key_node.value
            line, col = self.pos(key_node)
            if key in out:
                raise YamlProblem(line, col, f"duplicate key {key!r} on lines {first_line[key]} and {line}; keep one of them")
            first_line[key] = line
            # Point at a scalar value itself; at the key when the value is a block below it.
            on_value = isinstance(value_node, yaml.ScalarNode) or value_node.flow_style
            self.marks[path + (key,)] = self.pos(value_node) if on_value else (line, col)
            self.marks[path + (key, KEY)] = (line, col)
            out[key] = self.build(value_node, path + (key,), depth + 1)
        return out




def _tag(tag: str) -> str:
    short = tag.replace("tag:yaml.org,2002:", "!!")
    return repr(short)


class _Unmarked(_Builder):
    """The builder without marks, for the common case of a valid file (a third of its cost
    was recording positions no one reads). A duplicate key needs the marks for its message:
    it makes the caller build again with them."""

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES or depth > MAX_DEPTH:
            return super().build(node, path, depth)  # raises, with the position
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in (_STR, _NULL, _BOOL):
                    raise YamlProblem(*self.pos(key_node), "keys must be plain field names (no lists, mappings or tags as keys); write `name: value`")
                if key_node.value in out:
                    raise _NeedMarks()
                out[key_node.value] = self.build(value_node, path, depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
            return [self.build(item, path, depth + 1) for item in node.value]
        return super().build(node, path, depth)  # a tag or node it refuses: raises, located


class _NeedMarks(Exception):
    pass


def too_big(size: int) -> str:
    return f"file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit for one record; split it"


class ReadRecord(NamedTuple):
    """One record file as read: its data (None on any problem), the line and column of every
    value, and the problems found."""

    data: dict[str, Any] | None
    marks: Marks
    problems: list[Problem]


def read_record(raw: bytes, display_path: str, marks: bool = True) -> ReadRecord:
    """Parse one record file. Returns (data, marks, problems); data is None on any problem.
    Never raises for any input: every failure is a located, one-line problem. Without
    `marks`, the marks come back empty unless a problem was found (cheaper for valid files)."""

    def fail(line: int, col: int, message: str) -> ReadRecord:
        return ReadRecord(None, {}, [Problem(display_path, line, col, one_line(" ".join(message.split())))])

    if len(raw) > MAX_FILE_BYTES:
        return fail(1, 1, too_big(len(raw)))
    if raw.startswith(b"\xef\xbb\xbf"):
        return fail(1, 1, "file starts with a byte-order mark (BOM); save it as UTF-8 without BOM")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return fail(1, 1, "file is UTF-16, not UTF-8; save it as UTF-8 without BOM")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = len(raw[raw.rfind(b"\n", 0, exc.start) + 1: exc.start].decode("utf-8", "replace")) + 1
        return fail(line, col, f"not UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8")
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        return fail(1, 1, "file is empty; write one record as a YAML mapping or delete the file")
    lines = _Lines(text)
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.reader.ReaderError as exc:
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        # libyaml reports a byte offset, the pure-Python reader a character index: find the
        # character itself instead.
        index = text.find(chr(code)) if code < 0x110000 else -1
        line, col = lines.at(index if index >= 0 else exc.position)
        return fail(line, col, f"character U+{code:04X} is not allowed in YAML text; delete it, "
                               f"or write it as the escape \\u{code:04X} inside double quotes")
    except yaml.MarkedYAMLError as exc:
        return fail(*_located_message(exc, lines))
    except yaml.YAMLError as exc:
        return fail(1, 1, f"YAML error: {exc}; fix the file")
    except RecursionError:
        return fail(1, 1, f"nesting too deep to parse; records are shallow (at most {MAX_DEPTH} levels)")
    if node is None:
        return fail(1, 1, "file is empty; write one record as a YAML mapping or delete the file")
    builder = _Builder(lines) if marks else _Unmarked(lines)
    if not isinstance(node, yaml.MappingNode):
        kind = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
        return fail(*builder.pos(node), f"the top level is {kind}, not a mapping; write the record as `field: value` lines")
    try:
        data = builder.build(node, (), 0)
    except _NeedMarks:
        return read_record(raw, display_path, marks=True)
    except YamlProblem as exc:
        return fail(exc.line, exc.col, exc.message)
    except RecursionError:
        return fail(1, 1, f"nesting too deep; records are shallow (at most {MAX_DEPTH} levels)")
    return ReadRecord(data, builder.marks, [])


def _located_message(exc: yaml.MarkedYAMLError, lines: _Lines) -> tuple[int, int, str]:
    """Position and one-line message, with what to do, for a YAML parse error."""
    mark = exc.problem_mark or exc.context_mark
    line, col = lines.of_mark(mark, exact=True)
    problem = (exc.problem or "invalid YAML").strip()
    context = (exc.context or "").strip()
    text = lines.line_text(line)
    indent = text[: len(text) - len(text.lstrip(" \t"))]
    if "\t" in indent or "tab" in problem:
        tab_col = indent.find("\t") + 1 if "\t" in indent else col
        return line, tab_col, "tab character in the indentation; YAML indents with spaces only, so replace the tab with spaces"
    for ch, name in _YAML_ONLY_BREAKS.items():
        if ch in text or ch in lines.line_text(max(1, line - 1)):
            where = text if ch in text else lines.line_text(max(1, line - 1))
            return (line if ch in text else max(1, line - 1)), where.index(ch) + 1, (
                f"the character {name} counts as a line break in YAML; delete it, or write it as an escape inside double quotes")
    if "single document" in context or "document start" in problem:
        return line, col, "several YAML documents in one file (a '---' or '...' line); keep one record per file"
    if "undefined alias" in problem:
        return line, col, "an alias (*name) with no matching anchor (&name); define the anchor first or write the value out"
    if "maximum nesting depth" in problem:
        return line, col, f"nesting too deep; records are shallow (at most {MAX_DEPTH} levels)"
    started = ""
    if exc.context_mark is not None and exc.problem_mark is not None:
        ctx_line, _ = lines.of_mark(exc.context_mark, exact=True)
        if ctx_line != line:
            started = f" (started on line {ctx_line})"
    detail = f"{problem} {context}{started}".strip() if context else f"{problem}{started}"
    if "mapping values are not allowed" in problem:
        hint = "a value containing ': ' must be quoted, and a nested key must be indented under its parent"
    elif "cannot start any token" in problem:
        hint = "a value starting with this character must be quoted"
    elif "quoted scalar" in context and "end of stream" in problem:
        hint = "close the quote"
    elif "escape" in problem:
        hint = "inside double quotes use a known escape (\\n, \\t, \\\\, \\\", \\xNN, \\uNNNN) or use single quotes"
    elif "expected key" in problem or "expected <block end>" in problem or "'-' indicator" in problem:
        hint = "check the indentation: keys at the same level must start in the same column"
    elif "flow" in context or "',' or ']'" in problem or "',' or '}'" in problem:
        hint = "close the bracket, or quote a value containing ',', '[', ']', '{' or '}'"
    else:
        hint = "fix the syntax at this position"
    return line, col, f"YAML syntax error: {detail}; {hint}"


def locate(marks: Marks, loc: Path) -> tuple[int, int]:
    """Best position for an error at `loc`: the deepest recorded prefix of it."""
    for n in range(len(loc), -1, -1):
        if loc[:n] in marks:
            return marks[loc[:n]]
    return 1, 1
