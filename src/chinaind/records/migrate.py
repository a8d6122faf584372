"""Upgrading a knowledge base written for the first record format (format 1) to the current one.

Format 1 had one `date` per policy and event, `targets` (value + unit, `exactly` by default)
and sources written out in every record. Now a record carries `dates` with roles, `figures`
(goals, tallies, statistics) and cites source records by id. The upgrade is mechanical and
loses nothing: each date becomes the `issued` (event: `occurred`) date, each target a goal
(its comparator kept only where the author wrote one), and each distinct (publication, issue
date) becomes a source record in `sources/`. Comments, which a YAML round trip drops, are
kept at the top of their file. Files already in the current format are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chinaind.core.errors import UsageError
from chinaind.records.kinds import FOLDERS

TARGET_KEYS = ("id", "metric", "value", "unit", "comparator", "baseline", "deadline", "scope", "sectors", "note")
_SLUG_RE = re.compile(r"[^a-z0-9]+")


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


def source_id(publication: str, issue_date: str) -> str:
    return f"{_SLUG_RE.sub('-', publication.lower()).strip('-')}-{issue_date}"[:128].strip("-")


def _citations(items: Any, found: dict[str, dict[str, Any]]) -> list[Any]:
    out = []
    for item in items or []:
        if not isinstance(item, dict) or "publication" not in item:
            out.append(item)
            continue
        sid = source_id(str(item["publication"]), str(item.get("issue_date", "undated")))
        found.setdefault(sid, {"publication": item["publication"], "issue_date": item.get("issue_date")})
        cited = {"source": sid, "section": item.get("section")}
        # Every other key stays (url, or a typo that validate should still report).
        cited.update({k: v for k, v in item.items() if k not in ("publication", "issue_date", "section")})
        out.append(cited)
    return out


def _replace(record: dict[str, Any], key: str, new_key: str, value: Any) -> dict[str, Any]:
    """The record with `key` replaced by `new_key: value` at the same place."""
    return {(new_key if k == key else k): (value if k == key else v) for k, v in record.items()}


def _goal(target: dict[str, Any]) -> dict[str, Any]:
    goal: dict[str, Any] = {"id": target.get("id"), "kind": "goal", "what": target.get("metric")}
    for key in TARGET_KEYS[2:]:
        if key in target:
            goal[key] = target[key]
    for key, value in target.items():
        if key not in TARGET_KEYS:
            goal[key] = value  # unknown keys stay, so validate reports them as before
    return goal


def upgrade_record(rtype: str, record: dict[str, Any], found: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """One record in the current format, and what changed (empty when nothing did)."""
    changes: list[str] = []
    if rtype == "policy" and "date" in record and "dates" not in record:
        record = _replace(record, "date", "dates", [{"role": "issued", "date": record["date"]}])
        changes.append("date -> dates (role: issued)")
    if rtype == "policy" and "targets" in record and "figures" not in record:
        goals = [_goal(t) if isinstance(t, dict) else t for t in record["targets"] or []]
        record = _replace(record, "targets", "figures", goals)
        changes.append(f"targets -> figures ({len(goals)} goal{'s' if len(goals) != 1 else ''})")
    if rtype == "company" and isinstance(record.get("events"), list):
        events = []
        for event in record["events"]:
            if isinstance(event, dict) and "date" in event and "dates" not in event:
                event = _replace(event, "date", "dates", [{"role": "occurred", "date": event["date"]}])
                changes.append("event date -> dates (role: occurred)")
            if isinstance(event, dict) and _old_sources(event.get("sources")):
                event = {**event, "sources": _citations(event["sources"], found)}
            events.append(event)
        record = {**record, "events": events}
    if _old_sources(record.get("sources")):
        record = {**record, "sources": _citations(record["sources"], found)}
        changes.append("sources -> citations of source records")
    return record, list(dict.fromkeys(changes))


def _old_sources(items: Any) -> bool:
    return isinstance(items, list) and any(isinstance(i, dict) and "publication" in i for i in items)


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
        from chinaind.authoring.skeletons import write_schemas

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
