"""Writing files where the user said, and only there. Every command that writes (`new`,
`init`, `schema --write`, `export sqlite`, `export csv`) goes through this module:

- a target is a missing path, or with --force a regular file: a symbolic link (dangling or
  not), a folder, a FIFO, a device or a socket is never replaced, even with --force;
- a record or schema file is written only inside the knowledge base: a type folder that is a
  symbolic link leading out of it (or nowhere) is refused, as the loader would not read it;
- files are built aside in the target's own folder, synced and renamed into place, so a
  reader never sees half a file; on any failure (a full disk, Ctrl-C) the temporary file is
  removed and what was there stays as it was; without --force, the final step is a hard link,
  which fails rather than replace a file that appeared meanwhile;
- new files get the user's umask (0o666 masked, like any editor's), never tempfile's 0600;
- an OS error becomes one line (errors.OSFailure, exit 74) saying what failed and what to do.

Temporary files and folders (those of `building` and `new_folder`; `temporary_folder`: serve's
exported database, diff --rev's revision) are removed on every signal that ends a run: SIGINT raises KeyboardInterrupt anyway, and while
one is held SIGTERM and SIGHUP raise `Terminated` (a KeyboardInterrupt) the same way, unless
the run was started to ignore them (nohup).
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from chinaind.core.errors import OSFailure, UsageError
from chinaind.core.escape import one_line

FORCE_HINT = "pass --force to replace it"
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))
# Files SQLite keeps beside a database while writing it; removed with a failed temporary.
_SQLITE_SIDE_FILES = ("-journal", "-wal", "-shm")


def _shown(path: Path | str) -> str:
    return one_line(str(path))


def kind_of(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def check_target(path: Path, *, force: bool, what: str, exists_hint: str = FORCE_HINT) -> None:
    """Refuse a target that is not missing, or (with force) a regular file; and a target whose
    folder does not exist. Nothing is followed: a symbolic link is itself the target."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        if not path.parent.is_dir():
            raise UsageError(f"{what}: the folder {_shown(path.parent)} does not exist") from None
        return
    except OSError as exc:
        raise OSFailure.of(f"{what}: cannot look at {_shown(path)}", exc) from None
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"{what}: {_shown(path)} is {kind_of(st.st_mode)}, not a regular file; "
                         "chinaind replaces only regular files: remove it or give another path")
    if not force:
        raise UsageError(f"{what}: {_shown(path)} exists; {exists_hint}")


def check_inside(folder: Path, root: Path, what: str) -> None:
    """Refuse a folder that leads out of `root` or nowhere (a symbolic link), where the loader
    would never read what is written."""
    if os.path.islink(folder) and not folder.exists():
        raise UsageError(f"{what}: {_shown(folder)} is a symbolic link to a missing place; "
                         "remove it or make it a folder")
    real, base = os.path.realpath(folder), os.path.realpath(root)
    if real != base and not real.startswith(base.rstrip(os.sep) + os.sep):
        raise UsageError(f"{what}: {_shown(folder)} leads outside {_shown(root)} (a symbolic link); "
                         "chinaind writes records only inside the knowledge base: make it a real folder")


def make_folder(folder: Path, what: str) -> bool:
    """Create `folder` (and its parents) unless it is one; True when it was created here.
    A dangling symbolic link or a file in the way is refused."""
    if folder.is_dir():
        return False
    if os.path.lexists(folder):
        raise UsageError(f"{what}: {_shown(folder)} is not a folder; give a folder")
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        raise OSFailure.of(f"{what}: cannot create the folder {_shown(folder)}", exc) from None
    return True


def write_file(path: Path, text: str, *, force: bool, what: str, exists_hint: str = FORCE_HINT) -> None:
    """Write UTF-8 text to `path` atomically (see the module's rules)."""
    check_target(path, force=force, what=what, exists_hint=exists_hint)
    with building(path, force=force, what=what, exists_hint=exists_hint) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)


@contextmanager
def building(path: Path, *, force: bool, what: str, exists_hint: str = FORCE_HINT) -> Iterator[Path]:
    """A new empty temporary file beside `path` to fill in; when the block ends it is synced
    and put in place. On any failure (SIGTERM and SIGHUP too) it is removed; an OSError
    becomes an OSFailure."""
    with signals_raise():
        tmp = _create_temp(path, what)
        try:
            yield tmp
            _sync(tmp)
            _place(tmp, path, force=force, what=what, exists_hint=exists_hint)
        except OSError as exc:
            remove_quietly(tmp)
            raise OSFailure.of(f"{what}: cannot write {_shown(path)}", exc) from None
        except BaseException:
            remove_quietly(tmp)
            raise
    _sync_folder(path.parent)


