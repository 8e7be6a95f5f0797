"""Classifiers that learn from the labeled rows and label the rest: what a few labels buy on good features.

``fit(X, y)`` takes y with -1 for unlabeled rows (sklearn's semi-supervised convention); ``labels_`` are class
indices (``labels_are_classes_``), not cluster ids to be mapped. Without labeled rows they fail with one line.

- ``label_spreading``: labels diffuse over the kNN graph of the L2-normalised rows (sklearn LabelSpreading), so
  the unlabeled images' structure is used, not only the labeled ones'.
- ``logreg``: a linear probe (sklearn LogisticRegression) on the labeled rows alone; with
  ``self_training_threshold`` set, sklearn's SelfTrainingClassifier adds the unlabeled rows it predicts with at
  least that probability as labels and refits, ``self_training_rounds`` times. (``cluster.smooth_k`` then lets
  neighbours the probe disagrees on vote together: kit.cluster.smoothing, for every method.)
"""
from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier

from kit.cluster.base import Clusterer
from kit.errors import ConfigError, DataError
from kit.registry import require


def _normalise(X: np.ndarray) -> np.ndarray:
    return X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)


class _SemiSupervised(Clusterer):
    labels_are_classes_ = True
    learns_from_labels = True

    def _labels(self, y, n: int) -> np.ndarray:
        if y is None or not (np.asarray(y) >= 0).any():
            raise ConfigError(f"cluster.{self.name} learns from labeled images, but the competition has none "
                              "(no labeled.csv); use an unsupervised method such as kmeans or scan")
        y = np.asarray(y, dtype=np.int64).ravel()
        if len(y) != n:
            raise DataError(f"cluster.{self.name}: {len(y)} labels for {n} rows")
        return y

    def _finish(self, proba: np.ndarray, classes: np.ndarray):
        full = np.zeros((len(proba), max(int(classes.max()) + 1, getattr(self, "n_clusters", 0) or 0)), np.float32)
        full[:, classes] = proba
        self.probabilities_ = full
        self.labels_ = full.argmax(1).astype(np.int64)
        return self

    def predict_proba(self, X) -> np.ndarray:
        proba = self.model_.predict_proba(self._prepare(self._new_data(X)))
        full = np.zeros((len(proba), self.probabilities_.shape[1]), np.float32)
        full[:, self.model_.classes_] = proba
        return full

    def predict(self, X) -> np.ndarray:
        return self.predict_proba(X).argmax(1).astype(np.int64)

    def _prepare(self, X: np.ndarray) -> np.ndarray:
        return _normalise(X)


class LabelSpreadingClusterer(_SemiSupervised):
    name = "label_spreading"

    def __init__(self, n_clusters: int | None = None, n_neighbors: int = 10, alpha: float = 0.2,
                 max_iter: int = 100) -> None:
        self.n_clusters = n_clusters
        self.n_neighbors = n_neighbors
        self.alpha = alpha
        self.max_iter = max_iter

    def _check_params(self) -> None:
        require(self.n_neighbors >= 1, "cluster.label_spreading.n_neighbors", f"must be >= 1, got {self.n_neighbors}")
        require(0 < self.alpha < 1, "cluster.label_spreading.alpha", f"must be in (0, 1), got {self.alpha}")
        require(self.max_iter >= 1, "cluster.label_spreading.max_iter", f"must be >= 1, got {self.max_iter}")

    def fit(self, X, y=None):
        self._check_params()
        X = self._data(X)
        y = self._labels(y, len(X))
        require(self.n_neighbors < len(X), "cluster.label_spreading.n_neighbors",
                f"must be smaller than the number of rows ({len(X)})")
        self.n_features_ = X.shape[1]
        self.model_ = LabelSpreading(kernel="knn", n_neighbors=self.n_neighbors, alpha=self.alpha,
                                     max_iter=self.max_iter).fit(self._prepare(X), y)
        return self._finish(self.model_.label_distributions_, self.model_.classes_)


class LogRegClusterer(_SemiSupervised):
    name = "logreg"

    def __init__(self, n_clusters: int | None = None, C: float = 1.0, max_iter: int = 1000,
                 self_training_threshold: float | None = None, self_training_rounds: int = 3,
                 random_state: int = 0) -> None:
        self.n_clusters = n_clusters
        self.C = C
        self.max_iter = max_iter
        self.self_training_threshold = self_training_threshold
        self.self_training_rounds = self_training_rounds
        self.random_state = random_state

    def _check_params(self) -> None:
        require(self.C > 0, "cluster.logreg.C", f"must be > 0, got {self.C}")
        require(self.max_iter >= 1, "cluster.logreg.max_iter", f"must be >= 1, got {self.max_iter}")
        t = self.self_training_threshold
        require(t is None or 0 < t < 1, "cluster.logreg.self_training_threshold", f"must be in (0, 1), got {t}")
        require(self.self_training_rounds >= 1, "cluster.logreg.self_training_rounds",
                f"must be >= 1, got {self.self_training_rounds}")

    def fit(self, X, y=None):
        self._check_params()
        X = self._data(X)
        y = self._labels(y, len(X))
        rows = np.flatnonzero(y >= 0)
        if len(np.unique(y[rows])) < 2:
            raise DataError("cluster.logreg: the labeled images hold one class only; a probe needs two or more")
        self.n_features_ = X.shape[1]
        probe = LogisticRegression(C=self.C, max_iter=self.max_iter, random_state=self.random_state)
        if self.self_training_threshold is None:
            self.model_ = probe.fit(self._prepare(X[rows]), y[rows])
        else:
            self.model_ = SelfTrainingClassifier(probe, threshold=self.self_training_threshold,
                                                 max_iter=self.self_training_rounds).fit(self._prepare(X), y)
        proba = self.model_.predict_proba(self._prepare(X))
        return self._finish(proba, self.model_.classes_)

