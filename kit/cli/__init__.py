"""Typer CLI: one module per command, all registered on ``kit.cli.app.app``."""
