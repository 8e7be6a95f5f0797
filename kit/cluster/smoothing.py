"""Neighbour smoothing of class probabilities: an image's class is voted on with its nearest neighbours'.

Q <- (1 - alpha) P + alpha mean_{kNN} Q, ``steps`` times (label propagation started from P, Zhou et al. 2004,
truncated). The neighbours are the ones refine mined (dense SIFT for the default) when the run has them, else the
clustered features' own cosine neighbours. Clusterers without probabilities vote with one-hot labels.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from kit.errors import ConfigError, DataError

STEPS = 3


def smooth_probabilities(P: np.ndarray, indices: np.ndarray, alpha: float, steps: int = STEPS) -> np.ndarray:
    """The recurrence above; rows of ``indices`` are each image's neighbours (positions into P)."""
    if not 0 < alpha <= 1:
        raise ConfigError(f"cluster.smooth_alpha must be in (0, 1], got {alpha}")
    P = np.asarray(P, dtype=np.float64)
    Q = P
    for _ in range(steps):
        Q = (1 - alpha) * P + alpha * Q[indices].mean(1)
    return Q


def one_hot(labels: np.ndarray) -> np.ndarray:
    labels = np.asarray(labels, dtype=np.int64)
    out = np.zeros((len(labels), int(labels.max()) + 1 if len(labels) else 0))
    out[np.arange(len(labels)), labels] = 1.0
    return out


def feature_neighbours(X: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Each row's k nearest other rows in cosine similarity."""
    from kit.features.neighbors import knn

    if k >= len(X):
        raise ConfigError(f"cluster.smooth_k must be smaller than the number of rows ({len(X)}), got {k}")
    return knn(np.ascontiguousarray(X.reshape(len(X), -1), dtype=np.float32), k, metric="cosine", seed=seed)[0]


def mined_neighbours(path: str | Path, ids: np.ndarray, k: int) -> np.ndarray:
    """The first k neighbours of a neighbors.npz (ids, indices), reordered to ``ids``' order."""
    with np.load(path, allow_pickle=False) as z:
        if "ids" not in z.files or "indices" not in z.files:
            raise DataError(f"{path}: not a neighbours file (needs ids and indices)")
        nb_ids, indices = z["ids"].astype(str), z["indices"]
    if indices.ndim != 2 or len(indices) != len(nb_ids):
        raise DataError(f"{path}: indices must be (N, k) with one row per id, got {indices.shape} for {len(nb_ids)} ids")
    if k > indices.shape[1]:
        raise ConfigError(f"cluster.smooth_k is {k} but {path} holds {indices.shape[1]} neighbours per image")
    ids = np.asarray(ids).astype(str)
    if len(ids) != len(nb_ids) or set(ids) != set(nb_ids):
        raise DataError(f"{path}: its {len(nb_ids)} ids are not the clustered images' {len(ids)} ids")
    if (ids == nb_ids).all():
        return indices[:, :k]
    pos = {i: n for n, i in enumerate(ids)}  # neighbours file row -> clustered row
    to_ours = np.array([pos[i] for i in nb_ids])
    order = np.argsort(to_ours)  # clustered row r is neighbours-file row order[r]
    return to_ours[indices[order, :k]]


def neighbour_indices(X: np.ndarray, ids: np.ndarray, k: int, neighbors: str | Path | None = None,
                      seed: int = 0) -> tuple[np.ndarray, str]:
    """(indices, where they come from): the neighbours file's first k when given, else the features' own."""
    if neighbors is not None:
        return mined_neighbours(neighbors, ids, k), f"the neighbours of {neighbors}"
    return feature_neighbours(X, k, seed), "the clustered features' cosine neighbours"


def smooth_clusters(probabilities: np.ndarray | None, clusters: np.ndarray, indices: np.ndarray,
                    alpha: float) -> tuple[np.ndarray | None, np.ndarray]:
    """(smoothed probabilities, or None when there were none; smoothed clusters): one-hot clusters vote when a
    clusterer gives no probabilities."""
    Q = smooth_probabilities(one_hot(clusters) if probabilities is None else probabilities, indices, alpha)
    return (None if probabilities is None else Q.astype(np.float32)), Q.argmax(1).astype(np.int64)
