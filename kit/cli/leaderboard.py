"""`kit leaderboard`: the scored submissions, best public score first, like Kaggle's public leaderboard."""
from pathlib import Path

import typer
from rich.markup import escape

from kit.cli.app import app, console
from kit.cli.output import FORMAT_HELP, Format, print_rows, resolve_format


@app.command("leaderboard")
def leaderboard_command(
    file: Path = typer.Option(Path("submissions/leaderboard.csv"), "--leaderboard-file", "--file", "-f",
                              help="Leaderboard CSV to list."),
    competition: str = typer.Option(None, "--competition", "-c", help="Only this competition's entries: its name "
                                    "(as in the competition column) or its folder (as in kit score -c)."),
    private: bool = typer.Option(False, "--private", help="Also show the private score (hidden while you choose)."),
    top: int = typer.Option(0, "--top", min=0, help="Show only the best N entries (0: all)."),
    fmt: Format = typer.Option(None, "--format", help=FORMAT_HELP, case_sensitive=False, show_default=False),
) -> None:
    """List leaderboard entries sorted by public score, with the competition, file, config and time of each.

    The validation column is each run's score without the hidden solution (held-out labels, the labels, or the
    kNN agreement of its clusters when there are none): on an imported competition it is the only score, and the
    sort key.

    The list goes to stdout (complete when piped: TSV unless --format says otherwise); notes go to stderr.

    Example: kit leaderboard --competition fashion_mnist --top 10
    """
    from kit.competition.leaderboard import read_leaderboard

    if competition is not None:
        competition = _competition_name(competition, file)
    df = read_leaderboard(file, competition=competition)
    if competition is not None and df.empty:
        names = sorted(set(read_leaderboard(file)["competition"]) - {""})
        console.print(f"no entries for competition {escape(competition)!r} in {escape(str(file))}; "
                      f"competitions there: {escape(', '.join(names)) or 'none recorded'}", soft_wrap=True)
    if top:
        df = df.head(top)
    fmt = resolve_format(fmt)
    records = df.to_dict("records")
    if fmt == "table":
        header = ["#", "public", *(["private"] if private else []), "validation", "competition", "file", "config",
                  "time"]
        rows = [[str(rank), _score(row.get("public")), *([_score(row.get("private"))] if private else []),
                 _validation(row), _text(row.get("competition")) or "–", _text(row.get("file")), _config(row), _text(row.get("time"))]
                for rank, row in enumerate(records, 1)]
        title = f"{file}" + (f" [{competition}]" if competition is not None else "") + f" ({len(df)} entries)"
        print_rows(header, rows, fmt, title=title, right=("#", "public", "private", "validation"))
    else:  # machine-readable: the stored values, config name and hash in columns of their own
        header = ["rank", "public", *(["private"] if private else []), "validation", "validation_kind",
                  "competition", "file", "config", "config_hash", "time"]
        rows = [[rank, _raw(row.get("public")), *([_raw(row.get("private"))] if private else []),
                 _raw(row.get("validation")), _text(row.get("validation_kind")), _text(row.get("competition")), _text(row.get("file")), _text(row.get("config")),
                 _text(row.get("config_hash")), _text(row.get("time"))] for rank, row in enumerate(records, 1)]
        print_rows(header, rows, fmt)
    if not private:
        console.print("private scores hidden: --private shows them", style="dim")


def _competition_name(given: str, file: Path) -> str:
    """--competition as the leaderboard's competition column names it: a name found there as it is, else a
    competition folder (its competition.json name, as `kit score` records it). Neither: one line (exit 2)."""
    import json

    from kit.competition.leaderboard import read_leaderboard
    from kit.errors import ConfigError

    names = set(read_leaderboard(file)["competition"]) - {""}
    if given in names:
        return given
    folder = Path(given)
    if folder.is_dir():
        meta_path = folder / "competition.json"
        if not meta_path.is_file():
            raise ConfigError(f"--competition {given}: a folder but not a competition folder (no competition.json); "
                              "give a competition's name or folder")
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError) as e:
            raise ConfigError(f"--competition {given}: unreadable {meta_path} ({e})") from None
        name = meta.get("name") if isinstance(meta, dict) else None
        return str(name) if isinstance(name, str) and name else folder.resolve().name
    shown = ", ".join(sorted(names)) or "none recorded"
    raise ConfigError(f"--competition {given}: neither a competition on {file} (competitions there: {shown}) nor a "
                      "competition folder")


def _score(value) -> str:
    return "–" if value is None or value != value else f"{float(value):.4f}"


def _validation(row: dict) -> str:
    """'0.8123 kfold': the score without the hidden solution and how it was made (kit.validation)."""
    value = row.get("validation")
    return "–" if value is None or value != value else f"{float(value):.4f} {_text(row.get('validation_kind'))}".strip()


def _raw(value) -> str:
    return "" if value is None or value != value else repr(float(value))


def _text(value) -> str:
    return "" if value is None or value != value else str(value)


def _config(row: dict) -> str:
    """The run config's name when `kit run` recorded one, then the config hash."""
    name, digest = _text(row.get("config")), _text(row.get("config_hash"))
    return " ".join(filter(None, [name, digest[:12]])) or "–"
