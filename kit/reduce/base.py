"""Common base for reducers: sklearn-style fit/transform/fit_transform on float arrays."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from kit.errors import ConfigError
from kit.features.files import check_matrix


class Reducer(TransformerMixin, BaseEstimator):
    """Subclasses implement ``fit`` (returns self) and ``transform``; ``name`` prefixes error messages."""

    name = "reducer"

    def _check_params(self) -> None:  # overridden; called by create_reducer so bad params fail before any work
        pass

    def _validate_X(self, X) -> np.ndarray:
        return check_matrix(X, f"reduce.{self.name}: input")

    def _check_components(self, X: np.ndarray, n_components: int, limit: int | None = None) -> None:
        limit = min(X.shape) if limit is None else limit
        if n_components > limit:
            raise ConfigError(
                f"reduce.{self.name}.n_components={n_components} is larger than the data allows "
                f"({limit} for {X.shape[0]} points x {X.shape[1]} features)"
            )
