"""`chinaind migrate`: rewriting a knowledge base of the first record format in place, file by
file, with the upgrade of records/migrate.py. Comments, which a YAML round trip drops, are kept
at the top of their file; files already in the current format are left alone. A base made by
`init` has JSON Schemas in schema/: those out of date are rewritten too, and listed.

Every file is written through core/safewrite.py (a new temporary name, created exclusively,
then renamed): nothing planted beside a record (a symbolic link, a FIFO) is followed, opened
or replaced, and every target is checked before the first is written."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chinaind.core.errors import UsageError
from chinaind.records.kinds import FOLDERS
from chinaind.authoring.skeletons import json_schema, schema_text
from chinaind.records.kinds import RECORD_TYPES
from chinaind.records.migrate import upgrade_record


@dataclass
class FileChange:
    rel: str
    changes: list[str]
    text: str  # the file's new content


@dataclass
class Migration:
    changed: list[FileChange] = field(default_factory=list)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)  # new source records by id
    problems: list[str] = field(default_factory=list)


def plan(data_dir: Path) -> Migration:
    """What migrating `data_dir` would write; reads only."""
    from chinaind.store.scan import files
    from chinaind.records.yamlio import read_record

    result = Migration()
    if not data_dir.is_dir():
        raise UsageError(f"migrate: {data_dir} is not a folder; give a knowledge base folder")
    for entry in files(data_dir):
        rtype = next((t for t, f in FOLDERS.items() if entry.rel.startswith(f + "/")), None)
        if rtype is None or rtype == "source":
            continue
        raw = (data_dir / entry.rel).read_bytes()
        record, _, problems = read_record(raw, str(data_dir / entry.rel), marks=False)
        if record is None:
            result.problems.extend(f"{p.path}:{p.line}:{p.col}: {p.message}; left as it is" for p in problems)
            continue
        new, changes = upgrade_record(rtype, record, result.sources)
        if changes:
            text = _with_comments(raw.decode("utf-8", "replace"), dump(new))
            result.changed.append(FileChange(entry.rel, changes, text))
    existing = {e.rel for e in files(data_dir)}
    for sid in list(result.sources):
        if f"sources/{sid}.yaml" in existing:
            del result.sources[sid]
    result.changed += _stale_schemas(data_dir)
    return result


SCHEMA_CHANGE = "JSON Schema updated to the current record format"


def _stale_schemas(data_dir: Path) -> list[FileChange]:
    """The schema files of a base made by `init` that differ from the running models."""
    schema = data_dir / "schema"
    if not schema.is_dir() or schema.is_symlink():
        return []
    out = []
    for kind in RECORD_TYPES:
        path = schema / f"{kind}.json"
        text = schema_text(json_schema(kind))
        try:
            current = path.read_bytes() if path.is_file() and not path.is_symlink() else None
        except OSError:
            current = None
        if current is None or current != text.encode("utf-8"):
            out.append(FileChange(f"schema/{kind}.json", [SCHEMA_CHANGE], text))
    return out


def apply(data_dir: Path, migration: Migration) -> list[Path]:
    """Write the planned files (every target checked first, see the module's rules)."""
    from chinaind.core import safewrite

    writes = [(data_dir / c.rel, c.text, True) for c in migration.changed]
    writes += [(data_dir / FOLDERS["source"] / f"{sid}.yaml", source_text(sid, info), False)
               for sid, info in migration.sources.items()]
    for folder in (FOLDERS["person"], FOLDERS["source"]):
        safewrite.check_inside(data_dir / folder, data_dir, WHAT)
        safewrite.make_folder(data_dir / folder, WHAT)
    for path, _, force in writes:
        safewrite.check_target(path, force=force, what=WHAT, exists_hint=EXISTS_HINT)
    written = []
    for path, text, force in writes:
        safewrite.write_file(path, text, force=force, what=WHAT, exists_hint=EXISTS_HINT)
        written.append(path)
    return written


WHAT = "migrate"
# A new source record whose file appeared since the plan: migrate has no --force to offer.
EXISTS_HINT = "it appeared while migrating; run migrate again"


def source_text(sid: str, info: dict[str, Any]) -> str:
    record = {"id": sid, "publication": info["publication"],
              "kind": "newsletter-issue" if info.get("issue_date") else "other"}
    if info.get("issue_date"):
        record["issue_date"] = info["issue_date"]
    return "# yaml-language-server: $schema=../schema/source.json\n" + dump(record)


def _with_comments(old: str, new: str) -> str:
    """The new text under the old file's comment lines, which a YAML round trip would lose."""
    lines = [line for line in old.splitlines() if line.lstrip().startswith("#")]
    head = [line for line in lines if line.startswith("# yaml-language-server:")]
    rest = [line.strip() for line in lines if line not in head]
    kept = (["# Comments kept by `chinaind migrate` (they stood further down before):"] + rest) if rest else []
    return "\n".join(head + kept + [new.rstrip("\n")]) + "\n"


def dump(record: dict[str, Any]) -> str:
    """YAML as people write it: block style, plain scalars where chinaind reads them back as the
    same text, long text folded."""
    import yaml

    class Dumper(yaml.SafeDumper):
        def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
            super().increase_indent(flow, False)  # lists indented under their key, as people write them

    def represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = None
        if len(value) > 80 and "\n" not in value and value == value.strip() and "  " not in value:
            style = ">"
        elif any(ch in value for ch in "\x85\u2028\u2029"):
            style = '"'
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, represent_str)
    # chinaind reads YAML 1.1 dates, octal-looking numbers and yes/no/on/off as text, so they need
    # no quotes; only null and true/false must be quoted to stay text.
    Dumper.yaml_implicit_resolvers = {k: [(tag, rx) for tag, rx in v if tag == "tag:yaml.org,2002:null"]
                                      for k, v in yaml.SafeDumper.yaml_implicit_resolvers.items()}
    Dumper.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                 list("tTfF"))
    return yaml.dump(record, Dumper=Dumper, allow_unicode=True, sort_keys=False, width=100,
                     default_flow_style=False)
