"""Writing records by hand: JSON Schemas for editors, a knowledge base of one's own, and record
skeletons. Writes files and returns what it wrote; never prints.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any, get_args

from .errors import UsageError
from .escape import one_line
from .kinds import FOLDERS, RECORD_TYPES

SCHEMA_DIR = "schema"
SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"
NEW_KINDS = ("policy", "company", "technology")
VOCABULARIES = ("agency", "sector")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
_DATE_FIELDS = {"date", "issue_date", "deadline"}
_DATE_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"


# --- JSON Schema -------------------------------------------------------------------------------
def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one record kind, from its Pydantic model, adjusted to how chinaind
    reads YAML: every plain scalar is text to chinaind, but an editor's YAML 1.2 parser reads
    `deadline: 2025` or `section: 3` as numbers. So dates accept a year as a number (and say
    their pattern), and free-text fields accept numbers; enums and patterned ids stay strict."""
    from .models import MODELS

    schema = MODELS[kind].model_json_schema()
    _loosen(schema, None)
    return {"$schema": SCHEMA_URI, **schema, "title": f"chinaind {kind} record",
            "description": f"One {kind} record: a YAML file in {FOLDERS[kind]}/ named <id>.yaml."}


def _loosen(node: Any, field: str | None) -> None:
    if isinstance(node, list):
        for item in node:
            _loosen(item, field)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "string" and "enum" not in node and "const" not in node:
        if field in _DATE_FIELDS:
            node.update({"type": ["string", "integer"], "pattern": _DATE_PATTERN,
                         "description": "YYYY, YYYY-MM or YYYY-MM-DD"})
        elif "pattern" not in node:
            node["type"] = ["string", "number"]
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            for name, sub in value.items():
                _loosen(sub, name)
        elif key in ("$defs", "definitions") and isinstance(value, dict):
            for sub in value.values():
                _loosen(sub, None)
        elif isinstance(value, (dict, list)):
            _loosen(value, field)


def schema_text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def write_schemas(folder: Path, kinds: tuple[str, ...] = RECORD_TYPES, *, force: bool = False,
                  what: str = "schema --write") -> list[Path]:
    """Write <kind>.json files into `folder`; every target is checked before any is written."""
    from . import safewrite

    paths = [folder / f"{kind}.json" for kind in kinds]
    if folder.is_dir():
        for path in paths:
            safewrite.check_target(path, force=force, what=what)
    created = safewrite.make_folder(folder, what)
    try:
        for kind, path in zip(kinds, paths):
            safewrite.write_file(path, schema_text(json_schema(kind)), force=force, what=what)
    except BaseException:
        if created:  # no half-made folder of schemas
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return paths


# --- init --------------------------------------------------------------------------------------
def init(target: Path, source: Path, *, empty: bool = False) -> dict[str, int]:
    """A new knowledge base in `target` (missing or empty): the records of `source`, or with
    `empty` only its vocabularies (agencies, sectors) and empty record folders. Schemas are
    generated from the running models, so they always match what `validate` checks.
    Returns the number of record files per folder."""
    if os.path.lexists(target) and not target.is_dir():
        kind = "a file" if target.is_file() else "not a folder (a dangling symbolic link, a device...)"
        raise UsageError(f"init: {one_line(str(target))} is {kind}; give a new or empty folder")
    if target.is_dir() and any(target.iterdir()):
        raise UsageError(f"init: {one_line(str(target))} is not empty; give a new or empty folder")
    from . import safewrite

    copied: dict[str, int] = {}
    # Built aside and moved into place: an error or Ctrl-C leaves no half-made base.
    with safewrite.new_folder(target, "init") as staging:
        for kind in RECORD_TYPES:
            folder = FOLDERS[kind]
            src, dst = source / folder, staging / folder
            if src.is_dir() and (not empty or kind in VOCABULARIES):
                safewrite.copy_folder(src, dst)
            else:
                dst.mkdir()
                # Git keeps no empty folders; the loader skips hidden files.
                (dst / ".gitkeep").touch()
            copied[folder] = sum(1 for p in dst.rglob("*") if p.suffix in (".yaml", ".yml"))
        write_schemas(staging / SCHEMA_DIR, what="init")
    return copied


# --- new ---------------------------------------------------------------------------------------
def check_id(rid: str) -> None:
    if not ID_RE.fullmatch(rid):  # match() would let a final newline through ('$')
        raise UsageError(f"new: {rid!r} is not a valid id; use letters, digits, '-' and '_' "
                         "(starting with a letter or digit, at most 128 characters), e.g. robot-plus-2023")


