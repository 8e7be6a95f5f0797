"""Kaggle-like submission checks. Every message names the first offending lines (line 1 is the header)."""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from kit.data.values import INT64_MAX, INT64_MIN, first_ids
from kit.errors import SubmissionError

BINARY_METRICS = ("binary_accuracy", "pair_accuracy")
TYPES = ("label", "binary", "pairs")
_INTEGER = re.compile(r"[+-]?\d+")


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
                        n_classes: int | None = None, label_names: list[str] | None = None,
                        text_labels: bool = False) -> pd.DataFrame:
    """Return the submission as (id: str, label) in the sample's row order, or raise SubmissionError.

    ``submission``: a CSV path or a DataFrame. ``sample``: a Competition (which supplies type, metric, n_classes,
    its submission header and label names) or the sample DataFrame (whose header is expected). Labels are integers
    (object ints when one does not fit int64: cluster ids of any size stay distinct); ``type`` "binary"/"pairs" (or
    a binary metric) limits them to {0, 1}, metric "accuracy" with ``n_classes`` to [0, n_classes). With
    ``label_names`` they must be among those names (the competition's own labels) and stay names; ``text_labels``
    takes any text (for an answer key that names its classes).
    """
    if hasattr(sample, "sample_submission"):
        type = type or sample.type
        metric = metric or sample.metric
        n_classes = n_classes or sample.n_classes
        label_names = label_names if label_names is not None else sample.label_names
        expected, sample_ids = list(sample.submission_columns), sample.sample_submission["id"]
    else:
        expected, sample_ids = list(map(str, sample.columns)), sample.iloc[:, 0]
    if type is not None and type not in TYPES:
        raise ValueError(f"type must be one of {TYPES}, got {type!r}")
    df = read_submission(submission) if isinstance(submission, (str, Path)) else submission.astype(str)
    if list(map(str, df.columns)) != expected:
        raise SubmissionError(f"wrong header: expected {','.join(expected)}, got {','.join(map(str, df.columns))}")
    file_lines = df.attrs.get("lines")

    def line(i) -> int:  # the file's line number of data row i (row i + 2 when the file has no blank lines)
        return file_lines[int(i)] if file_lines else int(i) + 2

    ids = df.iloc[:, 0].str.strip()
    labels = df.iloc[:, 1].str.strip()
    empty = np.flatnonzero((ids == "") | (labels == "") | ids.str.lower().isin(["nan", "none"]) | labels.str.lower().isin(["nan", "none"]))
    if len(empty):
        raise SubmissionError(f"empty or NaN cell on line(s) {[line(i) for i in empty[:5]]}")
    if label_names is not None:
        values = _names(labels, label_names, line)
    elif text_labels:
        values = labels.to_numpy(dtype=object)
    else:
        values, bad = integer_labels(labels)
        if bad is not None:
            raise SubmissionError(f"label must be an integer: line {line(bad)} has {labels.iloc[bad]!r}")
    dup = np.flatnonzero(ids.duplicated(keep=False).to_numpy())
    if len(dup):
        first = ids.iloc[dup[0]]
        lines = [line(i) for i in dup if ids.iloc[i] == first]
        raise SubmissionError(f"duplicate id {first!r} on lines {lines}")
    sample_ids = sample_ids.astype(str)
    known = set(sample_ids)
    unknown = np.flatnonzero(~ids.isin(known).to_numpy())
    if len(unknown):
        raise SubmissionError(
            f"{len(unknown)} unknown id(s), first {ids.iloc[unknown[0]]!r} on line {line(unknown[0])}"
        )
    if len(df) != len(sample_ids):
        missing = [i for i in sample_ids if i not in set(ids)]
        raise SubmissionError(f"expected {len(sample_ids)} rows, got {len(df)}; missing ids (first "
                              f"{min(5, len(missing))}): {first_ids(missing)}")
    if label_names is None and not text_labels:
        _check_range(values, type, metric, n_classes, line)
    return pd.DataFrame({"id": ids.to_numpy(), "label": values}).set_index("id").loc[sample_ids].reset_index()


def integer_labels(cells: pd.Series) -> tuple[np.ndarray, int | None]:
    """Label cells as exact integers: int64, or object ints when one does not fit int64 (a float cast would turn
    every such cluster id into the same INT64_MIN); also the first row that is not an integer, or None."""
    cells = cells.astype(str).str.strip()
    if cells.str.fullmatch(r"[+-]?\d{1,18}").all():  # fast path: fits int64 for sure
        return cells.astype(np.int64).to_numpy(), None
    values = []
    for i, text in enumerate(cells):
        value = _integer(text)
        if value is None:
            return np.asarray(values, dtype=object), i
        values.append(value)
    if all(INT64_MIN <= v <= INT64_MAX for v in values):
        return np.asarray(values, dtype=np.int64), None
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out, None


def _integer(text: str) -> int | None:
    if _INTEGER.fullmatch(text):
        return int(text)
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if math.isfinite(value) and value.is_integer() else None


def _names(labels: pd.Series, names: list[str], line) -> np.ndarray:
    """The competition's own label names (Kaggle scores them as written), not class indices."""
    bad = np.flatnonzero(~labels.isin(set(names)).to_numpy())
    if len(bad):
        shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
        raise SubmissionError(f"label must be one of the competition's labels ({shown}): line {line(bad[0])} has "
                              f"{labels.iloc[bad[0]]!r}")
    return labels.to_numpy(dtype=object)


def _check_range(values: np.ndarray, type, metric, n_classes, line) -> None:
    if metric in BINARY_METRICS or type in ("binary", "pairs"):
        bad = np.flatnonzero(~np.isin(values, [0, 1]))
        if len(bad):
            raise SubmissionError(f"labels must be 0 or 1: line {line(bad[0])} has {values[bad[0]]}")
    elif metric == "accuracy" and n_classes:
        bad = np.flatnonzero(((values < 0) | (values >= n_classes)).astype(bool))
        if len(bad):
            raise SubmissionError(f"labels must be class indices in [0, {n_classes}): line {line(bad[0])} has {values[bad[0]]}")
