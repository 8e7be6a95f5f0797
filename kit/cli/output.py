"""Results on stdout, in full: a rich table on a terminal, TSV (or CSV) when piped or asked for.

Logs, progress and notes go to stderr (kit.cli.app.console); what a command computed goes to stdout, so
`kit leaderboard | sort`, `kit score s.csv > out` and `$(kit run cfg)` get the result and nothing else. A table
written to a pipe or file is never cut at 80 columns.
"""
from __future__ import annotations

import csv
import sys
from enum import Enum
from typing import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text


class Format(str, Enum):
    table = "table"
    csv = "csv"
    tsv = "tsv"


FORMAT_HELP = "Output format: table (default on a terminal), csv, or tsv (default when piped)."


def resolve_format(fmt: Format | str | None) -> str:
    if fmt is None:
        return "table" if sys.stdout.isatty() else "tsv"
    return Format(fmt).value


def stdout_console() -> Console:
    """A console on stdout; off a terminal its width is unbounded, so no column is cut or wrapped."""
    if sys.stdout.isatty():
        return Console()
    return Console(file=sys.stdout, width=100_000, color_system=None, soft_wrap=True)


def print_rows(header: Sequence[str], rows: Sequence[Sequence[object]], fmt: Format | str | None, *,
               title: str | None = None, right: Sequence[str] = ()) -> None:
    """One header and rows of cells to stdout as a table, CSV or TSV; ``right``: right-justified columns."""
    fmt = resolve_format(fmt)
    if fmt == "table":
        table = Table(title=Text(title, style="italic") if title else None)  # a '[' in a title is no markup
        for col in header:
            table.add_column(col, justify="right" if col in right else "left")
        for row in rows:
            table.add_row(*(Text(str(c)) for c in row))  # Text: a '[...]' in a cell is not rich markup
        stdout_console().print(table)
        return
    writer = csv.writer(sys.stdout, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if c is None else str(c) for c in row] for row in rows])
    sys.stdout.flush()
