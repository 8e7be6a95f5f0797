"""`kit report`: PNG figures and one HTML page for one or more run folders.

Every figure degrades to a 'skipped: reason' entry when its inputs are missing (no autoencoder, no
labels, no scores), and a figure that fails is recorded as 'skipped: failed: ...', so a report never
crashes half-way.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import matplotlib

matplotlib.use("Agg")

from kit.errors import ConfigError, DataError  # noqa: E402
from kit.report.context import RunContext  # noqa: E402
from kit.report.skip import Skip  # noqa: E402

__all__ = ["build_report", "RunContext", "Skip"]


def build_report(run_dirs: list[str | Path], out_dir: str | Path | None = None, *, ood: str | Path | None = None,
                 max_points: int = 5000, seed: int = 0, leaderboards: list[str | Path] = (),
                 progress: bool = False, reveal_public: bool = False) -> Path:
    """Figures for the first run, latent correlation and the table over all runs; returns index.html.

    run_dirs: run folders (runs/<name>); leaderboards: leaderboard CSVs whose entries join the table and whose
    public scores make the history figure (default for the figure: submissions/leaderboard.csv, if found).
    ood: an ImageSet .npz of out-of-distribution images (same shape) for the anomaly figure.
    reveal_public: colour the embedding, the confusion matrix and the other label figures by the labels of the
    public rows of hidden/solution.csv, image by image (Kaggle shows only the public score); by default only the
    competition's labeled images (labeled.csv) are used and hidden/solution.csv is never opened for a figure.
    """
    from kit.io import check_dir_path

    if not run_dirs:
        raise DataError("kit report needs at least one run folder")
    if ood is not None and not Path(ood).exists():
        raise DataError(f"--ood {ood}: file not found")
    check_seed(seed)
    if out_dir is not None:
        check_dir_path(out_dir, "--out")  # a file there: one line, before any figure is drawn
    contexts = [RunContext.load(d, reveal_public=reveal_public) for d in run_dirs]
    main = contexts[0]
    out = Path(out_dir) if out_dir else main.run_dir / "report"
    check_dir_path(out, "--out")
    out.mkdir(parents=True, exist_ok=True)
    rng_seed = seed

    from kit.report import figures as f

    figures: list[tuple[str, str, Callable[[Path], str]]] = [
        ("Confusion matrix: submitted clusters vs labels", "confusion.png", lambda p: f.confusion_matrix(main, p)),
        ("Sample images per cluster", "cluster_samples.png", lambda p: f.cluster_samples(main, p, rng_seed)),
        ("Cluster sizes", "cluster_sizes.png", lambda p: f.cluster_sizes(main, p)),
        ("2-D embedding", "embedding.png", lambda p: f.embedding(main, p, max_points, rng_seed)),
        ("Leaderboard history (public score)", "leaderboard.png", lambda p: f.leaderboard(main, p, leaderboards)),
        ("Original vs reconstructed", "reconstruction.png", lambda p: f.reconstruction(main, p)),
        ("Training curve per checkpoint", "curve.png", lambda p: f.curve(main, p)),
        ("Checkpoint curve: train MSE vs accuracy through the configured reduce + cluster", "checkpoint_curve.png",
         lambda p: f.checkpoint_curve(main, p, rng_seed)),
        ("Latent interpolation", "interpolation.png", lambda p: f.interpolation(main, p)),
        ("Latent correlation vs latent dimension", "latent_correlation.png", lambda p: f.correlation(contexts, p, rng_seed)),
        ("Anomaly detection", "anomaly.png", lambda p: f.anomaly(main, ood, p, rng_seed)),
    ]
    from kit.report.figure import draw_section

    sections = [draw_section(title, out, filename, make) for title, filename, make in _progress(figures, progress)]

    from kit.report.html import write_page
    from kit.report.table import results_table, to_html

    table = results_table(contexts, leaderboards)
    caption = ("recon_mse: last epoch's training reconstruction MSE of the pretrained model; reduction: the reduce "
               "stage's steps; public/private: the offline score against hidden/solution.csv.")
    return write_page(out / "index.html", f"kit report: {', '.join(c.name for c in contexts)}", sections,
                      to_html(table), caption)


SEED_MAX = 2**32 - 1  # numpy seeds: 0 .. 2**32 - 1


def check_seed(seed) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX:
        raise ConfigError(f"seed must be an integer in 0 .. {SEED_MAX}, got {seed!r}")


def _progress(items, show: bool):
    if not show:
        yield from items
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("report figures", total=len(items))
        for item in items:
            bar.update(task, description=f"report: {item[1]}")
            yield item
            bar.advance(task)
