"""Per-feature standardisation and per-row L2 normalisation (cheap, often useful before PCA or k-means)."""
from __future__ import annotations

from sklearn.preprocessing import Normalizer, StandardScaler

from kit.reduce.base import Reducer


class Standardize(Reducer):
    """Zero mean, unit variance per feature (sklearn StandardScaler): stops large-scale features dominating."""

    name = "standardize"

    def __init__(self, with_mean: bool = True, with_std: bool = True) -> None:
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X, y=None):
        self.scaler_ = StandardScaler(with_mean=self.with_mean, with_std=self.with_std).fit(self._validate_X(X))
        return self

    def transform(self, X):
        return self.scaler_.transform(self._validate_X(X))


class L2Normalize(Reducer):
    """Each row scaled to unit L2 norm (sklearn Normalizer): Euclidean distance then ranks like cosine similarity."""

    name = "l2norm"

    def fit(self, X, y=None):
        self._validate_X(X)
        self.normalizer_ = Normalizer(norm="l2")
        return self

    def transform(self, X):
        return self.normalizer_.transform(self._validate_X(X))
