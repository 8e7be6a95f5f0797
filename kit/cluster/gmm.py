"""Gaussian mixture (sklearn): elliptical clusters of different sizes, which K-Means' spheres cannot fit."""
from __future__ import annotations

import numpy as np
from sklearn.mixture import GaussianMixture

from kit.cluster.base import Clusterer
from kit.errors import DataError
from kit.registry import choice, require


class GMMClusterer(Clusterer):
    name = "gmm"

    def __init__(self, n_clusters: int = 10, covariance_type: str = "full", n_init: int = 1, max_iter: int = 200,
                 reg_covar: float = 1e-6, random_state: int = 0) -> None:
        self.n_clusters = n_clusters
        self.covariance_type = covariance_type
        self.n_init = n_init
        self.max_iter = max_iter
        self.reg_covar = reg_covar
        self.random_state = random_state

    def _check_params(self) -> None:
        require(self.n_clusters >= 1, "cluster.gmm.n_clusters", f"must be >= 1, got {self.n_clusters}")
        require(self.n_init >= 1, "cluster.gmm.n_init", f"must be >= 1, got {self.n_init}")
        choice(self.covariance_type, ("full", "tied", "diag", "spherical"), "cluster.gmm.covariance_type")

    def fit(self, X, y=None):
        self._check_params()
        X = self._data(X)
        self.n_features_ = X.shape[1]
        gmm = GaussianMixture(self.n_clusters, covariance_type=self.covariance_type, n_init=self.n_init,
                              max_iter=self.max_iter, reg_covar=self.reg_covar, random_state=self.random_state)
        try:
            self.gmm_ = gmm.fit(X)
        except ValueError as e:  # sklearn: a Cholesky factor failed ("ill-defined empirical covariance")
            if "covariance" not in str(e):
                raise
            # reg_covar is absolute: rounding in a covariance of features at scale s is ~1e-16 s^2, so above s ~1e5
            # the default 1e-6 no longer keeps a collapsed component's covariance positive definite
            raise DataError(f"cluster.gmm: a component's covariance is singular (collapsed or duplicate points, or "
                            f"features up to |x| = {np.abs(X).max():.3g} too large for reg_covar={self.reg_covar}); "
                            "standardize the features, raise cluster.gmm.reg_covar or lower n_clusters") from None
        self.cluster_centers_ = self.gmm_.means_
        self.labels_ = self.gmm_.predict(X).astype(np.int64)
        return self

    def predict(self, X) -> np.ndarray:
        return self.gmm_.predict(self._new_data(X)).astype(np.int64)
