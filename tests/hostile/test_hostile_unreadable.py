"""Nothing dropped silently: a folder or file under a type folder that cannot be listed or read
(permissions, a path longer than the system allows, a name that is not valid UTF-8) is a
located problem, exit 3 from `validate` and from queries, with or without the cache; never a
record that quietly disappears while `validate` says the base is valid.

Root ignores permission bits: as root the chmod tests run the command under setpriv without
the two capabilities that let root ignore them (and skip when setpriv is missing). The same
failures are also produced in-process by a listdir or lstat that raises."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from hostile_support import PROBLEM_RE, sector

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _kb(tmp_path: Path) -> Path:
    kb = tmp_path / "kb"
    (kb / "sectors" / "nested").mkdir(parents=True)
    (kb / "sectors" / "robotics.yaml").write_text(sector("robotics"))
    (kb / "sectors" / "nested" / "lasers.yaml").write_text(sector("lasers"))
    return kb


def _problems(text: str) -> list[tuple[str, str]]:
    """(path, message) of each problem line."""
    out = []
    for line in text.splitlines():
        m = PROBLEM_RE.match(line)
        assert m, line
        out.append((m["path"], m["message"]))
    return out


def _assert_reported(run, kb: Path, path: str, message: str) -> None:
    """validate (cached and not) and a query all report exactly this one problem, exit 3."""
    for args in (("validate", str(kb)), ("--no-cache", "validate", str(kb))):
        r = run(*args)
        assert (r.exit_code, r.stderr) == (3, ""), (args, r.stdout, r.stderr)
        assert _problems(r.stdout) == [(path, message)], args
    q = run("-d", str(kb), "list", "sectors", "-f", "ids")
    assert (q.exit_code, q.stdout) == (3, "")
    assert _problems(q.stderr.splitlines()[0]) == [(path, message)]


class Refused(NamedTuple):
    folders: set[str]  # names of folders whose listing fails
    entries: dict[str, int]  # names whose lstat fails, with the errno


@pytest.fixture
def refused(monkeypatch) -> Refused:
    """Make listdir of a folder, or lstat of a name, fail with EACCES in this process, as
    they do for a user without permission."""
    out = Refused(set(), {})
    listdir, lstat = os.listdir, os.lstat

    def fake_listdir(path=".", *a, **k):
        where = os.readlink(f"/proc/self/fd/{path}") if isinstance(path, int) else os.fspath(path)
        if os.path.basename(where) in out.folders:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        return listdir(path, *a, **k)

    def fake_lstat(path, *a, **k):
        code = out.entries.get(os.path.basename(os.fspath(path)))
        if code is not None:
            raise OSError(code, os.strerror(code))
        return lstat(path, *a, **k)

    monkeypatch.setattr(os, "listdir", fake_listdir)
    monkeypatch.setattr(os, "lstat", fake_lstat)
    return out


DENIED = "cannot {what} (Permission denied); check its permissions"


def test_folder_that_cannot_be_listed_is_a_problem(run, kb_path_factory, refused):
    kb = kb_path_factory()
    assert run("validate", str(kb)).exit_code == 0  # the cache now holds lasers
    refused.folders.add("nested")
    _assert_reported(run, kb, str(kb / "sectors" / "nested"), DENIED.format(what="list this folder"))
    refused.folders.clear()
    again = run("validate", str(kb))
    assert (again.exit_code, again.stderr) == (0, "") and again.stdout.startswith("valid: 2 records")


def test_type_folder_that_cannot_be_listed_is_a_problem(run, kb_path_factory, refused):
    kb = kb_path_factory()
    (kb / "policies").mkdir()
    refused.folders.add("policies")
    _assert_reported(run, kb, str(kb / "policies"), DENIED.format(what="list this folder"))


@pytest.mark.parametrize("code", [errno.EACCES, errno.EILSEQ, errno.EIO], ids=errno.errorcode.get)
def test_entry_that_cannot_be_stated_is_a_problem(run, kb_path_factory, refused, code):
    """Permission denied, or a name the file system lists but rejects (EILSEQ), or an I/O error."""
    kb = kb_path_factory()
    assert run("validate", str(kb)).exit_code == 0
    refused.entries["robotics.yaml"] = code
    hint = "check its permissions" if code == errno.EACCES else "check the name and the file system"
    _assert_reported(run, kb, str(kb / "sectors" / "robotics.yaml"),
                     f"cannot read this entry ({os.strerror(code)}); {hint}")


@pytest.fixture
def kb_path_factory(tmp_path):
    return lambda: _kb(tmp_path)


# Root ignores permission bits through two capabilities; setpriv can drop them for one command.
SETPRIV = shutil.which("setpriv")
WITHOUT_OVERRIDE = [SETPRIV, "--bounding-set", "-dac_override,-dac_read_search"] if IS_ROOT and SETPRIV else []
CHINAIND = Path(sys.executable).parent / "chinaind"
needs_permissions = pytest.mark.skipif(IS_ROOT and not SETPRIV,
                                       reason="root ignores permission bits and setpriv is missing to drop them")


class Outcome(NamedTuple):
    code: int
    stdout: str
    stderr: str


def _as_user(tmp_path: Path, *args: str) -> Outcome:
    """The real command, with permission bits applying even when the tests run as root."""
    env = {**os.environ, "CHINAIND_CACHE_DIR": str(tmp_path / "cache")}
    p = subprocess.run([*WITHOUT_OVERRIDE, str(CHINAIND), *args], capture_output=True, text=True, env=env, timeout=60)
    return Outcome(p.returncode, p.stdout, p.stderr)


@needs_permissions
@pytest.mark.parametrize("mode", [0o000, 0o644])
def test_chmod_folder_is_a_problem(kb_path_factory, tmp_path, mode):
    """0o000: the folder cannot be listed; 0o644: it can, but its entries cannot be stat-ed."""
    kb = kb_path_factory()
    assert _as_user(tmp_path, "validate", str(kb)).code == 0
    locked = kb / "sectors" / "nested"
    locked.chmod(mode)
    try:
        if mode == 0:
            path, message = str(locked), DENIED.format(what="list this folder")
        else:
            path, message = str(locked / "lasers.yaml"), DENIED.format(what="read this entry")
        for args in (("validate", str(kb)), ("--no-cache", "validate", str(kb))):
            r = _as_user(tmp_path, *args)
            assert (r.code, r.stderr, _problems(r.stdout)) == (3, "", [(path, message)])
        q = _as_user(tmp_path, "-d", str(kb), "list", "sectors", "-f", "ids")
        assert (q.code, q.stdout) == (3, "") and _problems(q.stderr.splitlines()[0]) == [(path, message)]
    finally:
        locked.chmod(0o755)
    assert _as_user(tmp_path, "validate", str(kb)).code == 0


@needs_permissions
def test_chmod_000_file_is_a_problem_until_fixed(kb_path_factory, tmp_path):
    kb = kb_path_factory()
    assert _as_user(tmp_path, "validate", str(kb)).code == 0
    locked = kb / "sectors" / "robotics.yaml"
    locked.chmod(0)
    try:
        r = _as_user(tmp_path, "validate", str(kb))
        message = "cannot read the file (Permission denied); check its permissions"
        assert (r.code, r.stderr, _problems(r.stdout)) == (3, "", [(str(locked), message)])
    finally:
        locked.chmod(0o644)  # changes the ctime only: the cache must still see the fix
    fixed = _as_user(tmp_path, "validate", str(kb))
    assert (fixed.code, fixed.stderr) == (0, "") and fixed.stdout.startswith("valid: 2 records")


def _deep(kb: Path, depth_bytes: int) -> Path:
    """Nested folders under sectors/ whose full path exceeds depth_bytes, made level by level
    relative to an open folder (a full path that long cannot be used), with a record at the
    bottom. Returns the first folder whose full path is too long to use."""
    fd = os.open(kb / "sectors", os.O_RDONLY | os.O_DIRECTORY)
    path, first_too_long = kb / "sectors", None
    try:
        while len(os.fsencode(path)) <= depth_bytes:
            name = "d" * 200
            os.mkdir(name, dir_fd=fd)
            path = path / name
            if first_too_long is None and len(os.fsencode(path)) >= os.pathconf("/", "PC_PATH_MAX"):
                first_too_long = path
            inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
        out = os.open("deep.yaml", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, sector("deep").encode())
        os.close(out)
    finally:
        os.close(fd)
    assert first_too_long is not None
    return first_too_long


def test_path_longer_than_the_system_allows_is_a_problem(run, kb_path_factory):
    kb = kb_path_factory()
    limit = os.pathconf("/", "PC_PATH_MAX")
    too_long = _deep(kb, limit + 400)
    message = ("cannot list this folder (File name too long); the path is longer than the system allows; "
               "shorten folder or file names, or move the knowledge base")
    _assert_reported(run, kb, str(too_long), message)


def test_file_path_longer_than_the_system_allows_is_a_problem(run, kb_path_factory):
    """The folder can be listed, but the path of a record file in it is too long to open."""
    kb = kb_path_factory()
    limit = os.pathconf("/", "PC_PATH_MAX")
    folder = kb / "sectors"
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        while len(os.fsencode(folder)) < limit - 250:
            name = "d" * min(200, limit - 250 - len(os.fsencode(folder)))
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd, folder = inner, folder / name
        rid = "x" * 250  # a 255-byte name, the most a name may have
        out = os.open(f"{rid}.yaml", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, sector(rid).encode())
        os.close(out)
    finally:
        os.close(fd)
    target = folder / f"{rid}.yaml"
    assert len(os.fsencode(target)) >= limit
    message = ("cannot read the file (File name too long); the path is longer than the system allows; "
               "shorten folder or file names, or move the knowledge base")
    _assert_reported(run, kb, str(target), message)


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_name_not_valid_utf8_is_a_problem(run, kb_path_factory, kind):
    kb = kb_path_factory()
    sectors = os.fsencode(kb / "sectors")
    if kind == "file":
        bad = os.path.join(sectors, b"caf\xe9.yaml")
        Path(os.fsdecode(bad)).write_text(sector("cafe"))
    else:
        bad = os.path.join(sectors, b"d\xe9")
        os.mkdir(bad)
        Path(os.fsdecode(os.path.join(bad, b"drones.yaml"))).write_text(sector("drones"))
    message = "the name is not valid UTF-8 (byte 0xe9), so its records cannot be named; rename it in UTF-8"
    # Shown with the byte escaped: raw, it would make writing the line fail on a UTF-8 stream.
    shown = str(kb / "sectors") + ("/caf\\xe9.yaml" if kind == "file" else "/d\\xe9")
    for args in (("validate", str(kb)), ("--no-cache", "validate", str(kb)), ("validate", str(kb))):
        r = run(*args)
        assert (r.exit_code, r.stderr) == (3, ""), args
        assert _problems(r.stdout) == [(shown, message)], args
    q = run("-d", str(kb), "list", "sectors", "-f", "ids")
    assert (q.exit_code, q.stdout) == (3, "") and _problems(q.stderr.splitlines()[0]) == [(shown, message)]
