"""Argmax "clusterer": when the features are class logits from a finetuned head, the class is the cluster."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin

from kit.errors import DataError


class ArgmaxClusterer(ClusterMixin, BaseEstimator):
    """labels_ = argmax over feature columns; ``n_clusters`` must equal the number of columns (checked)."""

    def __init__(self, n_clusters: int | None = None) -> None:
        self.n_clusters = n_clusters

    def fit(self, X, y=None):
        X = np.asarray(X)
        if X.ndim != 2:
            raise DataError(f"cluster.argmax: input must be (N, n_classes), got shape {X.shape}")
        if self.n_clusters is not None and X.shape[1] != self.n_clusters:
            raise DataError(f"cluster.argmax: features have {X.shape[1]} columns but n_clusters is {self.n_clusters}; "
                            "use extract kind: logits from a finetuned model and no reduce steps")
        if len(X) == 0 or X.shape[1] == 0:
            raise DataError(f"cluster.argmax: input must be a non-empty (N, n_classes) array, got shape {X.shape}")
        self.n_features_ = X.shape[1]
        self.labels_ = X.argmax(1).astype(np.int64)
        return self

    def predict(self, X) -> np.ndarray:
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features_:
            raise DataError(f"cluster.argmax: predict needs (N, {self.n_features_}) logits, got shape {X.shape}")
        return X.argmax(1).astype(np.int64)
