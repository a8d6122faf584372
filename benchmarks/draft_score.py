"""How well `chinaind draft` reads the project's own sources, scored against the bundled records.

For each source text (the seed issue, the excerpts, the news items) whose source record the
bundled data holds (found by its address, else by its id), a copy of data/ is made without the
records drawn only from that source (agencies and sectors stay: they are vocabulary), and the
text is drafted into it (`--dry-run -f json`, under the real source id). The draft is then
scored against the records it should have found:

- issuers, dates and figures (value, unit, currency, deadline, comparator): recall (what the
  records hold that the draft found) and precision (what the draft found that the records hold),
  over the policies and events matched by section and date;
- names linked or proposed: the ids the records point at (issuers, organisations, people,
  technologies) that the draft linked, or proposed as new records;
- invented: drafted values whose words the text does not contain (must be 0);
- copied: runs of ten or more words of the text left in a drafted record once its
  `# UNCONFIRMED` marks (which confirming deletes) are removed (must be 0);
- time: one draft of the seed issue, on the bundled data, as a whole process.

    .venv/bin/python benchmarks/draft_score.py [--sources ../shared/sources] [--big KB_DIR]

`--big` also times the seed's draft on a large knowledge base (e.g. a cloned corpus of
benchmarks/clone.py). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
KEEP_KINDS = ("agencies", "sectors", "schema")
FIGURE_FIELDS = ("unit", "currency", "deadline", "comparator")


def chinaind() -> list[str]:
    exe = REPO / ".venv" / "bin" / "chinaind"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "chinaind"]


def records() -> dict[str, dict[str, Any]]:
    out = {}
    for path in DATA.glob("*/*.yaml"):
        if path.parent.name == "schema":
            continue
        # As the records hold them once validated: dates and years as text, like a draft's.
        rec = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))
        rec["_folder"] = path.parent.name
        out[rec["id"]] = rec
    return out


def cites(rec: dict[str, Any]) -> set[str]:
    found = {c["source"] for c in rec.get("sources") or []}
    for event in rec.get("events") or []:
        found |= {c["source"] for c in event.get("sources") or []}
    return found


def source_of(text: str, bundled: dict[str, dict[str, Any]]) -> str | None:
    first = text.strip().splitlines()[0].strip()
    for rid, rec in bundled.items():
        if rec["_folder"] == "sources" and first in (rec.get("urls") or []):
            return rid
    if "MARCH 1, 2023" in text[:200]:
        return "merics-china-industries-2023-03-01"
    return None


def without(source_id: str, bundled: dict[str, dict[str, Any]], dest: Path) -> None:
    shutil.copytree(DATA, dest)
    for rid, rec in bundled.items():
        if rec["_folder"] in KEEP_KINDS:
            continue
        if rid == source_id or cites(rec) == {source_id}:
            (dest / rec["_folder"] / f"{rid}.yaml").unlink()


def draft(text_path: Path, kb: Path, source_id: str, cache: Path) -> tuple[list[dict[str, Any]], float]:
    env = {**os.environ, "CHINAIND_CACHE_DIR": str(cache)}
    subprocess.run([*chinaind(), "--skip-invalid", "-d", str(kb), "list", "sources", "-f", "ids"], env=env,
                   capture_output=True, check=False)  # the cache built first: a draft is timed warm
    start = time.perf_counter()
    done = subprocess.run([*chinaind(), "draft", str(text_path), "-d", str(kb), "--dry-run", "-f", "json",
                           "--source-id", source_id], env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"draft failed on {text_path}: {done.stderr}")
    return json.loads(done.stdout), elapsed


class Score:
    def __init__(self) -> None:
        self.found: dict[str, int] = {}
        self.truth: dict[str, int] = {}
        self.drafted: dict[str, int] = {}
        self.invented = 0
        self.copied = 0

    def add(self, what: str, truth: set[Any], drafted: set[Any]) -> None:
        self.truth[what] = self.truth.get(what, 0) + len(truth)
        self.drafted[what] = self.drafted.get(what, 0) + len(drafted)
        self.found[what] = self.found.get(what, 0) + len(truth & drafted)


def _section_key(section: str | None) -> str:
    m = re.search(r"item (\d+)", section or "")
    return f"item {m.group(1)}" if m else (section or "").split("(")[0].strip()


def _date(rec: dict[str, Any]) -> str | None:
    dates = rec.get("dates") or []
    return dates[0]["date"] if dates else None


def match(truth: list[dict[str, Any]], drafted: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Pairs of (record, drafted record) about the same document: from the same section, the
    best by date, title, issuers and figure values in common; each record and draft used once."""
    def score(rec: dict[str, Any], d: dict[str, Any]) -> int:
        points = 3 * (_date(rec) is not None and _date(rec) == _date(d))
        points += 3 * (" ".join(str(rec.get("title")).lower().split()) == " ".join(str(d.get("title")).lower().split()))
        points += len(set(rec.get("issuers") or []) & set(d.get("issuers") or []))
        points += len({f.get("value") for f in figures_of(rec)} & {f.get("value") for f in figures_of(d)} - {None})
        return points

    options = []
    for rec in truth:
        sections = {_section_key(c["section"]) for c in rec.get("sources") or []}
        for d in drafted:
            if _section_key(d.get("_section")) in sections:
                options.append((score(rec, d), rec, d))
    pairs, used_rec, used_draft = [], set(), set()
    for points, rec, d in sorted(options, key=lambda o: -o[0]):
        if points and id(rec) not in used_rec and id(d) not in used_draft:
            used_rec.add(id(rec))
            used_draft.add(id(d))
            pairs.append((rec, d))
    return pairs


