"""Writing records by hand: JSON Schemas for editors, a knowledge base of one's own, and record
skeletons. Writes files and returns what it wrote; never prints.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, get_args

from chinaind.core.errors import UsageError
from chinaind.core.escape import one_line
from chinaind.records import kinds
from chinaind.records.kinds import FOLDERS, RECORD_TYPES

SCHEMA_DIR = "schema"
SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"
NEW_KINDS = RECORD_TYPES
# Sources and people come along: the vocabularies cite sources, and sources name their authors.
VOCABULARIES = ("agency", "sector", "source", "person")
_DATE_FIELDS = {"date", "issue_date", "deadline", "as_of", "start", "end", "since", "until"}
_DATE_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"
# A date as a source states it (DateEntry.date) may lack its year: --MM or --MM-DD.
_STATED_PATTERN = r"^(\d{4}(-\d{2}(-\d{2})?)?|--\d{2}(-\d{2})?)$"


# --- JSON Schema -------------------------------------------------------------------------------
def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one record kind, from its Pydantic model, adjusted to how chinaind
    reads YAML: every plain scalar is text to chinaind, but an editor's YAML 1.2 parser reads
    `deadline: 2025` or `section: 3` as numbers. So dates accept a year as a number (and say
    their pattern), and free-text fields accept numbers; enums and patterned ids stay strict."""
    from chinaind.records.models import MODELS

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
            stated = field == "date"
            node.update({"type": ["string", "integer"], "pattern": _STATED_PATTERN if stated else _DATE_PATTERN,
                         "description": "YYYY, YYYY-MM or YYYY-MM-DD" + (", or --MM / --MM-DD without a year" if stated else "")})
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
    from chinaind.core import safewrite

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
    from chinaind.core import safewrite

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
        if empty:
            _copy_employers(source, staging, copied)
        write_schemas(staging / SCHEMA_DIR, what="init")
    return copied


def _copy_employers(source: Path, target: Path, copied: dict[str, int]) -> None:
    """The organisations the copied people work for (a newsletter's publisher) and the copied
    sources' charts cite as data sources, so that an empty knowledge base still validates."""
    from chinaind.records.yamlio import read_record

    wanted: set[str] = set()
    for path in (target / FOLDERS["person"]).glob("*.yaml"):
        record = read_record(path.read_bytes(), str(path), marks=False).data or {}
        wanted.update(p["organisation"] for p in record.get("positions") or [] if isinstance(p, dict) and p.get("organisation"))
    for path in (target / FOLDERS["source"]).glob("*.yaml"):
        record = read_record(path.read_bytes(), str(path), marks=False).data or {}
        wanted.update(o for c in record.get("charts") or [] if isinstance(c, dict) for o in c.get("data_sources") or [])
    for org in sorted(wanted):
        src = source / FOLDERS["company"] / f"{org}.yaml"
        if src.is_file():
            shutil.copyfile(src, target / FOLDERS["company"] / src.name)
            copied[FOLDERS["company"]] += 1


# --- new ---------------------------------------------------------------------------------------
def check_id(rid: str) -> None:
    kinds.check_id(rid, "new")


def _choices(literal: Any) -> str:
    return ", ".join(get_args(literal))


_SOURCE = """sources:  # where the facts come from: a source record (chinaind new source ID) and its part
  - source: TODO source id, e.g. merics-china-industries-2023-03-01
    section: TODO section or item, e.g. Top 5, item 1
#    url: https://...  # a deeper address than the source's own, where one exists
"""
_EDITORIAL = ("# editorial: [name_zh, aliases]  # fields you added from general knowledge, not from the source;\n"
              "#   one value of a list as \"aliases:Qinchuan\" (quoted, or with no space after the colon)\n")
