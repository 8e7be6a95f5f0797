"""The CLI's fixed choices are the library's own lists (spelled out in kit.cli.choices to keep `kit` start fast)."""
from kit.cli.choices import (CLUSTER_METHODS, Augment, ClusterMethod, Device, FeatureKind,
                             LabelMapping, value)


def test_choices_match_the_library():
    from kit.cluster import CLUSTERERS
    from kit.train.augment import PRESETS
    from kit.train.pretrain import OBJECTIVES

    from kit.cli.choices import Objective

    assert list(CLUSTER_METHODS) == CLUSTERERS.names == [m.value for m in ClusterMethod]
    assert tuple(m.value for m in Objective) == OBJECTIVES
    assert tuple(m.value for m in Augment) == PRESETS
    assert [m.value for m in Device] == ["auto", "cpu", "cuda"]
    assert [m.value for m in FeatureKind] == ["latent", "logits"]
    from kit.cli.choices import RefineMode
    from kit.refine.train import MODES

    assert tuple(m.value for m in RefineMode) == MODES
    from kit.cli.choices import NeighborFeatures
    from kit.refine.train import NEIGHBOR_FEATURES

    assert tuple(m.value for m in NeighborFeatures) == NEIGHBOR_FEATURES


def test_label_mappings_are_accepted_by_the_mapper():
    import numpy as np

    from kit.cluster.label_mapping import map_clusters_to_labels

    for mapping in LabelMapping:
        out = map_clusters_to_labels(np.array([1, 0]), np.array([0, 1]), np.array([0, 1]), 2, method=value(mapping))
        assert out.tolist() == [1, 0]


def test_value_unwraps_enums():
    assert value(ClusterMethod.gmm) == "gmm" and value(None) is None and value("x") == "x"


def test_seed_bound_is_the_option_tables():
    from kit.cli.choices import SEED_MAX
    from kit.train import options

    assert SEED_MAX == options.SEED_MAX
