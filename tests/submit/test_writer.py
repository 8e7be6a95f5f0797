"""Clusters -> submission rows for each competition type; invalid submissions are never written."""
import json

import numpy as np
import pandas as pd
import pytest

from kit.competition import load_competition, make_competition, score_submission
from kit.data import load_source
from kit.errors import DataError, SubmissionError
from kit.submit import build_submission, write_submission


@pytest.fixture(scope="module")
def digits():
    return load_source({"kind": "digits", "limit": 400})


def oracle_clusters(comp_dir, comp, permute=True):
    """Cluster ids that are the true classes under a permutation (what a perfect clusterer gives)."""
    from kit.data import ImageSet

    # recover each image's class from the hidden solution where we can, else from labeled.csv
    sol = pd.read_csv(comp_dir / "hidden" / "solution.csv", dtype={"id": str})
    truth = dict(zip(sol["id"], sol["label"]))
    if comp.labeled is not None:
        truth.update(zip(comp.labeled.ids, comp.labeled.labels))
    ids = comp.images.ids
    classes = np.array([truth.get(i, 0) for i in ids])
    perm = np.roll(np.arange(10), 3) if permute else np.arange(10)
    return {"ids": ids, "clusters": perm[classes]}, classes


def test_label_submission_with_label_mapping(tmp_path, digits):
    comp_dir = make_competition(digits, tmp_path / "c", "label", labels_per_class=3)
    comp = load_competition(comp_dir)
    clusters, classes = oracle_clusters(comp_dir, comp)
    with pytest.raises(DataError, match="no label mapping"):
        build_submission(comp, clusters)  # plain accuracy needs class indices, not cluster ids
    from kit.cluster.label_mapping import apply_mapping, map_clusters_to_labels

    where = {i: n for n, i in enumerate(comp.images.ids.tolist())}
    index = np.array([where[i] for i in comp.labeled.ids])
    mapping = map_clusters_to_labels(clusters["clusters"], index, comp.labeled.labels, 10)
    clusters["labels"] = apply_mapping(clusters["clusters"], mapping)  # cluster ids -> classes via 3 labels a class
    assert np.array_equal(clusters["labels"], classes) and not np.array_equal(clusters["clusters"], classes)
    df = build_submission(comp, clusters)
    path = write_submission(df, comp, tmp_path / "out" / "sub.csv", {"seed": 0})
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["type"] == "label" and meta["seed"] == 0 and meta["rows"] == len(comp.sample_submission)
    assert score_submission(path, comp_dir / "hidden" / "solution.csv", comp.metric)["private"] == 1.0


def test_cluster_ids_are_fine_for_cluster_accuracy(tmp_path, digits):
    comp_dir = make_competition(digits, tmp_path / "c", "label")
    comp = load_competition(comp_dir)
    clusters, _ = oracle_clusters(comp_dir, comp)
    df = build_submission(comp, clusters)
    assert score_submission(df, comp_dir / "hidden" / "solution.csv", comp.metric)["public"] == 1.0


def test_pairs_submission_compares_clusters(tmp_path, digits):
    comp_dir = make_competition(digits, tmp_path / "p", "pairs", n_pairs=300)
    comp = load_competition(comp_dir)
    sol = pd.read_csv(comp_dir / "hidden" / "solution.csv", dtype={"id": str})
    # one cluster per image: every pair "different"
    df = build_submission(comp, {"ids": comp.images.ids, "clusters": np.arange(len(comp.images))})
    assert df["label"].eq(0).all() and df["id"].tolist() == sol["id"].tolist()
    # one cluster for all: every pair "same"
    df = build_submission(comp, {"ids": comp.images.ids, "clusters": np.zeros(len(comp.images), int)})
    assert df["label"].eq(1).all()


