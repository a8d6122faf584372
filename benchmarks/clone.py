"""Grow the bundled records into a big knowledge base of realistic records, by cloning.

    .venv/bin/python benchmarks/clone.py OUT_DIR --records 100000 [--data DIR]

writes OUT_DIR/kb (the data dir), OUT_DIR/peers/records.json and records.sqlite (the same records
for jq and sqlite3, as generate.py writes them) and OUT_DIR/info.json.

OUT_DIR/kb starts as a copy of the bundled data/ folder (every record unchanged, and schema/).
Agencies and sectors are the vocabulary and stay shared: `agency MIIT` keeps finding policies in
every clone. Every other record (policies, companies, technologies, people, sources) is then
copied once per clone set j = 1, 2, ... under the id `<id>-c<j>` (zero-padded to at least four
digits; the file name is the id + .yaml) and every reference from it to a record of a cloned
kind (the paths of chinaind.records.kinds.REFERENCES; for ANY, the kind of the record the id names) is
rewritten to that set's id. References to agencies and sectors stay as they are. So each set is
a second, closed copy of the bundled knowledge base and the whole validates without problems.

The rewrite works on the original text, not on a re-dump: each file is composed once with
PyYAML, the positions of its id and of every reference to a cloned record are taken from the
node marks, and each clone is the text with the suffix inserted at those positions. Comments,
quoting, folded text and dates stay byte for byte as the editors wrote them, and 100,000
records take seconds.

Whole sets are cloned while they fit in --records; the rest is a partial set holding only
records whose references (followed transitively) all lie inside that partial set, so it stays
valid. It is chosen greedily (smallest closures first, then seeded shuffles until one fills the
remainder exactly; with today's data/ every remainder is filled). The record count is then
exactly --records, or slightly less when no closed subset fills the remainder; info.json and
the output line give the exact count.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
from generate import _fts_body  # noqa: E402  (the same FTS body as the synthetic peers)

try:  # the record kinds and reference paths of the code under test
    from chinaind.records.kinds import ANY, FOLDERS, REFERENCES  # noqa: E402
except ImportError:  # pragma: no cover - run without the package installed
    sys.path.insert(0, str(REPO / "src"))
    from chinaind.records.kinds import ANY, FOLDERS, REFERENCES  # noqa: E402

SHARED = frozenset({"agency", "sector"})  # the vocabulary: never cloned, referenced by every clone
MARK = "\ue000"  # stands for the clone suffix in the peers' JSON and FTS templates
_NULLS = {"~", "null", "Null", "NULL", ""}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
MAX_ID = 128


@dataclass
class Original:
    kind: str
    rid: str
    rel: str  # path under the data dir
    text: str
    cuts: list[int] = field(default_factory=list)  # where the clone suffix goes, ascending
    deps: set[str] = field(default_factory=set)  # ids of cloned-kind records referenced
    json_tpl: str = ""  # the record as JSON (with "type"), MARK where the suffix goes
    fts_tpl: str = ""  # its FTS body, the same way

    def clone(self, suffix: str) -> str:
        text, out, last = self.text, [], 0
        for cut in self.cuts:
            out.append(text[last:cut])
            out.append(suffix)
            last = cut
        out.append(text[last:])
        return "".join(out)


def _walk(node: yaml.Node, path: tuple[str, ...]) -> Iterator[yaml.ScalarNode]:
    """The scalar nodes at `path` ("*" = every item of a list) under node."""
    if not path:
        if isinstance(node, yaml.ScalarNode):
            yield node
        return
    head, rest = path[0], path[1:]
    if head == "*":
        if isinstance(node, yaml.SequenceNode):
            for item in node.value:
                yield from _walk(item, rest)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == head:
                yield from _walk(value, rest)


def _is_null(node: yaml.ScalarNode) -> bool:
    return node.style is None and node.value in _NULLS


def _data(node: yaml.Node, marked: set[int]) -> Any:
    """Plain data as chinaind reads it (scalars stay strings but for null and true/false), with
    MARK after every id that gets the suffix."""
    if isinstance(node, yaml.MappingNode):
        return {str(k.value): _data(v, marked) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_data(v, marked) for v in node.value]
    if node.style is None and node.value in _NULLS:
        return None
    if node.style is None and node.value in _BOOLS:
        return _BOOLS[node.value]
    return node.value + MARK if id(node) in marked else node.value


def _cut(text: str, node: yaml.ScalarNode, rel: str) -> int:
    """The index just after the id written at node (plain or quoted)."""
    if node.style not in (None, "'", '"'):
        raise SystemExit(f"{rel}: id {node.value!r} is written as a block scalar; clone.py handles plain or quoted ids")
    start = node.start_mark.index + (0 if node.style is None else 1)
    end = start + len(node.value)
    if text[start:end] != node.value:
        raise SystemExit(f"{rel}: could not locate {node.value!r} at line {node.start_mark.line + 1}")
    return end


def load(data_dir: Path) -> list[Original]:
    """Every record of data_dir, with where its clones differ."""
    composed: list[tuple[Original, yaml.MappingNode]] = []
    kind_of: dict[str, str] = {}
    for kind, folder in FOLDERS.items():
        for path in sorted((data_dir / folder).glob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            if MARK in text:
                raise SystemExit(f"{path}: contains U+E000, which clone.py uses as a marker")
            root = yaml.compose(text, Loader=yaml.SafeLoader)
            ids = list(_walk(root, ("id",))) if isinstance(root, yaml.MappingNode) else []
            if len(ids) != 1 or ids[0].value != path.stem:
                raise SystemExit(f"{path}: expected one top-level id equal to the file name; validate data/ first")
            rid = ids[0].value
            if rid in kind_of:
                raise SystemExit(f"{path}: duplicate id {rid!r}")
            kind_of[rid] = kind
            composed.append((Original(kind, rid, f"{folder}/{path.name}", text), root))
    for rec, root in composed:
        if rec.kind in SHARED:
            rec.json_tpl = json.dumps({"type": rec.kind, **_data(root, set())}, ensure_ascii=False)
            rec.fts_tpl = "\n".join(_fts_body(_data(root, set())))
            continue
        if len(rec.rid) > MAX_ID - 8:
            raise SystemExit(f"{rec.rel}: id too long to take a clone suffix")
        marked = [next(_walk(root, ("id",)))]
        for path, _ in REFERENCES.get(rec.kind, ()):
            for node in _walk(root, path):
                if _is_null(node) or kind_of.get(node.value, "agency") in SHARED:
                    continue  # the vocabulary (or an unknown id, which validate reports anyway)
                marked.append(node)
                if node.value != rec.rid:
                    rec.deps.add(node.value)
        ids = {id(n) for n in marked}
        rec.cuts = sorted({_cut(rec.text, n, rec.rel) for n in marked})
        data = _data(root, ids)
        rec.json_tpl = json.dumps({"type": rec.kind, **data}, ensure_ascii=False)
        rec.fts_tpl = "\n".join(_fts_body(data))
    return [rec for rec, _ in composed]


def closed_subset(cloned: list[Original], size: int, tries: int = 500) -> set[str]:
    """Ids of at most `size` records whose references, followed transitively, stay inside:
    greedy (smallest closures first, then seeded shuffles until one fills `size` exactly)."""
    deps = {r.rid: r.deps for r in cloned}

    def closure(rid: str) -> frozenset[str]:
        seen, todo = {rid}, [rid]
        while todo:
            for d in deps.get(todo.pop(), ()):
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
        return frozenset(seen)

    closures = {rid: closure(rid) for rid in deps}

    def greedy(order: list[str]) -> set[str]:
        chosen: set[str] = set()
        for rid in order:
            need = closures[rid] - chosen
            if need and len(chosen) + len(need) <= size:
                chosen |= need
        return chosen

    best = greedy(sorted(deps, key=lambda r: (len(closures[r]), r)))
    rng = random.Random(14)
    order = sorted(deps)
    for _ in range(tries):
        if len(best) == size:
            break
        rng.shuffle(order)
        found = greedy(order)
        if len(found) > len(best):
            best = found
    return best


def data_hash(data_dir: Path) -> str:
    """Of every file under data_dir and of this script: a change of either regenerates a kept corpus."""
    h = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(str(path.relative_to(data_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def plan(originals: list[Original], records: int) -> tuple[int, set[str]]:
    """(whole clone sets, ids of the partial last set) for `records` records in all."""
    cloned = [r for r in originals if r.kind not in SHARED]
    if records < len(originals):
        raise SystemExit(f"--records {records}: the bundled records alone are {len(originals)}; ask for at least that")
    if not cloned:
        raise SystemExit("the data dir has no records of a cloned kind")
    sets, rest = divmod(records - len(originals), len(cloned))
    return sets, closed_subset(cloned, rest) if rest else set()


def write(records: int, out: Path, data_dir: Path | None = None) -> dict[str, Any]:
    """Write OUT/kb, OUT/peers; return a summary (info.json)."""
    t0 = time.perf_counter()
    data_dir = (data_dir or REPO / "data").resolve()
    out = out.resolve()
    originals = load(data_dir)
    sets, partial = plan(originals, records)
    width = max(4, len(str(sets + 1)))
    if out.exists():
        shutil.rmtree(out)
    kb, peers = out / "kb", out / "peers"
    shutil.copytree(data_dir, kb, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for folder in FOLDERS.values():
        (kb / folder).mkdir(exist_ok=True)
    peers.mkdir(parents=True)
    cloned = [r for r in originals if r.kind not in SHARED]
    suffixes = [f"-c{j:0{width}d}" for j in range(1, sets + 1)]
    by_type = {kind: sum(1 for r in originals if r.kind == kind) for kind in FOLDERS}

    def clones() -> Iterator[tuple[Original, str]]:
        for suffix in suffixes:
            for rec in cloned:
                yield rec, suffix
        last = f"-c{sets + 1:0{width}d}"
        for rec in cloned:
            if rec.rid in partial:
                yield rec, last

    n = len(originals)
    for rec, suffix in clones():
        folder, name = rec.rel.split("/", 1)
        with open(f"{kb}/{folder}/{rec.rid}{suffix}.yaml", "w", encoding="utf-8") as fh:
            fh.write(rec.clone(suffix))
        by_type[rec.kind] += 1
        n += 1
    t_yaml = time.perf_counter() - t0

    with open(peers / "records.json", "w", encoding="utf-8") as fh:
        fh.write("[")
        fh.write(",\n".join(rec.json_tpl.replace(MARK, "") for rec in originals))
        for rec, suffix in clones():
            fh.write(",\n")
            fh.write(rec.json_tpl.replace(MARK, suffix))
        fh.write("]\n")
    db = sqlite3.connect(peers / "records.sqlite")
    db.execute("create virtual table fts using fts5(id unindexed, type unindexed, body)")
    rows = [(rec.rid, rec.kind, rec.fts_tpl.replace(MARK, "")) for rec in originals]
    db.executemany("insert into fts values (?, ?, ?)", rows)
    db.executemany("insert into fts values (?, ?, ?)",
                   ((rec.rid + s, rec.kind, rec.fts_tpl.replace(MARK, s)) for rec, s in clones()))
    db.commit()
    db.close()

    # What the queries use: a chain technology and a policy of a middle set, and cloned
    # policies of different sets to edit (one per run).
    mid = suffixes[len(suffixes) // 2] if suffixes else ""
    techs = [r for r in cloned if r.kind == "technology"]
    tech = next((r for r in techs if r.rid == "fiber-laser"), None) or next(
        (r for r in techs if "groups:" in r.text), techs[0] if techs else None)
    policies = [r for r in cloned if r.kind == "policy"]
    listed = [d for d in (tech.deps if tech else ()) if any(p.rid == d for p in policies)]
    show = sorted(listed)[0] if listed else policies[0].rid if policies else originals[0].rid
    edit_ids = [f"{policies[k % len(policies)].rid}{suffixes[k % len(suffixes)]}" for k in range(min(50, len(suffixes)))] \
        if suffixes and policies else [p.rid for p in policies[:50]]
    return {"n": n, "requested": records, "by_type": by_type, "sets": sets, "partial_set": len(partial),
            "per_set": len(cloned), "originals": len(originals), "data_dir": str(kb),
            "json": str(peers / "records.json"), "sqlite": str(peers / "records.sqlite"),
            "tech_name": (tech.rid + mid) if tech else "", "show_id": show + mid, "edit_ids": edit_ids,
            "data_hash": data_hash(data_dir),
            "seconds_yaml": round(t_yaml, 2), "seconds_total": round(time.perf_counter() - t0, 2)}


def edit_summary(path: Path, k: int) -> str:
    """Prefix the record's top-level summary with "Edited in run k. " (the file stays valid, its
    size and mtime change); return the original text, to restore it."""
    text = path.read_text(encoding="utf-8")
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    node = next(_walk(root, ("summary",)), None)
    if node is None:
        raise SystemExit(f"{path}: no summary to edit")
    at = node.start_mark.index
    if node.style in ("'", '"'):
        at += 1
    elif node.style in ("|", ">"):  # the header line, then the first content line's indentation
        at = text.index("\n", at) + 1
        while text[at] in " \n":
            at += 1
    edit = f"Edited in run {k}. "
    new = text[:at] + edit + text[at:]
    after = next(_walk(yaml.compose(new, Loader=yaml.SafeLoader), ("summary",)))
    if not after.value.startswith(edit.strip()) or after.value.replace(edit, "", 1) != node.value:
        raise SystemExit(f"{path}: editing the summary did not give the expected text")
    path.write_text(new, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="output folder (replaced): OUT/kb is the data dir, OUT/peers the peers")
    ap.add_argument("--records", type=int, default=100_000, help="records in all, the bundled ones included (default 100000)")
    ap.add_argument("--data", type=Path, default=REPO / "data", help="the records to clone (default: the repository's data/)")
    args = ap.parse_args(argv)
    info = write(args.records, args.out, args.data)
    (args.out / "info.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in info.items() if k != "edit_ids"}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
