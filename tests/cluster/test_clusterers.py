"""Every clusterer on PCA features of digits, the registry's errors, and the subsample + kNN path."""
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from kit.cluster import CLUSTERERS, cluster, create_clusterer
from kit.errors import ConfigError, DataError
from kit.metrics import cluster_accuracy


@pytest.fixture(scope="module")
def digits_pca():
    d = load_digits()
    return PCA(20, random_state=0).fit_transform(d.data), d.target


SPECS = [
    {"method": "kmeans"},
    {"method": "ekmeans", "n_init": 2},
    {"method": "gmm"},
    {"method": "spectral"},
    {"method": "spectral", "max_fit": 700},
    {"method": "agglomerative"},
    {"method": "agglomerative", "max_fit": 700},
    {"method": "ensemble", "combine": "vote", "members": [{"method": "kmeans", "n_init": 1}] * 3},
    {"method": "ensemble", "combine": "consensus", "members": [{"method": "kmeans"}, {"method": "gmm"}]},
]


@pytest.mark.parametrize("spec", SPECS, ids=[f"{s['method']}-{i}" for i, s in enumerate(SPECS)])
def test_well_above_chance_on_digits(digits_pca, spec):
    X, y = digits_pca
    labels = cluster(X, {"n_clusters": 10, **spec}, seed=0)
    assert labels.shape == (len(X),) and labels.dtype == np.int64
    assert len(np.unique(labels)) >= 8
    assert cluster_accuracy(y, labels) > 0.6  # chance (Hungarian-matched random labels) is about 0.12
    np.testing.assert_array_equal(labels, cluster(X, {"n_clusters": 10, **spec}, seed=0))


@pytest.mark.parametrize("method", ["spectral", "agglomerative"])
def test_subsample_keeps_fit_labels_and_predicts_rest(digits_pca, method):
    X, _ = digits_pca
    est = create_clusterer({"method": method, "n_clusters": 10, "max_fit": 500}).fit(X)
    assert len(est.fit_index_) == 500
    pred = est.predict(X)
    outside = np.setdiff1d(np.arange(len(X)), est.fit_index_)
    np.testing.assert_array_equal(pred[outside], est.labels_[outside])


def test_registry_errors():
    assert set(CLUSTERERS.names) == {"kmeans", "ekmeans", "gmm", "spectral", "agglomerative", "ensemble", "argmax"}
    with pytest.raises(ConfigError, match=r"unknown method 'kmean'.*did you mean 'kmeans'"):
        create_clusterer({"method": "kmean"})
    with pytest.raises(ConfigError, match=r"cluster\.gmm: unknown key 'n_component'.*n_clusters"):
        create_clusterer({"method": "gmm", "n_component": 3})
    with pytest.raises(ConfigError, match=r"cluster\.kmeans\.n_clusters must be >= 1"):
        create_clusterer({"method": "kmeans", "n_clusters": 0})
    with pytest.raises(ConfigError, match=r"covariance_type must be one of"):
        create_clusterer({"method": "gmm", "covariance_type": "round"})
    with pytest.raises(ConfigError, match=r"n_init must be int"):
        create_clusterer({"method": "kmeans", "n_init": "auto"})


def test_too_few_points_is_a_data_error():
    with pytest.raises(DataError, match="3 points for 5 clusters"):
        cluster(np.zeros((3, 2)), {"method": "kmeans", "n_clusters": 5})
