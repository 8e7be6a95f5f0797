"""What each reducer must preserve, checked against sklearn or a direct numpy computation (not only shapes)."""
import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.manifold import trustworthiness
from sklearn.neighbors import KNeighborsClassifier

from kit.metrics import cluster_accuracy
from kit.reduce import create_reducer


@pytest.fixture(scope="module")
def scaled():
    """Correlated features on very different scales and offsets."""
    rng = np.random.default_rng(0)
    A = rng.normal(size=(8, 8))
    return (rng.normal(size=(400, 8)) @ A) * np.logspace(-3, 3, 8) + np.arange(8) * 100.0


def test_pca_equals_sklearn_pca_and_the_covariance_eigendecomposition(scaled):
    X = scaled
    r = create_reducer({"method": "pca", "n_components": 4}, seed=0)
    Z = r.fit_transform(X)
    np.testing.assert_allclose(Z, PCA(4, random_state=0).fit_transform(X), rtol=1e-7, atol=1e-9)
    # direct: the projections' variances are the covariance's top eigenvalues, in decreasing order, uncorrelated
    evals = np.linalg.eigvalsh(np.cov(X.T))[::-1][:4]
    cov_z = np.cov(Z.T)
    np.testing.assert_allclose(np.diag(cov_z), evals, rtol=1e-8)
    assert np.all(np.diff(np.diag(cov_z)) < 0)
    np.testing.assert_allclose(cov_z - np.diag(np.diag(cov_z)), 0.0, atol=1e-8 * evals[0])
    np.testing.assert_allclose(r.explained_variance_ratio_, evals / np.trace(np.cov(X.T)), rtol=1e-8)


def test_pca_whiten_gives_unit_variance(scaled):
    Z = create_reducer({"method": "pca", "n_components": 4, "whiten": True}).fit_transform(scaled)
    np.testing.assert_allclose(np.cov(Z.T), np.eye(4), atol=1e-8)


def test_standardize_gives_zero_mean_unit_variance_and_keeps_constant_columns_finite(scaled):
    X = np.column_stack([scaled, np.full(len(scaled), 7.0)])
    Z = create_reducer({"method": "standardize"}).fit_transform(X)
    np.testing.assert_allclose(Z.mean(0), 0.0, atol=1e-10)
    np.testing.assert_allclose(Z[:, :-1].std(0), 1.0, rtol=1e-10)
    np.testing.assert_array_equal(Z[:, -1], 0.0)
    np.testing.assert_allclose(Z[:, :-1], (X[:, :-1] - X[:, :-1].mean(0)) / X[:, :-1].std(0), rtol=1e-9)


def test_l2norm_gives_unit_rows_in_the_same_direction(scaled):
    Z = create_reducer({"method": "l2norm"}).fit_transform(scaled)
    norms = np.linalg.norm(scaled, axis=1, keepdims=True)
    np.testing.assert_allclose(np.linalg.norm(Z, axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(Z * norms, scaled, rtol=1e-10)


# Trustworthiness (sklearn): how many of each point's 10 nearest neighbours in the embedding were near in the input.
# On these 300 digits a random 2-D map scores 0.51 and PCA to 2-D 0.87; the non-linear methods must do better.
NEIGHBOUR_KEEPERS = [
    ([{"method": "tsne", "n_components": 2, "perplexity": 10, "n_iter": 60, "early_exaggeration_iter": 30}], 0.95),
    ([{"method": "umap", "n_components": 2}], 0.95),
    ([{"method": "spectral", "n_components": 5, "n_neighbors": 10}], 0.93),
    ([{"method": "spectral", "n_components": 3, "max_fit": 150, "n_neighbors": 10}], 0.9),  # subsample + extension
    ([{"method": "lle", "n_components": 5, "n_neighbors": 12}], 0.9),
]


@pytest.mark.parametrize("steps,floor", NEIGHBOUR_KEEPERS,
                         ids=[f"{s[0]['method']}-{i}" for i, (s, _) in enumerate(NEIGHBOUR_KEEPERS)])
def test_nonlinear_reducers_keep_neighbours(digits_small, embed, steps, floor):
    X, _ = digits_small
    assert trustworthiness(X, embed(steps, seed=3), n_neighbors=10) > floor


def test_umap_separates_digits_and_places_new_points(digits_small, embed):
    from sklearn.datasets import load_digits

    X, y = digits_small
    Z = embed([{"method": "umap", "n_components": 2}], seed=3)
    assert cluster_accuracy(y, KMeans(10, n_init=10, random_state=0).fit_predict(Z)) > 0.8  # chance ~0.12
    d = load_digits()
    r = create_reducer({"method": "umap", "n_components": 2}, seed=3).fit(X)
    np.testing.assert_array_equal(r.embedding_.astype(np.float32), Z)  # same seed, same map
    new = r.transform(d.data[300:400].astype(np.float64))
    assert KNeighborsClassifier(5).fit(Z, y).score(new, d.target[300:400]) > 0.75  # unseen digits land by class
