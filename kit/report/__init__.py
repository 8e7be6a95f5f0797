"""`kit report`: PNG figures and one HTML page for one or more run folders.

Every figure degrades to a 'skipped: reason' entry when its inputs are missing (no autoencoder, no
labels, no scores), so a report never crashes half-way.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from kit.report.context import RunContext  # noqa: E402
from kit.report.html import write_page  # noqa: E402
from kit.report.table import results_table, to_html  # noqa: E402


def build_report(run_dirs: list[str | Path], out_dir: str | Path | None = None, *, ood: str | Path | None = None,
                 max_points: int = 5000, seed: int = 0) -> Path:
    """Figures for the first run (and the latent-correlation / table over all runs); returns index.html."""
    contexts = [RunContext.load(d) for d in run_dirs]
    main = contexts[0]
    out = Path(out_dir) if out_dir else main.run_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    sections: list[dict] = []

    def add(title: str, filename: str, fn, *args) -> None:
        try:
            caption = fn(*args, out / filename)
            sections.append({"title": title, "image": filename, "caption": caption})
        except _Skip as e:
            sections.append({"title": title, "skipped": str(e)})
        except Exception as e:  # a broken figure must not cost the others
            sections.append({"title": title, "skipped": f"failed: {type(e).__name__}: {e}"})

    model = main.model()
    is_ae = model is not None and getattr(model, "is_autoencoder", False)
    images = main.comp.images.images if main.comp is not None else None
    need_ae = "no autoencoder in this run (raw features or encoder-only model)"

    add("Original vs reconstructed", "reconstruction.png", _needs(is_ae and images is not None, need_ae,
        lambda p: __import__("kit.report.reconstruction", fromlist=["x"]).reconstruction_figure(model, images, p)))
    add("2-D embedding", "embedding.png", lambda p: _embedding(main, p, max_points, seed))
    add("Training curve per checkpoint", "curve.png", lambda p: _curve(main, p))
    add("Latent interpolation", "interpolation.png", _needs(is_ae and images is not None and len(images) >= 2, need_ae,
        lambda p: __import__("kit.report.reconstruction", fromlist=["x"]).interpolation_figure(model, images[[0, 1]] if images is not None else None, p)))
    add("Latent correlation vs latent dimension", "latent_correlation.png", lambda p: _correlation(contexts, p))
    add("Anomaly detection", "anomaly.png", _needs(is_ae and images is not None, need_ae, lambda p: _anomaly(model, images, ood, p, seed)))
    return write_page(out / "index.html", f"kit report: {', '.join(c.name for c in contexts)}", sections,
                      to_html(results_table(contexts)))


class _Skip(Exception):
    pass


def _needs(ok: bool, reason: str, fn):
    def run(path):
        if not ok:
            raise _Skip(reason)
        return fn(path)

    return run


def _embedding(ctx: RunContext, path, max_points, seed) -> str:
    from kit.features import load_clusters, load_features
    from kit.report.embedding import embedding_figure

    f = ctx.stage_file("reduce", "embedding_2d.npz") or ctx.stage_file("reduce", "embedding.npz")
    if f is None:
        raise _Skip("no reduce stage output")
    ids, view = load_features(f)
    if view.shape[1] > 2:
        from sklearn.decomposition import PCA

        view = PCA(2, random_state=seed).fit_transform(view)
    labels = ctx.true_labels(ids)
    if labels is not None and (labels >= 0).mean() > 0.5:
        keep = labels >= 0
        return embedding_figure(view[keep], labels[keep], path, "coloured by true class (hidden solution, analysis only)", max_points, seed)
    clusters = ctx.stage_file("cluster", "clusters.npz")
    if clusters is None:
        raise _Skip("no labels and no clusters to colour by")
    return embedding_figure(view, load_clusters(clusters)["clusters"], path, "coloured by cluster", max_points, seed)


def _curve(ctx: RunContext, path) -> str:
    import pandas as pd

    from kit.report.curves import curve_figure

    if ctx.model_dir is None or not (ctx.model_dir / "metrics.csv").exists():
        raise _Skip("no pretrain stage (metrics.csv)")
    return curve_figure(pd.read_csv(ctx.model_dir / "metrics.csv"), path)


def _correlation(contexts, path) -> str:
    from kit.features import load_features
    from kit.report.latent import correlation_figure, mean_abs_correlation

    points = []
    for c in contexts:
        f = c.stage_file("extract", "features.npz")
        if f is not None and c.model_dir is not None:
            feats = load_features(f)[1]
            points.append((feats.shape[1], mean_abs_correlation(feats[:5000]), c.name))
    if not points:
        raise _Skip("no learned features (extract stage of a pretrained model)")
    return correlation_figure(points, path)


def _anomaly(model, images, ood, path, seed) -> str:
    from kit.report.anomaly import anomaly_figure, default_ood

    normal = images[np.random.default_rng(seed).permutation(len(images))[:2000]]
    if ood:
        from kit.data import ImageSet

        other = ImageSet.load(ood).images[:2000]
        if other.shape[1:] != normal.shape[1:]:
            raise _Skip(f"OOD images are {other.shape[1:]}, competition images {normal.shape[1:]}")
        sets = {Path(ood).stem: other}
    else:
        sets = default_ood(normal, seed)
    return anomaly_figure(model, normal, sets, path)
