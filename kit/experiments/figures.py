"""An experiment part's figures: each kind draws over the part's runs (labelled) and returns its sections.

Comparison kinds (one figure, one panel per run) come from kit.report.compare; per-run kinds (checkpoint_curve)
give one section per run. A figure whose inputs are missing becomes a 'skipped: reason' section, never a crash.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from kit.report import RunContext
from kit.report.figure import draw_section
from kit.experiments.sweep import UNSAFE

Items = list[tuple[str, RunContext]]


def _compare(kind: str):
    def draw(items: Items, path: Path, opts: dict[str, Any], seed: int) -> str:
        from kit.report import compare

        draw_one = getattr(compare, kind)
        return draw_one(items, path, **opts) if kind == "confusions" else draw_one(items, path, **opts, seed=seed)
    return draw


def _correlation(items: Items, path: Path, opts: dict[str, Any], seed: int) -> str:
    from kit.report import figures

    return figures.correlation([ctx for _, ctx in items], path, seed, names=[label for label, _ in items])


COMPARE_KINDS = ("reconstructions", "embeddings", "denoising", "interpolation", "anomaly", "confusions")
DRAW = {kind: _compare(kind) for kind in COMPARE_KINDS} | {"correlation": _correlation}
TITLES = {
    "reconstructions": "Original vs reconstructed, side by side",
    "embeddings": "2-D embeddings, side by side",
    "denoising": "Denoising: clean / noisy / denoised",
    "interpolation": "Latent interpolation",
    "anomaly": "Anomaly detection by reconstruction loss",
    "confusions": "Confusion matrices",
    "correlation": "Mean |Pearson| between latent coordinates vs latent dimension",
    "checkpoint_curve": "Checkpoint curve: train MSE vs accuracy through the configured reduce + cluster",
}


def draw_figures(figures: list[dict[str, Any]], items: Items, out: Path, prefix: str, seed: int = 0) -> list[dict]:
    """Sections for the page: {"title", "image" (path relative to ``out``), "caption"} or {"title", "skipped"}."""
    sections = []
    for j, fig in enumerate(figures):
        kind = fig["kind"]
        opts = {k: v for k, v in fig.items() if k not in ("kind", "only")}
        chosen = [it for it in items if fig.get("only") is None or it[0] in [str(o) for o in fig["only"]]]
        title = TITLES[kind] + (f" ({opts['color']})" if kind == "embeddings" and "color" in opts else "")
        if kind == "checkpoint_curve":
            for label, ctx in chosen:
                filename = f"{prefix}_{j}_{kind}_{UNSAFE.sub('_', label)[:60]}.png"
                sections.append(draw_section(f"{title}: {label}", out, filename,
                                             lambda p, ctx=ctx: _checkpoint_curve(ctx, p, opts, seed)))
            continue
        sections.append(draw_section(title, out, f"{prefix}_{j}_{kind}.png",
                                 lambda p, kind=kind, opts=opts: DRAW[kind](chosen, p, opts, seed)))
    return sections


def _checkpoint_curve(ctx: RunContext, path: Path, opts: dict[str, Any], seed: int) -> str:
    from kit.report.checkpoint_curve import checkpoint_curve_figure, checkpoint_scores

    df = checkpoint_scores(ctx, max_images=opts.get("max_images", 2000), seed=seed)
    return checkpoint_curve_figure(df, path, df.attrs["pipeline"])
