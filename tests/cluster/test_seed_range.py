"""Clusterer seeds are checked (0 .. 2**32 - 1) when the clusterer is created, so `kit cluster -O seed=-1` and a
run config's `cluster.seed: -1` fail in one line at load, not as an sklearn traceback inside fit."""
import numpy as np
import pytest

from kit.cluster import create_clusterer, fit_clusterer
from kit.cluster.auto_k import choose_k
from kit.errors import ConfigError

SEED_MAX = 2**32 - 1
X = np.concatenate([np.random.default_rng(0).normal(c, 0.1, size=(20, 2)) for c in (0, 3, 6)])


@pytest.mark.parametrize("spec, seed, match", [
    ({"method": "kmeans", "seed": -1}, None, r"cluster\.kmeans\.seed must be an integer >= 0 and <= 4294967295, got -1"),
    ({"method": "gmm", "random_state": 2**32}, None, r"cluster\.gmm\.random_state must be an integer"),
    ({"method": "kmeans"}, -1, r"cluster seed must be an integer >= 0 and <= 4294967295, got -1"),
    ({"method": "ensemble", "members": [{"method": "kmeans", "seed": -2}]}, None,
     r"cluster\.ensemble\.members\[0\]: cluster\.kmeans\.seed must be"),
])
def test_bad_seeds_fail_at_creation(spec, seed, match):
    with pytest.raises(ConfigError, match=match) as e:
        create_clusterer(spec, seed=seed)
    assert "\n" not in str(e.value)


def test_derived_member_seeds_stay_in_range_at_the_largest_seed():
    spec = {"method": "ensemble", "n_clusters": 3, "members": [{"method": "kmeans", "n_init": 1}] * 3}
    labels = fit_clusterer(X, spec, seed=SEED_MAX).labels_
    assert len(np.unique(labels)) == 3


def test_auto_k_seeds_stay_in_range_for_large_seeds():
    k, _ = choose_k(X, k_min=2, k_max=4, seed=SEED_MAX, criterion="stability", n_repeats=1)
    assert 2 <= k <= 4
