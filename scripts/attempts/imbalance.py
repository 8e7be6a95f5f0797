"""Imbalanced classes (sizes falling 10:1): SCAN's entropy target uniform vs estimated from the data.

Builds sklearn-digits competitions with `make_competition` (class_ratio 10: class 0 has 180 images, class 9 eighteen,
sizes geometric in the class index; and class_ratio 1, today's balanced set), takes PCA features of the competition
images (pixels, not whitened, fitted on the competition's own images), and clusters them with kit's `scan` clusterer
(SCANClusterer) with entropy_prior uniform and estimated, over a few seeds. Reports ACC (Hungarian-matched, all
rows), NMI, the mean per-class recall (balanced accuracy of the matched labels) and the per-class recall of each
class (kit.metrics.per_class_recall), mean over seeds. K-Means on the same features is the reference row.

    NO_ALBUMENTATIONS_UPDATE=1 OMP_NUM_THREADS=1 .venv/bin/python scripts/attempts/imbalance.py [--seeds 0,1,2]
        [--ratios 10,1] [--pca 32] [--epochs 60] [--out /tmp/imbalance.json]

About a minute on 2 cores.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import normalized_mutual_info_score

from kit.cluster.scan import SCANClusterer
from kit.competition import load_competition, make_competition
from kit.data.digits import load_digits
from kit.metrics import cluster_accuracy, per_class_recall


def competition(ratio: float, seed: int, folder: str):
    """(images as float rows, hidden labels in image order) of a digits competition built with this class_ratio."""
    comp = load_competition(make_competition(load_digits(), f"{folder}/digits_r{ratio:g}_s{seed}", class_ratio=ratio,
                                             seed=seed))
    sol = pd.read_csv(comp.solution_path).set_index("id")
    y = sol.loc[comp.images.ids, "label"].to_numpy()
    X = comp.images.images.reshape(len(y), -1).astype(np.float32) / 255.0
    return X, y


def scores(y, pred) -> dict:
    rec = per_class_recall(y, pred)
    return {"acc": cluster_accuracy(y, pred), "nmi": float(normalized_mutual_info_score(y, pred)),
            "mean_recall": float(np.mean(list(rec.values()))), "recall": [rec[c] for c in sorted(rec)]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--ratios", default="10,1")
    ap.add_argument("--pca", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for ratio in [float(r) for r in args.ratios.split(",")]:
            rows = {}
            for seed in seeds:
                X, y = competition(ratio, seed, folder)
                Z = PCA(args.pca, random_state=seed).fit_transform(X).astype(np.float32)
                runs = {"kmeans": lambda: KMeans(10, n_init=10, random_state=seed).fit_predict(Z)}
                for prior in ("uniform", "estimated"):
                    runs[f"scan_{prior}"] = lambda p=prior: SCANClusterer(
                        10, epochs=args.epochs, entropy_prior=p, random_state=seed).fit(Z).labels_
                for name, run in runs.items():
                    t = time.time()
                    s = scores(y, run())
                    s["seconds"] = time.time() - t
                    rows.setdefault(name, []).append(s)
                sizes = np.bincount(y, minlength=10).tolist()
            print(f"\nclass_ratio {ratio:g}: {len(y)} images, class sizes {sizes} (seeds {seeds})")
            print(f"{'method':16s} {'ACC':>6s} {'NMI':>6s} {'mRec':>6s}  per-class recall (class 0 .. 9)")
            results[f"ratio_{ratio:g}"] = {"sizes": sizes, "methods": {}}
            for name, runs_ in rows.items():
                mean = {k: float(np.mean([r[k] for r in runs_])) for k in ("acc", "nmi", "mean_recall", "seconds")}
                mean["recall"] = np.mean([r["recall"] for r in runs_], 0).round(3).tolist()
                mean["acc_per_seed"] = [round(r["acc"], 4) for r in runs_]
                results[f"ratio_{ratio:g}"]["methods"][name] = mean
                print(f"{name:16s} {mean['acc']:6.3f} {mean['nmi']:6.3f} {mean['mean_recall']:6.3f}  "
                      + " ".join(f"{v:.2f}" for v in mean["recall"]) + f"   (ACC per seed {mean['acc_per_seed']})")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
