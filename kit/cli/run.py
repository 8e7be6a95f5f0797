"""`kit run CONFIG [KEY=VALUE]...`: every stage, cached by config hash; dotted overrides try a variant."""
from pathlib import Path

import typer
from rich.markup import escape

from kit.cli.app import app, console
from kit.cli.options import deprecated


@app.command("run")
def run_command(
    config: Path = typer.Argument(..., metavar="CONFIG", help="YAML run config (see configs/)."),
    overrides: list[str] = typer.Argument(None, metavar="KEY=VALUE", show_default=False,
                                          help="Dotted config overrides, values as YAML: pretrain.epochs=20 "
                                               "cluster.method=gmm reduce.0.n_components=20."),
    runs_dir: Path = typer.Option(Path("runs"), "--runs-dir",
                                  help="Where run folders go: <runs-dir>/<name>/<stage>-<hash>/."),
    old_runs_dir: Path = typer.Option(None, "--out", "-o", hidden=True),  # deprecated: -o is what a command writes
    force: bool = typer.Option(False, "--force", help="Rerun every stage even if cached."),
    leaderboard: bool = typer.Option(None, "--leaderboard/--no-leaderboard", show_default=False,
                                     help="Append the score to submissions/leaderboard.csv (default: the config's "
                                          "submit.leaderboard, true unless set)."),
    private: bool = typer.Option(False, "--private", help="Also print the private score (hidden by default, as on Kaggle)."),
    report: bool = typer.Option(False, "--report", help="Also write the HTML report into the run folder."),
) -> None:
    """Run data -> pretrain -> finetune -> extract -> reduce -> cluster -> submit -> score.

    Each stage is skipped when its config and inputs are unchanged; a crashed pretrain resumes from its last checkpoint.
    The run folder's config.yaml records the config with the overrides applied. The submission's path is printed on
    stdout (`sub=$(kit run cfg.yaml)`); progress and scores go to stderr.

    Example: kit run configs/digits.yaml pretrain.epochs=5 cluster.method=gmm
    """
    from kit.io import check_dir_path
    from kit.pipeline import run_pipeline

    if old_runs_dir is not None:
        deprecated("run", "-o/--out RUNS_DIR", "--runs-dir RUNS_DIR", "-o names what a command writes; the submission "
                   "of a run is submit.copy_to")
        runs_dir = old_runs_dir
    check_dir_path(runs_dir, "--runs-dir")  # a file there: one line before any work, not a traceback after it
    result = run_pipeline(config, runs_dir=runs_dir, force=force, leaderboard=leaderboard,
                          overrides=list(overrides or []), show_private=private, console=console)
    typer.echo(str(result["submission"]))  # the result, on stdout: a pipe or $(...) gets the path and nothing else
    if report:
        from kit.report import build_report

        html = build_report([result["run_dir"]])
        console.print(f"report: [bold]{escape(str(html))}[/]")
