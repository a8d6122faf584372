"""The cache and concurrency, seen from the command line: a cache left truncated or garbage by a
killed process is detected and rebuilt; several chinaind processes running while records are
being edited each see, for every record, the old or the new version, never a mix, never a
crash; once the edits stop, everyone sees the new data."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest

import sqlite3

from chinaind.store import cachedb
from hostile_support import PROBLEM_RE

CHINAIND = Path(sys.executable).parent / "chinaind"
OLD_NS = 1_600_000_000_000_000_000
N_RECORDS = 24


def _age(root: Path) -> None:
    for p in root.rglob("*.yaml"):
        os.utime(p, ns=(OLD_NS, OLD_NS))


def _record(i: int, version: int) -> str:
    rid = f"s{i:02d}"
    # Versions differ in length too, so size alone tells them apart as often as not.
    return f"id: {rid}\nname: v{version} {rid}\ndescription: v{version} description {rid} {'+' * (version % 7)}\n"


def _kb(tmp_path: Path, version: int = 0) -> Path:
    kb = tmp_path / "kb"
    (kb / "sectors").mkdir(parents=True)
    for i in range(N_RECORDS):
        (kb / "sectors" / f"s{i:02d}.yaml").write_text(_record(i, version))
    _age(kb)
    return kb


def _ids_and_names(run, kb: Path) -> list[tuple[str, str]]:
    r = run("--data-dir", str(kb), "list", "sectors", "-f", "json")
    assert r.exit_code == 0 and r.stderr == "", r.stderr
    return [(rec["id"], rec["name"]) for rec in json.loads(r.stdout)]


def _garbage(blob: bytes) -> bytes:
    rng = random.Random(5)
    return bytes(rng.randrange(256) for _ in range(len(blob)))


def _valid_header_bad_payload(blob: bytes) -> bytes:
    """SQLite's header, then pages of junk."""
    return blob[:100] + b"\xff\x00 not a b-tree page \x00" * (len(blob) // 22)


def _valid_header_foreign_payload(blob: bytes) -> bytes:
    """A sound SQLite database that another program (or version) wrote."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "other.sqlite")
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value)")
        conn.execute("INSERT INTO meta VALUES ('stamp', 'some other version')")
        conn.execute("CREATE TABLE records (file INTEGER PRIMARY KEY, id TEXT, body BLOB)")
        conn.commit()
        conn.close()
        return (Path(tmp) / "other.sqlite").read_bytes()


def _checkpointed(path: Path) -> Path:
    """The database with every commit moved from its write-ahead log into the file itself,
    and the log gone, so that damage to the file is damage to the cache."""
    import gc

    gc.collect()  # earlier loads in this process close their connections, as ended runs do
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for suffix in cachedb.COMPANIONS:
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def _files_in_cache(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM files").fetchone()[0]
    finally:
        conn.close()


DAMAGE = {
    "truncated-half": lambda b: b[: len(b) // 2],
    "truncated-header": lambda b: b[:10],
    "empty": lambda b: b"",
    "garbage-same-length": _garbage,
    "zeros": lambda b: bytes(len(b)),
    "one-bit-flipped": lambda b: b[:-5] + bytes([b[-5] ^ 1]) + b[-4:],
    "appended-junk": lambda b: b + b"\x00junk",
    "valid-header-bad-payload": _valid_header_bad_payload,
    "valid-header-foreign-payload": _valid_header_foreign_payload,
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_cache_is_detected_and_rebuilt(run, tmp_path, damage):
    kb = _kb(tmp_path)
    expected = _ids_and_names(run, kb)
    path = _checkpointed(cachedb.cache_path(kb))
    good = path.read_bytes()
    assert _files_in_cache(path) == N_RECORDS, "the first run should have built the cache"
    path.write_bytes(DAMAGE[damage](good))
    assert _ids_and_names(run, kb) == expected
    # Damage SQLite sees on opening is rebuilt at once; damage in a record's bytes is found
    # when it is decoded: the run answers from the files and drops the cache.
    assert _ids_and_names(run, kb) == expected
    assert _files_in_cache(path) == N_RECORDS, "the damaged cache was not rebuilt"
    r = run("validate", str(kb))
    assert r.exit_code == 0 and r.stdout.startswith(f"valid: {N_RECORDS} records")


def test_damaged_cache_in_a_real_process_is_quiet(tmp_path):
    kb = _kb(tmp_path)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    args = [str(CHINAIND), "-d", str(kb), "list", "sectors", "-f", "ids"]
    first = subprocess.run(args, capture_output=True, env=env, timeout=60)
    assert first.returncode == 0
    path = next((tmp_path / "cache" / "chinaind").glob("kb-*.sqlite"))
    for name in sorted(DAMAGE):
        if not path.exists():  # dropped by the previous run on finding a damaged record
            subprocess.run(args, capture_output=True, env=env, timeout=60, check=True)
        path.write_bytes(DAMAGE[name](_checkpointed(path).read_bytes()))
        again = subprocess.run(args, capture_output=True, env=env, timeout=60)
        assert (again.returncode, again.stdout, again.stderr) == (0, first.stdout, b""), name


def test_cache_path_occupied_by_a_directory(run, tmp_path):
    kb = _kb(tmp_path)
    expected = _ids_and_names(run, kb)
    path = cachedb.cache_path(kb)
    path.unlink()
    path.mkdir()
    (path / "x").write_text("in the way")
    assert _ids_and_names(run, kb) == expected
    assert _ids_and_names(run, kb) == expected


def test_cache_dir_is_a_file(run, tmp_path, monkeypatch):
    kb = _kb(tmp_path)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("CHINAIND_CACHE_DIR", str(blocker))
    assert len(_ids_and_names(run, kb)) == N_RECORDS
    assert blocker.read_text() == "x"


def test_leftover_temp_files_do_not_matter(run, tmp_path):
    """A process killed mid-write leaves its temp file next to the cache."""
    kb = _kb(tmp_path)
    expected = _ids_and_names(run, kb)
    path = cachedb.cache_path(kb)
    (path.parent / ".tmp-killed.sqlite").write_bytes(path.read_bytes()[:100])
    assert _ids_and_names(run, kb) == expected


class _Writer(threading.Thread):
    """Rewrites every record again and again, atomically (temp file + rename, as editors and
    git do) or in place (truncate and write, as some editors do)."""

    def __init__(self, kb: Path, atomic: bool, seconds: float) -> None:
        super().__init__(daemon=True)
        self.kb, self.atomic, self.seconds = kb, atomic, seconds
        self.version = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            end = time.monotonic() + self.seconds
            while time.monotonic() < end:
                self.version += 1
                for i in range(N_RECORDS):
                    target = self.kb / "sectors" / f"s{i:02d}.yaml"
                    text = _record(i, self.version)
                    if self.atomic:
                        tmp = target.with_name(f".{target.name}.tmp")  # hidden: never scanned
                        tmp.write_text(text)
                        os.replace(tmp, target)
                    else:
                        with open(target, "w") as fh:
                            fh.write(text)
                time.sleep(0.01)
        except BaseException as exc:  # pragma: no cover - reported by the test
            self.error = exc


def _readers(kb: Path, env: dict, writer: _Writer, extra: list[list[str]]) -> list[subprocess.CompletedProcess]:
    results: list[subprocess.CompletedProcess] = []
    lock = threading.Lock()

    def loop(args: list[str]) -> None:
        while writer.is_alive():
            p = subprocess.run([str(CHINAIND), "-d", str(kb), *args], capture_output=True, text=True, env=env, timeout=60)
            with lock:
                results.append(p)

    threads = [threading.Thread(target=loop, args=(a,)) for a in extra]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _assert_consistent(p: subprocess.CompletedProcess, max_version: int) -> None:
    assert "Traceback" not in p.stderr and p.returncode == 0, p.stderr
    assert p.stderr == ""
    recs = json.loads(p.stdout)
    assert len(recs) == N_RECORDS, "a record went missing"
    for rec in recs:
        version, rid = rec["name"].split(" ")
        assert rid == rec["id"]
        assert rec["description"].startswith(f"{version} description {rid}"), rec  # never a mix
        assert 0 <= int(version[1:]) <= max_version


READERS = [["list", "sectors", "-f", "json"], ["list", "sectors", "-f", "json"],
           ["--no-cache", "list", "sectors", "-f", "json"], ["list", "sectors", "-f", "json"]]


def test_concurrent_readers_during_atomic_edits(run, tmp_path):
    kb = _kb(tmp_path)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    subprocess.run([str(CHINAIND), "-d", str(kb), "list", "sectors"], env=env, capture_output=True, check=True)
    writer = _Writer(kb, atomic=True, seconds=3.0)
    writer.start()
    results = _readers(kb, env, writer, READERS)
    writer.join()
    assert writer.error is None and writer.version > 1
    assert len(results) >= 4
    for p in results:
        _assert_consistent(p, writer.version)
    _assert_settled(kb, env, writer.version)


def test_concurrent_readers_during_in_place_edits(tmp_path):
    """A reader may catch a file half-written in place: then it must say so, located (exit 3),
    or show consistent records, never crash."""
    kb = _kb(tmp_path)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    writer = _Writer(kb, atomic=False, seconds=2.5)
    writer.start()
    results = _readers(kb, env, writer, READERS[:3])
    writer.join()
    assert writer.error is None
    for p in results:
        assert "Traceback" not in p.stderr and p.returncode in (0, 3), p.stderr
        if p.returncode == 0:
            _assert_consistent(p, writer.version)
        else:
            *problems, summary = p.stderr.splitlines()
            assert problems and all(PROBLEM_RE.match(line) for line in problems), p.stderr
            assert summary.startswith("chinaind: the knowledge base has")
    _assert_settled(kb, env, writer.version)


def _assert_settled(kb: Path, env: dict, version: int) -> None:
    """Once the edits stop, every run sees the last version, fresh files and aged ones alike."""
    args = [str(CHINAIND), "-d", str(kb), "list", "sectors", "-f", "json"]
    for step in range(3):
        if step == 2:
            _age(kb)  # as if the last edit was long ago: now the cache may store them
        p = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
        assert p.returncode == 0 and p.stderr == "", p.stderr
        assert {rec["name"] for rec in json.loads(p.stdout)} == {f"v{version} s{i:02d}" for i in range(N_RECORDS)}


# --- the cache's own file (issue #23) --------------------------------------------------------------
def _foreign_db(path: Path) -> bytes:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT)")
    conn.execute("INSERT INTO accounts VALUES (1, 'someone')")
    conn.commit()
    conn.close()
    return path.read_bytes()


@pytest.mark.parametrize("how", ["symlink", "hardlink", "regular-file", "symlink-to-a-cache", "dangling-symlink"])
def test_the_cache_never_writes_into_another_database(run, tmp_path, how):
    """A link where the cache database should be made chinaind drop, refill and switch to WAL
    the tables of the database it pointed at."""
    kb = _kb(tmp_path)
    expected = _ids_and_names(run, kb)
    path = _checkpointed(cachedb.cache_path(kb))
    other = tmp_path / "elsewhere" / "precious.sqlite"
    other.parent.mkdir()
    if how == "symlink-to-a-cache":
        os.rename(path, other)  # even a chinaind cache is not written through a link
    elif how != "dangling-symlink":
        _foreign_db(other)
        path.unlink()
    else:
        path.unlink()
    before = other.read_bytes() if other.exists() else None
    if how in ("symlink", "symlink-to-a-cache", "dangling-symlink"):
        os.symlink(other, path)
    elif how == "hardlink":
        os.link(other, path)
    else:
        path.write_bytes(before)
    for _ in range(2):
        assert _ids_and_names(run, kb) == expected
    (kb / "sectors" / "s00.yaml").write_text(_record(0, 9))  # a refresh would write
    assert _ids_and_names(run, kb)[0] == ("s00", "v9 s00")
    after = other.read_bytes() if other.exists() else None
    assert after == before
    if how == "regular-file":  # a database someone keeps under the cache's name: left alone
        assert path.read_bytes() == before and not os.path.exists(f"{path}-wal")
    assert [p.name for p in other.parent.iterdir()] == ([] if before is None else ["precious.sqlite"])
    assert os.path.lexists(path)  # not chinaind's to remove either


@pytest.mark.parametrize("companion", cachedb.COMPANIONS)
def test_the_cache_never_writes_through_a_linked_companion_file(run, tmp_path, companion):
    kb = _kb(tmp_path)
    expected = _ids_and_names(run, kb)
    path = _checkpointed(cachedb.cache_path(kb))
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    os.symlink(victim, f"{path}{companion}")
    assert _ids_and_names(run, kb) == expected
    assert victim.read_bytes() == b"precious"


def test_a_cache_of_an_older_chinaind_is_still_replaced(run, tmp_path):
    """A cache without the application id (older chinaind) is recognised by its meta table."""
    kb = _kb(tmp_path)
    expected = _ids_and_names(run, kb)
    path = _checkpointed(cachedb.cache_path(kb))
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 0")
    conn.execute("UPDATE meta SET value = 'an older stamp' WHERE key = 'stamp'")
    conn.commit()
    conn.close()
    assert _ids_and_names(run, kb) == expected
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == cachedb.APPLICATION_ID
    conn.close()


# --- files moved and deleted while a run reads (issue #23) -----------------------------------------
class _Mover(threading.Thread):
    """An editor that creates, moves and deletes records while runs read: a policy referring
    to a sector that is moved between two folders, and a sector created and deleted."""

    def __init__(self, kb: Path, seconds: float) -> None:
        super().__init__(daemon=True)
        self.kb, self.seconds = kb, seconds
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            sectors = self.kb / "sectors"
            here, there = sectors / "moving.yaml", sectors / "sub" / "moving.yaml"
            draft = sectors / "draft.yaml"
            end = time.monotonic() + self.seconds
            while time.monotonic() < end:
                os.replace(here, there)
                draft.write_text("id: draft\nname: Draft\n")
                time.sleep(0.002)
                os.replace(there, here)
                draft.unlink()
                time.sleep(0.002)
        except BaseException as exc:  # pragma: no cover - reported by the test
            self.error = exc


def test_files_moved_and_deleted_during_a_run_never_make_false_problems(tmp_path):
    """46 of 46 runs failed with 16 queries in parallel to such an editor: `cannot read the
    file` for a file deleted between the scan and the read, `unknown sector` for one moved."""
    kb = _kb(tmp_path)
    (kb / "sectors" / "sub").mkdir()
    (kb / "sectors" / "moving.yaml").write_text("id: moving\nname: Moving\n")
    from hostile_support import SOURCE_RECORD, SOURCES

    (kb / "sources").mkdir()
    (kb / "sources" / "test-gazette-2023-03-01.yaml").write_text(SOURCE_RECORD)
    (kb / "policies").mkdir()
    (kb / "policies" / "plan.yaml").write_text("id: plan\ntitle: Plan\nkind: plan\nsummary: A plan.\n"
                                               f"{SOURCES}sectors:\n  - moving\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    subprocess.run([str(CHINAIND), "-d", str(kb), "validate"], env=env, capture_output=True, check=True)
    mover = _Mover(kb, seconds=4.0)
    mover.start()
    readers = [["list", "sectors", "-f", "ids"], ["validate"], ["--no-cache", "show", "plan", "-f", "ids"],
               ["sector", "moving", "-f", "ids"], ["list", "sectors", "-f", "ids"], ["validate"]]
    results = _readers(kb, env, mover, readers)
    mover.join()
    assert mover.error is None and len(results) >= len(readers)
    failed = [p for p in results if p.returncode != 0 or "problem" in p.stderr]
    assert failed == [], f"{len(failed)} of {len(results)} runs failed, e.g.: {failed[0].stderr}"
    for p in results:
        ids = p.stdout.split()
        assert "moving" in ids or p.stdout.startswith("valid:") or ids == ["plan"], p.stdout
