"""K-Means (sklearn): the baseline every other clusterer is compared with."""
from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans

from kit.cluster.base import Clusterer
from kit.reduce.registry import require


class KMeansClusterer(Clusterer):
    name = "kmeans"

    def __init__(self, n_clusters: int = 10, n_init: int = 10, max_iter: int = 300, tol: float = 1e-4,
                 random_state: int = 0) -> None:
        self.n_clusters = n_clusters
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _check_params(self) -> None:
        require(self.n_clusters >= 1, "cluster.kmeans.n_clusters", f"must be >= 1, got {self.n_clusters}")
        require(self.n_init >= 1, "cluster.kmeans.n_init", f"must be >= 1, got {self.n_init}")

    def fit(self, X, y=None):
        self._check_params()
        self.kmeans_ = KMeans(self.n_clusters, n_init=self.n_init, max_iter=self.max_iter, tol=self.tol,
                              random_state=self.random_state).fit(self._data(X))
        self.cluster_centers_ = self.kmeans_.cluster_centers_
        self.labels_ = self.kmeans_.labels_.astype(np.int64)
        self.inertia_ = self.kmeans_.inertia_
        return self

    def predict(self, X) -> np.ndarray:
        return self.kmeans_.predict(self._data(X)).astype(np.int64)
