"""Label-free validation scores of the bench's runs against their public scores (Spearman per competition):
python scripts/attempts/label_free_validation.py  (reads runs/*/stages.json of a finished `make bench`)."""
import glob
import json
import os

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import silhouette_score

from kit.competition import load_competition
from kit.features.neighbors import knn
from kit.validation import K_REFERENCE, knn_agreement, reference_features

runs = {}
for st in sorted(glob.glob("runs/*/stages.json")):
    s = json.load(open(st))
    scores = os.path.join(s.get("submit") or "", "scores.json")
    if s.get("submit") and os.path.exists(scores):
        runs.setdefault(s["competition"], []).append((st.split("/")[1], s, json.load(open(scores))))
for comp_dir, rs in runs.items():
    comp = load_competition(comp_dir)
    if len(rs) < 3 or comp.type == "pairs" or (comp.labeled is not None and len(comp.labeled)):
        continue
    Z = reference_features(comp.images.images, 0)
    nb = knn(Z, K_REFERENCE, metric="cosine")[0]
    order = {i: n for n, i in enumerate(comp.images.ids.astype(str))}
    pub, kap, sil = [], [], []
    for name, s, sc in rs:
        z = np.load(os.path.join(s["cluster"], "clusters.npz"))
        c = np.empty(len(order), np.int64)
        c[[order[i] for i in z["ids"].astype(str)]] = z["clusters"]
        pub.append(sc["public"])
        kap.append(knn_agreement(nb, c))
        sil.append(silhouette_score(Z, c, metric="cosine", sample_size=min(3000, len(c)), random_state=0))
        print(f"{comp_dir} {name}: public {pub[-1]:.3f} knn_agreement {kap[-1]:.3f} silhouette {sil[-1]:.3f}")
    print(f"{comp_dir}: {len(rs)} runs, Spearman knn_agreement {spearmanr(pub, kap)[0]:.2f}, "
          f"silhouette {spearmanr(pub, sil)[0]:.2f}")