def figures_of(rec: dict[str, Any]) -> list[dict[str, Any]]:
    out = list(rec.get("figures") or [])
    for event in rec.get("events") or []:
        if event.get("amount") is not None:
            out.append({"value": event["amount"], "currency": event.get("currency")})
    return out


def score_one(text: str, source_id: str, bundled: dict[str, dict[str, Any]], drafted: list[dict[str, Any]], score: Score) -> None:
    truth_policies = [r for r in bundled.values() if r["_folder"] == "policies" and source_id in cites(r)]
    drafted_policies = [{**d["record"], "_section": d["section"]} for d in drafted if d["kind"] == "policy"]
    pairs = match(truth_policies, drafted_policies)
    if os.environ.get("DRAFT_SCORE_DEBUG"):
        for rec, d in pairs:
            print(f"  {rec['id']} <- {d['id']}: truth {[f.get('value') for f in figures_of(rec)]} drafted {[f.get('value') for f in figures_of(d)]}", file=sys.stderr)
        for rec in truth_policies:
            if all(r is not rec for r, _ in pairs):
                print(f"  {rec['id']} unmatched ({[c['section'] for c in rec.get('sources') or []]}) figures {[f.get('value') for f in figures_of(rec)]}", file=sys.stderr)
    for rec in truth_policies:
        pair = next((d for r, d in pairs if r is rec), {})
        score.add("issuers", {(rec["id"], a) for a in rec.get("issuers") or []},
                  {(rec["id"], a) for a in pair.get("issuers") or []})
        score.add("dates", {(rec["id"], e["date"]) for e in rec.get("dates") or []},
                  {(rec["id"], e["date"]) for e in pair.get("dates") or []})
        _score_figures(rec["id"], figures_of(rec), figures_of(pair), score)
    unmatched = [d for d in drafted_policies if all(d is not p for _, p in pairs)]
    for d in unmatched:  # drafted from an item no record holds: all of it counts against precision
        score.add("issuers", set(), {(d["id"], a) for a in d.get("issuers") or []})
        score.add("dates", set(), {(d["id"], e["date"]) for e in d.get("dates") or []})
        _score_figures(d["id"], [], figures_of(d), score)
    _score_events(source_id, bundled, drafted, score)
    _score_names(source_id, bundled, drafted, score)
    _check_invented_and_copied(text, drafted, score)


def _score_figures(rid: str, truth: list[dict[str, Any]], drafted: list[dict[str, Any]], score: Score) -> None:
    score.add("figure values", {(rid, f.get("value")) for f in truth if f.get("value") is not None},
              {(rid, f.get("value")) for f in drafted if f.get("value") is not None})
    for field in FIGURE_FIELDS:
        same = _same_unit if field == "unit" else (lambda a, b: str(a) == str(b))
        held = [f for f in truth if f.get(field) is not None and f.get("value") is not None]
        read = [f for f in drafted if f.get(field) is not None and f.get("value") is not None]
        found = [f for f in read if any(t["value"] == f["value"] and same(t[field], f[field]) for t in held)]
        score.truth[field] = score.truth.get(field, 0) + len(held)
        score.drafted[field] = score.drafted.get(field, 0) + len(read)
        score.found[field] = score.found.get(field, 0) + min(len(found), len(held))


def _same_unit(held: Any, read: Any) -> bool:
    """The unit as the record words it and as the draft read it: one names the other's thing
    ("robots" in "robots per ten thousand manufacturing workers"), plurals aside."""
    def words(text: Any) -> set[str]:
        return {w.rstrip("s") for w in re.findall(r"[a-z0-9]+", str(text).lower())}
    a, b = words(held), words(read)
    return bool(a and b) and (a <= b or b <= a)


def _names_of(rec: dict[str, Any]) -> set[str]:
    """Names compared without the legal form a text may add ("XPeng Inc." is XPeng)."""
    names = [rec.get("name"), *(rec.get("aliases") or [])]
    return {re.sub(r"\s+(?:inc|co|ltd|corp|corporation|group|holdings)\.?$", "", " ".join(str(n).lower().split()))
            for n in names if n}


