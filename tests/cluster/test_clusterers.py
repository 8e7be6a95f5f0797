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
    assert set(CLUSTERERS.names) == {"kmeans", "ekmeans", "gmm", "spectral", "agglomerative", "ensemble", "argmax",
                                     "scan", "label_spreading", "logreg"}
    with pytest.raises(ConfigError, match=r"cluster\.kmeans\.backend must be one of sklearn, faiss"):
        create_clusterer({"method": "kmeans", "backend": "cuml"})
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


FIT_SPECS = [
    {"method": "kmeans"}, {"method": "kmeans", "backend": "faiss"}, {"method": "ekmeans"}, {"method": "gmm"},
    {"method": "spectral"}, {"method": "agglomerative"},
    {"method": "ensemble", "members": [{"method": "kmeans"}]},
]
IDS = [f"{s['method']}-{i}" for i, s in enumerate(FIT_SPECS)]


@pytest.mark.parametrize("spec", FIT_SPECS, ids=IDS)
@pytest.mark.parametrize("shape", [(12,), (4, 3, 2), (0, 3), (5, 0)])
def test_not_a_2d_array_is_a_one_line_data_error(spec, shape):
    with pytest.raises(DataError, match=rf"cluster\.{spec['method']}: input must be a non-empty \(N, D\) array") as e:
        cluster(np.ones(shape), {"n_clusters": 2, **spec})
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("spec", FIT_SPECS, ids=IDS)
def test_fewer_rows_than_clusters_is_a_data_error_and_predict_takes_any_batch(spec):
    X = np.random.default_rng(0).normal(size=(40, 3))
    with pytest.raises(DataError, match=rf"cluster\.{spec['method']}: 3 points for 4 clusters"):
        cluster(X[:3], {"n_clusters": 4, **spec})
    est = create_clusterer({"n_clusters": 4, **spec}).fit(X)
    np.testing.assert_array_equal(est.predict(X[:2]), est.predict(X)[:2])  # a batch smaller than n_clusters
    with pytest.raises(DataError, match="predict got 2 features, fit had 3"):
        est.predict(X[:, :2])


def test_spectral_needs_more_points_than_clusters():
    X = np.random.default_rng(0).normal(size=(10, 3))
    with pytest.raises(ConfigError, match=r"cluster\.spectral\.n_clusters=10 must be less than the number of points \(10\)"):
        cluster(X, {"method": "spectral", "n_clusters": 10})
    assert len(np.unique(cluster(X, {"method": "spectral", "n_clusters": 9}))) == 9


def test_argmax_predict_checks_width():
    est = create_clusterer({"method": "argmax"}).fit(np.eye(3))
    np.testing.assert_array_equal(est.predict([[0.0, 0.0, 1.0]]), [2])
    with pytest.raises(DataError, match=r"predict needs \(N, 3\) logits"):
        est.predict(np.zeros((2, 4)))


def test_faiss_backend_agrees_with_sklearn_on_separated_blobs():
    from sklearn.datasets import make_blobs
    from sklearn.metrics import adjusted_rand_score

    X, y = make_blobs(3000, centers=8, n_features=16, cluster_std=1.0, random_state=0)
    sk = create_clusterer({"method": "kmeans", "n_clusters": 8}).fit(X)
    fa = create_clusterer({"method": "kmeans", "n_clusters": 8, "backend": "faiss", "max_iter": 50}).fit(X)
    assert adjusted_rand_score(sk.labels_, fa.labels_) > 0.99
    assert adjusted_rand_score(y, fa.labels_) > 0.99
    assert fa.inertia_ == pytest.approx(sk.inertia_, rel=1e-3)
    np.testing.assert_array_equal(fa.predict(X), fa.labels_)
    # each faiss centroid is the mean of its points (a Lloyd fixed point), within float32 rounding
    means = np.stack([X[fa.labels_ == k].mean(0) for k in range(8)])
    np.testing.assert_allclose(fa.cluster_centers_, means, atol=1e-3)


@pytest.mark.parametrize("spec", FIT_SPECS, ids=IDS)
def test_features_too_large_for_float32_are_refused_before_fitting(spec):
    """|x| above 1e15 makes squared distances overflow float32 (faiss, t-SNE) and GMM's covariances singular."""
    X = np.random.default_rng(0).normal(size=(40, 3))
    match = rf"cluster\.{spec['method']}: input holds \|x\| up to .*e\+30, above 1e\+15"
    with pytest.raises(DataError, match=match) as e:
        cluster(X * 1e30, {"n_clusters": 3, **spec})
    assert "\n" not in str(e.value)
    at_limit = X / np.abs(X).max() * 1e14
    at_limit[0, 0] = 1e15  # the limit itself is accepted
    assert len(cluster(at_limit, {"n_clusters": 3, **spec})) == 40


def test_gmm_singular_covariance_is_a_one_line_data_error():
    """Collapsed points at a large scale defeat the absolute reg_covar: sklearn's ValueError becomes a kit error
    that says what to change, and the standardized data then clusters."""
    X = np.repeat(np.random.default_rng(0).normal(size=(4, 5)), 10, axis=0)
    with pytest.raises(DataError, match=r"cluster\.gmm: a component's covariance is singular.*reg_covar") as e:
        cluster(X * 1e10, {"method": "gmm", "n_clusters": 3})
    assert "\n" not in str(e.value)
    assert len(np.unique(cluster(X, {"method": "gmm", "n_clusters": 3}))) == 3