def test_binary_submission(tmp_path):
    src = load_source({"kind": "digits", "limit": 400})
    comp_dir = make_competition(src, tmp_path / "b", "binary", groups=[["0", "1"], ["2", "3"]])
    comp = load_competition(comp_dir)
    sol = pd.read_csv(comp_dir / "hidden" / "solution.csv", dtype={"id": str})
    truth = dict(zip(sol["id"], sol["label"]))
    clusters = {"ids": comp.images.ids, "clusters": np.array([1 - truth[i] for i in comp.images.ids])}
    df = build_submission(comp, clusters)
    assert score_submission(df, sol, comp.metric)["private"] == 1.0  # swapped sources still score 1


def test_invalid_submission_writes_nothing(tmp_path, digits):
    comp_dir = make_competition(digits, tmp_path / "b", "pairs", n_pairs=50)
    comp = load_competition(comp_dir)
    bad = comp.sample_submission.assign(label=7)
    with pytest.raises(SubmissionError, match="labels must be 0 or 1"):
        write_submission(bad, comp, tmp_path / "out" / "sub.csv")
    assert not (tmp_path / "out" / "sub.csv").exists() and not (tmp_path / "out" / "sub.json").exists()


def test_missing_predictions_are_reported(tmp_path, digits):
    comp_dir = make_competition(digits, tmp_path / "c", "label")
    comp = load_competition(comp_dir)
    with pytest.raises(DataError, match="no prediction for 10 images"):
        build_submission(comp, {"ids": comp.images.ids[10:], "clusters": np.zeros(len(comp.images) - 10, int)})


def test_pairs_from_class_probabilities_use_p_same(tmp_path, digits):
    comp_dir = make_competition(digits, tmp_path / "p", "pairs", n_pairs=200)
    comp = load_competition(comp_dir)
    rng = np.random.default_rng(0)
    P = rng.dirichlet(np.ones(4) * 0.5, len(comp.images)).astype(np.float32)
    clusters = {"ids": comp.images.ids, "clusters": P.argmax(1), "probabilities": P}
    df = build_submission(comp, clusters)
    row = {i: n for n, i in enumerate(comp.images.ids.tolist())}
    pairs = comp.pairs.set_index("id").loc[df["id"]]
    expect = [int(float(np.dot(P[row[a]], P[row[b]])) > 0.5) for a, b in zip(pairs["image1"], pairs["image2"])]
    assert df["label"].tolist() == expect
    same_argmax = [int(P[row[a]].argmax() == P[row[b]].argmax()) for a, b in zip(pairs["image1"], pairs["image2"])]
    assert expect != same_argmax  # the rule differs from comparing argmaxes on uncertain images


def test_duplicate_or_float_cluster_ids_are_rejected(tmp_path, digits):
    comp_dir = make_competition(digits, tmp_path / "c", "label")
    comp = load_competition(comp_dir)
    ids = comp.images.ids
    with pytest.raises(DataError, match="appears 2 times"):
        build_submission(comp, {"ids": np.r_[ids, ids[:1]], "clusters": np.r_[np.zeros(len(ids), int), [1]]})
    with pytest.raises(DataError, match="must be integer ids"):
        build_submission(comp, {"ids": ids, "clusters": np.full(len(ids), 1.7)})


def test_pairs_same_fraction_ranks_pairs_by_p_same(tmp_path, digits):
    comp_dir = make_competition(digits, tmp_path / "p", "pairs", n_pairs=200)
    comp = load_competition(comp_dir)
    P = np.random.default_rng(1).dirichlet(np.ones(4) * 0.5, len(comp.images))
    P[:5] = P[5]  # identical images: tied <p_a, p_b> values, so ties must not change the count
    clusters = {"ids": comp.images.ids, "clusters": P.argmax(1), "probabilities": P}
    row = {i: n for n, i in enumerate(comp.images.ids.tolist())}
    pairs = comp.pairs.set_index("id").loc[comp.sample_submission["id"]]
    p_same = np.array([P[row[a]] @ P[row[b]] for a, b in zip(pairs["image1"], pairs["image2"])])
    for fraction in (0.1, 0.5, 0.83):
        labels = build_submission(comp, clusters, same_fraction=fraction)["label"].to_numpy()
        assert labels.sum() == round(fraction * len(labels))
        assert p_same[labels == 1].min() >= p_same[labels == 0].max()  # every "same" ranks above every "different"
    default = build_submission(comp, clusters)["label"].to_numpy()
    assert (default == (p_same > 0.5)).all()