def _score_events(source_id: str, bundled: dict[str, dict[str, Any]], drafted: list[dict[str, Any]], score: Score) -> None:
    """Events of organisations, matched by the organisation's name (a draft gives new ids)."""
    truth = [r for r in bundled.values() if r["_folder"] == "companies"
             and any(source_id in {c["source"] for c in e.get("sources") or []} for e in r.get("events") or [])]
    found = [d["record"] for d in drafted if d["kind"] == "company" and d["record"].get("events")]
    pairs = [(t, next((f for f in found if _names_of(f) & _names_of(t)), None)) for t in truth]
    score.add("events", {t["id"] for t in truth}, {t["id"] for t, f in pairs if f} | {f["id"] for f in found
                                                                                    if not any(f is g for _, g in pairs)})
    for t, f in pairs:
        _score_figures(t["id"], figures_of({"events": [e for e in t.get("events") or []
                                                       if source_id in {c["source"] for c in e.get("sources") or []}]}),
                       figures_of(f or {}), score)


def _score_names(source_id: str, bundled: dict[str, dict[str, Any]], drafted: list[dict[str, Any]], score: Score) -> None:
    truth: set[str] = set()
    for rec in bundled.values():
        if rec["_folder"] == "policies" and source_id in cites(rec):
            truth |= set(rec.get("issuers") or []) | {o["org"] for o in rec.get("organisations") or []}
            truth |= {p["person"] for p in rec.get("people") or []} | set(rec.get("technologies") or [])
    names = {d["record"].get("name") or d["record"].get("title") for d in drafted if d["new"]}
    linked = set()
    for d in drafted:
        rec = d["record"]
        linked |= set(rec.get("issuers") or []) | {o["org"] for o in rec.get("organisations") or []}
        linked |= {p["person"] for p in rec.get("people") or []} | set(rec.get("technologies") or [])
    proposed = {rid for rid in truth if rid in bundled and (bundled[rid].get("name") in names)}
    score.add("names", truth, (linked & truth) | proposed | (linked - truth))


def _norm(text: str) -> str:
    return " ".join(re.sub(r"\(\[[^\]]*\]\([^)]*\)\)|\[([^\]]+)\]\([^)]*\)", r"\1", text).split())


def _check_invented_and_copied(text: str, drafted: list[dict[str, Any]], score: Score) -> None:
    plain = _norm(text)
    for d in drafted:
        for mark in d.get("unconfirmed") or []:
            words = _norm(mark["words"])
            if words.startswith(("the address ", "the page's site name")):
                continue
            if words and words not in plain:
                score.invented += 1
                print(f"invented? {d['id']} {mark['field']}: {words!r}", file=sys.stderr)
    words = plain.split()
    runs = {" ".join(words[i:i + 10]) for i in range(len(words) - 9)}
    for d in drafted:
        if not d["new"]:
            continue
        values = " ".join(_strings(d["record"]))
        hit = next((run for run in runs if run in " ".join(values.split())), None)
        if hit:
            score.copied += 1
            print(f"copied? {d['id']}: {hit!r}", file=sys.stderr)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        # Titles and headlines are names, kept as written (the bundled records do the same).
        return [s for k, v in value.items() if k not in ("title", "headlines") for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def report(score: Score, seed_time: float | None, big_time: float | None, texts: int) -> str:
    lines = [f"Drafted {texts} texts. Recall = found / in the records; precision = found / drafted.", "",
             "| what | in the records | drafted | found | recall | precision |", "|---|---|---|---|---|---|"]
    for what in ("issuers", "dates", "figure values", *FIGURE_FIELDS, "events", "names"):
        t, d, f = score.truth.get(what, 0), score.drafted.get(what, 0), score.found.get(what, 0)
        lines.append(f"| {what} | {t} | {d} | {f} | {f / t:.0%} | {f / d:.0%} |" if t and d else f"| {what} | {t} | {d} | {f} | - | - |")
    lines += ["", f"- drafted values whose words the text does not contain: {score.invented}",
              f"- drafted records holding a run of ten words of the text: {score.copied}"]
    if seed_time is not None:
        lines.append(f"- drafting the seed issue on the bundled data: {seed_time:.2f} s (whole process, median of 3)")
    if big_time is not None:
        lines.append(f"- the same on the large knowledge base: {big_time:.2f} s")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=Path, default=REPO.parent / "shared" / "sources")
    parser.add_argument("--big", type=Path, default=None)
    args = parser.parse_args()
    bundled = records()
    texts = sorted(p for p in args.sources.rglob("*.txt") if p.name != "README.md")
    score, seed_time, count = Score(), None, 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in texts:
            text = path.read_text(encoding="utf-8")
            source_id = source_of(text, bundled)
            if source_id is None:
                print(f"skipped {path.name}: no bundled source record has its address", file=sys.stderr)
                continue
            kb = Path(tmp) / path.stem
            without(source_id, bundled, kb)
            drafted, _ = draft(path, kb, source_id, Path(tmp) / "cache")
            score_one(text, source_id, bundled, drafted, score)
            count += 1
            if source_id == "merics-china-industries-2023-03-01":
                seed_time = statistics.median(draft(path, kb, source_id, Path(tmp) / "cache")[1] for _ in range(3))
        big_time = None
        if args.big is not None:
            seed = args.sources / "merics-china-industries-2023-03-01.txt"
            big_time = statistics.median(draft(seed, args.big, "merics-china-industries-2023-03-01", Path(tmp) / "big")[1]
                                         for _ in range(3))
    print(report(score, seed_time, big_time, count))


if __name__ == "__main__":
    main()
