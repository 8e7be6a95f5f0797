"""openTSNE t-SNE: FFT-accelerated gradients make 70k points feasible on a laptop CPU."""
from __future__ import annotations

import math

import numpy as np
from openTSNE import TSNE

from kit.errors import ConfigError, DataError
from kit.reduce.base import Reducer
from kit.registry import choice, require


class TSNEReducer(Reducer):
    """openTSNE.TSNE with PCA initialisation.

    openTSNE's FFT interpolation only exists for 1-2 output dimensions, so ``negative_gradient_method=None``
    picks "fft" for n_components <= 2 and falls back to Barnes-Hut ("bh", O(N log N) but much slower per
    iteration, and increasingly inaccurate beyond 3 dimensions) for n_components > 2.
    ``fit_transform`` returns the optimised embedding; ``transform`` places new points into the fitted map
    (openTSNE's out-of-sample optimisation).
    """

    name = "tsne"

    def __init__(self, n_components: int = 2, perplexity: float = 30.0, n_iter: int = 500,
                 early_exaggeration_iter: int = 250, exaggeration: float | None = None,
                 learning_rate: float | None = None, initialization: str = "pca", metric: str = "euclidean",
                 negative_gradient_method: str | None = None, n_jobs: int = 1, verbose: bool = False,
                 random_state: int = 0) -> None:
        self.n_components = n_components
        self.perplexity = perplexity
        self.n_iter = n_iter
        self.early_exaggeration_iter = early_exaggeration_iter
        self.exaggeration = exaggeration
        self.learning_rate = learning_rate
        self.initialization = initialization
        self.metric = metric
        self.negative_gradient_method = negative_gradient_method
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state

    def _check_params(self) -> None:
        require(self.n_components >= 1, "reduce.tsne.n_components", f"must be >= 1, got {self.n_components}")
        require(self.perplexity > 0, "reduce.tsne.perplexity", f"must be > 0, got {self.perplexity}")
        require(self.n_iter >= 0, "reduce.tsne.n_iter", f"must be >= 0, got {self.n_iter}")
        choice(self.initialization, ("pca", "spectral", "random"), "reduce.tsne.initialization")
        if self.negative_gradient_method is not None:
            choice(self.negative_gradient_method, ("fft", "bh"), "reduce.tsne.negative_gradient_method")
            require(not (self.negative_gradient_method == "fft" and self.n_components > 2),
                    "reduce.tsne.negative_gradient_method", "fft supports only n_components <= 2; use bh")

    def _gradient_method(self) -> str:
        if self.negative_gradient_method is not None:
            return self.negative_gradient_method
        return "fft" if self.n_components <= 2 else "bh"

    def output_dim(self, n: int | None, d: int) -> int:
        """The input sizes openTSNE cannot take (IndexError on 1 row) or would silently change the requested
        perplexity for."""
        self._check_params()
        if n is not None and n < 2:
            raise DataError(f"reduce.tsne: needs at least 2 points, got {n}")
        needed = math.ceil(3 * self.perplexity) + 1  # openTSNE wants 3 * perplexity <= N - 1 or lowers it
        if n is not None and n < needed:
            raise ConfigError(f"reduce.tsne.perplexity={self.perplexity} needs at least {needed} points "
                              f"(3 * perplexity + 1), got {n}; lower perplexity")
        if self.initialization == "pca" and d < self.n_components:
            raise ConfigError(f"reduce.tsne.initialization=pca needs at least n_components={self.n_components} "
                              f"features, got {d}; use initialization: random")
        return self.n_components

    def _check_data(self, X: np.ndarray) -> None:
        """Inputs that make openTSNE crash (segfault on identical rows, IndexError on 1 row) or silently change the
        requested perplexity fail here, before any work."""
        n, d = X.shape
        if n < 2:
            raise DataError(f"reduce.tsne: needs at least 2 points, got {n}")
        if not np.ptp(X, axis=0).any():
            raise DataError(f"reduce.tsne: all {n} points are identical (constant features); nothing to embed")
        self.output_dim(n, d)

    def fit(self, X, y=None):
        self._check_params()
        X = np.ascontiguousarray(self._validate_X(X))
        self._check_data(X)
        tsne = TSNE(
            n_components=self.n_components, perplexity=float(self.perplexity), n_iter=self.n_iter,
            early_exaggeration_iter=self.early_exaggeration_iter, exaggeration=self.exaggeration,
            learning_rate="auto" if self.learning_rate is None else self.learning_rate,
            initialization=self.initialization, metric=self.metric,
            negative_gradient_method=self._gradient_method(), n_jobs=self.n_jobs,
            verbose=self.verbose, random_state=self.random_state,
        )
        self.embedding_ = tsne.fit(X)
        return self

    def fit_transform(self, X, y=None):
        return np.asarray(self.fit(X).embedding_, dtype=np.float64)

    def transform(self, X):
        X = np.ascontiguousarray(self._validate_X(X))
        return np.asarray(self.embedding_.transform(X), dtype=np.float64)
