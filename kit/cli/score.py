"""`kit score`: offline public/private leaderboard for a submission CSV."""
import json
from pathlib import Path

import typer
from rich.table import Table

from kit.cli.app import app, console


@app.command("score")
def score(
    submission: Path = typer.Argument(..., help="Submission CSV (id,label in sample_submission order)."),
    solution: Path = typer.Option(None, help="Hidden solution.csv (default: <competition>/hidden/solution.csv)."),
    competition: Path = typer.Option(
        None, help="Competition folder (default: the \"competition\" key of <submission>.json or submission.json next to it)."),
    leaderboard: Path = typer.Option(Path("submissions/leaderboard.csv"), help="Leaderboard log to append to."),
    no_leaderboard: bool = typer.Option(False, "--no-leaderboard", help="Do not append to the leaderboard."),
    config_hash: str = typer.Option("", help="Config hash recorded with the entry (default: from the submission's .json)."),
) -> None:
    """Validate like Kaggle (header, row count, ids, NaN, label range) and print public/private scores with NMI/ARI.

    Example: kit score submissions/digits.csv --competition competitions/digits
    """
    from kit.competition import load_competition, score_submission
    from kit.competition.leaderboard import append_entry, git_commit
    from kit.errors import DataError

    meta_path, meta = _submission_meta(submission)
    if competition is None and meta.get("competition"):
        competition = _resolve(meta["competition"], meta_path)
    if competition is None and solution is None:
        raise DataError(f"{submission}: pass --competition DIR (or --solution); no submission .json next to it names one")
    comp = load_competition(competition) if competition is not None else None
    metric = comp.metric if comp else meta.get("metric")
    if metric is None:
        raise DataError("cannot tell the metric from --solution alone: pass --competition")
    solution = solution or comp.solution_path
    n_classes = comp.n_classes if comp else meta.get("n_classes")
    result = score_submission(submission, solution, metric, n_classes=n_classes)
    table = Table(title=f"{submission.name} ({metric})")
    for col in ("public", "private", "NMI", "ARI"):
        table.add_column(col, justify="right")
    table.add_row(*(f"{result[k]:.4f}" for k in ("public", "private", "nmi", "ari")))
    console.print(table)
    console.print(f"{result['n_public']} public rows, {result['n_private']} private rows")
    if not no_leaderboard:
        append_entry(leaderboard, file=str(submission), public=result["public"], private=result["private"],
                     nmi=result["nmi"], ari=result["ari"], config_hash=config_hash or meta.get("config_hash", ""),
                     git_commit=git_commit())
        console.print(f"appended to {leaderboard}")


def _submission_meta(submission: Path) -> tuple[Path | None, dict]:
    """The JSON written beside a submission by `kit submit`: <name>.json, else submission.json in the same folder."""
    from kit.errors import DataError

    for path in (submission.with_suffix(".json"), submission.parent / "submission.json"):
        if path.exists():
            try:
                meta = json.loads(path.read_text())
            except json.JSONDecodeError as e:
                raise DataError(f"{path}: invalid JSON ({e})") from None
            return path, meta if isinstance(meta, dict) else {}
    return None, {}


def _resolve(comp: str, meta_path: Path) -> Path:
    """A relative competition path is tried from the current folder, then from the JSON's folder."""
    path = Path(comp)
    if path.is_absolute() or path.exists():
        return path
    beside = meta_path.parent / path
    return beside if beside.exists() else path
