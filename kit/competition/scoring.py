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
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float(np.mean(y_true == y_pred)) if len(y_true) else float("nan")


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
    """hidden/solution.csv (or the same as a DataFrame), checked: id,label,Usage with integer labels."""
    name = "solution"
    if isinstance(solution, pd.DataFrame):
        df = solution
    else:
        path = name = Path(solution)
        if not path.exists():
            raise DataError(f"{path}: no such solution file")
        try:
            df = pd.read_csv(path, dtype={"id": str})
        except Exception as e:
            raise DataError(f"{path}: unreadable CSV ({e})") from None
    if list(df.columns) != ["id", "label", "Usage"]:
        raise DataError(f"{name}: header must be id,label,Usage, got {','.join(map(str, df.columns))}")
    if not pd.api.types.is_integer_dtype(df["label"]):
        raise DataError(f"{name}: labels must be integers")
    bad = np.flatnonzero(~df["Usage"].isin(["Public", "Private"]).to_numpy())
    if len(bad):
        raise DataError(f"{name}: Usage must be Public or Private, line {bad[0] + 2} has {df['Usage'].iloc[bad[0]]!r}")
    return df.assign(id=df["id"].astype(str))


def score_submission(submission, solution, metric: str, *, n_classes: int | None = None) -> dict[str, float]:
    """Validate the submission against the solution's rows, then score each Usage split separately.

    ``n_classes`` (from competition.json) bounds labels for metric "accuracy"; by default the solution's max + 1.
    NMI and ARI are computed over all rows; ``acc`` is the metric over all rows.
    """
    if metric not in METRICS:
        raise DataError(f"unknown metric {metric!r} (known: {sorted(METRICS)})")
    sol = read_solution(solution)
    if metric == "accuracy" and n_classes is None:
        n_classes = int(sol["label"].max()) + 1
    sub = validate_submission(submission, sol[["id", "label"]], metric=metric,
                              n_classes=n_classes if metric == "accuracy" else None)
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
