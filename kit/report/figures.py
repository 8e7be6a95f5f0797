"""One function per report figure: gather its inputs from a RunContext, raise Skip when they are missing, draw.

Every function takes (context(s), output PNG path, ...) and returns the figure's caption.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from kit.report.context import RunContext
from kit.report.skip import Skip


# ---- inputs shared by several figures -------------------------------------------------------------------------

def assigned(ctx: RunContext) -> tuple[np.ndarray, np.ndarray]:
    """(ids, cluster ids) the submission was built from."""
    c = ctx.clusters()
    if c is None:
        raise Skip("no cluster stage output (clusters.npz)")
    return c


def reference(ctx: RunContext):
    ref = ctx.reference()
    if ref is None:
        raise Skip(f"no labels to compare with: {ctx.no_reference()}"
                   + (f" ({ctx.comp_error})" if ctx.comp_error else ""))
    return ref


def run_confusion(ctx: RunContext):
    """(Confusion of the submitted clusters vs the reference labels, the Reference)."""
    from kit.report.confusion import confusion

    ids, clusters = assigned(ctx)
    ref = reference(ctx)
    labels = ref.labels_for(ids)
    keep = labels >= 0
    if not keep.any():
        raise Skip(f"no clustered image has a label in {ref.source}")
    return confusion(clusters[keep], labels[keep]), ref


def _mapping_or_none(ctx: RunContext) -> dict | None:
    try:
        return run_confusion(ctx)[0].mapping
    except Skip:
        return None


def _autoencoder(ctx: RunContext):
    problem = ctx.autoencoder_problem()
    if problem:
        raise Skip(problem)
    return ctx.autoencoder()


# ---- competitor's figures: what was submitted --------------------------------------------------------------------

def confusion_matrix(ctx: RunContext, path: Path) -> str:
    from kit.report.confusion import confusion_figure

    cm, ref = run_confusion(ctx)
    return confusion_figure(cm, path, ctx.class_names, ref.source)


def sample_picks(ctx: RunContext, seed: int, n_clusters: int = 10, per_cluster: int = 8):
    """pick_samples over the run's clusters, with indices into the competition's images."""
    from kit.report.samples import pick_samples

    ids, clusters = assigned(ctx)
    if ctx.comp is None:
        raise Skip(f"no competition images ({ctx.comp_error})")
    where = {i: n for n, i in enumerate(ctx.comp.images.ids.tolist())}
    pos = np.array([where.get(i, -1) for i in ids.tolist()])
    if (pos < 0).any():
        raise Skip(f"clusters.npz names {int((pos < 0).sum())} ids that are not competition images")
    return [(c, size, pos[idx]) for c, size, idx in pick_samples(clusters, n_clusters, per_cluster, seed)], clusters


def cluster_samples(ctx: RunContext, path: Path, seed: int) -> str:
    from kit.report.samples import samples_figure

    picks, clusters = sample_picks(ctx, seed)
    return samples_figure(ctx.images, picks, path, len(np.unique(clusters)), _mapping_or_none(ctx), ctx.class_names)


def cluster_sizes(ctx: RunContext, path: Path) -> str:
    from kit.report.sizes import sizes_figure

    _, clusters = assigned(ctx)
    return sizes_figure(clusters, path, ctx.comp.n_classes if ctx.comp is not None else None)


def run_embedding(ctx: RunContext) -> tuple[np.ndarray, np.ndarray, str]:
    """(ids, the reduce stage's view: embedding_2d.npz, else embedding.npz, description of the projection)."""
    from kit.features.files import load_features
    from kit.report.projection import describe_projection

    view_2d, full = ctx.stage_file("reduce", "embedding_2d.npz"), ctx.stage_file("reduce", "embedding.npz")
    if view_2d is None and full is None:
        raise Skip("no reduce stage output (embedding_2d.npz / embedding.npz)")
    ids, view = load_features(view_2d or full)
    dim = load_features(full)[1].shape[1] if full is not None and view_2d is not None else view.shape[1]
    title = describe_projection((ctx.stage_config("reduce") or {}).get("steps"), dim, view_2d is not None)
    return ids.astype(str), view, title


def clusters_for(ctx: RunContext, ids: np.ndarray) -> np.ndarray | None:
    """The submitted cluster of every id, or None when the run has no clusters.npz or it misses one of them."""
    c = ctx.clusters()
    if c is None:
        return None
    where = dict(zip(c[0].tolist(), c[1].tolist()))
    if not all(i in where for i in ids.tolist()):
        return None
    return np.array([where[i] for i in ids.tolist()], dtype=np.int64)


def embedding(ctx: RunContext, path: Path, max_points: int, seed: int) -> str:
    from kit.report.embedding import embedding_figure, to_2d

    ids, view, title = run_embedding(ctx)
    view = to_2d(view, seed)
    clusters = clusters_for(ctx, ids)
    ref = ctx.reference()
    labels = ref.labels_for(ids) if ref is not None else None
    if labels is not None and not (labels >= 0).any():
        labels = None
    if clusters is None and labels is None:
        raise Skip("neither clusters.npz covering the embedding's ids nor reference labels to colour by")
    _, shown = embedding_figure(view, clusters, labels, path, title, max_points, seed,
                                _mapping_or_none(ctx), ctx.class_names)
    parts = []
    if clusters is not None:
        parts.append("coloured by submitted cluster (a cluster takes the colour of its Hungarian-matched class)")
    if labels is not None:
        parts.append(f"beside the reference labels from {ref.source} (grey: images without one)")
    else:
        parts.append(f"no reference labels ({ctx.no_reference()})")
    return f"2-D embedding, {title}: " + "; ".join(parts) + f"; {shown} of {len(view)} points shown."


def leaderboard(ctx: RunContext, path: Path, leaderboards) -> str:
    from kit.report.history import default_leaderboard, history_figure, leaderboard_history

    paths = [Path(p) for p in leaderboards] or [p for p in [default_leaderboard(ctx.run_dir)] if p is not None]
    if not paths:
        raise Skip("no leaderboard CSV given and no submissions/leaderboard.csv found")
    competition = getattr(ctx.comp, "name", None)  # one competition per chart
    df = leaderboard_history(paths, competition)
    if df.empty:
        raise Skip(f"no timed public scores in {', '.join(map(str, paths))}")
    return history_figure(df, path, [str(p) for p in paths], competition)


# ---- the model --------------------------------------------------------------------------------------------------

def reconstruction(ctx: RunContext, path: Path) -> str:
    from kit.report.reconstruction import reconstruction_figure

    return reconstruction_figure(_autoencoder(ctx), ctx.images, path)


def interpolation(ctx: RunContext, path: Path) -> str:
    from kit.report.reconstruction import interpolation_figure, pick_pair

    model = _autoencoder(ctx)
    if len(ctx.images) < 2:
        raise Skip("the competition has fewer than two images")
    ref = ctx.reference()
    labels = ref.labels_for(ctx.comp.images.ids) if ref is not None else None
    return interpolation_figure(model, ctx.images[list(pick_pair(labels))], path)


def curve(ctx: RunContext, path: Path) -> str:
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


def checkpoint_curve(ctx: RunContext, path: Path, seed: int) -> str:
    """Every pretrain checkpoint through the run's configured reduce + cluster, scored on labeled images."""
    from kit.report.checkpoint_curve import checkpoint_curve_figure, checkpoint_scores

    df = checkpoint_scores(ctx, seed=seed)
    return checkpoint_curve_figure(df, path, df.attrs["pipeline"])


def correlation(contexts: list[RunContext], path: Path, seed: int, names: list[str] | None = None) -> str:
    """``names``: how to call each run (default: its folder name). The matrix shown is that of the run with the
    largest latent of at most 64 coordinates (readable, and not a trivial 1x1), else the smallest up to 512."""
    from kit.report.latent import abs_correlation, correlation_figure, mean_abs_correlation

    points, codes, why = [], {}, []
    for c, name in zip(contexts, names or [c.name for c in contexts]):
        if c.model_dir is None:
            why.append(f"{name}: no pretrained model")
            continue
        z = c.latent_features(seed=seed)
        if z is None:
            why.append(f"{name}: {c.autoencoder_problem() or 'no features'}")
            continue
        points.append((z.shape[1], mean_abs_correlation(z), name))
        codes[name] = z
    if not points:
        raise Skip("no learned latent codes (" + "; ".join(why) + ")")
    readable, drawable = [p for p in points if 2 <= p[0] <= 64], [p for p in points if 2 <= p[0] <= 512]
    pick = max(readable)[2] if readable else (min(drawable)[2] if drawable else None)
    matrix = abs_correlation(codes[pick]) if pick is not None else None
    return correlation_figure(points, path, matrix, pick or "")


def anomaly(ctx: RunContext, ood, path: Path, seed: int) -> str:
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
