"""`chinaind serve`: the knowledge base in Datasette, read-only, on this machine by default.

The knowledge base is exported (export sqlite, with its metadata file) to a temporary folder
removed on exit, opened immutable (Datasette then never writes and may cache freely), and served
by uvicorn, which Datasette depends on. uvicorn's own log is kept to warnings: the user sees one
line when it starts and one when Ctrl-C stops it.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

from chinaind.core.errors import MissingExtra, UsageError
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


def check_free(address: Address) -> None:
    """Refuse a host or port that cannot be listened on, in one line, before exporting."""
    family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            sock.bind(address)
    except OSError as exc:
        hint = "; pick another with --port" if exc.errno == errno.EADDRINUSE else ""
        raise UsageError(f"serve: cannot listen on {address.host}:{address.port}: {exc.strerror or exc}{hint}") from None


def serve(kb: KnowledgeBase, address: Address) -> None:
    """Export, then serve until interrupted. Returns normally after Ctrl-C."""
    from chinaind.export.write import metadata_path, write_sqlite

    with tempfile.TemporaryDirectory(prefix="chinaind-serve-") as folder:
        db = Path(folder) / f"{DATABASE}.db"
        write_sqlite(kb, db)
        meta = _load_json(metadata_path(db))
        app = _datasette_app(db, meta)
        sys.stderr.write(f"chinaind: serving {len(kb.records)} records at {address.url()} (read-only); Ctrl-C stops\n")
        sys.stderr.flush()
        try:
            _run(app, address)
        except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled, once it has shut down
            pass
    sys.stderr.write("chinaind: serve: stopped\n")


def _load_json(path: Path) -> dict[str, Any]:
    import json

    return json.loads(path.read_text(encoding="utf-8"))


def _datasette_app(db: Path, meta: dict[str, Any]) -> Any:
    from datasette.app import Datasette

    ds = Datasette(immutables=[str(db)], metadata=meta)
    asyncio.run(ds.invoke_startup())
    return ds.app()


def _run(app: Any, address: Address) -> None:
    import uvicorn

    uvicorn.run(app, host=address.host, port=address.port, log_level="warning", lifespan="on")
