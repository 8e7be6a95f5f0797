"""`kit report`: figures and one HTML page for run folders."""
from pathlib import Path

import typer

from kit.cli.app import app, console


@app.command("report")
def report_command(
    run_dirs: list[Path] = typer.Argument(..., help="Run folder(s) from `kit run` (runs/<name>)."),
    out: Path = typer.Option(None, help="Output folder (default: <first run>/report)."),
    ood: Path = typer.Option(None, help="Image set .npz of out-of-distribution images for the anomaly figure."),
) -> None:
    """Reconstructions, 2-D embedding, per-checkpoint curve, interpolation, latent correlation, anomaly AUC, results table."""
    from kit.report import build_report

    for d in run_dirs:
        if not (d / "stages.json").exists():
            from kit.errors import DataError

            raise DataError(f"{d}: not a run folder (no stages.json); run `kit run CONFIG` first")
    page = build_report(run_dirs, out, ood=ood)
    console.print(f"report: [bold]{page}[/]")
