"""The compiled cache: incremental, never stale, robust to corruption and to concurrent runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sqlite3

from chinaind.store import cachedb

from chinaind.store import freshness, refresh

from chinaind.store import workers
from conftest import FIXTURE_COUNT
from chinaind.store.loader import load
from chinaind.store.scan import files as scan

NEW_SECTOR = "id: {id}\nname: {name}\n"


def _age(path: Path, seconds: float = 10) -> None:
    """Backdate a file past the cache's racy window, as if edited a while ago."""
    t = time.time() - seconds
    os.utime(path, (t, t))


def _age_tree(root: Path) -> None:
    for p in root.rglob("*.yaml"):
        _age(p)


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record which files are parsed and validated (not served from the cache)."""
    import chinaind.store.loader as loader

    seen: list[str] = []
    real = loader.validate_entry

    def spy(data_dir, entry):
        seen.append(entry.rel)
        return real(data_dir, entry)

    monkeypatch.setattr(loader, "validate_entry", spy)
    return seen


def test_first_load_builds_then_serves_from_cache(kb_copy, cache_dir, monkeypatch):
    _age_tree(kb_copy)
    seen = _spy(monkeypatch)
    first = load(kb_copy)
    assert len(seen) == FIXTURE_COUNT
    assert cachedb.cache_path(kb_copy).parent == cache_dir
    seen.clear()
    second = load(kb_copy)
    assert seen == []
    assert second.records == first.records


def test_edit_rereads_one_file(kb_copy, monkeypatch):
    _age_tree(kb_copy)
    load(kb_copy)
    seen = _spy(monkeypatch)
    path = kb_copy / "sectors" / "lasers.yaml"
    path.write_text(NEW_SECTOR.format(id="lasers", name="Laser technology"))
    _age(path, 5)
    result = load(kb_copy)
    assert seen == ["sectors/lasers.yaml"]
    assert result.records["lasers"]["name"] == "Laser technology"


def test_same_size_edit_is_seen(kb_copy):
    """An edit that keeps the size still changes the mtime, and is picked up."""
    _age_tree(kb_copy)
    load(kb_copy)
    path = kb_copy / "sectors" / "lasers.yaml"
    text = path.read_text()
    path.write_text(text.replace("Lasers", "LASERS"))
    _age(path, 5)
    assert load(kb_copy).records["lasers"]["name"] == "LASERS"


def test_add_delete_rename(kb_copy, monkeypatch):
    _age_tree(kb_copy)
    load(kb_copy)
    (kb_copy / "sectors" / "optics.yaml").write_text(NEW_SECTOR.format(id="optics", name="Optics"))
    assert "optics" in load(kb_copy).records
    (kb_copy / "sectors" / "optics.yaml").unlink()
    assert "optics" not in load(kb_copy).records
    # A rename is a delete and an add: the old id must vanish, and an id/file mismatch appear.
    (kb_copy / "sectors" / "standards.yaml").rename(kb_copy / "sectors" / "norms.yaml")
    result = load(kb_copy, skip_invalid=True)
    assert "standards" not in result.records
    assert any("does not match the file name 'norms'" in p.message for p in result.problems)


def test_touch_without_change_revalidates_only_that_file(kb_copy, monkeypatch):
    _age_tree(kb_copy)
    load(kb_copy)
    seen = _spy(monkeypatch)
    path = kb_copy / "agencies" / "SAC.yaml"
    _age(path, 3)
    load(kb_copy)
    assert seen == ["agencies/SAC.yaml"]


def test_reference_errors_survive_caching(kb_copy):
    """Deleting a record breaks references in unchanged (cached) files; they must be reported."""
    _age_tree(kb_copy)
    load(kb_copy)
    (kb_copy / "companies" / "hust.yaml").unlink()
    result = load(kb_copy, skip_invalid=True)
    assert [p.message for p in result.problems] == ["groups.0.partners.0: unknown company 'hust'; add companies/hust.yaml (e.g. chinaind new company hust), or fix the id"]
    assert result.problems[0].path.endswith("technologies/fiber-laser.yaml")
    assert (result.problems[0].line, result.problems[0].col) == (16, 9)


def test_cross_record_problems_are_cached_and_still_reported(kb_copy, monkeypatch):
    (kb_copy / "companies" / "hust.yaml").unlink()
    _age_tree(kb_copy)
    first = load(kb_copy, skip_invalid=True).problems
    monkeypatch.setattr(refresh, "dangling", lambda *a: pytest.fail("recomputed on a warm run"))
    assert load(kb_copy, skip_invalid=True).problems == first and len(first) == 1


def _checkpointed(path: Path) -> Path:
    """The database with every commit moved from its write-ahead log into the file itself."""
    import gc

    gc.collect()  # earlier loads in this process close their connections, as ended runs do
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def _sql(path: Path, sql: str, args: tuple = ()) -> list:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "foreign-magic", "flip-header-byte"])
def test_corrupt_cache_is_ignored_and_rebuilt(kb_copy, monkeypatch, damage):
    _age_tree(kb_copy)
    expected = dict(load(kb_copy).records)
    path = _checkpointed(cachedb.cache_path(kb_copy))
    blob = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(blob[: len(blob) // 2])
    elif damage == "garbage":
        path.write_bytes(os.urandom(len(blob)))
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "foreign-magic":
        path.write_bytes(b"PK\x03\x04" + blob[4:])
    else:
        at = 16  # the page size
        path.write_bytes(blob[:at] + bytes([blob[at] ^ 0xFF]) + blob[at + 1:])
    seen = _spy(monkeypatch)
    assert dict(load(kb_copy).records) == expected
    assert len(seen) == FIXTURE_COUNT
    seen.clear()
    load(kb_copy)
    assert seen == []  # rebuilt and written back


def test_damaged_record_bytes_are_reread_from_yaml(kb_copy, monkeypatch):
    """Records are checked (CRC) when decoded: on a damaged one the run drops the cache and
    answers from the files, so the next run rebuilds it."""
    _age_tree(kb_copy)
    expected = dict(load(kb_copy).records)
    path = cachedb.cache_path(kb_copy)
    (body,) = _sql(path, "SELECT body FROM records WHERE id = 'catl'")[0]
    _sql(path, "UPDATE records SET body = ? WHERE id = 'catl'", (body[:-10] + bytes([body[-10] ^ 0xFF]) + body[-9:],))
    seen = _spy(monkeypatch)
    assert dict(load(kb_copy).records) == expected
    assert len(seen) == FIXTURE_COUNT and not path.exists()
    seen.clear()
    load(kb_copy)
    assert len(seen) == FIXTURE_COUNT


def test_records_are_decoded_only_when_used(kb_copy):
    _age_tree(kb_copy)
    load(kb_copy)
    records = load(kb_copy).records
    assert records._decoded == {}
    assert records["catl"]["name"] == "CATL"
    assert list(records._decoded) == ["catl"]


def test_cache_of_another_version_is_ignored(kb_copy, monkeypatch):
    _age_tree(kb_copy)
    load(kb_copy)
    monkeypatch.setattr(cachedb, "SCHEMA_VERSION", cachedb.SCHEMA_VERSION + 1)
    seen = _spy(monkeypatch)
    load(kb_copy)
    assert len(seen) == FIXTURE_COUNT


def test_unwritable_cache_dir_falls_back_to_memory(kb_copy, monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache dir should be")
    monkeypatch.setenv("CHINAIND_CACHE_DIR", str(blocker / "chinaind"))
    assert len(load(kb_copy).records) == FIXTURE_COUNT
    assert blocker.read_text() == "a file where the cache dir should be"


def test_no_cache_neither_reads_nor_writes(kb_copy, cache_dir):
    load(kb_copy, use_cache=False)
    assert not cache_dir.exists()


def test_recently_modified_files_are_checked_by_content(kb_copy, monkeypatch):
    """A file written within the racy window may change again without its stat changing:
    the next run compares its content with what was cached and revalidates it if it differs."""
    for p in kb_copy.rglob("*.yaml"):
        p.touch()  # just written: within the racy window
    load(kb_copy)
    path = kb_copy / "sectors" / "lasers.yaml"
    st = path.stat()
    path.write_text(path.read_text().replace("Lasers", "LASERS"))  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime: the stat cannot tell
    seen = _spy(monkeypatch)
    assert load(kb_copy).records["lasers"]["name"] == "LASERS"
    assert seen == ["sectors/lasers.yaml"]
    seen.clear()
    assert load(kb_copy).records["lasers"]["name"] == "LASERS"
    assert seen == []


def test_racy_files_are_settled_once_old_enough(kb_copy, monkeypatch):
    """Once the racy window has passed, the files' CRCs are dropped, so that runs stop
    re-reading them."""
    for p in kb_copy.rglob("*.yaml"):
        p.touch()
    load(kb_copy)
    racy = "SELECT count(*) FROM files WHERE racy = 1"
    assert _sql(cachedb.cache_path(kb_copy), racy) == [(FIXTURE_COUNT,)]
    monkeypatch.setattr(freshness, "RACY_NS", 0)
    load(kb_copy)
    assert _sql(cachedb.cache_path(kb_copy), racy) == [(0,)]


def test_cache_keyed_by_data_dir(kb_copy, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    assert cachedb.cache_path(kb_copy) != cachedb.cache_path(other)


def test_cli_no_cache_flag(run, kb_copy, cache_dir):
    r = run("--data-dir", str(kb_copy), "--no-cache", "list", "agencies", "-f", "ids")
    assert r.exit_code == 0 and r.stdout == "MIIT\nNDRC\nSAC\nSASAC\n"
    assert not cache_dir.exists()


def test_two_processes_building_at_once(kb_copy, tmp_path):
    """Concurrent first builds: both succeed with full results; the cache ends up valid."""
    _age_tree(kb_copy)
    env = {**os.environ, "CHINAIND_CACHE_DIR": str(tmp_path / "cc"), "PYTHONWARNINGS": "error"}
    cmd = [sys.executable, "-m", "chinaind", "--data-dir", str(kb_copy), "list", "policies", "-f", "ids"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0]
    assert {o for o, _ in outs} == {"miit-month-item\nrobot-plus\ninferred-news\ncic-notice-2022\nsac-guideline\nfuture-roadmap\nmade-in-china-2025\n"}
    assert all(e == "" for _, e in outs)
    index = next((tmp_path / "cc").glob("*.sqlite"))
    assert _sql(index, "SELECT count(*) FROM files") == [(FIXTURE_COUNT,)]
    assert _sql(index, "SELECT value FROM meta WHERE key = 'valid'") == [(1,)]


def test_scan_ignores_non_records(kb_copy):
    (kb_copy / "README.md").write_text("# notes")
    (kb_copy / "policies" / ".DS_Store").write_bytes(b"\x00\x01")
    (kb_copy / "policies" / ".robot-plus.yaml.swp").write_bytes(b"\x00")
    (kb_copy / "policies" / "robot-plus.yaml~").write_text("junk: [")
    (kb_copy / "policies" / ".hidden").mkdir()
    (kb_copy / "policies" / ".hidden" / "x.yaml").write_text("junk: [")
    assert len(scan(kb_copy)) == FIXTURE_COUNT


@pytest.mark.parametrize("query", ["robot", "reducer industrial", "机器人", "机器", "catl", "robto", "fibre lazer", "zzz", "a"])
def test_warm_search_answers_like_a_cold_one(kb_copy, query):
    """A warm run searches the cache's joined text; it must rank exactly as a run without cache."""
    import chinaind

    _age_tree(kb_copy)
    chinaind.open(kb_copy).close()
    answers = []
    for cache in (True, False):
        with chinaind.open(kb_copy, cache=cache) as base:
            answers.append([(r["id"], r["match"]) for r in base.search(query, limit=None)])
    assert answers[0] == answers[1]


