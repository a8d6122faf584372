"""The floor: a minimal Typer app with one command taking one argument.

`python floor_app.py --help` prints its help; `python floor_app.py robot` runs the command.
Timed by run.py with the same interpreter as chinaind, so the difference is chinaind's own work.
"""

from __future__ import annotations

import typer

app = typer.Typer()


@app.command()
def search(query: str) -> None:
    """Echo the query."""
    print(query)


if __name__ == "__main__":
    app()