_FIGURES = """# figures:  # goals, tallies and statistics; each has its own id within the record
#   - id: robot-density
#     kind: goal  # goal (aimed at), tally (how many a list holds), statistic (measured or spent)
#     what: industrial robot density  # in your own words
#     value: 492
#     unit: robots
#     per: {value: 10000, unit: manufacturing workers}  # a ratio: 492 per 10,000
#     comparator: at-least  # only what the source says: exactly, at-least, more-than, up-to, about, almost, nearly
#     change: {factor: 2}  # relative to the baseline: {factor: 2} doubles, {percent: 20} adds 20 percent
#     baseline: {year: 2020, approximate: true}  # value and unit too where the source gives them
#     deadline: 2025
#     stated_by: third-party  # only when not the document: commentary, or third-party with according_to
#     according_to: MIIT
#   - {id: fund, kind: statistic, what: fund size, value: 138700000000, currency: CNY,
#      equivalent: {value: 19200000000, currency: USD}}  # "138.7 billion yuan ($19.2 billion)": both kept
#   - {id: standards, kind: tally, what: standards issued, value: 400, categories: [national, industry, group]}
#   - {id: next-round, kind: scheduled, what: a new round of selections, deadline: 2024}  # neither aim nor measure
#   - {id: landscape, kind: goal, what: a landscape linking future and traditional industries, deadline: 2027}
#   - {id: investment, kind: statistic, what: investment under the 2018-2020 plan, value: 70000000000,
#      currency: CNY, period: {start: 2018, end: 2020}}
#   - {id: priorities, kind: tally, what: high-level priorities, value: 12, named: [innovation, industry]}
#   - {id: top-firms, kind: goal, what: top firms by revenue in each province, value: 10, unit: percent,
#      comparator: at-least, part_of: robot-density}  # a compound goal: part_of links it
"""


def _policy(models: Any) -> str:
    roles = ", ".join(r for r in get_args(models.DateEntry.model_fields["role"].annotation) if r != "occurred")
    return ("title: TODO English title, as the source gives it\n"
            "# title_descriptive: true  # the source gives no title: this one is your description\n"
            "# title_zh: 中文标题  # verbatim\n"
            f"kind: TODO  # one of: {_choices(models.PolicyKind)}\n"
            "# draft: true\n"
            "dates:  # only the dates the source gives; leave the list out when it gives none\n"
            f"  - role: issued  # one of: {roles}\n"
            "    date: TODO  # YYYY, YYYY-MM or YYYY-MM-DD; --MM or --MM-DD when the source gives no year\n"
            "#    year_inferred: true  # the source gives no year; you inferred it (e.g. from the issue's date)\n"
            "# period: {start: 2021, end: 2035}  # the span the document covers; {duration: over the next three years}\n"
            "#   when the source gives a span without its dates (kept as stated, never turned into dates)\n"
            "# places: [{name: Shanghai, role: applies-to}]  # based-in, announced-in, held-in, applies-to, other\n"
            "issuers: []  # agency ids, the lead issuer first, e.g. [MIIT, NDRC]\n"
            "# issuers_total: 7  # the source counts more than it names: \"the MIIT and six other agencies\"\n"
            "sectors: []  # sector ids\n"
            "technologies: []  # ids of the technologies it lists\n"
            "organisations: []  # e.g. [{org: catl, role: example firm}]; in_commentary: true if only the comment names it\n"
            "# people: [{person: jin-zhuanglong, role: author}]\n"
            + _FIGURES +
            "# terms: [{zh: 双循环, en: dual circulation}]  # terms the source quotes; en alone when it gives no Chinese\n"
            "# refers_to: [made-in-china-2025]  # policies it mentions, no more said\n"
            "# links:  # how it stands to another policy, as the source says it\n"
            f"#   - {{to: 14th-five-year-plan, relation: implements, stated_by: commentary}}  # {_choices(models.DocumentRelation)}\n"
            "summary: TODO one or two sentences on what it does, in your own words\n"
            "# analysis: the newsletter's comment, in your own words\n"
            "# stated_by: commentary  # known only from the newsletter's comment, not the document itself;\n"
            "#   third-party (with according_to: Yicai Global) when the source reports someone else's word\n"
            + _EDITORIAL)


def _company(models: Any) -> str:
    return ("name: TODO English name\n"
            "# name_zh: 中文名称\n"
            "# aliases: [short name]\n"
            f"# kind: firm  # one of: {_choices(models.OrgKind)}; leave out if the source does not say\n"
            "# country: CN  # two capital letters; list it under editorial if the source does not say\n"
            "# places: [{name: Shenzhen, role: based-in}]\n"
            "sectors: []  # sector ids\n"
            f"# links: [{{to: ymtc, relation: supplier-of}}]  # other organisations: {_choices(models.OrgRelation)}\n"
            "# events:\n"
            "#   - dates: [{role: occurred, date: 2023-02-09}]  # or reported, announced ...\n"
            f"#     kind: ipo  # one of: {_choices(models.EventKind)}\n"
            "#     summary: what happened, in your own words\n"
            "#     amount: 190000000\n"
            "#     currency: USD\n"
            "#     equivalent: {value: 1380000000, currency: CNY}  # the same amount in a second currency, if given\n"
            "#     stated_by: third-party  # \"Yicai Global reported\": who says it\n"
            "#     according_to: Yicai Global\n"
            "#     sources: [{source: TODO, section: Corporate news}]\n"
            + _FIGURES.replace("#   - id: robot-density", "#   - id: example", 1) + _EDITORIAL)


