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

    def _fit_rows(self, X) -> np.ndarray:
        """The checked input's rows this reducer fits on (at most ``max_fit``, seeded), recorded in ``fit_index_``
        so that transform can reuse their embedding."""
        from kit.reduce.subsample import subsample_index

        X = self._validate_X(X)
        self.fit_index_ = subsample_index(len(X), self.max_fit, self.random_state)
        return X[self.fit_index_]

    def output_dim(self, n: int | None, d: int) -> int:
        """Width of this step's output for an input of ``n`` rows (None: not known yet) and ``d`` features; a
        ConfigError when the step's sizes cannot fit that input. ``kit.reduce.check_shapes`` walks a chain with it
        before any step is fitted. The default keeps the width (per-feature or per-row rescaling)."""
        return d

    def _check_components(self, X: np.ndarray, n_components: int, limit: int | None = None) -> None:
        self._check_size(X.shape[0], X.shape[1], n_components, min(X.shape) if limit is None else limit)

    def _check_size(self, n: int | None, d: int, n_components: int, limit: int) -> None:
        if n_components > limit:
            points = f"{n} points x " if n is not None else ""
            raise ConfigError(
                f"reduce.{self.name}.n_components={n_components} is larger than the data allows "
                f"({limit} for {points}{d} features)"
            )


def smallest(*values: int | None) -> int:
    """The smallest of the known values (None: not known)."""
    return min(v for v in values if v is not None)
