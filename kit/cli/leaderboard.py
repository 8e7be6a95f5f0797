"""`kit leaderboard`: the scored submissions, best public score first, like Kaggle's public leaderboard."""
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from kit.cli.app import app, console


@app.command("leaderboard")
def leaderboard_command(
    file: Path = typer.Option(Path("submissions/leaderboard.csv"), "--file", "-f", help="Leaderboard CSV to list."),
    private: bool = typer.Option(False, "--private", help="Also show the private score (hidden while you choose)."),
    top: int = typer.Option(0, "--top", min=0, help="Show only the best N entries (0: all)."),
) -> None:
    """List leaderboard entries sorted by public score, with the file, config and time of each.

    Example: kit leaderboard --top 10
    """
    from kit.competition.leaderboard import read_leaderboard

    df = read_leaderboard(file)
    if top:
        df = df.head(top)
    table = Table(title=f"{file} ({len(df)} entries)")
    for col in ("#", "public", *(["private"] if private else []), "file", "config", "time"):
        table.add_column(col, justify="right" if col in ("#", "public", "private") else "left")
    for rank, row in enumerate(df.to_dict("records"), 1):
        scores = [_score(row.get("public"))] + ([_score(row.get("private"))] if private else [])
        cells = [str(rank), *scores, str(row.get("file", "")), _config(row), str(row.get("time", ""))]
        table.add_row(*(Text(c) for c in cells))  # Text: a '[...]' in a file name is not rich markup
    console.print(table)
    if not private:
        console.print("private scores hidden: --private shows them", style="dim")


def _score(value) -> str:
    return "–" if value is None or value != value else f"{float(value):.4f}"


def _config(row: dict) -> str:
    """The run config's name when `kit run` recorded one, then the config hash."""
    name, digest = str(row.get("config") or ""), str(row.get("config_hash") or "")
    return " ".join(filter(None, [name, digest[:12]])) or "–"
