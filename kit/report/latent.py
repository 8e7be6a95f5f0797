"""How redundant are latent coordinates? Mean |Pearson r| between pairs of dimensions, per latent size."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from kit.report.figure import save_figure


def abs_correlation(features: np.ndarray) -> np.ndarray:
    """|Pearson r| between the non-constant coordinates (a constant one has no correlation)."""
    keep = features[:, features.std(0) > 1e-12].astype(np.float64)
    if keep.shape[1] < 2:
        return np.zeros((keep.shape[1], keep.shape[1]))
    return np.abs(np.corrcoef(keep, rowvar=False))


def mean_abs_correlation(features: np.ndarray) -> float:
    """Mean off-diagonal |r|; NaN when fewer than two coordinates vary."""
    r = abs_correlation(features)
    if len(r) < 2:
        return float("nan")
    return float(r[~np.eye(len(r), dtype=bool)].mean())


def correlation_figure(points: list[tuple[int, float, str]], path, matrix: np.ndarray | None = None,
                       matrix_name: str = "") -> str:
    """Left: one point per model (latent dim, mean |r|), named when few enough to read. Right: one model's |r| matrix."""
    points = sorted(points)
    fig, axes = plt.subplots(1, 2 if matrix is not None else 1, figsize=(10, 4) if matrix is not None else (5.5, 4),
                             squeeze=False)
    ax = axes[0, 0]
    ax.plot([p[0] for p in points], [p[1] for p in points], "o-")
    for d, r, name in points if len(points) <= 4 else []:  # more names overlap; the caption lists them
        ax.annotate(name, (d, r), fontsize=8, textcoords="offset points", xytext=(4, 4))
    ax.set_xscale("log", base=2)
    dims = sorted({p[0] for p in points})
    ax.set_xticks(dims, [str(d) for d in dims])
    ax.minorticks_off()
    ax.set_xlim(min(dims) / 1.6, max(dims) * 1.6)
    ax.set_ylim(0, max(1e-3, max(p[1] for p in points if p[1] == p[1]) * 1.25) if any(p[1] == p[1] for p in points) else 1)
    ax.set_xlabel("latent dimension")
    ax.set_ylabel("mean |Pearson r| (off-diagonal)")
    ax.set_title("per model", fontsize=10)
    if matrix is not None:
        im = axes[0, 1].imshow(matrix, cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        axes[0, 1].set_title(f"|r| between coordinates: {matrix_name}", fontsize=10)
        axes[0, 1].set_xlabel("latent coordinate")
        axes[0, 1].set_ylabel("latent coordinate")
        for axis in (axes[0, 1].xaxis, axes[0, 1].yaxis):
            axis.set_major_locator(MaxNLocator(integer=True))
        fig.colorbar(im, ax=axes[0, 1], fraction=0.046)
    fig.tight_layout()
    save_figure(fig, path)
    return "Mean absolute correlation between latent coordinates (lower = less redundant code), one point per model: " + \
        ", ".join(f"{name} (d={d}): {r:.3f}" for d, r, name in points) + "."
