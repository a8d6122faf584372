"""Drafted records as YAML files, each marked value followed by a `# UNCONFIRMED` comment with
the words it came from (records/unconfirmed.py): `chinaind validate` reports every one, with its
line, until a person deletes it. Written through core/safewrite.py: new files only, never over
an existing one, never through a symbolic link.

The YAML is written here rather than by PyYAML's dumper, which cannot put a comment after a
value. Strings are plain where YAML reads them back as the same string, else double-quoted
with JSON's escapes (valid YAML), so the file reads back as exactly the record drafted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from chinaind.core.escape import json_safe, one_line
from chinaind.draft.proposals import Evidence, Path_, Proposal
from chinaind.records.kinds import FOLDERS
from chinaind.records.unconfirmed import UNCONFIRMED_MARK

_PLAIN_RE = re.compile(r"^[A-Za-z\u3400-\u9fff][^:#\n\"'{}\[\],&*!|>%@`]*$")
_RESERVED = {"y", "yes", "n", "no", "true", "false", "on", "off", "null", "~"}
_DATE_RE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
MAX_WORDS_SHOWN = 160  # characters of the source's words kept in a mark


def path_of(data_dir: Path, proposal: Proposal) -> Path:
    return data_dir / FOLDERS[proposal.kind] / f"{proposal.rid}.yaml"


def yaml_text(proposal: Proposal) -> str:
    lines = [f"# yaml-language-server: $schema=../schema/{proposal.kind}.json",
             f"# Drafted by `chinaind draft`: confirm each value marked {UNCONFIRMED_MARK} against the source, then",
             "# delete its comment; write the TODO fields in your own words. `chinaind validate` lists what is left."]
    for key, value in proposal.record.items():
        lines += _entry(key, value, (key,), 0, proposal.marks)
    return "\n".join(lines) + "\n"


def _entry(key: str, value: Any, path: Path_, indent: int, marks: dict[Path_, Evidence], dash: bool = False) -> list[str]:
    pad = " " * indent
    lead = f"{pad}- " if dash else pad
    # A mark on a whole block (a change, a baseline) stands on its key's line.
    if isinstance(value, dict):
        return [f"{lead}{key}:{_mark(marks.get(path))}", *_mapping(value, path, indent + 2, marks)]
    if isinstance(value, list):
        return [f"{lead}{key}:{_mark(marks.get(path))}", *_sequence(value, path, indent + 2, marks)]
    return [f"{lead}{key}: {_scalar(value, key)}{_mark(marks.get(path))}"]


def _mapping(value: dict[str, Any], path: Path_, indent: int, marks: dict[Path_, Evidence]) -> list[str]:
    out: list[str] = []
    for key, item in value.items():
        out += _entry(key, item, (*path, key), indent, marks)
    return out


def _sequence(items: list[Any], path: Path_, indent: int, marks: dict[Path_, Evidence]) -> list[str]:
    out: list[str] = []
    pad = " " * indent
    for i, item in enumerate(items):
        if isinstance(item, dict):
            keys = list(item)
            first = _entry(keys[0], item[keys[0]], (*path, i, keys[0]), indent, marks, dash=True)
            out += first
            for key in keys[1:]:
                out += _entry(key, item[key], (*path, i, key), indent + 2, marks)
        else:
            out.append(f"{pad}- {_scalar(item, None)}{_mark(marks.get((*path, i)))}")
    return out


def _scalar(value: Any, key: str | None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if text.startswith("TODO  #"):
        return text  # a placeholder with its hint as a comment
    if _DATE_RE.match(text) and key not in ("title", "name", "what"):
        return text if len(text) > 4 or key in ("deadline", "start", "end", "date", "issue_date", "as_of") else json.dumps(text)
    if _PLAIN_RE.match(text) and text.lower() not in _RESERVED and not text.endswith((" ", ":")) and " #" not in text:
        return text
    return json_safe(json.dumps(text, ensure_ascii=False))


def _mark(evidence: Evidence | None) -> str:
    if evidence is None:
        return ""
    words = one_line(" ".join(evidence.words.split()))
    if len(words) > MAX_WORDS_SHOWN:
        words = words[:MAX_WORDS_SHOWN - 1] + "…"
    where = f" (line {evidence.line})" if evidence.line else ""
    return f"  # {UNCONFIRMED_MARK}: \"{words}\"{where}"


def write_new(data_dir: Path, proposal: Proposal) -> Path:
    """Write one drafted record to a new file; refuse when the file exists."""
    from chinaind.core.safewrite import check_inside, make_folder, write_file

    path = path_of(data_dir, proposal)
    make_folder(path.parent, "draft")
    check_inside(path.parent, data_dir, "draft")
    write_file(path, yaml_text(proposal), force=False, what="draft",
               exists_hint="draft never overwrites a record; remove the file or pass --source-id to draft under other ids")
    return path
