"""Writing commands write where they say, and only there (issue #12, class 1): `new`, `init`,
`schema --write`, `export sqlite` and `export csv` never write through a symbolic link out of
their target, never replace anything but a regular file (not even with --force), never replace
a file without --force, refuse ids with control characters, create files with the user's
umask, and leave nothing half-made when the disk fills up or the run is interrupted."""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import chinaind.core.paths
from conftest import FIXTURE_KB
from hostile_support import snapshot

CHINAIND = Path(sys.executable).parent / "chinaind"


@pytest.fixture
def small_bundle(monkeypatch):
    """`init` copies the fixture base instead of the bundled records (which change under us)."""
    monkeypatch.setattr(chinaind.core.paths, "bundled_data_dir", lambda: FIXTURE_KB)


def _state(root: Path) -> dict:
    """Every entry under root: its kind, size and modification time, and a folder's entries
    (a folder's own mtime moves when a temporary file comes and goes, which is no change)."""
    return {name: (mode, 0 if stat.S_ISDIR(mode) else size, 0 if stat.S_ISDIR(mode) else mtime)
            for name, (mode, size, mtime) in snapshot(root).items()}


def _one_line_error(result, code: int = 2) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    return result.stderr


# --- symbolic links out of the target --------------------------------------------------------------
def test_new_refuses_a_type_folder_linked_outside(run, kb_copy, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (kb_copy / "policies").rename(tmp_path / "moved")
    os.symlink(outside, kb_copy / "policies")
    err = _one_line_error(run("-d", str(kb_copy), "new", "policy", "p1"))
    assert err == (f"chinaind: new: {kb_copy / 'policies'} leads outside {kb_copy} (a symbolic link); "
                   "chinaind writes records only inside the knowledge base: make it a real folder\n")
    assert list(outside.iterdir()) == []


def test_new_refuses_a_dangling_type_folder(run, kb_copy, tmp_path):
    (kb_copy / "technologies").rename(tmp_path / "moved")
    os.symlink(tmp_path / "nowhere", kb_copy / "technologies")
    err = _one_line_error(run("-d", str(kb_copy), "new", "technology", "t1"))
    assert "is a symbolic link to a missing place" in err
    assert not os.path.lexists(tmp_path / "nowhere")


def test_new_never_writes_through_a_dangling_record_link(run, kb_copy, tmp_path):
    os.symlink(tmp_path / "planted.yaml", kb_copy / "policies" / "p1.yaml")
    err = _one_line_error(run("-d", str(kb_copy), "new", "policy", "p1"))
    assert err == f"chinaind: new: {kb_copy / 'policies' / 'p1.yaml'} exists; edit it, or choose another id\n"
    assert not os.path.lexists(tmp_path / "planted.yaml")


@pytest.mark.parametrize("how", ["dangling-file", "folder-outside"])
def test_new_never_writes_a_schema_outside_the_base(run, kb_copy, tmp_path, how):
    outside = tmp_path / "outside"
    outside.mkdir()
    schema = kb_copy / "schema"
    assert not schema.exists()
    if how == "dangling-file":
        schema.mkdir()
        os.symlink(outside / "policy.json", schema / "policy.json")
        result = run("-d", str(kb_copy), "new", "policy", "p1")
        assert result.exit_code == 0  # the record is written; the link is left alone
        assert result.stdout == f"{kb_copy / 'policies' / 'p1.yaml'}\n"
    else:
        os.symlink(outside, schema)
        assert "leads outside" in _one_line_error(run("-d", str(kb_copy), "new", "policy", "p1"))
        assert not (kb_copy / "policies" / "p1.yaml").exists()
    assert list(outside.iterdir()) == []


def test_init_refuses_a_dangling_link(run, tmp_path, small_bundle):
    os.symlink(tmp_path / "nowhere", tmp_path / "kb")
    assert "give a new or empty folder" in _one_line_error(run("init", str(tmp_path / "kb")))
    assert not os.path.lexists(tmp_path / "nowhere")


# --- never anything but a regular file -----------------------------------------------------------
def _make(kind: str, path: Path, tmp_path: Path) -> Path:
    """A non-regular thing at `path`; returns what must stay untouched."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    if kind == "folder":
        path.mkdir()
        (path / "inside.txt").write_text("mine")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "link-to-file":
        os.symlink(victim, path)
    elif kind == "dangling-link":
        os.symlink(tmp_path / "planted", path)
    return victim


NON_REGULAR = ["folder", "fifo", "link-to-file", "dangling-link"]
KIND_WORDS = {"folder": "is a folder, not a regular file", "fifo": "is a named pipe (FIFO), not a regular file",
              "link-to-file": "is a symbolic link, not a regular file", "dangling-link": "is a symbolic link, not a regular file"}


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("kind", NON_REGULAR)
def test_export_sqlite_replaces_only_regular_files(fx, tmp_path, kind, force):
    target = tmp_path / "out.db"
    victim = _make(kind, target, tmp_path)
    before = _state(tmp_path)
    err = _one_line_error(fx("export", "sqlite", str(target), *(["--force"] if force else [])))
    assert err == (f"chinaind: export sqlite: {target} {KIND_WORDS[kind]}; chinaind replaces only regular files: "
                   "remove it or give another path\n")
    assert _state(tmp_path) == before and victim.read_text() == "precious"
    assert not os.path.lexists(tmp_path / "planted")


@pytest.mark.parametrize("force", [False, True])
def test_export_sqlite_never_replaces_a_device(fx, tmp_path, force):
    # A device node of our own (the null device's numbers): a regression must never get to
    # replace the system's /dev/null, as a test naming it directly would let it.
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, AttributeError):
        pytest.skip("creating a device node needs privileges")
    err = _one_line_error(fx("export", "sqlite", str(device), *(["--force"] if force else [])))
    assert f"{device} is a device, not a regular file" in err
    assert stat.S_ISCHR(os.lstat(device).st_mode) and sorted(os.listdir(tmp_path)) == ["null"]


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("kind", NON_REGULAR)
def test_export_csv_replaces_only_regular_files(fx, tmp_path, kind, force):
    out = tmp_path / "out"
    out.mkdir()
    victim = _make(kind, out / "records.csv", tmp_path)
    before = _state(tmp_path)
    err = _one_line_error(fx("export", "csv", str(out), *(["--force"] if force else [])))
    assert f"{out / 'records.csv'} {KIND_WORDS[kind]}" in err
    assert _state(tmp_path) == before and victim.read_text() == "precious"  # no other file written


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("kind", NON_REGULAR)
def test_schema_write_replaces_only_regular_files(run, tmp_path, kind, force):
    out = tmp_path / "schemas"
    out.mkdir()
    victim = _make(kind, out / "sector.json", tmp_path)
    before = _state(tmp_path)
    err = _one_line_error(run("schema", "--write", str(out), *(["--force"] if force else [])))
    assert f"chinaind: schema --write: {out / 'sector.json'} {KIND_WORDS[kind]}" in err
    assert _state(tmp_path) == before and victim.read_text() == "precious"


def test_schema_write_replaces_a_file_only_with_force(run, tmp_path):
    out = tmp_path / "schemas"
    out.mkdir()
    (out / "policy.json").write_text("mine")
    err = _one_line_error(run("schema", "--write", str(out)))
    assert err == f"chinaind: schema --write: {out / 'policy.json'} exists; pass --force to replace it\n"
    assert sorted(p.name for p in out.iterdir()) == ["policy.json"]  # nothing else written either
    assert run("schema", "--write", str(out), "--force").exit_code == 0
    assert (out / "policy.json").read_text().startswith("{")


# --- ids ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("rid", ["x\n", "x\r", "x\t", "\nx", "x\x1b[31m", "x\x00", "x\u202e", "x\u200b", "x\x85", "x\u2028"])
def test_new_refuses_ids_with_control_characters(run, kb_copy, rid):
    before = _state(kb_copy)
    err = _one_line_error(run("-d", str(kb_copy), "new", "policy", rid))
    assert err.startswith(f"chinaind: new: {rid!r} is not a valid id".replace("\\", "\\"))
    assert _state(kb_copy) == before


# --- the user's umask ------------------------------------------------------------------------------
@pytest.fixture(params=[0o022, 0o077, 0o002])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def _modes(root: Path) -> set[int]:
    return {stat.S_IMODE(p.stat().st_mode) for p in root.rglob("*") if p.is_file()}


def test_every_writing_command_uses_the_umask(run, tmp_path, umask, small_bundle):
    want = 0o666 & ~umask
    assert run("init", str(tmp_path / "kb")).exit_code == 0
    assert _modes(tmp_path / "kb") == {want}
    assert {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "kb").rglob("*") if p.is_dir()} == {0o777 & ~umask}
    assert run("-d", str(tmp_path / "kb"), "new", "policy", "p1").exit_code == 0
    assert stat.S_IMODE((tmp_path / "kb" / "policies" / "p1.yaml").stat().st_mode) == want
    (tmp_path / "kb" / "policies" / "p1.yaml").unlink()
    assert run("schema", "--write", str(tmp_path / "s")).exit_code == 0
    assert _modes(tmp_path / "s") == {want}
    assert run("-d", str(tmp_path / "kb"), "export", "sqlite", str(tmp_path / "x.db")).exit_code == 0
    assert stat.S_IMODE((tmp_path / "x.db").stat().st_mode) == want
    assert run("-d", str(tmp_path / "kb"), "export", "csv", str(tmp_path / "csv")).exit_code == 0
    assert _modes(tmp_path / "csv") == {want}


# --- full disks and interruptions ----------------------------------------------------------------------
def _no_space(*args, **kwargs):
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize("command", [["export", "sqlite", "{out}/x.db"], ["export", "csv", "{out}/csv"],
                                     ["schema", "--write", "{out}/s"]])
@pytest.mark.parametrize("existing", [False, True])
def test_a_full_disk_leaves_nothing_half_made(fx, tmp_path, monkeypatch, command, existing):
    out = tmp_path / "out"
    out.mkdir()
    args = [a.format(out=out) for a in command]
    if existing:  # what a --force run would replace stays as it was
        assert fx(*args).exit_code == 0
        args.append("--force")
    before = _state(tmp_path)
    monkeypatch.setattr(os, "fsync", _no_space)
    err = _one_line_error(fx(*args), code=74)
    assert err.endswith(": No space left on device; free some space, or write somewhere else\n")
    assert err.startswith(f"chinaind: {args[0]} {args[1]}: cannot write ")
    assert _state(tmp_path) == before


@pytest.mark.parametrize("command", [["export", "sqlite", "{out}/x.db"], ["export", "csv", "{out}/csv"]])
def test_a_real_write_limit_leaves_nothing_half_made(tmp_path, command):
    """The file size limit (RLIMIT_FSIZE) makes the kernel refuse writes past 2 kB, as a full
    disk would: the database or CSV file cannot be finished."""
    out = tmp_path / "out"
    out.mkdir()

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2_000, 2_000))

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "CHINAIND_CACHE_DIR": str(tmp_path / "cache")}
    args = [str(CHINAIND), "-d", str(FIXTURE_KB), "--no-cache", *[a.format(out=out) for a in command]]
    p = subprocess.run(args, capture_output=True, env=env, preexec_fn=limit, timeout=60)
    assert p.returncode == 74, p.stderr
    (line,) = p.stderr.decode().splitlines()
    assert line.startswith(f"chinaind: {command[0]} {command[1]}: cannot write ") and p.stdout == b""
    assert list(out.iterdir()) == []


def test_an_interrupted_export_leaves_nothing(fx, tmp_path, monkeypatch):
    import chinaind.export.write

    (tmp_path / "x.db").write_bytes(b"old")

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(chinaind.export.write, "_fill", interrupted)
    result = fx("export", "sqlite", str(tmp_path / "x.db"), "--force")
    assert (result.exit_code, result.stderr) == (130, "chinaind: interrupted\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.db"] and (tmp_path / "x.db").read_bytes() == b"old"


@pytest.mark.parametrize("existing", [False, True])
def test_an_interrupted_init_leaves_nothing(run, tmp_path, monkeypatch, small_bundle, existing):
    import chinaind.core.safewrite

    target = tmp_path / "kb"
    if existing:
        target.mkdir()
    real = chinaind.core.safewrite.copy_folder
    calls = []

    def copy_then_interrupt(src, dst):
        calls.append(src)
        real(src, dst)
        if len(calls) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(chinaind.core.safewrite, "copy_folder", copy_then_interrupt)
    result = run("init", str(target))
    assert result.exit_code == 130
    assert (os.listdir(target) if existing else os.path.lexists(target)) in ([], False)


# --- migrate (issue #23) ----------------------------------------------------------------------------
OLD_KB = Path(__file__).resolve().parent.parent / "fixtures" / "old_kb"


def _old_kb(tmp_path: Path) -> Path:
    import shutil

    kb = tmp_path / "old"
    shutil.copytree(OLD_KB, kb)
    return kb


@pytest.mark.parametrize("planted", ["symlink", "fifo", "file"])
def test_migrate_never_writes_through_a_planted_temporary_name(run, tmp_path, planted):
    """The old fixed temporary name beside each file (.<name>.yaml.migrate): a symbolic link
    there made migrate overwrite its target, a FIFO hung it."""
    kb = _old_kb(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    trap = kb / "policies" / ".old-plan.yaml.migrate"
    if planted == "symlink":
        os.symlink(victim, trap)
    elif planted == "fifo":
        os.mkfifo(trap)
    else:
        trap.write_text("someone's notes\n")
    p = subprocess.run([str(CHINAIND), "migrate", str(kb)], capture_output=True, timeout=30,
                       env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert p.returncode == 0, p.stderr
    assert victim.read_text() == "precious\n"
    assert os.path.lexists(trap)  # not replaced, not removed: not chinaind's
    record = kb / "policies" / "old-plan.yaml"
    assert stat.S_ISREG(os.lstat(record).st_mode) and "dates:" in record.read_text()
    assert not [p for p in (kb / "policies").iterdir() if p.name.endswith(".tmp")]


def test_migrate_updates_the_schemas_of_a_base_made_by_init(run, tmp_path):
    from chinaind.authoring.skeletons import write_schemas

    kb = _old_kb(tmp_path)
    write_schemas(kb / "schema")
    old_schema = '{"title": "an older schema"}\n'
    (kb / "schema" / "policy.json").write_text(old_schema)
    r = run("migrate", str(kb))
    assert r.exit_code == 0 and r.stderr == "", r.stderr
    lines = r.stdout.splitlines()
    assert "policies/old-plan.yaml\tdate -> dates (role: issued)" in lines
    assert "schema/policy.json\tJSON Schema updated to the current record format" in lines
    assert not any(line.startswith("schema/sector.json") for line in lines)  # already current
    assert (kb / "schema" / "policy.json").read_text() != old_schema
    assert run("validate", str(kb)).exit_code == 0
    again = run("migrate", str(kb))
    assert (again.exit_code, again.stdout) == (0, "")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name)
@pytest.mark.parametrize("command", [["export", "sqlite", "{out}/x.db"], ["export", "csv", "{out}/csv"]])
def test_a_signalled_export_leaves_nothing(tmp_path, sig, command):
    """Every signal that ends a run removes what it was writing, as Ctrl-C does (issue #23)."""
    slow = tmp_path / "slow.py"
    slow.write_text(
        "import sys, time\n"
        "import chinaind.export.write as w\n"
        "real_fill, real_csv = w._fill, w.csv.writer\n"
        "def pause():\n"
        "    print('writing', flush=True)\n"
        "    time.sleep(60)\n"
        "def _fill(*a):\n"
        "    real_fill(*a)\n"
        "    pause()\n"
        "def writer(*a, **k):\n"
        "    pause()\n"
        "w._fill = _fill\n"
        "w.csv.writer = writer\n"
        "from chinaind.cli.launch import main\n"
        "sys.argv = ['chinaind'] + sys.argv[1:]\n"
        "main()\n")
    out = tmp_path / "out"
    out.mkdir()
    args = [a.format(out=out) for a in command]
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = subprocess.Popen([sys.executable, str(slow), "-d", str(FIXTURE_KB), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout.readline() == "writing\n"
    assert list(out.rglob("*")) != []
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert (proc.returncode, err) == (130, "chinaind: interrupted\n")
    assert list(out.iterdir()) == []
