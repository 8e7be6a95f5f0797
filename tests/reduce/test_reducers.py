"""Every reducer: output shape, finite values, determinism under a seed, subsample + transform paths."""
import numpy as np
import pytest

from kit.reduce import create_reducer, reduce

FAST_TSNE = {"n_iter": 60, "early_exaggeration_iter": 30}

SPECS = [
    ({"method": "standardize"}, 64),
    ({"method": "l2norm"}, 64),
    ({"method": "pca", "n_components": 5}, 5),
    ({"method": "pca", "n_components": 5, "whiten": True}, 5),
    ({"method": "kernel_pca", "n_components": 4, "max_fit": 120}, 4),
    ({"method": "kernel_pca", "n_components": 4}, 4),
    ({"method": "tsne", "n_components": 2, "perplexity": 10, **FAST_TSNE}, 2),
    ({"method": "umap", "n_components": 2}, 2),
    ({"method": "spectral", "n_components": 3, "max_fit": 150, "n_neighbors": 10}, 3),
    ({"method": "lle", "n_components": 2, "n_neighbors": 12, "max_fit": 150}, 2),
]


@pytest.mark.parametrize("spec,dim", SPECS, ids=[f"{s['method']}-{i}" for i, (s, _) in enumerate(SPECS)])
def test_shape_finite_and_deterministic(digits_small, embed, spec, dim):
    X, _ = digits_small
    a = embed([spec], seed=3)
    b = reduce(X, [spec], seed=3)
    assert a.shape == (len(X), dim) and a.dtype == np.float32
    assert np.isfinite(a).all()
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("method", ["kernel_pca", "spectral", "lle"])
def test_subsample_depends_on_seed_and_transform_matches_fit_points(digits_small, method):
    X, _ = digits_small
    spec = {"method": method, "n_components": 2, "max_fit": 100}
    if method == "lle":
        spec["n_neighbors"] = 8
    r = create_reducer(spec, seed=0).fit(X)
    other = create_reducer(spec, seed=1).fit(X)
    assert len(r.fit_index_) == 100 and not np.array_equal(r.fit_index_, other.fit_index_)
    Z = r.transform(X)
    assert Z.shape == (300, 2) and np.isfinite(Z).all()
    if method == "spectral":  # fit points map exactly onto their own spectral coordinates
        np.testing.assert_allclose(Z[r.fit_index_], r.embedding_, atol=1e-8)


def test_tsne_three_components_uses_barnes_hut(digits_small):
    X, _ = digits_small
    r = create_reducer({"method": "tsne", "n_components": 3, "perplexity": 10, **FAST_TSNE})
    assert r._gradient_method() == "bh"
    assert r.fit_transform(X[:150]).shape == (150, 3)


def test_tsne_separates_classes_better_than_chance(digits_small, embed):
    X, y = digits_small
    Z = embed([{"method": "pca", "n_components": 20}, {"method": "tsne", "perplexity": 20, "n_iter": 150,
                                                        "early_exaggeration_iter": 80}])
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.model_selection import cross_val_score

    assert cross_val_score(KNeighborsClassifier(5), Z, y, cv=3).mean() > 0.8  # chance is 0.1


def test_chained_kernel_pca_then_tsne(digits_small):
    X, _ = digits_small
    steps = [{"method": "standardize"}, {"method": "kernel_pca", "n_components": 10, "max_fit": 200},
             {"method": "tsne", "n_components": 2, "perplexity": 15, **FAST_TSNE}]
    Z = reduce(X, steps, seed=0)
    assert Z.shape == (300, 2) and np.isfinite(Z).all()
    assert not np.array_equal(Z, reduce(X, steps, seed=1))


def test_reducers_are_sklearn_estimators(digits_small):
    X, _ = digits_small
    r = create_reducer({"method": "pca", "n_components": 3})
    assert r.fit(X) is r
    np.testing.assert_allclose(r.transform(X), r.fit_transform(X))
    assert r.get_params()["n_components"] == 3
