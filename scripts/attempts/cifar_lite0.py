"""CIFAR-10 on cached EfficientNet-Lite0 features: what more the features give, with and without labels.

Reads the stage outputs of finished bench runs (`cifar10_lite0_scan`, `cifar10_lite0_kmeans_noflip`; the same 10k
images as competitions/cifar10_fewlabels) and prints ACC rows for bench/attempts.md (written there by hand).

    python scripts/attempts/cifar_lite0.py size        # kNN purity of the features by input size (2,000 images)
    python scripts/attempts/cifar_lite0.py logits      # K-Means on pooled features vs ImageNet logits/probabilities
    python scripts/attempts/cifar_lite0.py fewlabels   # probes: flip-augmented labels, standardising, balanced rounds
    python scripts/attempts/cifar_lite0.py unlabeled   # balanced self-training seeded by SCAN's clusters (no labels)
    python scripts/attempts/cifar_lite0.py scan        # SCAN-head variants, two seeds each; averages over six seeds
    python scripts/attempts/cifar_lite0.py backbones   # Lite0 vs Lite2 features: purity, the bench's cluster stage x 6 seeds
"""
import glob
import sys
import time

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from kit.cluster.smoothing import feature_neighbours, smooth_probabilities
from kit.features.files import load_features
from kit.metrics import cluster_accuracy


def one(pattern):
    (path,) = glob.glob(pattern)
    return path


def l2(X):
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def purity(F, y, k):
    import faiss

    F = l2(F).astype(np.float32)
    index = faiss.IndexFlatIP(F.shape[1])
    index.add(F)
    _, I = index.search(F, k + 1)
    return (y[I[:, 1:]] == y[:, None]).mean()


def truth(ids, comp="cifar10"):
    sol = pd.read_csv(f"competitions/{comp}/hidden/solution.csv").set_index("id")
    return sol.loc[ids, "label"].to_numpy()


def size():
    import torch

    from kit.models.timm_backbone import TimmEncoder

    d = np.load("competitions/cifar10/images.npz")
    sel = np.sort(np.random.default_rng(0).choice(len(d["ids"]), 2000, replace=False))
    X = torch.tensor(d["images"][sel]).permute(0, 3, 1, 2).float() / 255
    y = truth(d["ids"][sel])
    for px in (128, 160, 224):
        enc = TimmEncoder("tf_efficientnet_lite0", weights="efficientnet_lite0", input_size=px).eval()
        t = time.time()
        with torch.inference_mode():
            F = np.concatenate([enc.encode(X[i:i + 250]).numpy() for i in range(0, len(X), 250)])
        print(f"| {px} px | kNN purity at 10: {purity(F, y, 10):.3f} | {time.time() - t:.0f} s |", flush=True)


def logits():
    import timm
    import torch

    from kit.models.weights import load_pretrained

    ids, F = load_features(one("runs/cifar10_lite0_scan/extract-*/features.npz"))
    y = truth(ids)
    net = timm.create_model("tf_efficientnet_lite0")
    load_pretrained(net, "efficientnet_lite0")
    L = F @ net.classifier.weight.detach().numpy().T + net.classifier.bias.detach().numpy()
    P = torch.softmax(torch.tensor(L), 1).numpy()
    for name, X in (("pooled, L2", l2(F)), ("ImageNet logits, L2", l2(L)), ("ImageNet probabilities", P),
                    ("sqrt probabilities (Hellinger)", np.sqrt(P))):
        acc = cluster_accuracy(y, KMeans(10, n_init=10, random_state=0).fit_predict(X))
        print(f"| {name} | K-Means {acc:.3f} | kNN purity at 20 {purity(X, y, 20):.3f} |", flush=True)


def labeled():
    from kit.competition import load_competition

    comp = load_competition("competitions/cifar10_fewlabels")
    ids, Fa = load_features(one("runs/cifar10_lite0_scan/extract-*/features.npz"))
    sol = pd.read_csv("competitions/cifar10_fewlabels/hidden/solution.csv").set_index("id")
    scored = np.isin(ids, sol.index)
    row = {i: n for n, i in enumerate(ids)}
    y = np.full(len(ids), -1)
    y[[row[i] for i in comp.labeled.ids]] = comp.labeled.labels
    return ids, Fa, y, scored, sol.loc[ids[scored], "label"].to_numpy()


