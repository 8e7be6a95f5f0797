"""K-Means: the baseline every other clusterer is compared with; sklearn by default, faiss for millions of rows."""
from __future__ import annotations

import math

import numpy as np
from sklearn.cluster import KMeans

from kit.cluster.base import Clusterer
from kit.registry import choice, require


class KMeansClusterer(Clusterer):
    """``backend: sklearn`` (default): sklearn KMeans (k-means++, Lloyd until the ``tol`` shift).
    ``backend: faiss``: faiss.Kmeans in float32 with ``n_init`` restarts (best objective kept) of exactly
    ``max_iter`` Lloyd iterations each (faiss has no tolerance stop, so ``tol`` is unused), trained on every point
    (faiss would otherwise subsample 256 points per centroid). Much faster and lighter on large N; results differ
    from sklearn's in the init and the float32 rounding."""

    name = "kmeans"

    def __init__(self, n_clusters: int = 10, n_init: int = 10, max_iter: int = 300, tol: float = 1e-4,
                 backend: str = "sklearn", random_state: int = 0) -> None:
        self.n_clusters = n_clusters
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.backend = backend
        self.random_state = random_state

    def _check_params(self) -> None:
        require(self.n_clusters >= 1, "cluster.kmeans.n_clusters", f"must be >= 1, got {self.n_clusters}")
        require(self.n_init >= 1, "cluster.kmeans.n_init", f"must be >= 1, got {self.n_init}")
        require(self.max_iter >= 1, "cluster.kmeans.max_iter", f"must be >= 1, got {self.max_iter}")
        choice(self.backend, ("sklearn", "faiss"), "cluster.kmeans.backend")

    def fit(self, X, y=None):
        self._check_params()
        # faiss works in float32: validating in float32 avoids a float64 copy of millions of rows
        X = self._data(X, np.float32 if self.backend == "faiss" else np.float64)
        self.n_features_ = X.shape[1]
        if self.backend == "faiss":
            return self._fit_faiss(X)
        self.kmeans_ = KMeans(self.n_clusters, n_init=self.n_init, max_iter=self.max_iter, tol=self.tol,
                              random_state=self.random_state).fit(X)
        self.cluster_centers_ = self.kmeans_.cluster_centers_
        self.labels_ = self.kmeans_.labels_.astype(np.int64)
        self.inertia_ = float(self.kmeans_.inertia_)
        return self

    def _fit_faiss(self, X):
        import faiss

        Xf = np.ascontiguousarray(X, dtype=np.float32)
        seed = 1234 if self.random_state is None else int(self.random_state)
        km = faiss.Kmeans(Xf.shape[1], self.n_clusters, niter=self.max_iter, nredo=self.n_init, seed=seed,
                          verbose=False, min_points_per_centroid=1,
                          max_points_per_centroid=math.ceil(len(Xf) / self.n_clusters) + 1)
        km.train(Xf)
        self.cluster_centers_ = np.asarray(km.centroids, dtype=np.float64).reshape(self.n_clusters, -1)
        self._index = km.index
        dist, labels = km.index.search(Xf, 1)
        self.labels_ = labels.ravel().astype(np.int64)
        self.inertia_ = float(dist.astype(np.float64).sum())
        return self

    def predict(self, X) -> np.ndarray:
        if self.backend == "faiss":
            X = np.ascontiguousarray(self._new_data(X, np.float32))
            return self._index.search(X, 1)[1].ravel().astype(np.int64)
        return self.kmeans_.predict(self._new_data(X)).astype(np.int64)
