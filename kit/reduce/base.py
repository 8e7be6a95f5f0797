"""Common base for reducers: sklearn-style fit/transform/fit_transform on float arrays."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from kit.errors import ConfigError, DataError


class Reducer(TransformerMixin, BaseEstimator):
    """Subclasses implement ``fit`` (returns self) and ``transform``; ``name`` prefixes error messages."""

    name = "reducer"

    def _check_params(self) -> None:  # overridden; called by create_reducer so bad params fail before any work
        pass

    def _validate_X(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or len(X) == 0:
            raise DataError(f"reduce.{self.name}: input must be a non-empty (N, D) array, got shape {X.shape}")
        if not np.isfinite(X).all():
            raise DataError(f"reduce.{self.name}: input contains NaN or inf")
        return X

    def _check_components(self, X: np.ndarray, n_components: int, limit: int | None = None) -> None:
        limit = min(X.shape) if limit is None else limit
        if n_components > limit:
            raise ConfigError(
                f"reduce.{self.name}.n_components={n_components} is larger than the data allows "
                f"({limit} for {X.shape[0]} points x {X.shape[1]} features)"
            )
