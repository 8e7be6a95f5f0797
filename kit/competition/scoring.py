"""Offline leaderboard: the metric on the Public and Private rows of the hidden solution, plus NMI/ARI."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from kit.competition.validate import integer_labels, validate_submission
from kit.data.values import INT64_MAX, INT64_MIN
from kit.errors import DataError, SubmissionError
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
    """hidden/solution.csv (or the same as a DataFrame), checked: the submission's header + Usage (id,label,Usage for
    a made competition). Returned as id,label,Usage with the file's header in ``attrs["columns"]``; labels are int64,
    or text when the answer key names its classes. Integer labels past int64 are refused (no class index is)."""
    name = "solution"
    if isinstance(solution, pd.DataFrame):
        df = solution.astype(str)
    else:
        path = name = Path(solution)
        if not path.exists():
            raise DataError(f"{path}: no such solution file")
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
        except Exception as e:
            raise DataError(f"{path}: unreadable CSV ({e})") from None
    header = list(map(str, df.columns))
    if len(header) != 3 or header[2] != "Usage" or header[0] == header[1]:
        raise DataError(f"{name}: header must be <id>,<label>,Usage (e.g. id,label,Usage), got {','.join(header)}")
    df = df.set_axis(["id", "label", "Usage"], axis=1).apply(lambda col: col.str.strip())
    empty = np.flatnonzero(((df["id"] == "") | (df["label"] == "") | df["label"].str.lower().isin(["nan", "none"])).to_numpy())
    if len(empty):
        raise DataError(f"{name}: empty id or label on line {empty[0] + 2}")
    bad = np.flatnonzero(~df["Usage"].isin(["Public", "Private"]).to_numpy())
    if len(bad):
        raise DataError(f"{name}: Usage must be Public or Private, line {bad[0] + 2} has {df['Usage'].iloc[bad[0]]!r}")
    values, not_int = integer_labels(df["label"])
    if not_int is None and values.dtype != np.int64:  # integers past int64: no class index (import refuses them)
        big = next(n for n, v in enumerate(values) if not INT64_MIN <= v <= INT64_MAX)
        raise DataError(f"{name}: label on line {big + 2} ({df['label'].iloc[big]}) does not fit in int64; class "
                        "labels are indices 0..K-1 or names")
    if not_int is None:
        df["label"] = values
    df.attrs["columns"] = header[:2]
    return df


def score_submission(submission, solution, metric: str, *, n_classes: int | None = None) -> dict[str, float]:
    """Validate the submission against the solution's rows and header, then score each Usage split separately.

    ``n_classes`` (from competition.json) bounds integer labels for metric "accuracy"; by default the solution's
    max + 1. An answer key in label names takes the submission's labels as text (as Kaggle compares them). NMI and
    ARI are computed over all rows; ``acc`` is the metric over all rows.
    """
    if metric not in METRICS:
        raise DataError(f"unknown metric {metric!r} (known: {sorted(METRICS)})")
    sol = read_solution(solution)
    header, text = sol.attrs["columns"], not pd.api.types.is_integer_dtype(sol["label"])
    if metric == "accuracy" and n_classes is None and not text:
        n_classes = int(sol["label"].max()) + 1
    sub = validate_submission(submission, sol[["id", "label"]].set_axis(header, axis=1), metric=metric,
                              n_classes=n_classes if metric == "accuracy" and not text else None, text_labels=text)
    if text and not sub["label"].isin(set(sol["label"])).any():
        raise SubmissionError(f"no submitted label is a label of the answer key (it has e.g. {sol['label'].iloc[0]!r}, "
                              f"the submission {sub['label'].iloc[0]!r}): submit the competition's own label names")
    y_true, y_pred = _codes(sol["label"].to_numpy(), sub["label"].to_numpy())
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


def _codes(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both columns as codes of one vocabulary, equal exactly when their text is: names, class indices and cluster
    ids past int64 all score as written."""
    codes, _ = pd.factorize(np.concatenate([y_true.astype(str), y_pred.astype(str)]))
    return codes[: len(y_true)], codes[len(y_true):]