@pytest.mark.parametrize("value", [0, 1, 1.5, -0.1, "half", True])
def test_same_fraction_outside_0_1_is_refused(tmp_path, digits, value):
    from kit.errors import ConfigError

    comp = load_competition(make_competition(digits, tmp_path / "p", "pairs", n_pairs=50))
    P = np.full((len(comp.images), 3), 1 / 3)
    with pytest.raises(ConfigError, match="same_fraction must be a number between 0 and 1"):
        build_submission(comp, {"ids": comp.images.ids, "clusters": P.argmax(1), "probabilities": P}, value)


def test_same_fraction_needs_pairs_and_probabilities(tmp_path, digits):
    from kit.errors import ConfigError

    label = load_competition(make_competition(digits, tmp_path / "l", "label"))
    with pytest.raises(ConfigError, match="for pairs competitions"):
        build_submission(label, {"ids": label.images.ids, "clusters": np.zeros(len(label.images), int)}, 0.5)
    pairs = load_competition(make_competition(digits, tmp_path / "p", "pairs", n_pairs=50))
    with pytest.raises(ConfigError, match="clusters have none"):
        build_submission(pairs, {"ids": pairs.images.ids, "clusters": np.zeros(len(pairs.images), int)}, 0.5)


def test_clusters_with_ids_the_competition_lacks_are_refused(tmp_path, digits):
    """Another competition's clusters whose ids happen to cover this one's are not silently half-used."""
    small = load_competition(make_competition(digits, tmp_path / "small", "label", n_images=100))
    big = load_competition(make_competition(digits, tmp_path / "big", "label"))
    other = {"ids": big.images.ids, "clusters": np.zeros(len(big.images), int)}  # img_00000..img_00399
    assert set(small.images.ids) < set(big.images.ids)
    with pytest.raises(DataError, match=r"clusters: 300 of 400 ids are not images of competition 'small' "
                                        r"\(first: \['img_00100', "):
        build_submission(small, other)


@pytest.mark.parametrize("key, shape", [("clusters", (2,)), ("labels", (3,)), ("ids", ())])
def test_cluster_arrays_must_be_one_value_per_image(tmp_path, digits, key, shape):
    comp = load_competition(make_competition(digits, tmp_path / "c", "label", labels_per_class=2))
    n = len(comp.images)
    clusters = {"ids": comp.images.ids, "clusters": np.zeros(n, int), "labels": np.zeros(n, int)}
    clusters[key] = np.repeat(clusters[key][:, None], shape[0], 1) if shape else clusters[key][:, None]
    with pytest.raises(DataError, match=f"clusters: {key} must be one.* per (id|image).*got shape"):
        build_submission(comp, clusters)


def test_a_full_disk_writes_neither_the_submission_nor_its_metadata(tmp_path, digits, monkeypatch):
    import errno
    import os

    comp = load_competition(make_competition(digits, tmp_path / "c", "label"))
    df = build_submission(comp, {"ids": comp.images.ids, "clusters": np.zeros(len(comp.images), int)})
    out = write_submission(df, comp, tmp_path / "s.csv", {"run": 1})
    before = out.read_bytes(), out.with_suffix(".json").read_bytes()

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    with pytest.raises(DataError, match=r"s.csv: no space left on device"):
        write_submission(df, comp, tmp_path / "s.csv", {"run": 2})
    with pytest.raises(DataError, match=r"new.csv: no space left on device"):
        write_submission(df, comp, tmp_path / "new.csv", {"run": 2})
    assert (out.read_bytes(), out.with_suffix(".json").read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "s.csv", "s.json"]
