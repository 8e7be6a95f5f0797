"""RBF kernel PCA fitted on a seeded subsample, so its N x N kernel stays <= max_fit^2 at 70k points."""
from __future__ import annotations

from sklearn.decomposition import KernelPCA

from kit.reduce.base import Reducer, smallest
from kit.registry import choice, require
from kit.reduce.subsample import chunked


class KernelPCAReducer(Reducer):
    """sklearn KernelPCA on <= ``max_fit`` points, then ``transform`` of every point in row chunks.

    ``gamma=None`` uses 1 / (n_features * X.var()) (sklearn's "scale" rule), which adapts to the features' scale;
    sklearn's own KernelPCA default (1 / n_features) ignores scale and collapses raw-pixel distances.
    """

    name = "kernel_pca"

    def __init__(self, n_components: int = 50, kernel: str = "rbf", gamma: float | None = None, max_fit: int = 5000,
                 eigen_solver: str = "auto", random_state: int = 0) -> None:
        self.n_components = n_components
        self.kernel = kernel
        self.gamma = gamma
        self.max_fit = max_fit
        self.eigen_solver = eigen_solver
        self.random_state = random_state

    def _check_params(self) -> None:
        require(self.n_components >= 1, "reduce.kernel_pca.n_components", f"must be >= 1, got {self.n_components}")
        require(self.max_fit >= 2, "reduce.kernel_pca.max_fit", f"must be >= 2, got {self.max_fit}")
        choice(self.kernel, ("rbf", "poly", "sigmoid", "cosine", "linear"), "reduce.kernel_pca.kernel")
        choice(self.eigen_solver, ("auto", "dense", "arpack", "randomized"), "reduce.kernel_pca.eigen_solver")
        require(self.gamma is None or self.gamma > 0, "reduce.kernel_pca.gamma", f"must be > 0, got {self.gamma}")

    def output_dim(self, n: int | None, d: int) -> int:
        self._check_params()
        self._check_size(n, d, self.n_components, smallest(n, self.max_fit))
        return self.n_components

    def fit(self, X, y=None):
        self._check_params()
        Xf = self._fit_rows(X)
        self._check_components(Xf, self.n_components, limit=len(Xf))
        var = Xf.var()
        self.gamma_ = float(self.gamma) if self.gamma is not None else 1.0 / (Xf.shape[1] * var if var > 0 else 1.0)
        solver = self.eigen_solver
        if solver == "auto":  # full eigh of a 5000^2 kernel takes minutes on 2 cores; randomized takes seconds
            solver = "randomized" if len(Xf) > 1000 and self.n_components < len(Xf) // 4 else "dense"
        self.kpca_ = KernelPCA(self.n_components, kernel=self.kernel, gamma=self.gamma_, eigen_solver=solver,
                               random_state=self.random_state).fit(Xf)
        return self

    def transform(self, X):
        return chunked(self.kpca_.transform, self._validate_X(X))
