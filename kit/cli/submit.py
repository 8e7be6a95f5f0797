"""`kit submit`: clusters -> submission CSV in the competition's format."""
from pathlib import Path

import typer

from rich.markup import escape

from kit.cli.app import app, console
from kit.cli.choices import seed_option
from kit.cli.options import competition_arg, competition_option, competition_positional


@app.command("submit")
def submit_command(
    clusters: Path = typer.Argument(..., help="clusters.npz from `kit cluster`."),
    competition: Path = competition_positional(),
    competition_opt: Path = competition_option("Competition folder (has sample_submission.csv)."),
    out: Path = typer.Option(Path("submission.csv"), "--out", "-o", help="Submission CSV to write (+ .json metadata)."),
    seed: int = seed_option(None, "Seed recorded in the metadata (0 .. 2**32 - 1)."),
    leaderboard: Path = typer.Option(Path("submissions/leaderboard.csv"), "--leaderboard-file",
                                     help="Leaderboard whose rows' files are never overwritten with other content."),
    same_fraction: float = typer.Option(None, "--same-fraction", help="Pairs: the share of pairs that are \"same\" "
                                        "(e.g. 0.5 when the competition says they are balanced); the pairs with the "
                                        "highest <p_a, p_b> get it. Default: \"same\" when <p_a, p_b> > 1/2."),
) -> None:
    """Write a submission (label / binary / pairs), validated against sample_submission before anything is written.

    Example: kit submit clusters.npz -c competitions/digits -o submissions/digits.csv
    """
    from kit.competition import load_competition
    from kit.competition.leaderboard import check_not_scored, submission_digest
    from kit.features.files import load_clusters
    from kit.io import check_file_path
    from kit.submit import build_submission, write_submission
    from kit.submit.metadata import submission_metadata
    from kit.submit.writer import check_images

    competition = competition_arg(competition, competition_opt, "submit")
    check_file_path(out, "--out")
    check_file_path(out.with_suffix(".json"), "--out")  # its metadata goes beside it
    comp = load_competition(competition)
    arrays = load_clusters(clusters)
    df = build_submission(comp, arrays, same_fraction)  # refuses clusters of other images (check_images)
    check_not_scored(out, lambda: submission_digest(df, comp), leaderboard, "kit submit")
    path = write_submission(df, comp, out, submission_metadata(seed=seed, clusters=str(clusters)))
    note = check_images(comp, arrays)  # after writing: an error stays the only line on stderr
    if note:
        console.print(escape(f"{clusters}: {note}"), style="dim", soft_wrap=True)
    shown = escape(str(path))
    console.print(f"wrote [bold]{shown}[/] ({len(df)} rows, type {comp.type}); score it with `kit score {shown}`")
