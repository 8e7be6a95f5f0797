"""How redundant are latent coordinates? Mean |Pearson r| between pairs of dimensions, per latent size."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def mean_abs_correlation(features: np.ndarray) -> float:
    std = features.std(0)
    keep = features[:, std > 1e-12]
    if keep.shape[1] < 2:
        return float("nan")
    r = np.corrcoef(keep, rowvar=False)
    off = r[~np.eye(len(r), dtype=bool)]
    return float(np.abs(off).mean())


def correlation_figure(points: list[tuple[int, float, str]], path) -> str:
    points = sorted(points)
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    ax.plot([p[0] for p in points], [p[1] for p in points], "o-")
    for d, r, name in points:
        ax.annotate(name, (d, r), fontsize=7, textcoords="offset points", xytext=(3, 3))
    ax.set_xscale("log", base=2)
    ax.set_xlabel("latent dimension")
    ax.set_ylabel("mean |Pearson r| between coordinates")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return "Mean absolute correlation between latent coordinates, one point per run/model: " + ", ".join(
        f"{name} (d={d}): {r:.3f}" for d, r, name in points) + "."
