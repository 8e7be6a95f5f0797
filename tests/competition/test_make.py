"""make_competition edge cases: exact public share, pairs from tiny classes, binary groups, recorded source."""
import json

import numpy as np
import pandas as pd
import pytest

from kit.competition import load_competition, make_competition
from kit.competition.make import CIFAR10_GROUPS
from kit.data import ImageSet
from kit.errors import ConfigError, DataError

CIFAR_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def tiny_set(labels, class_names=None, size=4):
    labels = np.asarray(labels)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (len(labels), size, size, 1), dtype=np.uint8)
    return ImageSet(ids=[f"src{i}" for i in range(len(labels))], images=images, labels=labels, class_names=class_names)


@pytest.mark.parametrize("n, fraction", [(2, 0.3), (7, 0.3), (50, 0.25), (101, 0.5), (33, 0.9)])
def test_public_share_is_exact_to_rounding(tmp_path, n, fraction):
    data = tiny_set(np.arange(n) % 3)
    comp = make_competition(data, tmp_path / "c", public_fraction=fraction)
    usage = pd.read_csv(comp / "hidden" / "solution.csv")["Usage"]
    n_public = (usage == "Public").sum()
    assert n_public == min(max(round(fraction * n), 1), n - 1)
    assert (usage == "Private").sum() == n - n_public


def test_ids_are_anonymous_and_images_keep_their_labels(tmp_path):
    data = tiny_set(np.repeat([0, 1, 2], 10), size=6)
    comp = load_competition(make_competition(data, tmp_path / "c", seed=4))
    assert comp.images.ids.tolist() == [f"img_{i:05d}" for i in range(30)]
    sol = pd.read_csv(comp.solution_path).set_index("id")
    # each anonymised image is one source image with the same label, in a shuffled order
    where = list(source_index(data, comp).values())
    assert sorted(where) == list(range(30)) and where != list(range(30))
    assert (data.labels[where] == sol.loc[comp.images.ids, "label"].to_numpy()).all()


def source_index(data, comp):
    """Which source image each anonymised competition image is (tiny_set images are random, so unique)."""
    return {i: int(np.flatnonzero((data.images == im).all(axis=(1, 2, 3)))[0]) for i, im in zip(comp.images.ids, comp.images.images)}


def pair_truth_matches_source(data, comp):
    where = source_index(data, comp)
    sol = pd.read_csv(comp.solution_path).set_index("id")
    pairs = comp.pairs.set_index("id")
    same = [int(data.labels[where[a]] == data.labels[where[b]]) for a, b in zip(pairs["image1"], pairs["image2"])]
    return same == sol.loc[pairs.index, "label"].tolist()


def test_pairs_with_a_single_image_class(tmp_path):
    data = tiny_set([0] * 12 + [1] * 12 + [2])  # class 2 has one image: it can only be in different-class pairs
    comp = load_competition(make_competition(data, tmp_path / "p", "pairs", n_pairs=400, seed=1))
    assert len(comp.pairs) == 400 and (comp.pairs["image1"] != comp.pairs["image2"]).all()
    assert 0.35 < pd.read_csv(comp.solution_path)["label"].mean() < 0.65
    assert pair_truth_matches_source(data, comp)


def test_pairs_leave_labeled_images_out(tmp_path):
    data = tiny_set(np.repeat([0, 1, 2], 8), size=5)
    comp = load_competition(make_competition(data, tmp_path / "q", "pairs", labels_per_class=2, seed=2))
    assert len(comp.labeled) == 6 and len(comp.pairs) == 18  # default: one pair per unlabeled image
    assert not set(comp.labeled.ids) & set(comp.image_ids_to_predict)
    assert pair_truth_matches_source(data, comp)
    where = source_index(data, comp)
    assert [data.labels[where[i]] for i in comp.labeled.ids] == comp.labeled.labels.tolist()


def test_binary_defaults_to_cifar_animals_vs_vehicles(tmp_path):
    data = tiny_set(np.repeat(np.arange(10), 3), class_names=CIFAR_NAMES)
    comp = load_competition(make_competition(data, tmp_path / "b", "binary"))
    meta = json.loads((tmp_path / "b" / "competition.json").read_text())
    assert meta["groups"] == [sorted(CIFAR10_GROUPS[0], key=CIFAR_NAMES.index), sorted(CIFAR10_GROUPS[1], key=CIFAR_NAMES.index)]
    assert comp.n_classes == 2 and len(comp.images) == 30
    sol = pd.read_csv(comp.solution_path)
    assert sol["label"].sum() == 12  # 4 vehicle classes x 3 images are group 1
    with pytest.raises(ConfigError, match="need groups"):
        make_competition(tiny_set(np.repeat([0, 1], 3)), tmp_path / "x", "binary")


def test_binary_groups_by_index_drop_other_classes(tmp_path):
    data = tiny_set(np.repeat([0, 1, 2, 3], 5))
    comp = load_competition(make_competition(data, tmp_path / "b", "binary", groups=[[0], [2, 3]]))
    assert len(comp.images) == 15 and comp.class_names == ["0", "2+3"]
    with pytest.raises(ConfigError, match="is in both groups"):
        make_competition(data, tmp_path / "y", "binary", groups=[[0, 1], [1]])
    with pytest.raises(ConfigError, match="exactly two groups"):
        make_competition(data, tmp_path / "y", "binary", groups=[[0], [1], [2]])


def test_source_info_and_bad_arguments(tmp_path):
    data = tiny_set(np.repeat([0, 1], 5))
    make_competition(data, tmp_path / "c", source_info={"kind": "digits"}, name="nice")
    meta = json.loads((tmp_path / "c" / "competition.json").read_text())
    assert meta["source"] == {"kind": "digits"} and meta["name"] == "nice" and meta["image_shape"] == [4, 4, 1]
    for kwargs, message in [({"type": "regression"}, "type must be one of"), ({"public_fraction": 1.0}, "public_fraction"),
                            ({"labels_per_class": 5}, "not enough for 5 labels"), ({"n_images": 1}, "n_images"),
                            ({"labels_per_class": -1}, "labels_per_class")]:
        with pytest.raises((ConfigError, DataError), match=message):
            make_competition(data, tmp_path / "bad", **kwargs)
    assert not (tmp_path / "bad").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataError, match="not a folder"):
        make_competition(data, tmp_path / "file")
