"""Whatever happens to the files, a load through the cache (patched, appended, rebuilt) must
give exactly what reading every file afresh gives: records, problems, search text, tables."""

from __future__ import annotations

import gc
import os
import random
import time
from pathlib import Path

import pytest

import sqlite3

from chinaind.store import cachedb
import chinaind
from chinaind.store.loader import load


def _age(path: Path, seconds: float) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def _snapshot(base) -> dict:
    kb = base.index
    with base:
        return {
            "records": dict(kb.records),
            "problems": sorted((p.path, p.line, p.col, p.message) for p in base.problems),
            "texts": {rid: kb.texts[rid] for rid in kb.records},
            "by_type": {t: list(ids) for t, ids in kb.ids_by_type.items()},
            "by_agency": {a: list(ids) for a, ids in kb.policy_ids_by_agency.items()},
            "robot": [rid for rid, _, _ in kb.texts.spans("robot")],
        }


def _edit(rng: random.Random, kb: Path, step: int) -> str:
    files = sorted(p for p in kb.rglob("*.yaml") if p.is_file())
    target = rng.choice(files)
    action = rng.choice(["summary", "summary", "date", "issuer", "break", "delete", "rename",
                         "add", "duplicate", "dangling", "restore-type", "folder"])
    text = target.read_text()
    if action == "summary" and "summary:" in text:
        target.write_text(text.replace("summary: ", f"summary: robot edit {step} ", 1))
    elif action == "date" and "\ndate: " in text:
        target.write_text(text.replace("\ndate: 2023", "\ndate: 2019", 1).replace("\ndate: 2022", "\ndate: 2024", 1))
    elif action == "issuer" and "issuers: [MIIT" in text:
        target.write_text(text.replace("issuers: [MIIT", "issuers: [SAC", 1))
    elif action == "break":
        target.write_text(text + "\nnot: [closed\n")
    elif action == "delete":
        target.unlink()
    elif action == "folder":  # the file becomes a folder of the same name
        target.unlink()
        target.mkdir()
    elif action == "rename":
        target.rename(target.with_name(f"{target.stem}-{step}{target.suffix}"))
    elif action == "add":
        (kb / "sectors" / f"new-{step}.yaml").write_text(f"id: new-{step}\nname: Robot sector {step}\n")
    elif action == "duplicate":
        (kb / "sectors" / f"a-dup-{step}.yaml").write_text("id: lasers\nname: Another lasers\n")
    elif action == "dangling" and "sectors: [" in text:
        target.write_text(text.replace("sectors: [", "sectors: [nowhere-" + str(step) + ", ", 1))
    return action


@pytest.mark.parametrize("seed", range(10))
def test_cached_loads_equal_fresh_reads(kb_copy, seed):
    rng = random.Random(seed)
    for p in kb_copy.rglob("*.yaml"):
        _age(p, 100)
    for step in range(10):
        action = _edit(rng, kb_copy, step)
        for p in kb_copy.rglob("*.yaml"):
            if p.is_file() and time.time() - p.stat().st_mtime < 50:
                _age(p, 50 - step)  # edited files are older than the racy window, and distinct
        truth = _snapshot(chinaind.open(kb_copy, cache=False, skip_invalid=True))
        first = _snapshot(chinaind.open(kb_copy, skip_invalid=True))  # patches or rebuilds the cache
        second = _snapshot(chinaind.open(kb_copy, skip_invalid=True))  # served from it
        assert first == truth, (step, action)
        assert second == truth, (step, action)


def test_racy_edits_equal_fresh_reads(kb_copy):
    """Edits inside the racy window, the benchmark's case: the cache keeps up."""
    rng = random.Random(42)
    for step in range(8):
        action = _edit(rng, kb_copy, step)
        truth = _snapshot(chinaind.open(kb_copy, cache=False, skip_invalid=True))
        assert _snapshot(chinaind.open(kb_copy, skip_invalid=True)) == truth, (step, action)
        assert _snapshot(chinaind.open(kb_copy, skip_invalid=True)) == truth, (step, action)


def _rows(kb: Path, sql: str) -> list:
    conn = sqlite3.connect(cachedb.cache_path(kb))
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_an_edit_replaces_the_edited_file_rows_only(kb_copy):
    for p in kb_copy.rglob("*.yaml"):
        _age(p, 100)
    load(kb_copy)
    before = dict(_rows(kb_copy, "SELECT rel, file FROM files"))
    path = kb_copy / "sectors" / "lasers.yaml"
    path.write_text(path.read_text() + "description: Beams.\n")
    _age(path, 50)
    assert load(kb_copy).records["lasers"]["description"] == "Beams."
    after = dict(_rows(kb_copy, "SELECT rel, file FROM files"))
    assert after.keys() == before.keys()
    assert {rel for rel in after if after[rel] != before[rel]} == {"sectors/lasers.yaml"}


