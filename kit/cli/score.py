"""`kit score`: offline public (and, on request, private) leaderboard score of a submission CSV."""
import json
from pathlib import Path

import typer
from rich.markup import escape

from kit.cli.app import app, console
from kit.cli.options import deprecated
from kit.cli.output import FORMAT_HELP, Format, print_rows, resolve_format


@app.command("score")
def score(
    submission: Path = typer.Argument(..., help="Submission CSV (id,label in sample_submission order)."),
    competition: Path = typer.Option(
        None, "--competition", "-c", help="Competition folder; its competition.json gives the metric (default: the "
        "\"competition\" key of <submission>.json or submission.json next to it)."),
    solution: Path = typer.Option(None, help="Solution CSV (default: <competition>/hidden/solution.csv)."),
    leaderboard: Path = typer.Option(Path("submissions/leaderboard.csv"), "--leaderboard-file",
                                     help="Leaderboard log to append to (as in `kit leaderboard --leaderboard-file`)."),
    old_out: Path = typer.Option(None, "--out", "-o", hidden=True),  # deprecated: -o is what a command writes
    old_leaderboard: Path = typer.Option(None, "--leaderboard", hidden=True),  # deprecated: a flag in `kit run`
    no_leaderboard: bool = typer.Option(False, "--no-leaderboard", help="Do not append to the leaderboard."),
    config_hash: str = typer.Option("", help="Config hash recorded with the entry (default: from the submission's .json)."),
    private: bool = typer.Option(False, "--private", help="Also print the private score (hidden by default, as on Kaggle)."),
    fmt: Format = typer.Option(None, "--format", help=FORMAT_HELP, case_sensitive=False, show_default=False),
) -> None:
    """Validate like Kaggle (header, row count, ids, NaN, label range) and print the public score with NMI/ARI.

    Without a hidden solution the submission is only validated against sample_submission.csv.
    The scores (or the validation result) go to stdout, notes to stderr.

    Example: kit score submissions/digits.csv --competition competitions/digits
    """
    from kit.competition import load_competition, score_submission, validate_submission
    from kit.competition.leaderboard import append_entry, check_leaderboard, git_commit
    from kit.errors import DataError

    if old_leaderboard is not None:
        deprecated("score", "--leaderboard PATH", "--leaderboard-file PATH", "--leaderboard is a flag in `kit run`")
        leaderboard = old_leaderboard
    if old_out is not None:
        deprecated("score", "-o/--out LEADERBOARD", "--leaderboard-file LEADERBOARD",
                   "-o names the file a command writes; score appends a row to a leaderboard")
        leaderboard = old_out
    if not no_leaderboard:
        check_leaderboard(leaderboard, "--leaderboard-file")  # a folder or a foreign CSV: refused before scoring
    meta_path, meta = _submission_meta(submission)
    if competition is None and meta.get("competition"):
        from kit.submit.metadata import resolve_competition_path

        competition = resolve_competition_path(meta["competition"], meta_path)
    if competition is None:
        raise DataError(f"{submission}: pass --competition DIR (its competition.json gives the metric); "
                        "no submission .json next to it names one")
    comp = load_competition(competition)  # the metric is the competition's, never the submission's own claim
    if solution is None and not comp.solution_path.exists():
        df = validate_submission(submission, comp)
        typer.echo(f"{submission}: valid ({len(df)} rows, type {comp.type}); no offline solution for this competition")
        return
    result = score_submission(submission, solution or comp.solution_path, comp.metric, n_classes=comp.n_classes)
    shown = ["public", *(["private"] if private else []), "nmi", "ari"]
    header = [k if k in ("public", "private") else k.upper() for k in shown]
    if resolve_format(fmt) == "table":
        print_rows(header, [[f"{result[k]:.4f}" for k in shown]], "table", title=f"{submission.name} ({comp.metric})",
                   right=header)
    else:  # one row a submission: `kit score a.csv --format csv; kit score b.csv --format csv | tail -1` concatenate
        print_rows(["submission", "competition", "metric", *header],
                   [[str(submission), comp.name, comp.metric, *(f"{result[k]:.6f}" for k in shown)]], fmt)
    rows = f"{result['n_public']} public rows" + (f", {result['n_private']} private rows" if private else
                                                  " (private score hidden: --private)")
    console.print(rows)
    if not no_leaderboard:
        added = append_entry(leaderboard, file=str(submission), public=result["public"], private=result["private"],
                             nmi=result["nmi"], ari=result["ari"], config_hash=config_hash or meta.get("config_hash", ""),
                             git_commit=git_commit(), competition=comp.name)
        console.print(f"appended to {escape(str(leaderboard))}" if added else
                      f"already on {escape(str(leaderboard))} (same file, content and config hash)")


def _submission_meta(submission: Path) -> tuple[Path | None, dict]:
    """The JSON written beside a submission by `kit submit`: <name>.json, else submission.json in the same folder.

    Only its competition folder and config hash are used; the metric always comes from competition.json.
    """
    from kit.errors import DataError

    for path in (submission.with_suffix(".json"), submission.parent / "submission.json"):
        if path.exists():
            try:
                meta = json.loads(path.read_text())
            except json.JSONDecodeError as e:
                raise DataError(f"{path}: invalid JSON ({e})") from None
            return path, meta if isinstance(meta, dict) else {}
    return None, {}
