"""Inputs that crash the libraries (openTSNE segfaults on identical rows) fail first with one-line kit errors."""
import numpy as np
import pytest

from kit.errors import ConfigError, DataError
from kit.reduce import reduce

RNG = np.random.default_rng(0)
X50 = RNG.normal(size=(50, 5))
TSNE = {"method": "tsne", "n_iter": 10, "early_exaggeration_iter": 10}

CASES = [
    # perplexity 10 fits 50 points: the sizes are checked first (before any step), the data's values then
    ("tsne constant features", np.ones((50, 5)), {**TSNE, "perplexity": 10}, DataError,
     r"reduce\.tsne: all 50 points are identical"),
    ("tsne one row", X50[:1], TSNE, DataError, r"reduce\.tsne: needs at least 2 points, got 1"),
    ("tsne too few rows for perplexity", X50[:30], {**TSNE, "perplexity": 10}, ConfigError,
     r"reduce\.tsne\.perplexity=10 needs at least 31 points \(3 \* perplexity \+ 1\), got 30"),
    ("tsne pca init on 1-D", X50[:, :1], {**TSNE, "perplexity": 5}, ConfigError,
     r"reduce\.tsne\.initialization=pca needs at least n_components=2 features, got 1"),
    ("lle on 1-D", X50[:, :1], {"method": "lle", "n_components": 2}, ConfigError,
     r"reduce\.lle\.n_components=2 is larger than the data allows \(1 for"),
    ("spectral n_components = N", X50[:12], {"method": "spectral", "n_components": 12}, ConfigError,
     r"reduce\.spectral\.n_components=12 is larger than the data allows \(10 for 12 points"),
    ("spectral n_components = N - 1", X50[:12], {"method": "spectral", "n_components": 11}, ConfigError,
     r"reduce\.spectral\.n_components=11 is larger"),
    ("pca on 1-D", X50[:, :1], {"method": "pca", "n_components": 2}, ConfigError, r"reduce\.pca\.n_components=2"),
    ("umap too few rows", X50[:3], {"method": "umap", "n_components": 2}, DataError,
     r"reduce\.umap: 3 points is too few for n_components=2 \(needs at least 4\)"),
    ("umap bad metric", X50, {"method": "umap", "metric": "cosin"}, ConfigError, r"reduce\.umap\.metric must be one of"),
    ("umap bad n_neighbors", X50, {"method": "umap", "n_neighbors": 1}, ConfigError,
     r"reduce\.umap\.n_neighbors must be >= 2"),
]


@pytest.mark.parametrize("X,spec,error,match", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_a_one_line_kit_error(X, spec, error, match):
    with pytest.raises(error, match=match) as e:
        reduce(X, [spec])
    assert "\n" not in str(e.value)


def test_limits_are_tight():
    """The smallest inputs the guards let through do run."""
    assert reduce(X50[:31], [{**TSNE, "perplexity": 10}]).shape == (31, 2)
    assert reduce(X50[:, :1], [{**TSNE, "perplexity": 5, "initialization": "random"}]).shape == (50, 2)
    assert reduce(X50[:12], [{"method": "spectral", "n_components": 10}]).shape == (12, 10)
    assert reduce(X50[:, :2], [{"method": "lle", "n_components": 2, "n_neighbors": 5}]).shape == (50, 2)
    nearly_constant = np.ones((50, 5))
    nearly_constant[0, 0] = 2.0
    assert np.isfinite(reduce(nearly_constant, [{**TSNE, "perplexity": 5}])).all()


@pytest.mark.parametrize("method", ["standardize", "l2norm", "pca", "kernel_pca", "spectral", "lle", "umap"])
def test_shape_and_magnitude_are_checked_once_for_every_reducer(method):
    """One check (kit.features.files.check_matrix) in front of every method: a 1-D array, or values whose squared
    distances overflow float32, fail in one line naming the method. t-SNE is covered in a subprocess by the CLI
    tests (it segfaults on such values)."""
    spec = {"method": method, **({"n_components": 1} if method not in ("standardize", "l2norm") else {})}
    not_2d = rf"reduce\.{method}: input must be a non-empty \(N, D\) array, got shape \(50,\)"
    with pytest.raises(DataError, match=not_2d):
        reduce(X50[:, 0], [spec])
    with pytest.raises(DataError, match=rf"reduce\.{method}: input holds \|x\| up to .*e\+30, above 1e\+15") as e:
        reduce(X50 * 1e30, [spec])
    assert "\n" not in str(e.value)


def test_tsne_at_the_magnitude_limit_runs():
    X = X50 / np.abs(X50).max() * 1e14
    X[0, 0] = 1e15
    assert np.isfinite(reduce(X, [{**TSNE, "perplexity": 5}])).all()