def test_the_database_stays_small_under_many_edits(kb_copy):
    """Rows replaced by edits leave free pages that SQLite reuses: 40 edits of one record do
    not grow the cache 40 times."""
    for p in kb_copy.rglob("*.yaml"):
        _age(p, 100)
    load(kb_copy)
    path = kb_copy / "sectors" / "lasers.yaml"
    original = path.read_text()
    db = cachedb.cache_path(kb_copy)

    def size() -> int:
        return sum(p.stat().st_size for p in db.parent.iterdir() if p.name.startswith(db.name))

    first = size()
    for step in range(40):
        path.write_text(original + f"description: {'x' * 400} {step}\n")
        _age(path, 50 - step)
        assert load(kb_copy).records["lasers"]["description"] == f"{'x' * 400} {step}"
        gc.collect()  # the run ends: its read transaction no longer holds the log back
    assert size() < 3 * first
    assert load(kb_copy).records["lasers"]["description"].endswith(" 39")


@pytest.fixture
def parallel(monkeypatch):
    """Validate on every core, as for a large base."""
    from chinaind.store import workers

    monkeypatch.setattr(workers, "PARALLEL_MIN", 1)


def _with_trouble(kb: Path) -> None:
    (kb / "sectors" / "broken.yaml").write_text("id: broken\nname: [\n")
    (kb / "sectors" / "a-dup.yaml").write_text("id: lasers\nname: Another lasers\n")
    for p in kb.rglob("*.yaml"):
        _age(p, 100)


def test_parallel_first_build_equals_fresh_reads(kb_copy, parallel):
    _with_trouble(kb_copy)
    truth = _snapshot(chinaind.open(kb_copy, cache=False, skip_invalid=True))
    assert _snapshot(chinaind.open(kb_copy, skip_invalid=True)) == truth
    assert _snapshot(chinaind.open(kb_copy, skip_invalid=True)) == truth
    assert _rows(kb_copy, "SELECT count(*) FROM files") == [(len(list(kb_copy.rglob("*.yaml"))),)]


def test_a_refresh_that_fails_midway_keeps_the_old_cache(kb_copy, parallel, monkeypatch):
    """A refresh is one transaction: a disk that fills up midway leaves the cache as it was,
    and the run answers from memory."""
    from chinaind.store import refresh

    _with_trouble(kb_copy)
    truth = _snapshot(chinaind.open(kb_copy, cache=False, skip_invalid=True))
    real, calls = refresh._insert, []

    def failing(*args):
        calls.append(1)
        if len(calls) == 1:  # the first chunk the cache build stores
            raise sqlite3.OperationalError("database or disk is full")
        return real(*args)

    monkeypatch.setattr(refresh, "_insert", failing)
    assert _snapshot(chinaind.open(kb_copy, skip_invalid=True)) == truth
    # Rolled back whole: not even the tables the build created are left.
    assert _rows(kb_copy, "SELECT count(*) FROM sqlite_master WHERE name = 'files'") == [(0,)]
    monkeypatch.setattr(refresh, "_insert", real)
    assert _snapshot(chinaind.open(kb_copy, skip_invalid=True)) == truth
    assert _snapshot(chinaind.open(kb_copy, skip_invalid=True)) == truth


def test_a_file_added_in_the_middle_keeps_search_in_path_order(kb_copy):
    """A new file gets the next row number, after every other; hits still come in path
    order, as from a fresh read."""
    for p in kb_copy.rglob("*.yaml"):
        _age(p, 100)
    load(kb_copy)
    (kb_copy / "sectors" / "m-robots.yaml").write_text("id: m-robots\nname: Robot middle\n")
    _age(kb_copy / "sectors" / "m-robots.yaml", 50)
    truth = _snapshot(chinaind.open(kb_copy, cache=False, skip_invalid=True))
    assert _snapshot(chinaind.open(kb_copy)) == truth
    assert truth["robot"].index("m-robots") < truth["robot"].index("robotics")


def test_ids_coming_and_going_in_a_valid_base(kb_copy):
    """Adds and deletes in a valid base update the reference check and the tables in place:
    a reference to a deleted record dangles, and stops dangling when it is back."""
    for p in kb_copy.rglob("*.yaml"):
        _age(p, 100)
    load(kb_copy, skip_invalid=True)
    lasers = kb_copy / "sectors" / "lasers.yaml"
    saved = lasers.read_text()
    steps = [
        lambda: (kb_copy / "sectors" / "optics.yaml").write_text("id: optics\nname: Optics\n"),
        lambda: lasers.unlink(),
        lambda: lasers.write_text(saved),
        lambda: (kb_copy / "sectors" / "optics.yaml").unlink(),
    ]
    for age, step in enumerate(steps):
        step()
        for p in kb_copy.rglob("*.yaml"):
            if time.time() - p.stat().st_mtime < 50:
                _age(p, 60 - age)
        truth = _snapshot(chinaind.open(kb_copy, cache=False, skip_invalid=True))
        assert _snapshot(chinaind.open(kb_copy, skip_invalid=True)) == truth, age
        assert _snapshot(chinaind.open(kb_copy, skip_invalid=True)) == truth, age
        dangling = [p for p in truth["problems"] if "unknown sector 'lasers'" in p[3]]
        assert bool(dangling) == (age == 1)
