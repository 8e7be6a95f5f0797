"""`kit run CONFIG`: every stage, cached by config hash."""
from pathlib import Path

import typer

from kit.cli.app import app, console


@app.command("run")
def run_command(
    config: Path = typer.Argument(..., help="YAML run config (see configs/)."),
    runs_dir: Path = typer.Option(Path("runs"), help="Where run folders go: <runs-dir>/<name>/<stage>-<hash>/."),
    force: bool = typer.Option(False, "--force", help="Rerun every stage even if cached."),
    leaderboard: bool = typer.Option(True, "--leaderboard/--no-leaderboard", help="Append the score to submissions/leaderboard.csv."),
    report: bool = typer.Option(False, "--report", help="Also write the HTML report into the run folder."),
) -> None:
    """Run data -> pretrain -> finetune -> extract -> reduce -> cluster -> submit -> score.

    Each stage is skipped when its config and inputs are unchanged; a crashed pretrain resumes from its last checkpoint.
    """
    from kit.pipeline import run_pipeline

    result = run_pipeline(config, runs_dir=runs_dir, force=force, leaderboard=None if leaderboard else False, console=console)
    if report:
        from kit.report import build_report

        html = build_report([result["run_dir"]])
        console.print(f"report: [bold]{html}[/]")
