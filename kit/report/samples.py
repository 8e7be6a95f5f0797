"""A grid of random images per cluster: what a cluster 'is' is easiest to judge by eye."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from kit.report.figure import save_figure


def pick_samples(clusters: np.ndarray, n_clusters: int = 10, per_cluster: int = 8,
                 seed: int = 0) -> list[tuple[int, int, np.ndarray]]:
    """[(cluster id, size, indices of up to per_cluster of its members)]: the n_clusters largest clusters
    (all when fewer), shown in id order; members drawn without replacement with a seeded generator."""
    ids, sizes = np.unique(clusters, return_counts=True)
    keep = np.sort(ids[np.argsort(-sizes, kind="stable")[:n_clusters]])
    rng = np.random.default_rng(seed)
    picks = []
    for c in keep.tolist():
        members = np.flatnonzero(clusters == c)
        picks.append((c, len(members), rng.choice(members, min(per_cluster, len(members)), replace=False)))
    return picks


def samples_figure(images: np.ndarray, picks: list[tuple[int, int, np.ndarray]], path, n_total: int,
                   mapping: dict | None = None, class_names: list[str] | None = None) -> str:
    """images: uint8 N,H,W,C indexed by the picks; n_total: the number of clusters in the run (for the caption)."""
    cols = max(len(idx) for _, _, idx in picks)
    fig, axes = plt.subplots(len(picks), cols, figsize=(1.3 + 0.72 * cols, 0.2 + 0.74 * len(picks)), squeeze=False)
    for row, (c, size, idx) in enumerate(picks):
        for j in range(cols):
            ax = axes[row, j]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if j < len(idx):
                img = images[idx[j]]
                ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray", vmin=0, vmax=255)
        label = f"cluster {c}\nn={size}"
        if mapping and c in mapping:
            v = mapping[c]
            label += f"\n→ {class_names[v] if class_names and 0 <= v < len(class_names) else v}"
        axes[row, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8, labelpad=6)
    fig.tight_layout(h_pad=0.3, w_pad=0.2)
    save_figure(fig, path)
    shown = f"each of the {len(picks)} largest of {n_total} clusters" if len(picks) < n_total else f"every cluster ({n_total})"
    return (f"Up to {cols} random images (seeded) from {shown}, one row per cluster, labelled with its "
            "id, its size" + (" and the class Hungarian matching assigns it" if mapping else "") + ".")
