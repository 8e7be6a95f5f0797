"""Bad specs fail fast with a ConfigError naming the key and listing the valid choices."""
import numpy as np
import pytest

from kit.errors import ConfigError, DataError
from kit.reduce import REDUCERS, create_reducer, reduce


def test_unknown_method_lists_choices():
    with pytest.raises(ConfigError, match=r"unknown method 'pcaa'.*did you mean 'pca'.*kernel_pca.*tsne"):
        create_reducer({"method": "pcaa"})


def test_unknown_key_lists_valid_keys():
    with pytest.raises(ConfigError, match=r"reduce\.tsne: unknown key 'perplexty'.*perplexity"):
        create_reducer({"method": "tsne", "perplexty": 30})


@pytest.mark.parametrize("spec,match", [
    ({"method": "pca", "n_components": "ten"}, r"reduce\.pca\.n_components must be int"),
    ({"method": "pca", "n_components": 0}, r"reduce\.pca\.n_components must be >= 1"),
    ({"method": "tsne", "n_components": 3, "negative_gradient_method": "fft"}, r"negative_gradient_method"),
    ({"method": "kernel_pca", "kernel": "wavelet"}, r"reduce\.kernel_pca\.kernel must be one of"),
    ({"method": "pca", "seed": 1, "random_state": 2}, r"not both"),
    ({"n_components": 2}, r"no 'method'"),
])
def test_bad_values(spec, match):
    with pytest.raises(ConfigError, match=match):
        create_reducer(spec)


def test_reduce_checks_every_step_before_running():
    with pytest.raises(ConfigError, match="lle"):
        reduce(np.zeros((5, 3)), [{"method": "pca", "n_components": 2}, {"method": "lle", "bogus": 1}])


def test_too_many_components_for_data():
    with pytest.raises(ConfigError, match=r"n_components=10 is larger"):
        reduce(np.random.default_rng(0).normal(size=(20, 4)), [{"method": "pca", "n_components": 10}])


def test_nan_input_is_a_data_error():
    X = np.ones((10, 3))
    X[2, 1] = np.nan
    with pytest.raises(DataError, match="NaN"):
        reduce(X, [{"method": "pca", "n_components": 2}])


def test_seed_key_and_registry_names():
    assert create_reducer({"method": "pca", "seed": 7}).random_state == 7
    assert create_reducer({"method": "pca"}, seed=5).random_state == 5
    assert set(REDUCERS.names) == {"standardize", "l2norm", "pca", "kernel_pca", "tsne", "umap", "spectral",
                                  "lle"}
