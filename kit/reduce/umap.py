"""UMAP (umap-learn): a kNN-graph embedding that keeps more global structure than t-SNE; step 2 of N2D
(autoencoder -> UMAP -> GMM)."""
from __future__ import annotations

import warnings

import numpy as np

from kit.errors import ConfigError, DataError
from kit.reduce.base import Reducer
from kit.registry import require


class UMAPReducer(Reducer):
    """umap.UMAP; a fixed ``random_state`` makes it deterministic (umap-learn then runs single-threaded).
    ``transform`` places new points with umap's out-of-sample optimisation. umap-learn is imported on first fit
    (its import and numba compilation take seconds)."""

    name = "umap"

    def __init__(self, n_components: int = 2, n_neighbors: int = 15, min_dist: float = 0.1,
                 metric: str = "euclidean", n_epochs: int | None = None, random_state: int = 0) -> None:
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.metric = metric
        self.n_epochs = n_epochs
        self.random_state = random_state

    def _check_params(self) -> None:
        require(self.n_components >= 1, "reduce.umap.n_components", f"must be >= 1, got {self.n_components}")
        require(self.n_neighbors >= 2, "reduce.umap.n_neighbors", f"must be >= 2, got {self.n_neighbors}")
        require(self.min_dist >= 0, "reduce.umap.min_dist", f"must be >= 0, got {self.min_dist}")
        require(self.n_epochs is None or self.n_epochs >= 1, "reduce.umap.n_epochs", f"must be >= 1, got {self.n_epochs}")

    def output_dim(self, n: int | None, d: int) -> int:
        self._check_params()
        # umap's spectral initialisation asks for n_components + 1 eigenvectors of an N x N graph Laplacian.
        if n is not None and n < self.n_components + 2:
            raise DataError(f"reduce.umap: {n} points is too few for n_components={self.n_components} "
                            f"(needs at least {self.n_components + 2})")
        return self.n_components

    def fit(self, X, y=None):
        self._check_params()
        X = self._validate_X(X)
        self.output_dim(*X.shape)
        import umap
        from umap.distances import named_distances

        if self.metric not in named_distances:
            raise ConfigError(f"reduce.umap.metric must be one of {', '.join(sorted(named_distances))}; "
                              f"got {self.metric!r}")
        n_neighbors = min(self.n_neighbors, len(X) - 1)  # umap truncates too, but with a warning
        self.umap_ = umap.UMAP(n_components=self.n_components, n_neighbors=n_neighbors, min_dist=self.min_dist,
                               metric=self.metric, n_epochs=self.n_epochs, random_state=self.random_state,
                               n_jobs=1 if self.random_state is not None else -1)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*(n_jobs|Graph is not fully connected|spectral).*")
            self.embedding_ = np.asarray(self.umap_.fit_transform(X), dtype=np.float64)
        return self

    def fit_transform(self, X, y=None):
        return self.fit(X).embedding_

    def transform(self, X):
        return np.asarray(self.umap_.transform(self._validate_X(X)), dtype=np.float64)