def fewlabels():
    ids, Fa, y, scored, want = labeled()
    ids0, F0 = load_features(one("runs/cifar10_lite0_kmeans_noflip/extract-*/features.npz"))
    assert (ids == ids0).all()
    F1 = 2 * Fa - F0  # the mirrored view's features: the TTA features are the mean of both views
    L = np.flatnonzero(y >= 0)
    acc = lambda P: float((P.argmax(1)[scored] == want).mean())  # noqa: E731
    for C in (1, 10, 100):
        plain = LogisticRegression(C=C, max_iter=2000).fit(l2(Fa)[L], y[L]).predict_proba(l2(Fa))
        m = LogisticRegression(C=C, max_iter=2000).fit(np.vstack([l2(F0)[L], l2(F1)[L]]), np.concatenate([y[L], y[L]]))
        flip = (m.predict_proba(l2(F0)) + m.predict_proba(l2(F1))) / 2
        sc = StandardScaler().fit(l2(Fa))
        std = LogisticRegression(C=C / 100, max_iter=2000).fit(sc.transform(l2(Fa))[L], y[L])
        print(f"| C={C} | mirror-averaged {acc(plain):.3f} | both views as labels {acc(flip):.3f} | "
              f"standardised (C={C / 100:g}) {acc(std.predict_proba(sc.transform(l2(Fa)))):.3f} |", flush=True)
    X = l2(Fa)
    I = feature_neighbours(Fa, 10)
    for C, shares, alpha in ((10, (.1, .2, .3, .4, .5), .6), (100, (.1, .2, .3, .4, .5), .6),
                             (100, (.2, .4, .6, .8), .6), (100, (.1, .2, .3, .4, .5), .8), (1000, (.1, .2, .3, .4, .5), .6)):
        P = LogisticRegression(C=C, max_iter=2000).fit(X[L], y[L]).predict_proba(X)
        for share in shares:
            Q = smooth_probabilities(P, I, alpha)
            lab, conf = Q.argmax(1), Q.max(1)
            pick = np.setdiff1d(np.concatenate([
                (lambda idx: idx[np.argsort(-conf[idx])][:int(share * len(X) / 10)])(np.flatnonzero(lab == c))
                for c in range(10)]), L)
            P = LogisticRegression(C=C, max_iter=2000).fit(np.vstack([X[L], X[pick]]),
                                                           np.concatenate([y[L], lab[pick]])).predict_proba(X)
        print(f"| C={C}, shares {shares}, alpha {alpha} | {acc(P):.3f} | smoothed {acc(smooth_probabilities(P, I, alpha)):.3f} |",
              flush=True)


def unlabeled():
    ids, F = load_features(one("runs/cifar10_lite0_scan/extract-*/features.npz"))
    d = np.load(one("runs/cifar10_lite0_scan/cluster-*/clusters.npz"))
    assert (d["ids"] == ids).all()
    y, X, I = truth(ids), l2(F), feature_neighbours(F, 10)
    for C in (1, 10, 100):
        P = d["probabilities"]
        for share in (.1, .2, .3, .4, .5):
            Q = smooth_probabilities(P, I, 0.6)
            lab, conf = Q.argmax(1), Q.max(1)
            pick = np.concatenate([(lambda idx: idx[np.argsort(-conf[idx])][:int(share * len(X) / 10)])(
                np.flatnonzero(lab == c)) for c in range(10)])
            P = LogisticRegression(C=C, max_iter=1000).fit(X[pick], lab[pick]).predict_proba(X)
        print(f"| C={C} | {cluster_accuracy(y, P.argmax(1)):.3f} | smoothed "
              f"{cluster_accuracy(y, smooth_probabilities(P, I, 0.6).argmax(1)):.3f} |", flush=True)


def scan():
    from scipy.optimize import linear_sum_assignment

    from kit.cluster.scan import SCANClusterer

    ids, F = load_features(one("runs/cifar10_lite0_scan/extract-*/features.npz"))
    y, Fc = truth(ids), F - F.mean(0)
    print(f"| kNN purity at 20: raw {purity(F, y, 20):.3f}, centred {purity(Fc, y, 20):.3f} |")
    for name, X, kw in [("default", F, {}), ("centred", Fc, {}), ("entropy weight 5", F, {"entropy_weight": 5.0}),
                        ("k 50", F, {"k": 50}), ("10 self-label epochs", F, {"self_label_epochs": 10}),
                        ("120 epochs", F, {"epochs": 120})]:
        accs = [cluster_accuracy(y, SCANClusterer(10, random_state=s, **kw).fit(X).labels_) for s in (0, 1)]
        print(f"| {name} | {accs[0]:.3f} / {accs[1]:.3f} |", flush=True)
    P = [SCANClusterer(10, random_state=s).fit(F).probabilities_ for s in range(6)]
    print("| seeds 0-5 |", " / ".join(f"{cluster_accuracy(y, p.argmax(1)):.3f}" for p in P), "|")
    ref, mean = P[0].argmax(1), np.zeros_like(P[0])
    for p in P:  # each seed's clusters matched to seed 0's, probabilities averaged
        C = np.zeros((10, 10))
        np.add.at(C, (p.argmax(1), ref), 1)
        r, c = linear_sum_assignment(-C)
        mean[:, c] += p[:, r]
    print(f"| mean of the six, matched to seed 0 | {cluster_accuracy(y, mean.argmax(1)):.3f} |")


def backbones():
    """The bench's cluster stage (SCAN heads k 20, 60 epochs, a 5-neighbour vote) on each backbone's features, six
    seeds: is a backbone's gain larger than the seed spread?"""
    import tempfile
    from pathlib import Path

    from kit.competition import load_competition
    from kit.pipeline.stages import cluster_stage

    comp = load_competition("competitions/cifar10")
    spec = {"method": "scan", "n_clusters": 10, "k": 20, "epochs": 60}
    for run in ("cifar10_lite0_scan", "cifar10_lite2_scan_smooth"):
        path = Path(one(f"runs/{run}/extract-*/features.npz"))
        ids, F = load_features(path)
        y, accs = truth(ids), []
        for seed in range(6):
            with tempfile.TemporaryDirectory() as tmp:
                with np.load(cluster_stage(comp, path, spec, seed, Path(tmp), smooth_k=5, smooth_alpha=0.6)) as z:
                    accs.append(cluster_accuracy(y, z["clusters"]))
        print(f"| {run} | {F.shape[1]} | {purity(F, y, 20):.3f} | " + " / ".join(f"{a:.3f}" for a in accs)
              + f" | {np.mean(accs):.3f} |", flush=True)


if __name__ == "__main__":
    {"size": size, "logits": logits, "fewlabels": fewlabels, "unlabeled": unlabeled, "scan": scan,
     "backbones": backbones}[sys.argv[1]]()
