"""Equilibrium K-Means against a literal per-point, per-cluster transcription of its update formulas."""
import math

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from kit.cluster import EquilibriumKMeans, create_clusterer
from kit.metrics import cluster_accuracy


def ekm_step_loops(X, centers, alpha):
    """One EKM centroid update written with plain loops, straight from the definitions."""
    N, K = len(X), len(centers)
    num = [[0.0] * X.shape[1] for _ in range(K)]
    den = [0.0] * K
    for n in range(N):
        d = [sum((X[n, j] - centers[k, j]) ** 2 for j in range(X.shape[1])) for k in range(K)]
        e = [math.exp(-alpha * d[k]) for k in range(K)]
        p = [e[k] / sum(e) for k in range(K)]
        J = sum(p[k] * d[k] for k in range(K))
        for k in range(K):
            w = p[k] * (1 - alpha * (d[k] - J))
            den[k] += w
            for j in range(X.shape[1]):
                num[k][j] += w * X[n, j]
    return np.array([[num[k][j] / den[k] for j in range(X.shape[1])] for k in range(K)])


@pytest.mark.parametrize("alpha", [0.05, 0.5, 3.0])
def test_matches_loop_implementation(alpha):
    X, _ = make_blobs(60, centers=3, n_features=2, random_state=1)
    init = X[[0, 10, 20]].copy()
    expected = init
    for _ in range(4):
        expected = ekm_step_loops(X, expected, alpha)
    model = EquilibriumKMeans(3, alpha=alpha, max_iter=4, tol=0.0, init=init).fit(X)
    assert model.n_iter_ == 4
    np.testing.assert_allclose(model.cluster_centers_, expected, rtol=1e-9, atol=1e-9)


def test_chunking_does_not_change_result(monkeypatch):
    import kit.cluster.ekmeans as ekm

    X, _ = make_blobs(500, centers=4, n_features=3, random_state=0)
    whole = EquilibriumKMeans(4, random_state=0).fit(X)
    monkeypatch.setattr(ekm, "CHUNK", 37)
    chunked = EquilibriumKMeans(4, random_state=0).fit(X)
    np.testing.assert_allclose(whole.cluster_centers_, chunked.cluster_centers_, rtol=1e-10)
    np.testing.assert_array_equal(whole.labels_, chunked.labels_)


@pytest.mark.parametrize("scale", [1e-6, 1.0, 1e6])
def test_finite_for_every_alpha_and_scale(scale):
    X, _ = make_blobs(300, centers=4, n_features=5, random_state=2)
    X = X * scale
    for alpha in np.logspace(-3, 3, 13):
        m = EquilibriumKMeans(4, alpha=float(alpha), max_iter=30, random_state=0).fit(X)
        assert np.isfinite(m.cluster_centers_).all(), (scale, alpha)
        assert np.isfinite(m.objective_) and np.isfinite(m.cluster_weights_).all()
        assert m.labels_.min() >= 0 and m.labels_.max() < 4


def test_default_alpha_recovers_separated_blobs():
    X, y = make_blobs(2000, centers=6, n_features=8, cluster_std=1.0, random_state=3)
    m = EquilibriumKMeans(6, n_init=3, random_state=0).fit(X)
    sq = ((X - X.mean(0)) ** 2).sum(1).mean()
    assert m.alpha_ == pytest.approx(2.0 / sq)
    assert cluster_accuracy(y, m.labels_) > 0.95
    np.testing.assert_array_equal(m.predict(X), m.labels_)


def test_large_alpha_is_lloyd_kmeans():
    """alpha -> inf makes p one-hot and every weight 1 on the nearest centroid: plain K-Means updates."""
    X, _ = make_blobs(200, centers=3, n_features=2, random_state=4)
    init = X[:3].copy()
    m = EquilibriumKMeans(3, alpha=1e6, max_iter=1, tol=0.0, init=init).fit(X)
    lab = ((X[:, None] - init[None]) ** 2).sum(-1).argmin(1)
    lloyd = np.stack([X[lab == k].mean(0) for k in range(3)])
    np.testing.assert_allclose(m.cluster_centers_, lloyd, rtol=1e-9)


