"""SCANClusterer's entropy_prior, and kit.metrics.per_class_recall (used to measure imbalanced classes)."""
import numpy as np
import pytest
import torch
from sklearn.metrics import recall_score

from kit.cluster.scan import PRIOR_FLOOR, SCANClusterer, ranked_priors, size_profile
from kit.errors import ConfigError
from kit.metrics import cluster_accuracy, hungarian_mapping, per_class_recall


@pytest.fixture(scope="module")
def imbalanced():
    """Ten well separated blobs, sizes 100 down to 10."""
    rng = np.random.default_rng(0)
    sizes = np.floor(100 * 10.0 ** (-np.arange(10) / 9)).astype(int)
    centers = rng.normal(size=(10, 16)) * 6
    X = np.concatenate([c + rng.normal(size=(s, 16)) for c, s in zip(centers, sizes)]).astype(np.float32)
    return X, np.repeat(np.arange(10), sizes)


def test_uniform_prior_is_the_current_clusterer(imbalanced):
    X, _ = imbalanced
    a = SCANClusterer(10, epochs=4, n_heads=2, random_state=3).fit(X)
    b = SCANClusterer(10, epochs=4, n_heads=2, random_state=3, entropy_prior="uniform").fit(X)
    assert np.array_equal(a.probabilities_, b.probabilities_) and a.priors_ is None and a.prior_profile_ is None


def test_estimated_prior_follows_the_data_and_is_seeded(imbalanced):
    X, y = imbalanced
    fit = lambda: SCANClusterer(10, epochs=30, n_heads=2, random_state=0, entropy_prior="estimated").fit(X)
    m = fit()
    profile = m.prior_profile_.numpy()
    assert profile.sum() == pytest.approx(1, abs=1e-6) and (np.diff(profile) <= 1e-7).all()
    assert profile.min() >= PRIOR_FLOOR / 10 / 1.01 and profile[0] > 3 * profile[-1]  # not uniform: the sizes fall
    assert m.priors_.shape == (2, 10) and np.allclose(np.sort(m.priors_, 1)[:, ::-1], profile)
    assert np.array_equal(fit().labels_, m.labels_)
    assert cluster_accuracy(y, m.labels_) > 0.9


def testsize_profile_is_the_sorted_clipped_kmeans_share():
    X = np.concatenate([np.zeros((90, 2)), np.ones((9, 2)) * 50, np.full((1, 2), -50.0)]).astype(np.float32)
    X += np.random.default_rng(0).normal(size=X.shape).astype(np.float32) * 0.01
    p = size_profile(X, 3, 0).numpy()
    raw = np.maximum([0.90, 0.09, 0.01], PRIOR_FLOOR / 3)
    assert np.allclose(p, raw / raw.sum(), atol=1e-6)


def testranked_priors_give_the_largest_share_to_the_largest_cluster():
    from kit.refine.heads import ClusterHeads

    torch.manual_seed(0)
    heads = ClusterHeads(4, 3, 2, 0)
    Z = torch.randn(50, 4)
    profile = torch.tensor([0.6, 0.3, 0.1])
    for head, prior in zip(heads.heads, ranked_priors(heads, Z, profile)):
        head.eval()
        mean = torch.softmax(head(Z), 1).mean(0)
        assert torch.equal(prior[torch.argsort(mean, descending=True)], profile)
    assert heads.training  # back in training mode


@pytest.mark.parametrize("bad", ["kl", "Uniform", None])
def test_bad_entropy_prior_is_a_config_error(imbalanced, bad):
    with pytest.raises(ConfigError, match="entropy_prior"):
        SCANClusterer(10, entropy_prior=bad).fit(imbalanced[0])


def test_per_class_recall_matches_sklearn_on_matched_labels():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 5, 300)
    pred = np.where(rng.random(300) < 0.7, (y * 3 + 1) % 7, rng.integers(0, 7, 300))  # 7 clusters, 5 classes
    pred[:5] = 6  # a cluster left unmatched
    rec = per_class_recall(y, pred)
    mapping = hungarian_mapping(y, pred)
    matched = np.array([mapping.get(p, -1) for p in pred])
    expect = recall_score(y, matched, labels=np.arange(5), average=None, zero_division=0)
    assert list(rec) == [0, 1, 2, 3, 4] and np.allclose(list(rec.values()), expect)
    direct = [np.mean(matched[y == c] == c) for c in range(5)]
    assert np.allclose(list(rec.values()), direct)


def test_per_class_recall_with_fewer_clusters_than_classes():
    y = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    pred = np.array([5, 5, 7, 7, 7, 7, 7, 7, 7])  # two clusters: the matched ones are 5->0, 7->2; class 1 gets none
    assert per_class_recall(y, pred) == {0: pytest.approx(2 / 3), 1: 0.0, 2: 1.0}
    assert np.mean(list(per_class_recall(y, y).values())) == 1.0
