import numpy as np
import pytest

from kit.cluster.label_mapping import apply_mapping, map_clusters_to_labels
from kit.errors import DataError


def test_majority_vote_and_unlabeled_clusters():
    # clusters 0..4; cluster 3 has no labeled point, cluster 4 neither (and is smaller than 3).
    clusters = np.array([0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 3, 4])
    labeled_index = np.array([0, 1, 2, 3, 4, 6, 7])
    labels = np.array([2, 2, 0, 1, 1, 2, 2])
    mapping = map_clusters_to_labels(clusters, labeled_index, labels, n_classes=4)
    # cluster 0: 2 votes for class 2 vs 1 for class 0; cluster 1 -> 1; cluster 2 -> 2 (two clusters share class 2)
    # missing classes are 0 and 3: the bigger unlabeled cluster (3) gets 0, cluster 4 gets 3
    np.testing.assert_array_equal(mapping, [2, 1, 2, 0, 3])
    np.testing.assert_array_equal(apply_mapping(clusters, mapping), mapping[clusters])


def test_unlabeled_clusters_fall_back_to_most_frequent_class_when_none_missing():
    clusters = np.array([0, 0, 1, 1, 2])
    mapping = map_clusters_to_labels(clusters, np.array([0, 1, 2]), np.array([1, 1, 0]), n_classes=2)
    np.testing.assert_array_equal(mapping, [1, 0, 1])


def test_hungarian_is_one_to_one_where_majority_is_not():
    # cluster 0: class 0 x3; cluster 1: class 0 x2 + class 1 x1 -> majority maps both to 0
    clusters = np.array([0, 0, 0, 1, 1, 1])
    labels = np.array([0, 0, 0, 0, 0, 1])
    idx = np.arange(6)
    np.testing.assert_array_equal(map_clusters_to_labels(clusters, idx, labels, 2), [0, 0])
    np.testing.assert_array_equal(map_clusters_to_labels(clusters, idx, labels, 2, method="hungarian"), [0, 1])


def test_unknown_labels_are_ignored_and_bad_input_rejected():
    clusters = np.array([0, 1])
    np.testing.assert_array_equal(map_clusters_to_labels(clusters, [0, 1], [-1, 1], 2), [0, 1])
    with pytest.raises(DataError, match="n_classes"):
        map_clusters_to_labels(clusters, [0], [5], 2)
    with pytest.raises(DataError, match="out of range"):
        map_clusters_to_labels(clusters, [7], [0], 2)
    with pytest.raises(DataError, match="no entry"):
        apply_mapping(np.array([0, 3]), np.array([1, 0]))
