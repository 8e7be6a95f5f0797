"""`kit report`: figures and one HTML page for run folders."""
from pathlib import Path

import typer

from rich.markup import escape

from kit.cli.app import app, console
from kit.cli.choices import seed_option


@app.command("report")
def report_command(
    run_dirs: list[Path] = typer.Argument(..., help="Run folder(s) from `kit run` (runs/<name>); figures are drawn "
                                                    "for the first, the table and latent correlation cover all. "
                                                    "A leaderboard .csv adds its entries to the table."),
    out: Path = typer.Option(None, "--out", "-o", help="Output folder (default: <first run>/report)."),
    ood: Path = typer.Option(None, help="Image set .npz of out-of-distribution images for the anomaly figure "
                                        "(default: uniform noise, flipped and inverted copies)."),
    max_points: int = typer.Option(5000, help="At most this many points in the embedding scatter."),
    seed: int = seed_option(0, "Seed for subsampling and the noise images (0 .. 2**32 - 1)."),
    reveal_public: bool = typer.Option(False, "--reveal-public", help="Colour the embedding, the confusion matrix "
                                       "and the other label figures by the hidden labels of the PUBLIC rows of "
                                       "hidden/solution.csv, image by image: about a third of the answers, which "
                                       "Kaggle never shows (it gives only the public score). Default: only the "
                                       "competition's labeled images (labeled.csv)."),
) -> None:
    """Reconstructions, 2-D embedding, per-checkpoint curve, interpolation, latent correlation, anomaly AUC, results table.

    Example: kit report runs/digits submissions/leaderboard.csv -o reports/digits
    """
    from kit.report import build_report

    runs = [d for d in run_dirs if d.suffix != ".csv"]
    boards = [d for d in run_dirs if d.suffix == ".csv"]
    page = build_report(runs, out, ood=ood, max_points=max_points, seed=seed, leaderboards=boards, progress=True,
                        reveal_public=reveal_public)
    text = page.read_text()
    console.print(f"report: [bold]{escape(str(page))}[/] ({text.count('<img ')} figures, {text.count('skipped: ')} skipped)")
