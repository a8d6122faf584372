"""`chinaind serve`: the knowledge base in Datasette, read-only, on this machine by default.

The port is bound first, before the knowledge base is loaded and exported: a port taken
meanwhile cannot turn an announced start into a failure. The knowledge base is exported
(export sqlite, with its metadata file) to a temporary folder removed however the run ends
(Ctrl-C, SIGTERM, SIGHUP), opened immutable (Datasette then never writes and may cache freely),
and served by uvicorn, which Datasette depends on, on the bound socket.

What the operator's terminal sees is one line when it starts and one when it stops, escaped
(core/escape.py). Everything Datasette and uvicorn would print (SQLite's error messages, which
a query string from any web page can fill with terminal escapes; tracebacks; access and error
logs) is dropped. SQL that would hand out more than the data is refused: fts3_tokenizer()
returns a pointer into the SQLite library, load_extension() loads code.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import io
import signal
import socket
import sys
from pathlib import Path
from typing import Any, NamedTuple

from chinaind.core.errors import MissingExtra, UsageError
from chinaind.core.escape import one_line
from chinaind.query.index import KnowledgeBase

DATABASE = "chinaind"  # the file's stem: Datasette's name for it, and the first part of its URLs


class Address(NamedTuple):
    host: str
    port: int

    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/{DATABASE}"


def require_datasette() -> None:
    """Fail with one line (exit 2) before any work when the `web` extra is not installed."""
    try:
        import datasette.app  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise MissingExtra("serve", "Datasette", "web") from None


def listen(address: Address) -> socket.socket:
    """A socket bound to the address and listening, or one line (exit 2) saying why not. Kept
    until serve ends: connections made while the base is exported wait in its backlog."""
    family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        sock.bind(address)
        sock.listen(128)
    except (OSError, OverflowError) as exc:
        sock.close()
        hint = "; pick another with --port" if getattr(exc, "errno", None) == errno.EADDRINUSE else ""
        why = getattr(exc, "strerror", None) or exc
        raise UsageError(f"serve: cannot listen on {address.host}:{address.port}: {why}{hint}") from None
    return sock


def serve(kb: KnowledgeBase, address: Address, sock: socket.socket) -> None:
    """Export, then serve on `sock` (from listen) until Ctrl-C, SIGTERM or SIGHUP; returns
    normally then. The temporary folder is gone when this returns or raises."""
    from chinaind.core.safewrite import temporary_folder
    from chinaind.export.write import metadata_path, write_sqlite

    try:
        with temporary_folder("chinaind-serve-") as folder:
            db = folder / f"{DATABASE}.db"
            write_sqlite(kb, db)
            meta = _load_json(metadata_path(db))
            with _quiet():
                app = _datasette_app(db, meta)
            try:
                _say(f"chinaind: serving {len(kb.records)} records at {address.url()} (read-only); Ctrl-C stops")
                with _quiet():
                    _run(app, sock)
            except KeyboardInterrupt:  # a signal between the start line and uvicorn's own handlers
                pass
            _say("chinaind: serve: stopped")
    finally:
        sock.close()


def _say(line: str) -> None:
    try:
        sys.stderr.write(one_line(line) + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # a closed or full stderr loses the line, and nothing else happens


class _Sink(io.TextIOBase):
    """Where Datasette's and uvicorn's own printing goes: nowhere."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return len(text)


@contextlib.contextmanager
def _quiet():  # type: ignore[no-untyped-def]
    sink = _Sink()
    with contextlib.redirect_stderr(sink), contextlib.redirect_stdout(sink):
        yield


def _load_json(path: Path) -> dict[str, Any]:
    import json

    return json.loads(path.read_text(encoding="utf-8"))


# SQL functions a query may not call: what they return or do is no part of the data.
REFUSED_FUNCTIONS = frozenset({"fts3_tokenizer", "load_extension"})


def _authorizer(action: int, arg1: Any, arg2: Any, database: Any, trigger: Any) -> int:
    import sqlite3

    if action == sqlite3.SQLITE_FUNCTION and isinstance(arg2, str) and arg2.lower() in REFUSED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


GUARD = "chinaind-guard"  # the name of the plugin that installs _authorizer


def _datasette_app(db: Path, meta: dict[str, Any]) -> Any:
    import types

    from datasette import hookimpl
    from datasette.app import Datasette
    from datasette.plugins import pm

    if pm.get_plugin(GUARD) is None:
        # A plugin is a module to Datasette (it lists plugins by their __name__).
        guard = types.ModuleType(GUARD, "Every connection refuses REFUSED_FUNCTIONS.")

        @hookimpl
        def prepare_connection(conn: Any) -> None:
            conn.set_authorizer(_authorizer)

        guard.prepare_connection = prepare_connection  # type: ignore[attr-defined]
        pm.register(guard, name=GUARD)
    ds = Datasette(immutables=[str(db)], metadata=meta)
    asyncio.run(ds.invoke_startup())
    return ds.app()


def _signals() -> list[int]:
    """The signals that stop serving: Ctrl-C, SIGTERM, SIGHUP (unless the run ignores it)."""
    from chinaind.core.safewrite import ending_signals

    return [sig for sig in (signal.SIGINT, *ending_signals()) if signal.getsignal(sig) is not signal.SIG_IGN]


def _run(app: Any, sock: socket.socket) -> None:
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self):  # type: ignore[no-untyped-def]
            """As uvicorn's, with SIGHUP too, and no signal raised again afterwards: a stop by
            any of them is the normal end of serve."""
            import threading

            if threading.current_thread() is not threading.main_thread():
                yield
                return
            original = {sig: signal.signal(sig, self.handle_exit) for sig in _signals()}
            try:
                yield
            finally:
                for sig, handler in original.items():
                    signal.signal(sig, handler)

    config = uvicorn.Config(app, log_level="critical", log_config=None, access_log=False, lifespan="on")
    Server(config).run(sockets=[sock])
