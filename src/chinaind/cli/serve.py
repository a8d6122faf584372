"""`chinaind serve`, registered on the main app. Same rules as cli.py: only typer and the
standard library at module level."""

from __future__ import annotations

from typing import Annotated

import typer

from chinaind.cli.app import app
from chinaind.cli.running import index


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", metavar="HOST", help="The address to listen on; 0.0.0.0 opens it to the network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535, metavar="PORT", help="The port to listen on.")] = 8001,
) -> None:
    """Browse and search the knowledge base in Datasette, read-only (needs: pip install 'chinaind[web]'). Ctrl-C stops it."""
    from chinaind.export import serve as lib

    lib.require_datasette()
    address = lib.Address(host, port)
    sock = lib.listen(address)  # before the base is loaded and exported: the port is ours
    try:
        kb = index(ctx)
    except BaseException:
        sock.close()
        raise
    lib.serve(kb, address, sock)
