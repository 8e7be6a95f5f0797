"""PCA: the fast linear first step (e.g. 784 -> 50) before any non-linear method."""
from __future__ import annotations

from sklearn.decomposition import PCA

from kit.reduce.base import Reducer, smallest
from kit.registry import require


class PCAReducer(Reducer):
    """sklearn PCA; ``whiten`` rescales components to unit variance (helps k-means treat directions equally)."""

    name = "pca"

    def __init__(self, n_components: int = 50, whiten: bool = False, svd_solver: str = "auto", random_state: int = 0) -> None:
        self.n_components = n_components
        self.whiten = whiten
        self.svd_solver = svd_solver
        self.random_state = random_state

    def _check_params(self) -> None:
        require(self.n_components >= 1, "reduce.pca.n_components", f"must be >= 1, got {self.n_components}")

    def output_dim(self, n: int | None, d: int) -> int:
        self._check_params()
        self._check_size(n, d, self.n_components, smallest(n, d))
        return self.n_components

    def fit(self, X, y=None):
        self._check_params()
        X = self._validate_X(X)
        self._check_components(X, self.n_components)
        self.pca_ = PCA(self.n_components, whiten=self.whiten, svd_solver=self.svd_solver,
                        random_state=self.random_state).fit(X)
        return self

    def transform(self, X):
        return self.pca_.transform(self._validate_X(X))

    @property
    def explained_variance_ratio_(self):
        return self.pca_.explained_variance_ratio_
