"""2-D embedding scatter, coloured by class (analysis: hidden labels) or by cluster."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def embedding_figure(view: np.ndarray, colour: np.ndarray, path, title: str, max_points: int = 5000, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(view), min(max_points, len(view)), replace=False)
    fig, ax = plt.subplots(figsize=(6.5, 6))
    sc = ax.scatter(view[idx, 0], view[idx, 1], c=colour[idx], cmap="tab10", s=3, alpha=0.7)
    ax.legend(*sc.legend_elements(), title="class", fontsize=7, markerscale=0.8, loc="best")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return f"{title}; {len(idx)} of {len(view)} points shown."
