"""A score for any run without the hidden solution: what a competitor ranks runs by before spending submissions.

- ``kfold``: the cluster method trained on the labels (logreg, label_spreading, scan with labels): it is refit
  ``FOLDS`` times, each time without one fold of the labeled images, and scored on the fold it did not see.
- ``labels``: the labels only named the clusters (an unsupervised method): accuracy on all labeled images.
- ``holdout``: ``validate.holdout`` kept a seeded share of the labeled images out of every stage: accuracy on them.
- ``train_labels``: refine or finetune trained on the labels: accuracy on them, optimistic (they were seen); set
  ``validate.holdout`` for a score on labels no stage saw.
- ``knn_agreement``: no labels: how often an image and each of its ``K_REFERENCE`` nearest neighbours share a
  cluster, in a reference space that is the same for every run of a competition (dense SIFT -> PCA), so runs with
  different features can be ranked; chance-corrected for the run's cluster sizes (Cohen's kappa: 0 for a partition
  that ignores the neighbours, 1 when every neighbour agrees), so one giant cluster does not score high. It replaced
  the silhouette in that space, which ranked the bench's runs worse; both are measured in bench/attempts.md, and it
  favours runs built on dense SIFT itself (see there). Compare runs of one K with it: a coarser partition is more
  consistent with any neighbourhood, and scores higher.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from kit.io import write_json

FOLDS = 5
K_REFERENCE = 10
REFERENCE_DIM = 50


def cross_validated_accuracy(X: np.ndarray, spec: dict, seed: int, y: np.ndarray, folds: int = FOLDS,
                             smooth: tuple[np.ndarray, float] | None = None) -> float:
    """Mean accuracy on held-out labeled rows, refitting the clusterer with each fold's labels hidden.
    ``smooth``: (neighbour indices, alpha) of the run's cluster.smooth_k, applied to every refit as the run did."""
    from sklearn.model_selection import KFold, StratifiedKFold

    from kit.cluster import fit_clusterer
    from kit.cluster.smoothing import smooth_clusters

    rows = np.flatnonzero(y >= 0)
    counts = np.bincount(y[rows])
    n = min(folds, len(rows))
    split = (StratifiedKFold(n, shuffle=True, random_state=seed) if counts[counts > 0].min() >= n
             else KFold(n, shuffle=True, random_state=seed))
    hits = 0
    for _, test in split.split(rows, y[rows]):
        held = rows[test]
        part = y.copy()
        part[held] = -1
        est = fit_clusterer(X, spec, seed=seed, y=part)
        labels = (np.asarray(est.labels_) if smooth is None
                  else smooth_clusters(getattr(est, "probabilities_", None), est.labels_, *smooth)[1])
        hits += int((labels[held] == y[held]).sum())
    return hits / len(rows)


def reference_features(images: np.ndarray, seed: int) -> np.ndarray:
    """Dense SIFT -> PCA -> unit rows: one space per competition, whatever features a run used."""
    from sklearn.decomposition import PCA

    from kit.features.descriptors import describe

    D = describe("dsift", images).astype(np.float32)
    Z = PCA(min(REFERENCE_DIM, *D.shape), random_state=seed).fit_transform(D)
    return Z / np.maximum(np.linalg.norm(Z, axis=1, keepdims=True), 1e-12)


def knn_agreement(neighbours: np.ndarray, clusters: np.ndarray) -> float:
    """Chance-corrected share of (image, neighbour) pairs in one cluster: (a - e) / (1 - e), with a the observed
    share and e = sum_c p_c^2 its expectation for clusters of the same sizes drawn at random; 0 with one cluster."""
    clusters = np.asarray(clusters)
    _, counts = np.unique(clusters, return_counts=True)
    expected = float(((counts / len(clusters)) ** 2).sum())
    if expected >= 1.0:
        return 0.0
    observed = float((clusters[neighbours] == clusters[:, None]).mean())
    return (observed - expected) / (1.0 - expected)


def competition_knn_agreement(comp, ids: np.ndarray, clusters: np.ndarray, seed: int) -> float:
    """knn_agreement of ``clusters`` (one per image id of ``comp``) in the competition's reference space."""
    from kit.features.neighbors import knn

    order = {i: n for n, i in enumerate(comp.images.ids.astype(str))}
    images = comp.images.images[[order[i] for i in np.asarray(ids).astype(str)]]
    k = min(K_REFERENCE, len(images) - 1)
    return (knn_agreement(knn(reference_features(images, seed), k, metric="cosine", seed=seed)[0], clusters)
            if k >= 1 else 0.0)


def validate_stage(comp, clusters_path: Path, embedding_path: Path, spec: dict, seed: int, trained_on_labels: bool,
                   out_dir: Path, *, smooth_k: int = 0, smooth_alpha: float = 0.8,
                   neighbors: Path | None = None, held_out: np.ndarray | None = None) -> Path:
    """validation.json: {"score", "kind", "n"} for the run whose clusters are ``clusters_path`` (``smooth_k``...:
    the run's cluster smoothing, which k-fold refits repeat). ``held_out``: ids of labeled images no stage saw
    (validate.holdout): the score is the accuracy on them, whatever the methods."""
    from kit.cluster import CLUSTERERS
    from kit.cluster.auto_k import is_auto
    from kit.features.files import load_features
    from kit.pipeline.stages import labeled_positions

    with np.load(clusters_path, allow_pickle=False) as z:
        ids, clusters = z["ids"].astype(str), z["clusters"]
        labels = z["labels"] if "labels" in z.files else None
        if is_auto(spec.get("n_clusters")) and "auto_k" in z.files:  # refit with the K the run chose
            spec = {**spec, "n_clusters": int(z["auto_k"])}
    has_labels = comp.labeled is not None and len(comp.labeled) > 0
    if held_out is not None and labels is not None:
        row = {i: n for n, i in enumerate(ids)}
        truth = dict(zip(comp.labeled.ids.astype(str), np.asarray(comp.labeled.labels)))
        held = [str(i) for i in held_out]
        predicted = np.array([labels[row[i]] for i in held])
        result = {"score": float((predicted == np.array([truth[i] for i in held])).mean()), "kind": "holdout",
                  "n": len(held)}
    elif has_labels and labels is not None:
        index = labeled_positions(ids, comp, embedding_path)
        truth = np.asarray(comp.labeled.labels, dtype=np.int64)
        method = spec.get("method")
        if method in CLUSTERERS and getattr(CLUSTERERS.get(method), "learns_from_labels", False):
            _, X = load_features(embedding_path)
            y = np.full(len(ids), -1, dtype=np.int64)
            y[index] = truth
            smooth = None
            if smooth_k:
                from kit.cluster.smoothing import neighbour_indices

                smooth = (neighbour_indices(X, ids, smooth_k, neighbors, seed)[0], smooth_alpha)
            result = {"score": cross_validated_accuracy(X, spec, seed, y, smooth=smooth), "kind": "kfold",
                      "n": len(index)}
        else:
            kind = "train_labels" if trained_on_labels else "labels"
            result = {"score": float((labels[index] == truth).mean()), "kind": kind, "n": len(index)}
    else:
        result = {"score": competition_knn_agreement(comp, ids, clusters, seed), "kind": "knn_agreement",
                  "n": len(ids)}
    result["score"] = round(float(result["score"]), 6)
    path = Path(out_dir) / "validation.json"
    write_json(path, result)
    return path
