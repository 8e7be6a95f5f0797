"""Offline leaderboard: the metric on the Public and Private rows of the hidden solution, plus NMI/ARI."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from kit.competition.validate import validate_submission
from kit.errors import DataError
from kit.metrics import cluster_accuracy


def accuracy(y_true, y_pred) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def binary_accuracy(y_true, y_pred) -> float:
    """Which of two sources: the submission may swap 0 and 1, so max(acc, 1 - acc)."""
    acc = accuracy(y_true, y_pred)
    return max(acc, 1.0 - acc)


METRICS = {
    "accuracy": accuracy,
    "cluster_accuracy": cluster_accuracy,  # Hungarian-matched: cluster ids are arbitrary
    "binary_accuracy": binary_accuracy,
    "pair_accuracy": accuracy,
}


def read_solution(solution) -> pd.DataFrame:
    if isinstance(solution, pd.DataFrame):
        return solution
    path = Path(solution)
    if not path.exists():
        raise DataError(f"{path}: no such solution file")
    df = pd.read_csv(path, dtype={"id": str})
    if list(df.columns) != ["id", "label", "Usage"]:
        raise DataError(f"{path}: solution header must be id,label,Usage")
    return df


def score_submission(submission, solution, metric: str) -> dict[str, float]:
    """Validate the submission against the solution's rows, then score each Usage split separately."""
    if metric not in METRICS:
        raise DataError(f"unknown metric {metric!r} (known: {sorted(METRICS)})")
    sol = read_solution(solution)
    sub = validate_submission(submission, sol[["id", "label"]], metric=metric,
                              n_classes=int(sol["label"].max()) + 1 if metric == "accuracy" else None)
    y_true, y_pred = sol["label"].to_numpy(), sub["label"].to_numpy()
    fn = METRICS[metric]
    public = (sol["Usage"] == "Public").to_numpy()
    return {
        "public": fn(y_true[public], y_pred[public]),
        "private": fn(y_true[~public], y_pred[~public]),
        "acc": fn(y_true, y_pred),
        "nmi": float(normalized_mutual_info_score(y_true, y_pred)),
        "ari": float(adjusted_rand_score(y_true, y_pred)),
        "n_public": int(public.sum()),
        "n_private": int((~public).sum()),
    }
