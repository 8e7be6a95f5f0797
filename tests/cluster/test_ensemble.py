"""Voting and co-association consensus ensembles."""
import tracemalloc

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from kit.cluster import cluster, create_clusterer
from kit.cluster.ensemble import align, consensus, membership_matrix, pick_reference, vote
from kit.errors import ConfigError
from kit.metrics import cluster_accuracy


def permuted_copies(labels, n, seed=0):
    rng = np.random.default_rng(seed)
    k = labels.max() + 1
    return [rng.permutation(k)[labels] for _ in range(n)]


@pytest.fixture
def base():
    return np.random.default_rng(1).integers(0, 5, size=400)


def test_align_undoes_a_permutation(base):
    perm = np.array([3, 0, 4, 1, 2])
    np.testing.assert_array_equal(align(perm[base], base), base)


@pytest.mark.parametrize("reference", ["first", "best"])
def test_vote_of_identical_partitions_is_that_partition(base, reference):
    out = vote(permuted_copies(base, 4), reference=reference)
    assert cluster_accuracy(base, out) == 1.0


def test_consensus_of_identical_partitions_is_that_partition(base):
    out = consensus(permuted_copies(base, 4), n_clusters=5)
    assert cluster_accuracy(base, out) == 1.0
    out = consensus(permuted_copies(base, 4), n_clusters=5, svd_components=8)
    assert cluster_accuracy(base, out) == 1.0


def test_vote_majority_beats_one_corrupted_member(base):
    noisy = base.copy()
    noisy[:100] = (noisy[:100] + 1) % 5
    members = [noisy] + permuted_copies(base, 2)
    assert cluster_accuracy(base, vote(members, reference="first")) == 1.0
    assert pick_reference(members, "best") in (1, 2)


def test_membership_matrix_gives_co_association():
    a, b = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])
    H = membership_matrix([a, b])
    co = (H @ H.T).toarray() / 2
    expected = ((a[:, None] == a[None]).astype(int) + (b[:, None] == b[None]).astype(int)) / 2
    np.testing.assert_allclose(co, expected)


def test_consensus_on_70k_points_without_n_by_n():
    n = 70_000
    truth = np.random.default_rng(0).integers(0, 10, size=n)
    members = permuted_copies(truth, 3)
    rng = np.random.default_rng(1)
    for m in members:  # 5 % disagreement per member
        flip = rng.random(n) < 0.05
        m[flip] = rng.integers(0, 10, flip.sum())
    tracemalloc.start()  # numpy/scipy buffers are traced, so an N x N array would show here
    out = consensus(members, n_clusters=10, n_init=3)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 300e6  # a dense N x N float matrix would need 39 GB (even bool: 4.9 GB)
    assert cluster_accuracy(truth, out) > 0.95


@pytest.mark.parametrize("combine", ["vote", "consensus"])
def test_ensemble_spec_on_blobs(combine):
    X, y = make_blobs(600, centers=4, n_features=5, random_state=0)
    spec = {"method": "ensemble", "combine": combine, "n_clusters": 4,
            "members": [{"method": "kmeans", "n_init": 1}, {"method": "kmeans", "n_init": 1}, {"method": "gmm"},
                        {"method": "ekmeans"}]}
    est = create_clusterer(spec, seed=0)
    labels = est.fit_predict(X)
    assert len(est.member_labels_) == 4
    assert cluster_accuracy(y, labels) > 0.95
    # predict (nearest combined-cluster mean) must give the training points their fitted labels, in the same ids;
    # also on a batch smaller than n_clusters
    np.testing.assert_array_equal(est.predict(X), est.labels_)
    np.testing.assert_array_equal(est.predict(X[:2]), est.labels_[:2])


def test_ensemble_members_get_distinct_seeds():
    est = create_clusterer({"method": "ensemble", "members": [{"method": "kmeans"}, {"method": "kmeans", "seed": 9}]},
                           seed=3)
    assert [m.random_state for m in est._member_estimators()] == [3, 9]


@pytest.mark.parametrize("spec,match", [
    ({"method": "ensemble", "combine": "average", "members": [{"method": "kmeans"}]}, "combine must be one of"),
    ({"method": "ensemble", "members": []}, "members must be a non-empty list"),
    ({"method": "ensemble", "members": [{"method": "kmeans", "k": 3}]}, r"members\[0\].*unknown key 'k'"),
])
def test_bad_ensemble_specs(spec, match):
    with pytest.raises(ConfigError, match=match):
        cluster(np.zeros((10, 2)), spec)