def _technology(models: Any) -> str:
    return ("name: TODO English name\n"
            "# name_zh: 中文名称\n"
            "# aliases: []\n"
            "sectors: []  # sector ids\n"
            "listed_in: []  # ids of the policies that list it\n"
            "groups: []  # the organisations the source names, e.g.:\n"
            "#  - leads: [wuhan-raycus]\n"
            "#    partners: [hust, catl]\n"
            "#    partners_total: 18  # when the source counts more partners than it names\n" + _EDITORIAL)


def _agency(models: Any) -> str:
    return ("name: TODO English name\n"
            "# name_zh: 中华人民共和国工业和信息化部\n"
            "# short_name_zh: 工信部\n"
            "# aliases: [MIIT]\n"
            f"kind: TODO  # one of: {_choices(models.AgencyKind)}\n"
            "# parent: State-Council  # the agency it belongs to\n" + _EDITORIAL)


def _sector(models: Any) -> str:
    return ("name: TODO English name\n"
            "# name_zh: 中文名称\n"
            "# aliases: []\n"
            "# parent: manufacturing\n"
            "# description: what it covers\n"
            "# editorial: [name_zh]\n"
            "# sources: [{source: ..., section: ...}]  # a sector is editorial vocabulary unless it cites a source\n")


def _person(models: Any) -> str:
    return ("name: TODO name as the source writes it\n"
            "# name_zh: 中文名\n"
            "positions: []  # posts held, e.g.:\n"
            "#  - title: Minister and party secretary\n"
            "#    agency: MIIT  # or organisation: <company id>\n"
            "#    since: 2022-07  # or as_of: 2023-03 when only known to hold it then\n"
            "#  - {agency: NDRC, note: the source names the agency, not the post}  # a post known only in part\n"
            "# description: ...\n" + _EDITORIAL)


def _source(models: Any) -> str:
    return ("publication: TODO e.g. MERICS China Industries\n"
            "# title: the issue's or page's title\n"
            f"kind: TODO  # one of: {_choices(models.SourceKind)}\n"
            "# issue_date: 2023-03-01  # only when the source states it\n"
            "urls: []  # its address first, then mirrors\n"
            "# authors: [person ids]\n"
            "# editors: [person ids]\n"
            "# headlines:\n"
            "#   - {section: \"Top 5, item 1\", text: the headline}  # quotes: the section holds a comma\n"
            "# charts:\n"
            "#   - {section: Top 5, item 1, title: ..., measure: USD billion, data_sources: [organisation ids]}\n")


_BODIES = {"policy": _policy, "company": _company, "technology": _technology, "agency": _agency,
           "sector": _sector, "person": _person, "source": _source}


def skeleton(kind: str, rid: str) -> str:
    """A record with every required field and every optional block as a commented example;
    each placeholder says TODO, and `validate` reports every TODO left."""
    from chinaind.records import models

    if kind not in _BODIES:
        raise UsageError(f"new: unknown kind {kind!r}; choose one of {', '.join(NEW_KINDS)}")
    head = (f"# yaml-language-server: $schema=../{SCHEMA_DIR}/{kind}.json\n"
            f"# A new {kind} record. Replace every TODO, uncomment the optional lines you need,\n"
            f"# then check it with: chinaind validate <knowledge base folder>\n"
            f"id: {rid}\n")
    body = _BODIES[kind](models)
    return head + body + ("" if kind in ("sector", "source") else _SOURCE)


def is_bundled(data_dir: Path) -> bool:
    """True for the records shipped inside an installed chinaind (never edited in place)."""
    from chinaind.core.paths import PACKAGE_DIR

    packaged = PACKAGE_DIR / "_data"
    try:
        return data_dir.resolve() == packaged.resolve()
    except OSError:
        return False


def new_record(data_dir: Path, kind: str, rid: str) -> list[Path]:
    """Write `<data_dir>/<folder>/<rid>.yaml` (and the kind's schema when the base has none).
    Refuses an existing file, an id used by any record, and the bundled data. Returns the
    paths written, the record first."""
    from chinaind.store.scan import files, stem_of

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
    from chinaind.core import safewrite

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