def _create_temp(path: Path, what: str) -> Path:
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            # 0o666: the umask decides, as for any file the user creates.
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666))
            return tmp
        except FileExistsError:
            continue
        except OSError as exc:
            raise OSFailure.of(f"{what}: cannot write in {_shown(path.parent)}", exc) from None
    raise OSFailure(f"{what}: cannot create a temporary file in {_shown(path.parent)}")


def _place(tmp: Path, path: Path, *, force: bool, what: str, exists_hint: str) -> None:
    if force:
        check_target(path, force=True, what=what)  # again: it may have changed meanwhile
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails if anything is there now, even a dangling symbolic link
    except FileExistsError:
        raise UsageError(f"{what}: {_shown(path)} exists; {exists_hint}") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS):
            raise
        # A file system without hard links: check, then rename (a small window, unavoidable).
        check_target(path, force=False, what=what, exists_hint=exists_hint)
        os.rename(tmp, path)
        return
    os.unlink(tmp)


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable; some systems cannot sync a folder, which is no error."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_quietly(path: Path) -> None:
    for suffix in ("", *_SQLITE_SIDE_FILES):
        try:
            os.unlink(f"{path}{suffix}")
        except OSError:
            pass


@contextmanager
def new_folder(target: Path, what: str) -> Iterator[Path]:
    """A hidden staging folder inside `target` (created when missing) to fill in; when the
    block ends its entries move into `target`. On any failure everything made here is
    removed, `target` too if it was created here. The staging folder sits inside `target`, so
    no more rights are needed than for `target` itself."""
    with signals_raise():  # SIGTERM and SIGHUP clean up as Ctrl-C does
        with _staged(target, what) as staging:
            yield staging


@contextmanager
def _staged(target: Path, what: str) -> Iterator[Path]:
    import shutil

    created = make_folder(target, what)
    staging = target / f".chinaind-{secrets.token_hex(4)}.tmp"
    moved: list[Path] = []
    try:
        staging.mkdir()
        yield staging
        for entry in sorted(staging.iterdir()):
            os.rename(entry, target / entry.name)
            moved.append(target / entry.name)
        staging.rmdir()
        _sync_folder(target)
    except BaseException as exc:
        for made in [staging, *moved]:
            shutil.rmtree(made, ignore_errors=True)
        if created:
            shutil.rmtree(target, ignore_errors=True)
        if isinstance(exc, OSError):
            raise OSFailure.of(f"{what}: cannot write in {_shown(target)}", exc) from None
        raise


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the run is so that its clean-up runs as for Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def ending_signals() -> tuple[int, ...]:
    """The signals besides SIGINT that end a run by default (none on a system without them)."""
    import signal

    return tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextmanager
def signals_raise() -> Iterator[None]:
    """While held, SIGTERM and SIGHUP raise Terminated instead of ending the process at once
    (only those left at their default action, and only in the main thread)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_terminated(signum: int, frame: object) -> None:
        raise Terminated(signum)

    previous = {}
    for sig in ending_signals():
        if signal.getsignal(sig) is signal.SIG_DFL:
            previous[sig] = signal.signal(sig, raise_terminated)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Ending signals wait (blocked) while a clean-up runs, so that none cuts it short; one
    that came meanwhile is delivered right after."""
    import signal

    block = getattr(signal, "pthread_sigmask", None)
    if block is None:
        yield
        return
    held = block(signal.SIG_BLOCK, {signal.SIGINT, *ending_signals()})
    try:
        yield
    finally:
        block(signal.SIG_SETMASK, held)


@contextmanager
def temporary_folder(prefix: str) -> Iterator[Path]:
    """A new private folder under the temporary folder, removed with everything in it when
    the block ends: normally, by an error, or by SIGINT, SIGTERM or SIGHUP."""
    import shutil
    import tempfile

    with signals_raise():
        folder = tempfile.mkdtemp(prefix=prefix)
        try:
            yield Path(folder)
        finally:
            with _signals_held():
                shutil.rmtree(folder, ignore_errors=True)


def copy_folder(src: Path, dst: Path) -> None:
    """Copy the folders and regular files of `src` into `dst` (created), skipping hidden
    entries and symbolic links. Files are new, so they get the user's umask rather than the
    source's modes (an installed package's records may be read-only), and are synced."""
    dst.mkdir()
    for entry in sorted(src.iterdir()):
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        if entry.is_dir():
            copy_folder(entry, dst / entry.name)
        elif entry.is_file():
            with open(entry, "rb") as fin, open(dst / entry.name, "xb") as fout:
                fout.write(fin.read())
                fout.flush()
                os.fsync(fout.fileno())
