"""CIFAR-10 with 250 labels on cached EfficientNet-Lite0 features: which label-using cluster method wins.

Reads the features of a finished `cifar10_lite0_kmeans` run (the same 10k images as competitions/cifar10_fewlabels,
checked) and scores each method on the 9,750 unlabeled images against the hidden solution. Rows go to bench/attempts.md by hand.

    python scripts/attempts/fewlabels.py runs/cifar10_lite0_kmeans/extract-*/features.npz
"""
import sys
import time

import numpy as np
import pandas as pd

from kit.cluster import fit_clusterer
from kit.competition import load_competition
from kit.features.files import load_features
from kit.metrics import cluster_accuracy

comp = load_competition("competitions/cifar10_fewlabels")
ids, X = load_features(sys.argv[1])
assert np.array_equal(load_competition("competitions/cifar10").images.images, comp.images.images)
sol = pd.read_csv("competitions/cifar10_fewlabels/hidden/solution.csv").set_index("id")  # the unlabeled images
scored = np.isin(ids, sol.index)
truth = sol.loc[ids[scored], "label"].to_numpy()
row = {i: n for n, i in enumerate(ids)}
y = np.full(len(ids), -1)
y[[row[i] for i in comp.labeled.ids]] = comp.labeled.labels
specs = [
    ("scan, no labels (Hungarian)", {"method": "scan", "n_clusters": 10}, None),
    ("logreg C=1", {"method": "logreg"}, y),
    ("logreg C=10", {"method": "logreg", "C": 10.0}, y),
    ("logreg C=10 self-train 0.9 x3", {"method": "logreg", "C": 10.0, "self_training_threshold": 0.9}, y),
    ("logreg C=10 self-train 0.8 x3", {"method": "logreg", "C": 10.0, "self_training_threshold": 0.8}, y),
    ("logreg C=100 self-train 0.95 x3", {"method": "logreg", "C": 100.0, "self_training_threshold": 0.95}, y),
    ("label spreading k=10", {"method": "label_spreading"}, y),
    ("scan + labels", {"method": "scan", "n_clusters": 10}, y),
    ("scan + labels, labeled_weight 3", {"method": "scan", "n_clusters": 10, "labeled_weight": 3.0}, y),
]
only = sys.argv[2:]
for name, spec, yy in specs:
    if only and not any(o in name for o in only):
        continue
    t0 = time.perf_counter()
    est = fit_clusterer(X, {**spec, "n_clusters": 10} if "n_clusters" in spec or spec["method"] == "scan" else spec,
                        seed=0, y=yy)
    lab = np.asarray(est.labels_)[scored]
    acc = cluster_accuracy(truth, lab) if yy is None else float((lab == truth).mean())
    print(f"| {name} | {acc:.3f} | {time.perf_counter() - t0:.0f} s |", flush=True)
