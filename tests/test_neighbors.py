"""kit.neighbors.knn against scikit-learn's exact search."""
import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from kit.errors import ConfigError
from kit.neighbors import knn


@pytest.fixture
def X():
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(20, 16)) * 4
    return (centers[rng.integers(0, 20, 3000)] + rng.normal(size=(3000, 16))).astype(np.float32)


@pytest.mark.parametrize("metric", ["l2", "cosine"])
def test_exact_equals_sklearn(X, metric):
    idx, _ = knn(X, 10, metric=metric)
    ref = NearestNeighbors(n_neighbors=11, metric="euclidean" if metric == "l2" else "cosine").fit(X)
    expect = ref.kneighbors(X, return_distance=False)[:, 1:]
    assert (np.sort(idx, 1) == np.sort(expect, 1)).mean() > 0.999
    assert not (idx == np.arange(len(X))[:, None]).any()  # never the row itself


def test_duplicates_never_return_self(X):
    X = np.r_[X, X[:5]]
    idx, _ = knn(X, 3, metric="l2")
    assert not (idx == np.arange(len(X))[:, None]).any()
    assert idx[0, 0] == 3000 and idx[3000, 0] == 0


def test_ivf_recalls_most_true_neighbours(X):
    exact, _ = knn(X, 10, metric="l2", exact=True)
    approx, _ = knn(X, 10, metric="l2", exact=False)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, approx)])
    assert recall > 0.9


def test_bad_k(X):
    with pytest.raises(ConfigError, match="needs more than"):
        knn(X[:5], 5)
    with pytest.raises(ConfigError, match="positive integer"):
        knn(X, 0)