def test_parallel_first_build_matches_serial(kb_copy, monkeypatch):
    """Large first builds validate on every core; the outcome must not depend on it."""
    _age_tree(kb_copy)
    (kb_copy / "sectors" / "broken.yaml").write_text("id: broken\nname: [\n")
    serial = load(kb_copy, use_cache=False, skip_invalid=True)
    monkeypatch.setattr(workers, "PARALLEL_MIN", 1)
    parallel = load(kb_copy, skip_invalid=True)
    assert dict(parallel.records) == dict(serial.records)
    assert parallel.problems == serial.problems and len(serial.problems) == 1


def test_a_query_answered_from_a_stale_cache_is_never_printed(run, kb_copy):
    """Queries are answered from the cache while the files are still being checked; when the
    check finds a change, the answer is worked out again before anything is printed."""
    _age_tree(kb_copy)
    assert run("--data-dir", str(kb_copy), "search", "photonics", "-f", "ids").stdout == ""
    path = kb_copy / "sectors" / "lasers.yaml"
    path.write_text(path.read_text().replace("name: Lasers", "name: Photonics"))
    _age(path, 5)
    r = run("--data-dir", str(kb_copy), "search", "photonics", "-f", "ids")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "lasers\n", "")
    path.write_text(path.read_text().replace("name: Photonics", "name: Optics"))
    _age(path, 4)
    r = run("--data-dir", str(kb_copy), "sector", "optics", "-f", "ids")
    assert (r.exit_code, r.stderr) == (0, "")
    assert run("--data-dir", str(kb_copy), "show", "lasers", "-f", "json").stdout.count("Optics") == 1


