"""Commands of the analyst's toolkit, registered on the main app. Same rules as cli.py: only
typer and the standard library at module level."""

from __future__ import annotations
