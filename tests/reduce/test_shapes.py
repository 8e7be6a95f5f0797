"""A reduce chain's sizes are checked against its input's (N, D) before any step is fitted, and a step's seed
against numpy/sklearn's range when the step is created: one-line kit errors, never a library traceback."""
import numpy as np
import pytest

from kit.errors import ConfigError, DataError
from kit.reduce import check_shapes, create_reducer, reduce

X = np.random.default_rng(0).normal(size=(60, 8))


def test_chain_widths_follow_each_step():
    steps = [{"method": "standardize"}, {"method": "pca", "n_components": 5}, {"method": "l2norm"},
             {"method": "tsne", "perplexity": 5}]
    assert check_shapes(steps, 60, 8) == 2
    assert check_shapes(steps, None, 8) == 2  # N not known yet: the D limits alone


@pytest.mark.parametrize("steps, n, d, error, match", [
    ([{"method": "pca", "n_components": 9}], 60, 8, ConfigError,
     r"reduce\.pca\.n_components=9 is larger than the data allows \(8 for 60 points x 8 features\)"),
    ([{"method": "pca", "n_components": 9}], None, 8, ConfigError, r"\(8 for 8 features\)"),
    ([{"method": "pca", "n_components": 5}, {"method": "pca", "n_components": 6}], 60, 8, ConfigError,
     r"^step 2 of the chain: reduce\.pca\.n_components=6 is larger than the data allows \(5 for 60 points x 5 "
     r"features\); its input is step 1's output \(5 columns from pca\), not the features$"),
    ([{"method": "kernel_pca", "n_components": 30, "max_fit": 20}], 60, 8, ConfigError, r"\(20 for 60 points"),
    ([{"method": "lle", "n_components": 9}], 60, 8, ConfigError, r"reduce\.lle\.n_components=9"),
    ([{"method": "tsne", "perplexity": 30}], 60, 8, ConfigError, r"needs at least 91 points"),
    ([{"method": "umap", "n_components": 3}], 4, 8, DataError, r"4 points is too few"),
])
def test_sizes_that_cannot_fit_fail_before_anything_runs(steps, n, d, error, match):
    with pytest.raises(error, match=match) as e:
        check_shapes(steps, n, d)
    assert "\n" not in str(e.value)


def test_reduce_checks_every_step_before_fitting_the_first():
    started = []
    with pytest.raises(ConfigError, match=r"reduce\.pca\.n_components=50 is larger"):
        reduce(X, [{"method": "pca", "n_components": 5}, {"method": "pca", "n_components": 50}],
               on_step=lambda i, spec: started.append(i))
    assert started == []  # not even the first step ran


@pytest.mark.parametrize("spec, seed, match", [
    ({"method": "pca", "seed": -1}, None, r"reduce\.pca\.seed must be an integer >= 0 and <= 4294967295, got -1"),
    ({"method": "pca", "random_state": 2**32}, None, r"reduce\.pca\.random_state must be an integer >= 0"),
    ({"method": "tsne", "seed": 1.5}, None, r"reduce\.tsne\.seed must be an integer"),
    ({"method": "pca"}, -1, r"reduce seed must be an integer >= 0 and <= 4294967295, got -1"),
])
def test_seeds_outside_numpy_range_fail_at_creation(spec, seed, match):
    with pytest.raises(ConfigError, match=match):
        create_reducer(spec, seed=seed)


def test_largest_seed_is_fine():
    assert create_reducer({"method": "pca", "n_components": 2}, seed=2**32 - 1).fit_transform(X).shape == (60, 2)