def _choices(literal: Any) -> str:
    return ", ".join(get_args(literal))


_SOURCE = """sources:
  - publication: TODO name of the publication
    issue_date: TODO  # YYYY-MM-DD
    section: TODO section or page
    # url: https://...
"""


def skeleton(kind: str, rid: str) -> str:
    """A record with every required field; each placeholder says TODO, and the dates and
    kinds left as TODO make the record fail validation until it is filled in."""
    from . import models

    head = (f"# yaml-language-server: $schema=../{SCHEMA_DIR}/{kind}.json\n"
            f"# A new {kind} record. Replace every TODO, delete the optional lines you do not need,\n"
            f"# then check it with: chinaind validate <knowledge base folder>\n"
            f"id: {rid}\n")
    if kind == "policy":
        body = ("title: TODO English title\n"
                "# title_zh: 中文标题\n"
                f"kind: TODO  # one of: {_choices(models.PolicyKind)}\n"
                "date: TODO  # YYYY, YYYY-MM or YYYY-MM-DD\n"
                "issuers: []  # agency ids, the lead issuer first, e.g. [MIIT, NDRC]\n"
                "sectors: []  # sector ids\n"
                "technologies: []  # ids of the technologies it lists\n"
                "organisations: []  # e.g. [{org: catl, role: example firm}]\n"
                "summary: TODO one or two sentences on what the policy does\n")
    elif kind == "company":
        body = ("name: TODO English name\n"
                "# name_zh: 中文名称\n"
                "aliases: []\n"
                f"kind: TODO  # one of: {_choices(models.OrgKind)}\n"
                "country: TODO  # two capital letters, e.g. CN\n"
                "sectors: []  # sector ids\n")
    elif kind == "technology":
        body = ("name: TODO English name\n"
                "# name_zh: 中文名称\n"
                "aliases: []\n"
                "sectors: []  # sector ids\n"
                "listed_in: []  # ids of the policies that list it\n"
                "groups: []  # the organisations the source names, e.g.:\n"
                "#  - leads: [wuhan-raycus]\n"
                "#    partners: [hust, catl]\n"
                "#    partners_total: 18  # when the source counts more partners than it names\n")
    else:
        raise UsageError(f"new: unknown kind {kind!r}; choose one of {', '.join(NEW_KINDS)}")
    return head + body + _SOURCE


def is_bundled(data_dir: Path) -> bool:
    """True for the records shipped inside an installed chinaind (never edited in place)."""
    packaged = Path(__file__).resolve().parent / "_data"
    try:
        return data_dir.resolve() == packaged.resolve()
    except OSError:
        return False


def new_record(data_dir: Path, kind: str, rid: str) -> list[Path]:
    """Write `<data_dir>/<folder>/<rid>.yaml` (and the kind's schema when the base has none).
    Refuses an existing file, an id used by any record, and the bundled data. Returns the
    paths written, the record first."""
    from .scan import files, stem_of

    if kind not in NEW_KINDS:
        raise UsageError(f"new: unknown kind {kind!r}; choose one of {', '.join(NEW_KINDS)}")
    check_id(rid)
    if is_bundled(data_dir):
        raise UsageError(f"new: {data_dir} holds the bundled records of the installed package; "
                         "run `chinaind init DIR` and pass --data-dir DIR")
    if not any((data_dir / f).is_dir() for f in FOLDERS.values()):
        raise UsageError(f"new: {data_dir} is not a knowledge base (it has no {FOLDERS[kind]}/ or other record "
                         "folder); create one with `chinaind init DIR`")
    text = skeleton(kind, rid)
    folder = data_dir / FOLDERS[kind]
    path = folder / f"{rid}.yaml"
    if os.path.lexists(path):
        raise UsageError(f"new: {one_line(str(path))} exists; edit it, or choose another id")
    taken = [e.rel for e in files(data_dir) if stem_of(e.rel) == rid]
    if taken:
        raise UsageError(f"new: the id {rid!r} is already used by {data_dir / taken[0]}; ids are unique "
                         "across the knowledge base")
    from . import safewrite

    schema = data_dir / SCHEMA_DIR / f"{kind}.json"
    for inside in (folder, schema.parent):  # never through a symbolic link out of the base
        if os.path.lexists(inside):
            safewrite.check_inside(inside, data_dir, "new")
    safewrite.make_folder(folder, "new")
    # Never overwrites, even a file (or symbolic link) that appeared since the check.
    safewrite.write_file(path, text, force=False, what="new", exists_hint="edit it, or choose another id")
    written = [path]
    if not os.path.lexists(schema):
        written += write_schemas(schema.parent, (kind,), what="new")
    return written
