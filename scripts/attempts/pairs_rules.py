"""Which rule turns class probabilities into "same" / "different" for a pairs competition (bench/attempts.md).

Reads the cluster stage of bench runs (run `make bench` first) and prints, against the hidden solution (analysis
only: kit's rules never read it), the accuracy of: <p_a, p_b> > 1/2; equal argmaxes; the top half by <p_a, p_b>;
and the top share estimated without labels by EM on the posteriors (prior-shift correction, Saerens et al. 2002).

    python scripts/attempts/pairs_rules.py cifar10_pairs_bayes cifar10_pairs_scratch
"""
import json
import sys

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score


def em_prior(p_same: np.ndarray, prior0: float, iters: int = 200) -> tuple[np.ndarray, float]:
    """Posteriors re-weighted to the prior that makes them self-consistent on this pair set."""
    rho = prior0
    for _ in range(iters):
        w1, w0 = rho / prior0 * p_same, (1 - rho) / (1 - prior0) * (1 - p_same)
        post = w1 / (w1 + w0)
        rho = post.mean()
    return post, rho


def main(runs: list[str]) -> None:
    for run in runs:
        stages = json.load(open(f"runs/{run}/stages.json"))
        comp = stages["competition"]
        pairs = pd.read_csv(f"{comp}/pairs.csv", dtype=str).merge(
            pd.read_csv(f"{comp}/hidden/solution.csv", dtype={"id": str}), on="id")
        with np.load(f"{stages['cluster']}/clusters.npz") as z:
            row = {i: n for n, i in enumerate(z["ids"].astype(str))}
            P = z["probabilities"].astype(np.float64)
        a = np.array([row[i] for i in pairs["image1"]])
        b = np.array([row[i] for i in pairs["image2"]])
        y = pairs["label"].to_numpy()
        p_same = np.clip((P[a] * P[b]).sum(1), 1e-9, 1 - 1e-9)
        post, rho = em_prior(p_same, float((P.mean(0) ** 2).sum()))
        rules = {"<p_a, p_b> > 1/2": p_same > 0.5, "argmax equal": P[a].argmax(1) == P[b].argmax(1),
                 "top half": p_same > np.median(p_same), f"EM prior ({rho:.2f})": post > 0.5}
        print(f"{run}: AUC {roc_auc_score(y, p_same):.3f}")
        for name, pred in rules.items():
            print(f"  {name:22s} acc {(pred == y).mean():.3f}  said same {pred.mean():.3f}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["cifar10_pairs_bayes", "cifar10_pairs_scratch"])
