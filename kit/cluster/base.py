"""Shared pieces of the clusterers: input checks and the subsample + kNN assignment trick for O(N^2) methods."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.neighbors import KNeighborsClassifier

from kit.cluster.ekmeans import _as_data
from kit.errors import DataError
from kit.reduce.subsample import chunked, subsample_index


class Clusterer(ClusterMixin, BaseEstimator):
    """fit(X) -> self with labels_; predict(X); fit_predict(X). ``name`` prefixes error messages."""

    name = "clusterer"
    learns_from_labels = False  # True: fit(X, y) trains on y's labeled rows (kit.validation then cross-validates)

    def _check_params(self) -> None:
        pass

    def _data(self, X, dtype=np.float64) -> np.ndarray:
        """Training input: a finite (N, D) array with at least n_clusters rows (checked before any library call)."""
        X = _as_data(X, self.name, dtype)
        n_clusters = getattr(self, "n_clusters", None)
        if n_clusters is not None and len(X) < n_clusters:
            raise DataError(f"cluster.{self.name}: {len(X)} points for {n_clusters} clusters")
        return X

    def _new_data(self, X, dtype=np.float64) -> np.ndarray:
        """``predict`` input: any number of rows, with the feature count seen in fit."""
        X = _as_data(X, self.name, dtype)
        d = getattr(self, "n_features_", None)
        if d is not None and X.shape[1] != d:
            raise DataError(f"cluster.{self.name}: predict got {X.shape[1]} features, fit had {d}")
        return X

    def fit_predict(self, X, y=None) -> np.ndarray:
        return self.fit(X).labels_


class SubsampleClusterer(Clusterer):
    """Clusters <= ``max_fit`` seeded points with ``_fit_subsample`` and gives every point the majority cluster of
    its ``n_assign_neighbors`` nearest subsample points (kNN label propagation). Spectral and Ward clustering
    need an N x N affinity or O(N^2) merges, which 70k points cannot afford; the subsample keeps them bounded."""

    def fit(self, X, y=None):
        self._check_params()
        X = self._data(X)
        self.n_features_ = X.shape[1]
        self.fit_index_ = subsample_index(len(X), self.max_fit, self.random_state)
        Xf = X[self.fit_index_]
        sub_labels = np.asarray(self._fit_subsample(Xf), dtype=np.int64)
        k = min(self.n_assign_neighbors, len(Xf))
        self.assigner_ = KNeighborsClassifier(n_neighbors=k).fit(Xf, sub_labels)
        if len(self.fit_index_) == len(X):
            self.labels_ = sub_labels
        else:
            self.labels_ = self.predict(X)
            self.labels_[self.fit_index_] = sub_labels
        return self

    def predict(self, X) -> np.ndarray:
        return chunked(self.assigner_.predict, self._new_data(X)).astype(np.int64)