def test_a_not_found_from_a_stale_cache_is_checked_again(run, kb_copy):
    _age_tree(kb_copy)
    assert run("--data-dir", str(kb_copy), "agency", "MIIT", "-f", "ids").exit_code == 0
    (kb_copy / "agencies" / "CAC.yaml").write_text(
        "id: CAC\nname: Cyberspace Administration of China\nkind: administration\n"
        "sources:\n  - source: test-gazette-2023-03-01\n    section: Fixture\n")
    _age(kb_copy / "agencies" / "CAC.yaml", 5)
    r = run("--data-dir", str(kb_copy), "agency", "CAC", "-f", "ids")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")


def test_forked_scan_equals_a_plain_one(kb_copy, monkeypatch):
    """A large folder's lstat calls are shared with a forked child; the columns must be the
    same as one process's, whatever share each takes."""
    from chinaind.store import scan as scanning

    for i in range(30):
        (kb_copy / "sectors" / f"extra-{i}.yaml").write_text(f"id: extra-{i}\nname: Extra {i}\n")
    (kb_copy / "sectors" / "sub").mkdir()
    (kb_copy / "sectors" / "sub" / "deep.yaml").write_text("id: deep\nname: Deep\n")
    plain = scanning.scan(kb_copy)
    monkeypatch.setattr(scanning, "FORK_MIN", 1)
    for share in (0.0, 0.25, 0.5, 1.0):
        assert scanning.start(kb_copy, share).result() == plain
    assert len(load(kb_copy).records) == FIXTURE_COUNT + 31
