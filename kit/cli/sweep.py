"""`kit sweep CONFIG --set key=v1,v2 ...`: a grid of cached runs, one results table and a plot per metric and key."""
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from kit.cli.app import app, console
from kit.cli.options import deprecated


@app.command("sweep")
def sweep_command(
    config: Path = typer.Argument(..., metavar="CONFIG", help="YAML run config (see configs/)."),
    sets: list[str] = typer.Option([], "--set", metavar="KEY=V1,V2,...", show_default=False,
                                   help="A dotted config key and its values (YAML; commas inside [] do not split), "
                                        "repeatable: the sweep runs every combination (required)."),
    old_sets: list[str] = typer.Option([], "-s", hidden=True, metavar="KEY=V1,V2,...",
                                       help="Deprecated spelling of --set (-s is --step in kit reduce)."),
    out: Path = typer.Option(None, "--out", "-o", help="Where results.csv/.md and plots go (default: sweeps/<name>)."),
    runs_dir: Path = typer.Option(Path("runs"), "--runs-dir", help="Run folders: <runs-dir>/<name>-<key>_<value>.../"),
    holdout_source: str = typer.Option(None, "--holdout-source", metavar="KIND[:KEY=VALUE,...]",
                                       help="Images the pretrain never saw, for test_loss (reconstruction MSE): a "
                                            "kit data source, e.g. fashion_mnist:split=test,limit=1000 or "
                                            "npy:x=heldout.npy. Competition images in it are dropped."),
    private: bool = typer.Option(False, "--private", help="Add the private score to the table (hidden by default)."),
    leaderboard: bool = typer.Option(False, "--leaderboard/--no-leaderboard",
                                     help="Append each cell's score to submissions/leaderboard.csv."),
) -> None:
    """Run the grid (cartesian product) of --set values, each cell a `kit run` with those overrides.

    Cells share cached stages (a cell whose pretrain config equals an earlier cell's reuses it). Every cell is
    validated before anything trains; a rerun reads every unchanged stage from the cache (an interrupted sweep resumes).
    Writes OUT/results.csv, OUT/results.md and OUT/<metric>_vs_<key>.png. params, train_loss and test_loss come
    from the pretrain model; train_loss is measured on the competition images it trained on, test_loss on
    --holdout-source (empty without it: pretrain trains on every competition image).

    Example: kit sweep configs/digits.yaml --set pretrain.epochs=10,30 --set pretrain.model_kwargs.depth=1,2,3
    """
    from kit.errors import ConfigError
    from kit.io import check_dir_path
    from kit.experiments.sweep import run_sweep

    if old_sets:  # one release of grace: -s means --step in kit reduce, so sweep's --set gives it up
        deprecated("sweep", "-s", "--set", "-s is --step in `kit reduce`")
    sets = list(sets) + list(old_sets)
    if not sets:
        raise ConfigError("kit sweep needs at least one --set KEY=V1,V2,... (e.g. --set pretrain.epochs=5,10)")
    if out is not None:
        check_dir_path(out, "--out")
    result = run_sweep(config, list(sets), out=out, runs_dir=runs_dir, holdout=holdout_source, private=private,
                       leaderboard=leaderboard, console=console)
    rows = result["rows"]
    table = Table(title=f"kit sweep ({len(rows)} cells)")
    columns = [c for c in rows[0] if c != "run_dir"]
    for c in columns:
        table.add_column(c, justify="left" if c not in ("public", "private", "nmi", "ari") else "right")
    for row in rows:
        table.add_row(*(_fmt(row[c]) for c in columns))
    console.print(table)
    console.print(f"results: [bold]{escape(str(result['out'] / 'results.csv'))}[/] (and results.md, "
                  f"{sum(p.suffix == '.png' for p in result['files'])} plots)")


def _fmt(value) -> str:
    if value is None:
        return ""
    return f"{value:.4g}" if isinstance(value, float) else escape(str(value))
