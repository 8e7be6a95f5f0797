"""Spectral embedding (Laplacian eigenmaps) on a subsample, extended to every point by kNN regression."""
from __future__ import annotations

from sklearn.manifold import SpectralEmbedding
from sklearn.neighbors import KNeighborsRegressor

from kit.reduce.base import Reducer
from kit.registry import require
from kit.reduce.subsample import chunked


class SpectralReducer(Reducer):
    """sklearn SpectralEmbedding (nearest-neighbour affinity) on <= ``max_fit`` points.

    SpectralEmbedding has no out-of-sample transform. We use a Nyström-like extension: a new point gets the
    distance-weighted mean embedding of its ``extend_neighbors`` nearest fit points (the kNN-affinity analogue of
    Nyström's kernel-weighted average). Fit points map to themselves exactly (zero distance wins), so with
    N <= max_fit the output is the exact embedding; above it, the extension is an approximation.
    """

    name = "spectral"

    def __init__(self, n_components: int = 2, n_neighbors: int | None = None, max_fit: int = 5000,
                 extend_neighbors: int = 10, random_state: int = 0) -> None:
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.max_fit = max_fit
        self.extend_neighbors = extend_neighbors
        self.random_state = random_state

    def _check_params(self) -> None:
        require(self.n_components >= 1, "reduce.spectral.n_components", f"must be >= 1, got {self.n_components}")
        require(self.n_neighbors is None or self.n_neighbors >= 2, "reduce.spectral.n_neighbors",
                f"must be >= 2, got {self.n_neighbors}")
        require(self.extend_neighbors >= 1, "reduce.spectral.extend_neighbors", f"must be >= 1, got {self.extend_neighbors}")
        require(self.max_fit >= 10, "reduce.spectral.max_fit", f"must be >= 10, got {self.max_fit}")

    def output_dim(self, n: int | None, d: int) -> int:
        self._check_params()
        if n is not None:  # the embedding drops the constant first eigenvector: n_components + 1 < N of them
            self._check_size(n, d, self.n_components, min(n, self.max_fit) - 2)
        return self.n_components

    def fit(self, X, y=None):
        self._check_params()
        Xf = self._fit_rows(X)
        # the embedding drops the constant first eigenvector, so it needs n_components + 1 < N of them
        self._check_components(Xf, self.n_components, limit=len(Xf) - 2)
        emb = SpectralEmbedding(self.n_components, affinity="nearest_neighbors", n_neighbors=self.n_neighbors,
                                random_state=self.random_state).fit_transform(Xf)
        self.embedding_ = emb
        k = min(self.extend_neighbors, len(Xf))
        self.extension_ = KNeighborsRegressor(n_neighbors=k, weights="distance").fit(Xf, emb)
        return self

    def transform(self, X):
        return chunked(self.extension_.predict, self._validate_X(X))
