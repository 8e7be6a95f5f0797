"""Turn raw cluster ids into class indices with the few labeled images of a competition.

``map_clusters_to_labels(..., method="majority")`` (default): each cluster takes the most frequent class among
its labeled points (ties: the smaller class index). Several clusters may share a class, so over-clustering
(k > n_classes) is fine. ``method="hungarian"``: one-to-one matching of clusters to classes maximising the number of
labeled points that agree (scipy linear_sum_assignment on the cluster x class contingency); meant for
k == n_classes, where it avoids two clusters claiming one class; clusters left without a class (k > n_classes)
fall back to majority.

Clusters with no labeled point carry no evidence. They receive, one each, the classes that no cluster has been
mapped to yet (largest unlabeled cluster first, smallest missing class first): with k == n_classes this completes
the map to a permutation, which is the best guess when every class is known to be present. Once no class is
missing they get the most frequent class among the labeled points.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from kit.errors import DataError
from kit.registry import choice


def map_clusters_to_labels(clusters: np.ndarray, labeled_index: np.ndarray, labels: np.ndarray, n_classes: int,
                           method: str = "majority") -> np.ndarray:
    """Array ``mapping`` with mapping[cluster id] = class index, for every id 0..clusters.max().
    Labeled points with label < 0 (unknown) are ignored."""
    choice(method, ("majority", "hungarian"), "label mapping method")
    clusters = np.asarray(clusters)
    labeled_index = np.asarray(labeled_index, dtype=np.int64).ravel()
    labels = np.asarray(labels, dtype=np.int64).ravel()
    if clusters.ndim != 1 or len(clusters) == 0 or not np.issubdtype(clusters.dtype, np.integer) or clusters.min() < 0:
        raise DataError("label mapping: clusters must be a non-empty 1-D array of cluster ids >= 0")
    if len(labeled_index) != len(labels):
        raise DataError(f"label mapping: {len(labeled_index)} labeled indices for {len(labels)} labels")
    if len(labeled_index) and (labeled_index.min() < 0 or labeled_index.max() >= len(clusters)):
        raise DataError(f"label mapping: labeled index out of range for {len(clusters)} points")
    if n_classes < 1:
        raise DataError(f"label mapping: n_classes must be >= 1, got {n_classes}")
    if len(labels) and labels.max() >= n_classes:
        raise DataError(f"label mapping: label {labels.max()} >= n_classes {n_classes}")
    keep = labels >= 0
    labeled_index, labels = labeled_index[keep], labels[keep]

    k = int(clusters.max()) + 1
    counts = np.zeros((k, n_classes), dtype=np.int64)
    np.add.at(counts, (clusters[labeled_index], labels), 1)
    has_labels = counts.sum(1) > 0
    mapping = np.full(k, -1, dtype=np.int64)
    if method == "hungarian":
        rows, cols = linear_sum_assignment(-counts)
        matched = has_labels[rows]  # a zero-evidence match is no better than the fallback below
        mapping[rows[matched]] = cols[matched]
    todo = has_labels & (mapping < 0)
    mapping[todo] = counts[todo].argmax(1)

    empty = np.flatnonzero(mapping < 0)
    if len(empty):
        sizes = np.bincount(clusters, minlength=k)
        empty = empty[np.argsort(-sizes[empty], kind="stable")]
        missing = [c for c in range(n_classes) if c not in set(mapping[mapping >= 0].tolist())]
        fallback = int(np.bincount(labels, minlength=n_classes).argmax()) if len(labels) else 0
        for i, cluster_id in enumerate(empty):
            mapping[cluster_id] = missing[i] if i < len(missing) else fallback
    return mapping


def apply_mapping(clusters: np.ndarray, mapping: np.ndarray) -> np.ndarray:
    """Class index of every point: mapping[clusters]."""
    clusters = np.asarray(clusters, dtype=np.int64)
    mapping = np.asarray(mapping, dtype=np.int64)
    if len(clusters) and (clusters.min() < 0 or clusters.max() >= len(mapping)):
        raise DataError(f"label mapping: cluster id {clusters.max()} has no entry in a mapping of {len(mapping)} ids")
    return mapping[clusters]
