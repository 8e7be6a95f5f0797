"""Validation without the hidden solution: k-fold on labels, labeled accuracy, and kNN agreement in a reference space."""
import shutil

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import silhouette_score
from sklearn.model_selection import StratifiedKFold

from kit.validation import cross_validated_accuracy, knn_agreement, reference_features


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    return PCA(16, random_state=0).fit_transform(d.data / 16.0).astype(np.float32), d.target, d.images


def ten_labels_per_class(y):
    """y with all but 10 seeded labels per class hidden (-1)."""
    rng = np.random.default_rng(0)
    part = np.full(len(y), -1)
    for c in range(10):
        part[rng.choice(np.flatnonzero(y == c), 10, replace=False)] = c
    return part


def test_kfold_matches_a_direct_cross_validation_of_the_probe(digits):
    """Oracle: the same folds, a LogisticRegression fit on each fold's other labels, scored on the fold."""
    X, y, _ = digits
    part = ten_labels_per_class(y)
    got = cross_validated_accuracy(X, {"method": "logreg", "n_clusters": 10}, 0, part, folds=5)
    rows = np.flatnonzero(part >= 0)
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    hits = 0
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(rows, part[rows]):
        m = LogisticRegression(max_iter=1000, random_state=0).fit(Xn[rows[train]], part[rows[train]])
        hits += (m.predict(Xn[rows[test]]) == part[rows[test]]).sum()
    assert got == pytest.approx(hits / len(rows))
    assert 0.5 < got < 1.0  # held-out rows: not the training accuracy of 1.0


def test_kfold_repeats_the_runs_smoothing_on_every_refit(digits):
    """Oracle: the same folds, each probe's probabilities smoothed over the given neighbours (the recurrence)."""
    from sklearn.neighbors import NearestNeighbors

    from tests.cluster.test_smoothing import recurrence

    X, y, _ = digits
    part = ten_labels_per_class(y)
    nb = NearestNeighbors(n_neighbors=6).fit(X).kneighbors(X, return_distance=False)[:, 1:]
    got = cross_validated_accuracy(X, {"method": "logreg", "n_clusters": 10}, 0, part, folds=5, smooth=(nb, 0.8))
    rows = np.flatnonzero(part >= 0)
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    hits = 0
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(rows, part[rows]):
        m = LogisticRegression(max_iter=1000, random_state=0).fit(Xn[rows[train]], part[rows[train]])
        Q = recurrence(m.predict_proba(Xn), nb, 0.8)
        hits += (Q.argmax(1)[rows[test]] == part[rows[test]]).sum()
    assert got == pytest.approx(hits / len(rows))
    assert got != cross_validated_accuracy(X, {"method": "logreg", "n_clusters": 10}, 0, part, folds=5)


def test_knn_agreement_is_the_chance_corrected_share_written_out(digits):
    """Oracle: sklearn's exact cosine neighbours and the kappa computed pair by pair."""
    from sklearn.neighbors import NearestNeighbors

    _, y, images = digits
    Z = reference_features((images[..., None] * 15).astype(np.uint8), 0)
    assert Z.shape == (len(y), 50) and np.allclose(np.linalg.norm(Z, axis=1), 1, atol=1e-5)
    nb = NearestNeighbors(n_neighbors=11, metric="cosine").fit(Z).kneighbors(Z, return_distance=False)[:, 1:]
    pairs = [(i, j) for i in range(len(y)) for j in nb[i]]
    observed = sum(y[i] == y[j] for i, j in pairs) / len(pairs)
    expected = sum((np.sum(y == c) / len(y)) ** 2 for c in np.unique(y))
    assert knn_agreement(nb, y) == pytest.approx((observed - expected) / (1 - expected))
    shuffled = np.random.default_rng(0).permutation(y)
    assert knn_agreement(nb, y) > 0.8 and abs(knn_agreement(nb, shuffled)) < 0.02  # chance-corrected: noise is 0
    assert knn_agreement(nb, np.zeros(len(y), int)) == 0.0  # one cluster agrees everywhere, and says nothing


def _cfg(comp_dir, cluster, labels_per_class=5):
    return {"name": "v", "seed": 0, "competition": {"dir": str(comp_dir), "make": {"source": {"kind": "digits",
            "limit": 300}, "type": "label", "labels_per_class": labels_per_class, "public_fraction": 0.5}},
            "extract": {"model": "raw"}, "reduce": [{"method": "pca", "n_components": 16}], "cluster": cluster,
            "submit": {"leaderboard": True, "copy_to": None}}


