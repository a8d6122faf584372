"""The Typer application: the entry point, commands that parse arguments and call the library, the error-to-exit-code map."""