def test_seeded_runs_repeat_and_spec_builds_it():
    X, _ = make_blobs(300, centers=3, random_state=5)
    a = create_clusterer({"method": "ekmeans", "n_clusters": 3, "n_init": 2}, seed=1).fit(X)
    b = create_clusterer({"method": "ekmeans", "n_clusters": 3, "n_init": 2}, seed=1).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert isinstance(a, EquilibriumKMeans) and a.fit(X) is a


@pytest.mark.parametrize("alpha", [0.05, 0.5, 3.0])
def test_matches_sklekmeans_library(alpha):
    """Same data, init, alpha and iteration count as the reference implementation of the EKM paper's authors."""
    from sklekmeans import EKMeans

    X, _ = make_blobs(300, centers=3, n_features=4, random_state=1)
    init = X[[0, 100, 200]].copy()
    ours = EquilibriumKMeans(3, alpha=alpha, max_iter=15, tol=0.0, init=init).fit(X)
    ref = EKMeans(3, alpha=alpha, max_iter=15, tol=1e-300, init=init).fit(X)  # its tol must be > 0
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)


def test_default_alpha_matches_sklekmeans_dvariance():
    from sklekmeans import EKMeans

    X, _ = make_blobs(200, centers=3, n_features=3, random_state=2)
    init = X[:3].copy()
    ours = EquilibriumKMeans(3, max_iter=10, tol=0.0, init=init).fit(X)
    ref = EKMeans(3, max_iter=10, tol=1e-300, init=init).fit(X)
    assert ours.alpha_ == pytest.approx(ref.alpha_, rel=1e-12)
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-10, atol=1e-10)


def test_negative_weight_sum_keeps_the_centroid():
    """A centroid between two big groups is repelled by both: its weights sum below zero and num / den would
    jump it off the data (here to about (0.09, 0.64)); the guard keeps it in place, other centroids update."""
    from kit.cluster.ekmeans import ekm_weights

    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 0.3, (100, 2)), rng.normal(0, 0.3, (100, 2)) + [4, 0], [[2.2, 0.0]]])
    init = np.array([[0.0, 0.0], [4.0, 0.0], [2.0, 0.0]])
    w, _ = ekm_weights(((X[:, None] - init[None]) ** 2).sum(-1), 2.0)
    den, num = w.sum(0), w.T @ X
    assert den[0] > 0 and den[1] > 0 and den[2] < 0  # the situation under test
    jump = num[2] / den[2]
    assert np.linalg.norm(jump - init[2]) > 1.0
    m = EquilibriumKMeans(3, alpha=2.0, max_iter=1, tol=0.0, init=init).fit(X)
    np.testing.assert_array_equal(m.cluster_centers_[2], init[2])
    np.testing.assert_allclose(m.cluster_centers_[:2], num[:2] / den[:2, None], rtol=1e-12)
    assert m.cluster_weights_[2] < 0


def test_beats_kmeans_on_imbalanced_clusters():
    """The EKM paper's claim: K-Means' uniform effect drags small clusters' centroids into a big neighbour
    (here it splits the 2000-point blob), EKM's repelling weights do not."""
    from sklearn.cluster import KMeans

    X, y = make_blobs([2000, 200, 50], centers=np.array([(0.0, 0.0), (5.0, 0.0), (0.0, 5.0)]),
                      cluster_std=[1.0, 0.5, 0.5], random_state=0)
    km = cluster_accuracy(y, KMeans(3, n_init=3, random_state=0).fit_predict(X))
    ekm = cluster_accuracy(y, EquilibriumKMeans(3, n_init=3, random_state=0).fit_predict(X))
    assert km < 0.8  # K-Means fails here...
    assert ekm > 0.95  # ...and EKM recovers the three groups


def test_alpha_scale_multiplies_the_default_alpha():
    X = np.random.default_rng(0).normal(size=(200, 3)) * 7
    base = EquilibriumKMeans(3, random_state=0).fit(X)
    expected = 2.0 / ((X - X.mean(0)) ** 2).sum(1).mean()
    for scale in (0.1, 10.0):
        m = EquilibriumKMeans(3, alpha_scale=scale, random_state=0).fit(X)
        assert m.alpha_ == pytest.approx(scale * expected)
        same = EquilibriumKMeans(3, alpha=scale * base.alpha_, random_state=0).fit(X)
        np.testing.assert_allclose(m.cluster_centers_, same.cluster_centers_)
    with pytest.raises(Exception, match="alpha_scale"):
        EquilibriumKMeans(3, alpha_scale=0).fit(X)