def test_a_run_records_the_kind_that_fits_and_an_imported_competition_ranks_by_it(tmp_path, monkeypatch):
    from kit.competition.leaderboard import read_leaderboard
    from kit.pipeline import run_pipeline

    monkeypatch.chdir(tmp_path)
    comp = tmp_path / "comp"
    probe = run_pipeline(_cfg(comp, {"method": "logreg"}), runs_dir=tmp_path / "runs")
    assert probe["validation"]["kind"] == "kfold" and probe["scores"]["validation"] == probe["validation"]["score"]
    named = run_pipeline(_cfg(comp, {"method": "kmeans", "n_clusters": 10}), runs_dir=tmp_path / "runs")
    assert named["validation"]["kind"] == "labels" and named["validation"]["n"] == 50
    plain = tmp_path / "plain"  # no labels, and then no solution either: like a downloaded clustering competition
    run_pipeline(_cfg(plain, {"method": "kmeans", "n_clusters": 10}, 0), runs_dir=tmp_path / "runs", leaderboard=False)
    shutil.rmtree(plain / "hidden")
    worse = _cfg(plain, {"method": "kmeans", "n_clusters": 10}, 0)  # the same K on one PCA component: worse clusters
    worse["name"], worse["reduce"] = "v1", [{"method": "pca", "n_components": 1}]
    bad = run_pipeline(worse, runs_dir=tmp_path / "runs")
    good = run_pipeline(_cfg(plain, {"method": "kmeans", "n_clusters": 10}, 0), runs_dir=tmp_path / "runs")
    assert bad["scores"] is None and good["validation"]["kind"] == "knn_agreement"
    imported = read_leaderboard("submissions/leaderboard.csv", competition="plain")  # sorted by validation
    assert len(imported) == 2 and imported["validation_kind"].tolist() == ["knn_agreement"] * 2
    assert imported["public"].isna().all() and imported["file"].tolist() == [str(good["submission"]),
                                                                              str(bad["submission"])]


def test_holdout_keeps_labels_out_of_every_stage_and_scores_them(tmp_path, monkeypatch):
    """validate.holdout: a seeded, stratified share of the labels is hidden from the clusterer (oracle: the same
    probe fit with those labels set to -1 gives the run's predictions), and the validation is the accuracy there.
    Without it, a run trained on all labels scores them as seen (kfold refits for a probe; train_labels for refine)."""
    import pandas as pd

    from kit.cluster import fit_clusterer
    from kit.competition import load_competition
    from kit.features.files import load_features
    from kit.pipeline import run_pipeline

    monkeypatch.chdir(tmp_path)
    cfg = _cfg(tmp_path / "comp", {"method": "logreg"})
    cfg["validate"] = {"holdout": 0.2}
    result = run_pipeline(cfg, runs_dir=tmp_path / "runs", leaderboard=False)
    comp = load_competition(tmp_path / "comp")
    val = result["validation"]
    assert val["kind"] == "holdout" and val["n"] == 10  # 0.2 of 50 labels
    ids, X = load_features(next((tmp_path / "runs" / cfg["name"]).glob("reduce-*")) / "embedding.npz")
    with np.load(next((tmp_path / "runs" / cfg["name"]).glob("cluster-*")) / "clusters.npz") as z:
        predicted = dict(zip(z["ids"].astype(str), z["labels"]))
    truth = dict(zip(comp.labeled.ids.astype(str), comp.labeled.labels))
    row = {i: n for n, i in enumerate(ids.astype(str))}
    y = np.full(len(ids), -1)
    for i, c in truth.items():
        y[row[i]] = c
    # which 10 were held out: those whose hiding reproduces the run's probe exactly (stratified: 1 per class)
    from sklearn.model_selection import train_test_split

    labeled_ids = comp.labeled.ids.astype(str)
    _, held = train_test_split(np.arange(50), test_size=10, random_state=cfg["seed"], stratify=comp.labeled.labels)
    held_ids = labeled_ids[held]
    assert sorted(np.asarray(comp.labeled.labels)[held].tolist()) == list(range(10))
    part = y.copy()
    part[[row[i] for i in held_ids]] = -1
    oracle = fit_clusterer(X, {"method": "logreg", "n_clusters": 10}, seed=cfg["seed"], y=part).labels_
    assert all(predicted[i] == oracle[row[i]] for i in ids.astype(str))
    assert val["score"] == pytest.approx(np.mean([predicted[i] == truth[i] for i in held_ids]))
    assert pd.read_csv(result["submission"]).shape[0] == len(comp.sample_submission)
