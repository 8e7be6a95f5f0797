"""Locally linear embedding fitted on a subsample; the rest are placed by their barycentric neighbour weights."""
from __future__ import annotations

from sklearn.manifold import LocallyLinearEmbedding

from kit.reduce.base import Reducer
from kit.registry import choice, require
from kit.reduce.subsample import chunked


class LLEReducer(Reducer):
    """sklearn LocallyLinearEmbedding on <= ``max_fit`` points; ``transform`` (sklearn's out-of-sample rule)
    writes each point as a weighted mix of its ``n_neighbors`` fit neighbours and mixes their embeddings."""

    name = "lle"

    def __init__(self, n_components: int = 2, n_neighbors: int = 10, method: str = "standard", reg: float = 1e-3,
                 max_fit: int = 5000, random_state: int = 0) -> None:
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.method = method
        self.reg = reg
        self.max_fit = max_fit
        self.random_state = random_state

    def _check_params(self) -> None:
        require(self.n_components >= 1, "reduce.lle.n_components", f"must be >= 1, got {self.n_components}")
        require(self.n_neighbors > self.n_components, "reduce.lle.n_neighbors",
                f"must be > n_components ({self.n_components}), got {self.n_neighbors}")
        require(self.max_fit > self.n_neighbors, "reduce.lle.max_fit", f"must be > n_neighbors, got {self.max_fit}")
        choice(self.method, ("standard", "hessian", "modified", "ltsa"), "reduce.lle.method")

    def output_dim(self, n: int | None, d: int) -> int:
        self._check_params()
        self._check_size(n, d, self.n_components, d)  # LLE cannot add dimensions
        if n is not None:
            require(min(n, self.max_fit) > self.n_neighbors, "reduce.lle.n_neighbors",
                    f"must be < the number of points ({min(n, self.max_fit)})")
        return self.n_components

    def fit(self, X, y=None):
        self._check_params()
        Xf = self._fit_rows(X)
        self._check_components(Xf, self.n_components, limit=Xf.shape[1])  # LLE cannot add dimensions
        require(len(Xf) > self.n_neighbors, "reduce.lle.n_neighbors", f"must be < the number of points ({len(Xf)})")
        self.lle_ = LocallyLinearEmbedding(n_neighbors=self.n_neighbors, n_components=self.n_components,
                                           method=self.method, reg=self.reg, random_state=self.random_state).fit(Xf)
        return self

    def transform(self, X):
        return chunked(self.lle_.transform, self._validate_X(X))
