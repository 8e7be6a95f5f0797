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

import numpy as np  # noqa: E402

from kit.errors import DataError  # noqa: E402
from kit.report.context import RunContext  # noqa: E402

__all__ = ["build_report", "RunContext"]


class Skip(Exception):
    """A figure's inputs are missing; the message is the reason shown in the HTML."""


def build_report(run_dirs: list[str | Path], out_dir: str | Path | None = None, *, ood: str | Path | None = None,
                 max_points: int = 5000, seed: int = 0, leaderboards: list[str | Path] = (),
                 progress: bool = False) -> Path:
    """Figures for the first run, latent correlation and the table over all runs; returns index.html.

    run_dirs: run folders (runs/<name>); leaderboards: extra leaderboard CSVs whose entries join the table.
    ood: an ImageSet .npz of out-of-distribution images (same shape) for the anomaly figure.
    """
    if not run_dirs:
        raise DataError("kit report needs at least one run folder")
    if ood is not None and not Path(ood).exists():
        raise DataError(f"--ood {ood}: file not found")
    contexts = [RunContext.load(d) for d in run_dirs]
    main = contexts[0]
    out = Path(out_dir) if out_dir else main.run_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    rng_seed = seed

    figures: list[tuple[str, str, Callable[[Path], str]]] = [
        ("Original vs reconstructed", "reconstruction.png", lambda p: _reconstruction(main, p)),
        ("2-D embedding", "embedding.png", lambda p: _embedding(main, p, max_points, rng_seed)),
        ("Training curve per checkpoint", "curve.png", lambda p: _curve(main, p)),
        ("Latent interpolation", "interpolation.png", lambda p: _interpolation(main, p)),
        ("Latent correlation vs latent dimension", "latent_correlation.png", lambda p: _correlation(contexts, p, rng_seed)),
        ("Anomaly detection", "anomaly.png", lambda p: _anomaly(main, ood, p, rng_seed)),
    ]
    sections = []
    for title, filename, make in _progress(figures, progress):
        (out / filename).unlink(missing_ok=True)  # never link a stale figure from an earlier report
        try:
            sections.append({"title": title, "image": filename, "caption": make(out / filename)})
        except Skip as e:
            sections.append({"title": title, "skipped": str(e)})
        except Exception as e:  # a broken figure must not cost the others; the reason is on the page
            sections.append({"title": title, "skipped": f"failed: {type(e).__name__}: {e}"})

    from kit.report.html import write_page
    from kit.report.table import results_table, to_html

    table = results_table(contexts, leaderboards)
    caption = ("recon_mse: last epoch's training reconstruction MSE of the pretrained model; reduction: the reduce "
               "stage's steps; public/private: the offline score against hidden/solution.csv.")
    return write_page(out / "index.html", f"kit report: {', '.join(c.name for c in contexts)}", sections,
                      to_html(table), caption)


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


def _autoencoder(ctx: RunContext):
    problem = ctx.autoencoder_problem()
    if problem:
        raise Skip(problem)
    return ctx.autoencoder()


def _image_labels(ctx: RunContext) -> np.ndarray | None:
    return ctx.true_labels(ctx.comp.images.ids) if ctx.comp is not None else None


def _reconstruction(ctx: RunContext, path: Path) -> str:
    from kit.report.reconstruction import reconstruction_figure

    return reconstruction_figure(_autoencoder(ctx), ctx.images, path)


def _interpolation(ctx: RunContext, path: Path) -> str:
    from kit.report.reconstruction import interpolation_figure, pick_pair

    model = _autoencoder(ctx)
    if len(ctx.images) < 2:
        raise Skip("the competition has fewer than two images")
    return interpolation_figure(model, ctx.images[list(pick_pair(_image_labels(ctx)))], path)


def _embedding(ctx: RunContext, path: Path, max_points: int, seed: int) -> str:
    from kit.features import load_clusters, load_features
    from kit.report.embedding import embedding_figure, to_2d

    f = ctx.stage_file("reduce", "embedding_2d.npz") or ctx.stage_file("reduce", "embedding.npz")
    if f is None:
        raise Skip("no reduce stage output (embedding_2d.npz / embedding.npz)")
    ids, view = load_features(f)
    source = f" ({f.name}" + (", PCA to 2-D)" if view.shape[1] > 2 else ")")
    view = to_2d(view, seed)
    labels = ctx.true_labels(ids)
    if labels is not None and (labels >= 0).mean() > 0.5:
        keep = labels >= 0
        return embedding_figure(view[keep], labels[keep], path, "coloured by true class", max_points, seed,
                                ctx.class_names, note=f"{source}; the classes come from the competition's "
                                "hidden/solution.csv (analysis only: participants never see it)")
    clusters = ctx.stage_file("cluster", "clusters.npz")
    if clusters is None:
        raise Skip("no true labels (no hidden/solution.csv, or a pairs competition) and no clusters.npz to colour by")
    c = load_clusters(clusters)
    where = {i: n for n, i in enumerate(c["ids"].tolist())}
    if any(i not in where for i in ids.tolist()):
        raise Skip(f"{clusters} does not cover every id of {f}")
    colour = c["clusters"][[where[i] for i in ids.tolist()]]
    return embedding_figure(view, colour, path, "coloured by cluster", max_points, seed, legend_title="cluster",
                            note=f"{source}; no per-image true labels (pairs competition or no hidden solution)")


def _curve(ctx: RunContext, path: Path) -> str:
    import pandas as pd

    from kit.report.curves import curve_figure

    if ctx.model_dir is None:
        raise Skip("no pretrain stage in this run, so no training curve")
    metrics = ctx.model_dir / "metrics.csv"
    if not metrics.exists():
        raise Skip(f"{metrics} not found")
    df = pd.read_csv(metrics)
    if df.empty or "epoch" not in df:
        raise Skip(f"{metrics} has no epochs")
    return curve_figure(df, path)


def _correlation(contexts: list[RunContext], path: Path, seed: int) -> str:
    from kit.report.latent import abs_correlation, correlation_figure, mean_abs_correlation

    points, matrix, why = [], None, []
    for c in contexts:
        if c.model_dir is None:
            why.append(f"{c.name}: no pretrained model")
            continue
        z = c.latent_features(seed=seed)
        if z is None:
            why.append(f"{c.name}: {c.autoencoder_problem() or 'no features'}")
            continue
        points.append((z.shape[1], mean_abs_correlation(z), c.name))
        if matrix is None and z.shape[1] <= 512:
            matrix, matrix_name = abs_correlation(z), c.name
    if not points:
        raise Skip("no learned latent codes (" + "; ".join(why) + ")")
    return correlation_figure(points, path, matrix, matrix_name if matrix is not None else "")


def _anomaly(ctx: RunContext, ood, path: Path, seed: int) -> str:
    from kit.report.anomaly import anomaly_figure, anomaly_scores, default_ood

    model = _autoencoder(ctx)
    images = ctx.images
    normal = images[np.random.default_rng(seed).permutation(len(images))[:2000]]
    if ood:
        from kit.data import ImageSet

        other = ImageSet.load(ood).images[:2000]
        if other.shape[1:] != normal.shape[1:]:
            raise Skip(f"OOD images in {ood} are {other.shape[1:]}, the competition's are {normal.shape[1:]}")
        sets = {Path(ood).stem: other}
    else:
        sets = default_ood(normal, seed)
    err_n, scores = anomaly_scores(model, normal, sets)
    return anomaly_figure(err_n, scores, path)
