"""Clustering metrics: Hungarian-matched accuracy and per-class recall (NMI and ARI are sklearn's, used directly)."""
from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def contingency(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts[i, j] = #(pred == pred_values[i] and true == true_values[j])."""
    t_vals, t_idx = np.unique(y_true, return_inverse=True)
    p_vals, p_idx = np.unique(y_pred, return_inverse=True)
    counts = np.zeros((len(p_vals), len(t_vals)), dtype=np.int64)
    np.add.at(counts, (p_idx, t_idx), 1)
    return counts, p_vals, t_vals


def hungarian_mapping(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """Best one-to-one map from predicted cluster ids to true labels (max agreements)."""
    counts, p_vals, t_vals = contingency(np.asarray(y_true), np.asarray(y_pred))
    rows, cols = linear_sum_assignment(-counts)
    return {p_vals[r].item(): t_vals[c].item() for r, c in zip(rows, cols)}


def cluster_accuracy(y_true, y_pred) -> float:
    """Accuracy after the best one-to-one matching of clusters to classes."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if len(y_true) == 0:
        return float("nan")
    counts, _, _ = contingency(y_true, y_pred)
    rows, cols = linear_sum_assignment(-counts)
    return float(counts[rows, cols].sum() / len(y_true))


def per_class_recall(y_true, y_pred) -> dict:
    """Recall of each true class after the Hungarian matching of clusters to classes: the share of the class's
    images that fall in the cluster matched to it (0 for a class no cluster is matched to: more classes than
    clusters). Keys are the true labels, in sorted order. The mean is the balanced accuracy of the matched labels,
    which a 10:1 class profile needs: accuracy alone hides a small class swallowed by a big one."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    counts, p_vals, t_vals = contingency(y_true, y_pred)
    rows, cols = linear_sum_assignment(-counts)
    hits = np.zeros(len(t_vals), dtype=np.int64)
    hits[cols] = counts[rows, cols]
    return {t.item(): float(h / n) for t, h, n in zip(t_vals, hits, counts.sum(0))}

