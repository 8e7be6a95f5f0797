"""SCAN on fixed features and the label-using methods (label spreading, linear probe)."""
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from kit.cluster import cluster, create_clusterer, fit_clusterer
from kit.errors import ConfigError
from kit.metrics import cluster_accuracy


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    return PCA(32, random_state=0).fit_transform(d.data / 16.0).astype(np.float32), d.target


def _partial(y, per_class, seed=0, skip=()):
    rng = np.random.default_rng(seed)
    part = np.full(len(y), -1)
    for c in np.unique(y):
        if c in skip:
            continue
        rows = rng.choice(np.flatnonzero(y == c), per_class, replace=False)
        part[rows] = c
    return part


def test_scan_on_features_finds_the_classes_and_is_seeded(digits):
    X, y = digits
    spec = {"method": "scan", "n_clusters": 10, "epochs": 40, "self_label_epochs": 2, "k": 10}
    labels = cluster(X, spec, seed=0)
    assert cluster_accuracy(y, labels) > 0.7  # chance (Hungarian-matched) is about 0.12
    np.testing.assert_array_equal(labels, cluster(X, spec, seed=0))
    est = fit_clusterer(X, spec, seed=0)
    assert est.probabilities_.shape == (len(X), 10) and not est.labels_are_classes_
    np.testing.assert_allclose(est.probabilities_.sum(1), 1, rtol=1e-5)
    np.testing.assert_array_equal(est.predict(X), labels)


def test_scan_with_labels_outputs_classes(digits):
    """With labels the head's outputs are the classes themselves: plain accuracy, no matching. Without the labeled
    term the outputs would be an arbitrary permutation (plain accuracy near 0.1)."""
    X, y = digits
    part = _partial(y, 5)
    est = fit_clusterer(X, {"method": "scan", "n_clusters": 10, "epochs": 20, "k": 10},
                        seed=0, y=part)
    assert est.labels_are_classes_
    unlabeled = part < 0
    assert (est.labels_[unlabeled] == y[unlabeled]).mean() > 0.85


def test_label_spreading_and_logreg_use_the_labels(digits):
    X, y = digits
    part = _partial(y, 5, skip=(3,))  # class 3 has no labeled image: its column exists and stays empty
    for method in ("label_spreading", "logreg"):
        est = fit_clusterer(X, {"method": method, "n_clusters": 10}, seed=0, y=part)
        assert est.labels_are_classes_ and est.probabilities_.shape == (len(X), 10)
        assert (est.probabilities_[:, 3] == 0).all() and not (est.labels_ == 3).any()
        keep = (part < 0) & (y != 3)
        assert (est.labels_[keep] == y[keep]).mean() > 0.85
        if method == "logreg":  # label spreading's labels are transductive; its predict() is the inductive rule
            np.testing.assert_array_equal(est.predict(X), est.labels_)


def test_label_methods_without_labels_fail_in_one_line(digits):
    X, _ = digits
    for method in ("label_spreading", "logreg"):
        with pytest.raises(ConfigError, match=f"cluster.{method} learns from labeled images"):
            fit_clusterer(X, {"method": method}, seed=0)
    with pytest.raises(ConfigError, match=r"cluster\.scan\.k must be smaller"):
        create_clusterer({"method": "scan", "k": 50}).fit(X[:20])


def test_logreg_self_training_adds_confident_rows_and_matches_sklearn(digits):
    """The self-training rounds are sklearn's SelfTrainingClassifier around the same probe: same predictions as the
    direct call, and rows beyond the labeled ones end up labeled (a probe alone never labels them)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.semi_supervised import SelfTrainingClassifier

    X, y = digits
    part = _partial(y, 5)
    spec = {"method": "logreg", "n_clusters": 10, "C": 10.0, "self_training_threshold": 0.6, "self_training_rounds": 2}
    est = fit_clusterer(X, spec, seed=0, y=part)
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    ref = SelfTrainingClassifier(LogisticRegression(C=10.0, max_iter=1000, random_state=0), threshold=0.6,
                                 max_iter=2).fit(Xn, part)
    np.testing.assert_array_equal(est.labels_, ref.predict(Xn))
    assert (est.model_.labeled_iter_ > 0).sum() > 0
    with pytest.raises(ConfigError, match="self_training_threshold must be in"):
        fit_clusterer(X, dict(spec, self_training_threshold=1.5), seed=0, y=part)


def test_logreg_balanced_self_training_fills_per_class_quotas_and_helps(digits):
    """pseudo_label_share: the last round's pseudo-labels are split among the classes as the labeled images are
    (class 0 has twice the labels here, so twice the quota), never relabel a labeled image, and the probe refitted
    on them beats the probe on the labels alone."""
    X, y = digits
    part = _partial(y, 3)
    extra = np.flatnonzero((y == 0) & (part < 0))[:3]
    part[extra] = 0  # class 0: 6 labels, every other class 3 (33 in all)
    plain = fit_clusterer(X, {"method": "logreg", "n_clusters": 10, "C": 10.0}, seed=0, y=part)
    spec = {"method": "logreg", "n_clusters": 10, "C": 10.0, "pseudo_label_share": 0.5, "self_training_rounds": 3}
    est = fit_clusterer(X, spec, seed=0, y=part)
    counts = np.bincount(est.pseudo_labels_, minlength=10)
    total = 0.5 * len(X)
    expected = np.array([int(total * (6 if c == 0 else 3) / 33) for c in range(10)])
    assert (counts <= expected).all() and (counts == expected).sum() >= 8, (counts, expected)
    assert not np.isin(est.pseudo_rows_, np.flatnonzero(part >= 0)).any()
    assert len(np.unique(est.pseudo_rows_)) == len(est.pseudo_rows_)
    unlabeled = part < 0
    acc = lambda e: (e.labels_[unlabeled] == y[unlabeled]).mean()  # noqa: E731
    assert acc(est) > acc(plain) + 0.02, (acc(est), acc(plain))
    np.testing.assert_array_equal(est.labels_, fit_clusterer(X, spec, seed=0, y=part).labels_)
    with pytest.raises(ConfigError, match="give one"):
        fit_clusterer(X, dict(spec, self_training_threshold=0.9), seed=0, y=part)
    with pytest.raises(ConfigError, match="pseudo_label_share must be in"):
        fit_clusterer(X, dict(spec, pseudo_label_share=0.0), seed=0, y=part)
