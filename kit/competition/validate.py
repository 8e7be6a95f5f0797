"""Kaggle-like submission checks. Every message names the first offending lines (line 1 is the header)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kit.errors import SubmissionError

BINARY_METRICS = ("binary_accuracy", "pair_accuracy")
TYPES = ("label", "binary", "pairs")


def read_submission(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise SubmissionError(f"{path}: no such file")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise SubmissionError(f"{path}: file is empty") from None
    except Exception as e:
        raise SubmissionError(f"{path}: not a readable CSV ({e})") from None
    # pandas skips blank lines: keep each row's real line number in the file for error messages
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        lines = [n for n, text in enumerate(f, start=1) if text.strip()]
    if len(lines) == len(df) + 1:
        df.attrs["lines"] = lines[1:]
    return df


def validate_submission(submission, sample, type: str | None = None, *, metric: str | None = None,
                        n_classes: int | None = None) -> pd.DataFrame:
    """Return the submission as (id: str, label: int) in the sample's row order, or raise SubmissionError.

    ``submission``: a CSV path or a DataFrame. ``sample``: the sample_submission DataFrame, or a Competition
    (which supplies type, metric and n_classes). ``type`` "binary"/"pairs" (or a binary metric) limits labels
    to {0, 1}; metric "accuracy" with ``n_classes`` limits them to [0, n_classes).
    """
    if hasattr(sample, "sample_submission"):
        type = type or sample.type
        metric = metric or sample.metric
        n_classes = n_classes or sample.n_classes
        sample = sample.sample_submission
    if type is not None and type not in TYPES:
        raise ValueError(f"type must be one of {TYPES}, got {type!r}")
    df = read_submission(submission) if isinstance(submission, (str, Path)) else submission.astype(str)
    expected = list(sample.columns)
    if list(df.columns) != expected:
        raise SubmissionError(f"wrong header: expected {','.join(expected)}, got {','.join(map(str, df.columns))}")
    file_lines = df.attrs.get("lines")

    def line(i) -> int:  # the file's line number of data row i (row i + 2 when the file has no blank lines)
        return file_lines[int(i)] if file_lines else int(i) + 2

    ids = df["id"].str.strip()
    labels = df["label"].str.strip()
    empty = np.flatnonzero((ids == "") | (labels == "") | ids.str.lower().isin(["nan", "none"]) | labels.str.lower().isin(["nan", "none"]))
    if len(empty):
        raise SubmissionError(f"empty or NaN cell on line(s) {[line(i) for i in empty[:5]]}")
    as_num = pd.to_numeric(labels, errors="coerce")
    not_int = np.flatnonzero(as_num.isna().to_numpy() | (as_num % 1 != 0).to_numpy())
    if len(not_int):
        i = not_int[0]
        raise SubmissionError(f"label must be an integer: line {line(i)} has {labels.iloc[i]!r}")
    dup = np.flatnonzero(ids.duplicated(keep=False).to_numpy())
    if len(dup):
        first = ids.iloc[dup[0]]
        lines = [line(i) for i in dup if ids.iloc[i] == first]
        raise SubmissionError(f"duplicate id {first!r} on lines {lines}")
    known = set(sample["id"].astype(str))
    unknown = np.flatnonzero(~ids.isin(known).to_numpy())
    if len(unknown):
        raise SubmissionError(
            f"{len(unknown)} unknown id(s), first {ids.iloc[unknown[0]]!r} on line {line(unknown[0])}"
        )
    if len(df) != len(sample):
        missing = [i for i in sample["id"].astype(str) if i not in set(ids)]
        raise SubmissionError(f"expected {len(sample)} rows, got {len(df)}; missing ids (first {min(5, len(missing))}): {missing[:5]}")
    values = as_num.astype(np.int64).to_numpy()
    if metric in BINARY_METRICS or type in ("binary", "pairs"):
        bad = np.flatnonzero(~np.isin(values, [0, 1]))
        if len(bad):
            raise SubmissionError(f"labels must be 0 or 1: line {line(bad[0])} has {values[bad[0]]}")
    elif metric == "accuracy" and n_classes:
        bad = np.flatnonzero((values < 0) | (values >= n_classes))
        if len(bad):
            raise SubmissionError(f"labels must be class indices in [0, {n_classes}): line {line(bad[0])} has {values[bad[0]]}")
    out = pd.DataFrame({"id": ids.to_numpy(), "label": values}).set_index("id").loc[sample["id"].astype(str)].reset_index()
    return out
