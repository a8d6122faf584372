"""`chinaind migrate`: rewriting a knowledge base of the first record format in place, file by
file (written aside, then renamed), with the upgrade of records/migrate.py. Comments, which a
YAML round trip drops, are kept at the top of their file; files already in the current format
are left alone."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chinaind.core.errors import UsageError
from chinaind.records.kinds import FOLDERS
from chinaind.authoring.skeletons import write_schemas
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
    return result


def apply(data_dir: Path, migration: Migration) -> list[Path]:
    """Write the planned files; every file is written aside and renamed into place."""
    written = []
    for change in migration.changed:
        written.append(_write(data_dir / change.rel, change.text))
    for sid, info in migration.sources.items():
        written.append(_write(data_dir / FOLDERS["source"] / f"{sid}.yaml", source_text(sid, info)))
    for folder in (FOLDERS["person"], FOLDERS["source"]):
        (data_dir / folder).mkdir(exist_ok=True)
    schema = data_dir / "schema"
    if schema.is_dir():
        written += write_schemas(schema)
    return written


def source_text(sid: str, info: dict[str, Any]) -> str:
    record = {"id": sid, "publication": info["publication"],
              "kind": "newsletter-issue" if info.get("issue_date") else "other"}
    if info.get("issue_date"):
        record["issue_date"] = info["issue_date"]
    return "# yaml-language-server: $schema=../schema/source.json\n" + dump(record)


def _write(path: Path, text: str) -> Path:
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.migrate")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


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
