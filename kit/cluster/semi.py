"""Classifiers that learn from the labeled rows and label the rest: what a few labels buy on good features.

``fit(X, y)`` takes y with -1 for unlabeled rows (sklearn's semi-supervised convention); ``labels_`` are class
indices (``labels_are_classes_``), not cluster ids to be mapped. Without labeled rows they fail with one line.

- ``label_spreading``: labels diffuse over the kNN graph of the L2-normalised rows (sklearn LabelSpreading), so
  the unlabeled images' structure is used, not only the labeled ones'.
- ``logreg``: a linear probe (sklearn LogisticRegression) on the labeled rows alone; with
  ``self_training_threshold`` set, sklearn's SelfTrainingClassifier adds the unlabeled rows it predicts with at
  least that probability as labels and refits, ``self_training_rounds`` times. With ``pseudo_label_share``
  instead, self-training is class-balanced and gradual: in round r of R, r/R * share of all images join as labels,
  split among the classes as the labeled images are (equal quotas when each class has as many labels), each class
  taking the images the probe is surest of after a vote of each image's 10 nearest neighbours. A threshold lets
  the easy classes take most pseudo-labels; a quota cannot (on CIFAR-10 a quota by the probe's own predicted
  sizes let one class take twice its share: see the bench). (``cluster.smooth_k`` then lets neighbours the
  probe disagrees on vote together: kit.cluster.smoothing, for every method.)
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
                 pseudo_label_share: float | None = None, random_state: int = 0) -> None:
        self.n_clusters = n_clusters
        self.C = C
        self.max_iter = max_iter
        self.self_training_threshold = self_training_threshold
        self.self_training_rounds = self_training_rounds
        self.pseudo_label_share = pseudo_label_share
        self.random_state = random_state

    def _check_params(self) -> None:
        require(self.C > 0, "cluster.logreg.C", f"must be > 0, got {self.C}")
        require(self.max_iter >= 1, "cluster.logreg.max_iter", f"must be >= 1, got {self.max_iter}")
        t = self.self_training_threshold
        require(t is None or 0 < t < 1, "cluster.logreg.self_training_threshold", f"must be in (0, 1), got {t}")
        require(self.self_training_rounds >= 1, "cluster.logreg.self_training_rounds",
                f"must be >= 1, got {self.self_training_rounds}")
        s = self.pseudo_label_share
        require(s is None or 0 < s <= 1, "cluster.logreg.pseudo_label_share", f"must be in (0, 1], got {s}")
        require(s is None or t is None, "cluster.logreg.pseudo_label_share",
                "and self_training_threshold are two ways of self-training; give one")

    def fit(self, X, y=None):
        self._check_params()
        X = self._data(X)
        y = self._labels(y, len(X))
        rows = np.flatnonzero(y >= 0)
        if len(np.unique(y[rows])) < 2:
            raise DataError("cluster.logreg: the labeled images hold one class only; a probe needs two or more")
        self.n_features_ = X.shape[1]
        probe = LogisticRegression(C=self.C, max_iter=self.max_iter, random_state=self.random_state)
        Xp = self._prepare(X)
        if self.pseudo_label_share is not None:
            self.model_, self.pseudo_rows_, self.pseudo_labels_ = self._balanced_self_training(probe, Xp, y, rows)
        elif self.self_training_threshold is None:
            self.model_ = probe.fit(Xp[rows], y[rows])
        else:
            self.model_ = SelfTrainingClassifier(probe, threshold=self.self_training_threshold,
                                                 max_iter=self.self_training_rounds).fit(Xp, y)
        proba = self.model_.predict_proba(Xp)
        return self._finish(proba, self.model_.classes_)

    def _balanced_self_training(self, probe, X: np.ndarray, y: np.ndarray, rows: np.ndarray):
        """(fitted probe, rows and labels of the last round's pseudo-labels): per-class quotas growing each round."""
        from sklearn.base import clone

        from kit.cluster.smoothing import feature_neighbours, smooth_probabilities

        model = clone(probe).fit(X[rows], y[rows])
        picked = guessed = np.empty(0, np.int64)
        if len(X) <= VOTE_K:
            return model, picked, guessed
        neighbours = feature_neighbours(X, VOTE_K, seed=self.random_state)
        classes = model.classes_
        weight = np.array([(y[rows] == c).sum() for c in classes]) / len(rows)  # the labeled images' class shares
        unlabeled = np.ones(len(X), bool)
        unlabeled[rows] = False
        for r in range(1, self.self_training_rounds + 1):
            Q = smooth_probabilities(model.predict_proba(X), neighbours, VOTE_ALPHA)
            guess, sure = Q.argmax(1), Q.max(1)
            total = r / self.self_training_rounds * self.pseudo_label_share * len(X)
            picked = np.concatenate([_most_sure(np.flatnonzero(unlabeled & (guess == c)), sure, int(total * weight[c]))
                                     for c in range(len(classes))]).astype(np.int64)
            guessed = classes[guess[picked]]
            model = clone(probe).fit(X[np.concatenate([rows, picked])], np.concatenate([y[rows], guessed]))
        return model, picked, guessed


VOTE_K, VOTE_ALPHA = 10, 0.6  # the vote that ranks pseudo-labels (the smoothing the default configs use)


def _most_sure(candidates: np.ndarray, sure: np.ndarray, quota: int) -> np.ndarray:
    """The ``quota`` candidates with the highest confidence (ties broken by row order, stable)."""
    return candidates[np.argsort(-sure[candidates], kind="stable")[:quota]]
