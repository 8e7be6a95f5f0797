"""Cluster sizes: a giant cluster or a near-empty one is the usual failure of k-means on an embedding."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from kit.report.figure import save_figure


def sizes_figure(clusters: np.ndarray, path, n_classes: int | None = None) -> str:
    """One bar per cluster id (largest first); a dashed line at len/n_classes, the size if classes are balanced."""
    ids, sizes = np.unique(clusters, return_counts=True)
    order = np.argsort(-sizes, kind="stable")
    ids, sizes = ids[order], sizes[order]
    fig, ax = plt.subplots(figsize=(min(14, 2 + 0.45 * len(ids)), 3.6))
    ax.bar(range(len(ids)), sizes, color="tab:blue")
    ax.set_xticks(range(len(ids)), [str(c) for c in ids.tolist()], fontsize=8 if len(ids) <= 30 else 6,
                  rotation=0 if len(ids) <= 30 else 90)
    ax.set_xlabel("cluster id (largest first)")
    ax.set_ylabel("images")
    caption = f"Images per cluster, {len(ids)} clusters over {len(clusters)} images (largest {sizes[0]}, smallest {sizes[-1]})"
    if n_classes:
        expected = len(clusters) / n_classes
        ax.axhline(expected, color="tab:red", ls="--", lw=1.2, label=f"balanced classes: {len(clusters)}/{n_classes} = {expected:.0f}")
        ax.legend(fontsize=8, loc="upper right", frameon=False)
        caption += f"; dashed: the size every cluster would have if the {n_classes} classes were balanced"
    ax.set_ylim(0, max(sizes.max(), len(clusters) / n_classes if n_classes else 0) * 1.15)
    fig.tight_layout()
    save_figure(fig, path)
    return caption + "."
