"""`kit score`: offline public/private leaderboard for a submission CSV."""
import json
from pathlib import Path

import typer
from rich.table import Table

from kit.cli.app import app, console


@app.command("score")
def score(
    submission: Path = typer.Argument(..., help="Submission CSV."),
    solution: Path = typer.Option(None, help="hidden solution.csv (default: <competition>/hidden/solution.csv)."),
    competition: Path = typer.Option(None, help="Competition folder (default: read from the submission's .json)."),
    leaderboard: Path = typer.Option(Path("submissions/leaderboard.csv"), help="Leaderboard log to append to."),
    no_leaderboard: bool = typer.Option(False, "--no-leaderboard", help="Do not append to the leaderboard."),
    config_hash: str = typer.Option("", help="Config hash recorded with the entry."),
) -> None:
    """Validate like Kaggle (header, rows, ids, NaN) and print public/private scores with NMI/ARI."""
    from kit.competition import load_competition, score_submission
    from kit.competition.leaderboard import append_entry, git_commit
    from kit.errors import DataError

    meta_path = submission.with_suffix(".json")
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    if competition is None and meta.get("competition"):
        competition = Path(meta["competition"])
    if competition is None and solution is None:
        raise DataError(f"no --competition or --solution given and {meta_path} does not name the competition")
    metric = load_competition(competition).metric if competition else meta.get("metric")
    if metric is None:
        raise DataError("cannot tell the metric: pass --competition")
    solution = solution or Path(competition) / "hidden" / "solution.csv"
    result = score_submission(submission, solution, metric)
    table = Table(title=f"{submission.name} ({metric})")
    for col in ("public", "private", "NMI", "ARI"):
        table.add_column(col, justify="right")
    table.add_row(*(f"{result[k]:.4f}" for k in ("public", "private", "nmi", "ari")))
    console.print(table)
    if not no_leaderboard:
        append_entry(leaderboard, file=str(submission), public=result["public"], private=result["private"],
                     nmi=result["nmi"], ari=result["ari"], config_hash=config_hash or meta.get("config_hash", ""),
                     git_commit=git_commit())
        console.print(f"appended to {leaderboard}")
