"""Confusion matrix of submitted clusters against reference labels, rows ordered by their Hungarian class.

Seeing which cluster merged which classes says more than the one accuracy number: a row split over two
columns is a mixed cluster, a column split over two rows is a class the clustering cut in half.
"""
from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle
from scipy.optimize import linear_sum_assignment

from kit.metrics import contingency
from kit.report.figure import save_figure


@dataclass
class Confusion:
    counts: np.ndarray  # [cluster row, class column] image counts, rows in `clusters` order
    clusters: np.ndarray  # cluster id per row: matched ones in class order, then the unmatched by size
    classes: np.ndarray  # class label per column (sorted)
    mapping: dict  # cluster id -> class label (Hungarian, one-to-one)

    @property
    def accuracy(self) -> float:
        col = {c: j for j, c in enumerate(self.classes.tolist())}
        row = {c: i for i, c in enumerate(self.clusters.tolist())}
        hits = sum(self.counts[row[k], col[v]] for k, v in self.mapping.items())
        return float(hits / max(1, self.counts.sum()))

    @property
    def row_normalised(self) -> np.ndarray:
        return self.counts / np.maximum(self.counts.sum(1, keepdims=True), 1)


def confusion(clusters: np.ndarray, labels: np.ndarray) -> Confusion:
    """clusters, labels: aligned per-image arrays (only images with a known label)."""
    counts, c_vals, l_vals = contingency(np.asarray(labels), np.asarray(clusters))
    rows, cols = linear_sum_assignment(-counts)
    mapping = {c_vals[r].item(): l_vals[c].item() for r, c in zip(rows, cols)}
    matched = rows[np.argsort(cols)]
    rest = np.setdiff1d(np.arange(len(c_vals)), matched)
    order = np.r_[matched, rest[np.argsort(-counts[rest].sum(1), kind="stable")]].astype(int)
    return Confusion(counts[order], c_vals[order], l_vals, mapping)


def confusion_figure(cm: Confusion, path, class_names: list[str] | None = None, source: str = "") -> str:
    n_rows, n_cols = cm.counts.shape
    norm = cm.row_normalised
    fig, ax = plt.subplots(figsize=(min(16, 2.2 + 0.62 * n_cols), min(16, 1.6 + 0.5 * n_rows)))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    if n_rows * n_cols <= 900:
        small = 7 if max(n_rows, n_cols) > 15 else 8
        for i, j in zip(*np.nonzero(cm.counts)):
            ax.text(j, i, str(cm.counts[i, j]), ha="center", va="center", fontsize=small,
                    color="white" if norm[i, j] > 0.55 else "#222")
    col = {c: j for j, c in enumerate(cm.classes.tolist())}
    for i, c in enumerate(cm.clusters.tolist()):
        if c in cm.mapping:
            ax.add_patch(Rectangle((col[cm.mapping[c]] - 0.5, i - 0.5), 1, 1, fill=False, ec="tab:red", lw=1.6))
    name = lambda v: class_names[v] if class_names and 0 <= v < len(class_names) else str(v)  # noqa: E731
    slant = n_cols > 10 or sum(len(name(v)) for v in cm.classes.tolist()) > 60  # long names overlap unless slanted
    ax.set_xticks(range(n_cols), [name(v) for v in cm.classes.tolist()], rotation=45 if slant else 0,
                  ha="right" if slant else "center", fontsize=8)
    ax.set_yticks(range(n_rows), [f"cluster {c} → {name(cm.mapping[c])}" if c in cm.mapping else f"cluster {c} (unmatched)"
                                  for c in cm.clusters.tolist()], fontsize=8)
    ax.set_xlabel("true class")
    ax.set_ylabel("submitted cluster → Hungarian class")
    fig.colorbar(im, ax=ax, fraction=0.04, label="fraction of the cluster's images")
    fig.tight_layout()
    save_figure(fig, path)
    return (f"Submitted clusters (rows) against {source} ({int(cm.counts.sum())} images): colour = share of the "
            f"cluster's images per class (each row sums to 1), text = image count, red boxes = the one-to-one "
            f"cluster→class mapping from Hungarian matching on these labels (accuracy under it {cm.accuracy:.4f}).")
