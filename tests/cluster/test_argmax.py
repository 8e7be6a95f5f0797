import numpy as np
import pytest

from kit.cluster import cluster
from kit.errors import DataError


def test_argmax_takes_the_class_with_the_largest_logit():
    logits = np.array([[0.1, 2.0, -1.0], [3.0, 0.0, 0.0], [0.0, 0.0, 0.5]])
    assert cluster(logits, {"method": "argmax", "n_clusters": 3}).tolist() == [1, 0, 2]


def test_argmax_rejects_features_that_are_not_logits():
    with pytest.raises(DataError, match="features have 5 columns but n_clusters is 3"):
        cluster(np.zeros((4, 5)), {"method": "argmax", "n_clusters": 3})
